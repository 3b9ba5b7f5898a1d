"""POST /orgs/{orgId}/top-ups: credits added to a paid plan's month, once per top-up id, gone at month end."""

from __future__ import annotations

import pytest

from tests.http.support import (
    FIRST_INSTANT_OF_DECEMBER,
    LAST_MINUTE_OF_NOVEMBER,
    MID_NOVEMBER,
    assert_rejected,
    balance,
    charge,
    freeze_clock,
    set_plan,
    top_up,
)


def test_a_top_up_adds_to_the_limit_of_the_month(api, org_id):
    # Given an org on Basic
    freeze_clock(api, MID_NOVEMBER)
    set_plan(api, org_id, "Basic")

    # When staff top it up with 50 credits
    reply = api.top_up(org_id, 50, "goodwill-1")

    # Then the answer is the new balance: plan credits plus top-ups
    assert reply.status == 201
    expected = {"planCredits": 100, "topUpCredits": 50, "limit": 150, "used": 0, "remaining": 150}
    assert {key: reply.body[key] for key in expected} == expected
    assert {key: balance(api, org_id)[key] for key in expected} == expected


def test_top_ups_of_the_month_add_up(api, org_id):
    # Given an org on Lite topped up with 10 credits
    freeze_clock(api, MID_NOVEMBER)
    set_plan(api, org_id, "Lite")
    top_up(api, org_id, 10)

    # When it is topped up again with 15
    top_up(api, org_id, 15)

    # Then both count this month
    after = balance(api, org_id)
    assert (after["topUpCredits"], after["limit"]) == (25, 45)


def test_a_top_up_lets_a_blocked_org_run_that_many_more_enquiries(api, org_id):
    # Given an org on Lite that used all 20 credits
    freeze_clock(api, MID_NOVEMBER)
    set_plan(api, org_id, "Lite")
    charge(api, org_id, 20, prefix="plan")

    # When staff top it up with 3
    top_up(api, org_id, 3)

    # Then exactly three more enquiries run
    charge(api, org_id, 3, prefix="top-up")
    assert_rejected(api.use(org_id, "fourth-after-top-up"), 402, "ORG_LIMIT_REACHED")


def test_the_same_top_up_id_again_adds_nothing(api, org_id):
    # Given a top-up of 50 recorded as "invoice-42"
    freeze_clock(api, MID_NOVEMBER)
    set_plan(api, org_id, "Basic")
    top_up(api, org_id, 50, "invoice-42")

    # When it is sent again
    reply = api.top_up(org_id, 50, "invoice-42")

    # Then it is acknowledged with 200 and nothing more is added
    assert reply.status == 200
    assert (reply.body["topUpCredits"], reply.body["limit"]) == (50, 150)
    assert balance(api, org_id)["topUpCredits"] == 50


def test_the_same_top_up_id_with_different_credits_is_a_conflict(api, org_id):
    # Given a top-up of 50 recorded as "invoice-42"
    freeze_clock(api, MID_NOVEMBER)
    set_plan(api, org_id, "Basic")
    top_up(api, org_id, 50, "invoice-42")

    # When "invoice-42" is sent with 60 credits
    reply = api.top_up(org_id, 60, "invoice-42")

    # Then it is refused and the first top-up stands alone
    assert_rejected(reply, 409, "TOP_UP_ID_REUSED")
    assert balance(api, org_id)["topUpCredits"] == 50


def test_top_ups_without_an_id_are_each_added(api, org_id):
    # Given an org on Basic
    freeze_clock(api, MID_NOVEMBER)
    set_plan(api, org_id, "Basic")

    # When two top-ups of 5 are sent without a top-up id
    first, second = api.top_up(org_id, 5), api.top_up(org_id, 5)

    # Then both are added
    assert (first.status, second.status) == (201, 201)
    assert balance(api, org_id)["topUpCredits"] == 10


def test_a_top_up_needs_a_plan(api, org_id):
    # Given an org without a plan
    # When staff top it up
    reply = api.top_up(org_id, 10, "no-plan")

    # Then it is refused and nothing is added
    assert_rejected(reply, 409, "TOP_UP_NOT_AVAILABLE")
    after = balance(api, org_id)
    assert (after["topUpCredits"], after["limit"]) == (0, 0)


def test_a_top_up_is_not_available_on_a_trial(api, org_id):
    # Given an org on its trial
    freeze_clock(api, MID_NOVEMBER)
    set_plan(api, org_id, "Trial")

    # When staff top it up
    reply = api.top_up(org_id, 10, "trial-top-up")

    # Then it is refused and the trial keeps its 10 credits
    assert_rejected(reply, 409, "TOP_UP_NOT_AVAILABLE")
    after = balance(api, org_id)
    assert (after["topUpCredits"], after["limit"]) == (0, 10)


@pytest.mark.parametrize("credits", [1, 100_000])
def test_a_top_up_of_1_to_100000_credits_is_accepted(api, org_id, credits):
    # Given an org on Lite
    freeze_clock(api, MID_NOVEMBER)
    set_plan(api, org_id, "Lite")

    # When staff top it up at the edge of the allowed range
    reply = api.top_up(org_id, credits)

    # Then it is added
    assert reply.status == 201
    assert balance(api, org_id)["topUpCredits"] == credits


@pytest.mark.parametrize("credits", [0, -1, 100_001])
def test_a_top_up_outside_1_to_100000_credits_is_rejected_and_adds_nothing(api, org_id, credits):
    # Given an org on Lite
    freeze_clock(api, MID_NOVEMBER)
    set_plan(api, org_id, "Lite")

    # When staff top it up outside the allowed range
    reply = api.top_up(org_id, credits)

    # Then it is refused and nothing is added
    assert_rejected(reply, 400, "INVALID_FIELD")
    assert balance(api, org_id)["topUpCredits"] == 0


def test_a_top_up_may_give_a_reason(api, org_id):
    # Given an org on Lite
    freeze_clock(api, MID_NOVEMBER)
    set_plan(api, org_id, "Lite")

    # When staff top it up with a reason
    reply = api.call("POST", f"/orgs/{org_id}/top-ups", {"credits": 4, "topUpId": "t-1", "reason": "sales demo"})

    # Then it is added
    assert reply.status == 201, reply.body
    assert balance(api, org_id)["topUpCredits"] == 4


def test_a_top_up_expires_at_the_end_of_the_month(api, org_id):
    # Given an org on Lite topped up with 5 in the last minute of November
    freeze_clock(api, LAST_MINUTE_OF_NOVEMBER)
    set_plan(api, org_id, "Lite")
    top_up(api, org_id, 5)

    # When December starts
    freeze_clock(api, FIRST_INSTANT_OF_DECEMBER)

    # Then the top-up is gone and the limit is the plan's alone
    after = balance(api, org_id)
    assert (after["period"], after["topUpCredits"], after["limit"]) == ("2026-12", 0, 20)


def test_a_top_up_of_last_month_does_not_allow_enquiries_this_month(api, org_id):
    # Given an org on Lite topped up with 5 in November but that used nothing
    freeze_clock(api, LAST_MINUTE_OF_NOVEMBER)
    set_plan(api, org_id, "Lite")
    top_up(api, org_id, 5)

    # When it uses its 20 plan credits in December
    freeze_clock(api, FIRST_INSTANT_OF_DECEMBER)
    charge(api, org_id, 20)

    # Then the 21st enquiry is denied
    assert_rejected(api.use(org_id, "twenty-first"), 402, "ORG_LIMIT_REACHED")
