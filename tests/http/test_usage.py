"""POST /orgs/{orgId}/usage: one credit per enquiry, at most once, within the org's limit of the month."""

from __future__ import annotations

from tests.http.support import (
    FIRST_INSTANT_OF_DECEMBER,
    LAST_MINUTE_OF_NOVEMBER,
    MID_DECEMBER,
    MID_NOVEMBER,
    assert_rejected,
    balance,
    charge,
    freeze_clock,
    limit_reached_notices,
    set_plan,
    top_up,
)


def test_a_charged_enquiry_answers_201_with_the_org_and_user_counts(api, org_id):
    # Given an org on Basic
    freeze_clock(api, MID_NOVEMBER)
    set_plan(api, org_id, "Basic")

    # When a user runs an enquiry
    reply = api.use(org_id, "enquiry-1", "alice")

    # Then one credit is charged to the org and to the user
    assert reply.status == 201
    assert reply.body["charged"] is True
    assert reply.body["period"] == "2026-11"
    assert {key: reply.body["org"][key] for key in ("used", "limit", "remaining")} == {
        "used": 1,
        "limit": 100,
        "remaining": 99,
    }
    assert {key: reply.body["user"][key] for key in ("used", "limit", "remaining")} == {
        "used": 1,
        "limit": None,
        "remaining": None,
    }
    after = balance(api, org_id, "alice")
    assert (after["used"], after["user"]["used"]) == (1, 1)


def test_an_org_without_a_plan_cannot_run_an_enquiry(api, org_id):
    # Given an org that has no plan
    # When a user runs an enquiry
    reply = api.use(org_id, "enquiry-1")

    # Then it is denied and nothing is counted
    assert_rejected(reply, 402, "NO_ACTIVE_PLAN")
    assert balance(api, org_id, "user-1")["user"]["used"] == 0


def test_the_same_enquiry_for_the_same_user_is_a_replay_and_not_charged_again(api, org_id):
    # Given an enquiry already charged
    freeze_clock(api, MID_NOVEMBER)
    set_plan(api, org_id, "Basic")
    first = api.use(org_id, "enquiry-1", "alice")
    assert first.status == 201

    # When the same user sends it again
    again = api.use(org_id, "enquiry-1", "alice")

    # Then it is answered as a replay and nothing more is counted
    assert again.status == 200
    assert again.body["replayed"] is True
    assert again.body["charged"] is not True
    assert again.body["org"]["used"] == 1
    after = balance(api, org_id, "alice")
    assert (after["used"], after["user"]["used"]) == (1, 1)


def test_the_same_enquiry_for_another_user_is_a_conflict(api, org_id):
    # Given an enquiry already charged to alice
    freeze_clock(api, MID_NOVEMBER)
    set_plan(api, org_id, "Basic")
    assert api.use(org_id, "enquiry-1", "alice").status == 201

    # When bob sends the same enquiry
    reply = api.use(org_id, "enquiry-1", "bob")

    # Then it is refused and bob is charged nothing
    assert_rejected(reply, 409, "ENQUIRY_CHARGED_TO_ANOTHER_USER")
    after = balance(api, org_id, "bob")
    assert (after["used"], after["user"]["used"]) == (1, 0)


def test_a_replay_is_answered_even_when_the_org_has_no_credit_left(api, org_id):
    # Given an org on Lite that has used all 20 credits, the first being enquiry enq-0
    freeze_clock(api, MID_NOVEMBER)
    set_plan(api, org_id, "Lite")
    charge(api, org_id, 20)

    # When the first enquiry is sent again by its user
    reply = api.use(org_id, "enq-0")

    # Then it is a replay, not a denial
    assert reply.status == 200
    assert reply.body["replayed"] is True
    assert balance(api, org_id)["used"] == 20


def test_a_replay_in_the_next_month_is_not_charged_again(api, org_id):
    # Given an enquiry charged on the last minute of November
    freeze_clock(api, LAST_MINUTE_OF_NOVEMBER)
    set_plan(api, org_id, "Lite")
    assert api.use(org_id, "late-november").status == 201

    # When the same user sends it again in December
    freeze_clock(api, MID_DECEMBER)
    reply = api.use(org_id, "late-november")

    # Then it is a replay and December is not charged
    assert reply.status == 200
    assert reply.body["replayed"] is True
    assert balance(api, org_id)["used"] == 0


def test_the_org_limit_denies_the_enquiry_after_the_last_credit(api, org_id):
    # Given an org on Lite that has used all 20 credits
    freeze_clock(api, MID_NOVEMBER)
    set_plan(api, org_id, "Lite")
    charge(api, org_id, 20)

    # When another enquiry is run
    reply = api.use(org_id, "twenty-first")

    # Then it is denied and not counted
    assert_rejected(reply, 402, "ORG_LIMIT_REACHED")
    after = balance(api, org_id)
    assert (after["used"], after["remaining"]) == (20, 0)


