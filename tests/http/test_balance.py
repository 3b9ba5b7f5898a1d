"""GET /orgs/{orgId}/balance[?userId=]: what the org (and a user) has used and has left this period."""

from __future__ import annotations

import pytest

from tests.http.support import (
    FIRST_INSTANT_OF_DECEMBER,
    MID_NOVEMBER,
    assert_rejected,
    charge,
    freeze_clock,
    set_plan,
    set_user_limit,
    top_up,
)


def test_an_org_without_a_plan_has_nothing_to_spend(api, org_id):
    # Given an org nobody has set up
    freeze_clock(api, MID_NOVEMBER)

    # When its balance is read
    reply = api.balance(org_id)

    # Then it has no plan and no credits
    assert reply.status == 200
    assert reply.body == {
        "orgId": org_id,
        "plan": None,
        "period": "2026-11",
        "planCredits": 0,
        "topUpCredits": 0,
        "limit": 0,
        "used": 0,
        "remaining": 0,
        "perUserLimit": None,
    }


def test_the_limit_is_plan_credits_plus_top_ups_less_what_was_used(api, org_id):
    # Given an org on Basic, topped up with 25, that ran 7 enquiries
    freeze_clock(api, MID_NOVEMBER)
    set_plan(api, org_id, "Basic")
    top_up(api, org_id, 25)
    charge(api, org_id, 7)

    # When its balance is read
    reply = api.balance(org_id)

    # Then limit = plan credits + top-ups, and remaining = limit - used
    assert reply.status == 200
    expected = {"plan": "Basic", "planCredits": 100, "topUpCredits": 25, "limit": 125, "used": 7, "remaining": 118}
    assert {key: reply.body[key] for key in expected} == expected


@pytest.mark.parametrize(
    ("now", "period"),
    [
        ("2026-11-30T23:59:59Z", "2026-11"),
        (FIRST_INSTANT_OF_DECEMBER, "2026-12"),
        ("2026-12-01T00:30:00+01:00", "2026-11"),
        ("2026-11-30T20:00:00-05:00", "2026-12"),
    ],
)
def test_the_period_is_the_calendar_month_in_utc(api, org_id, now, period):
    # Given the time is `now`
    freeze_clock(api, now)

    # When the balance is read
    reply = api.balance(org_id)

    # Then the period is the UTC month, as YYYY-MM
    assert reply.status == 200
    assert reply.body["period"] == period


def test_the_trial_end_is_shown_only_while_on_the_trial(api, org_id):
    # Given an org on its trial since 3 November at 14:15
    freeze_clock(api, "2026-11-03T14:15:00Z")
    set_plan(api, org_id, "Trial")

    # When its balance is read, before and after moving to a paid plan
    on_trial = api.balance(org_id)
    set_plan(api, org_id, "Lite")
    on_lite = api.balance(org_id)

    # Then the trial end shows only on the trial
    assert on_trial.body["trialEndsAt"] == "2026-11-17T14:15:00Z"
    assert "trialEndsAt" not in on_lite.body


def test_a_paid_plan_has_no_trial_end(api, org_id):
    # Given an org on Ultimate
    set_plan(api, org_id, "Ultimate")

    # When its balance is read
    reply = api.balance(org_id)

    # Then no trial end is shown
    assert reply.status == 200
    assert "trialEndsAt" not in reply.body


def test_the_balance_for_a_user_shows_their_use_and_what_they_have_left(api, org_id):
    # Given alice ran 2 enquiries on an org on Basic without a cap
    freeze_clock(api, MID_NOVEMBER)
    set_plan(api, org_id, "Basic")
    charge(api, org_id, 2, user_id="alice")

    # When the balance is read for alice and for bob
    alices = api.balance(org_id, "alice")
    bobs = api.balance(org_id, "bob")

    # Then each sees their own use; without a cap what is left is what the org has left
    assert alices.body["user"] == {"userId": "alice", "used": 2, "remaining": 98}
    assert bobs.body["user"] == {"userId": "bob", "used": 0, "remaining": 98}
    assert alices.body["used"] == 2


def test_what_a_user_has_left_is_the_smaller_of_their_cap_and_the_orgs_remaining(api, org_id):
    # Given an org on Lite capping users at 15, where alice ran 3 and bob ran 14
    freeze_clock(api, MID_NOVEMBER)
    set_plan(api, org_id, "Lite")
    set_user_limit(api, org_id, 15)
    charge(api, org_id, 3, prefix="alice", user_id="alice")
    charge(api, org_id, 14, prefix="bob", user_id="bob")

    # When the balance is read for each
    alices = api.balance(org_id, "alice")
    bobs = api.balance(org_id, "bob")

    # Then alice is held back by the org (3 left), bob by his cap (1 left)
    assert (alices.body["remaining"], alices.body["perUserLimit"]) == (3, 15)
    assert alices.body["user"] == {"userId": "alice", "used": 3, "remaining": 3}
    assert bobs.body["user"] == {"userId": "bob", "used": 14, "remaining": 1}


@pytest.mark.parametrize("user_id", ["a%20b", "a" * 129, "al%C3%AFce", "a%2Fb"])
def test_a_balance_for_an_invalid_user_id_is_rejected(api, org_id, user_id):
    # Given an org on Basic
    set_plan(api, org_id, "Basic")

    # When its balance is read for a user id outside the allowed characters or length
    reply = api.call("GET", f"/orgs/{org_id}/balance?userId={user_id}")

    # Then it is refused
    assert_rejected(reply, 400, "INVALID_ID")


def test_a_balance_for_an_empty_user_id_is_rejected(api, org_id):
    # Given an org on Basic
    set_plan(api, org_id, "Basic")

    # When its balance is read for an empty user id
    reply = api.call("GET", f"/orgs/{org_id}/balance?userId=")

    # Then it is refused, as any id shorter than 1 character is
    assert_rejected(reply, 400, "INVALID_ID")