def test_a_denied_enquiry_is_not_remembered_and_runs_after_a_top_up(api, org_id):
    # Given an enquiry denied because the org used all its credits
    freeze_clock(api, MID_NOVEMBER)
    set_plan(api, org_id, "Lite")
    charge(api, org_id, 20)
    assert_rejected(api.use(org_id, "waiting"), 402, "ORG_LIMIT_REACHED")

    # When staff top up and the same enquiry is sent again
    top_up(api, org_id, 1)
    reply = api.use(org_id, "waiting")

    # Then it is charged now (not treated as a replay of the denial)
    assert reply.status == 201
    assert reply.body["charged"] is True
    assert balance(api, org_id)["used"] == 21


def test_an_enquiry_denied_for_no_plan_runs_once_a_plan_is_set(api, org_id):
    # Given an enquiry denied because the org had no plan
    freeze_clock(api, MID_NOVEMBER)
    assert_rejected(api.use(org_id, "early"), 402, "NO_ACTIVE_PLAN")

    # When staff set a plan and the same enquiry is sent again
    set_plan(api, org_id, "Basic")
    reply = api.use(org_id, "early")

    # Then it is charged
    assert reply.status == 201
    assert reply.body["org"]["used"] == 1


def test_usage_resets_on_the_first_at_midnight_utc(api, org_id):
    # Given an org on Lite that used all its credits in the last minute of November
    freeze_clock(api, LAST_MINUTE_OF_NOVEMBER)
    set_plan(api, org_id, "Lite")
    charge(api, org_id, 20)
    freeze_clock(api, "2026-11-30T23:59:59.999Z")
    assert_rejected(api.use(org_id, "just-before-midnight"), 402, "ORG_LIMIT_REACHED")

    # When the first instant of December comes
    freeze_clock(api, FIRST_INSTANT_OF_DECEMBER)
    reply = api.use(org_id, "just-before-midnight")

    # Then the month starts afresh
    assert reply.status == 201
    assert reply.body["period"] == "2026-12"
    assert (reply.body["org"]["used"], reply.body["org"]["limit"]) == (1, 20)


def test_the_first_is_decided_in_utc_whatever_the_offset_of_the_instant(api, org_id):
    # Given an org on Lite that used all its November credits
    freeze_clock(api, LAST_MINUTE_OF_NOVEMBER)
    set_plan(api, org_id, "Lite")
    charge(api, org_id, 20)

    # When it is already 1 December in Paris but still November in UTC
    freeze_clock(api, "2026-12-01T00:30:00+01:00")
    reply = api.use(org_id, "paris-midnight")

    # Then November's limit still applies
    assert_rejected(reply, 402, "ORG_LIMIT_REACHED")
    assert balance(api, org_id)["period"] == "2026-11"


def test_the_last_credit_publishes_one_limit_reached_for_the_org_and_period(api, org_id):
    # Given an org on Lite with one credit left
    freeze_clock(api, MID_NOVEMBER)
    set_plan(api, org_id, "Lite")
    charge(api, org_id, 19)
    assert limit_reached_notices(api, org_id) == []

    # When the last credit is used, and a further enquiry is denied
    assert api.use(org_id, "the-last-one").status == 201
    assert_rejected(api.use(org_id, "one-more"), 402, "ORG_LIMIT_REACHED")

    # Then customer success heard exactly once, about this org and period
    notices = limit_reached_notices(api, org_id)
    assert len(notices) == 1
    assert {key: notices[0].get(key) for key in ("orgId", "period", "plan", "used", "limit")} == {
        "orgId": org_id,
        "period": "2026-11",
        "plan": "Lite",
        "used": 20,
        "limit": 20,
    }


def test_limit_reached_is_published_once_per_period_even_when_a_top_up_is_used_up_too(api, org_id):
    # Given an org that used all its credits and was topped up with 2
    freeze_clock(api, MID_NOVEMBER)
    set_plan(api, org_id, "Lite")
    charge(api, org_id, 20, prefix="plan")
    top_up(api, org_id, 2)

    # When the top-up is used up as well
    charge(api, org_id, 2, prefix="top-up")

    # Then there is still one LimitReached for the period
    assert len(limit_reached_notices(api, org_id, "2026-11")) == 1


def test_limit_reached_is_published_again_in_the_next_period(api, org_id):
    # Given an org that used all its credits in November
    freeze_clock(api, MID_NOVEMBER)
    set_plan(api, org_id, "Lite")
    charge(api, org_id, 20, prefix="november")

    # When it uses all its credits in December too
    freeze_clock(api, MID_DECEMBER)
    charge(api, org_id, 20, prefix="december")

    # Then each period has its own single LimitReached
    assert len(limit_reached_notices(api, org_id, "2026-11")) == 1
    assert len(limit_reached_notices(api, org_id, "2026-12")) == 1
