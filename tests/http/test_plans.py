"""PUT /orgs/{orgId}/plan: the plan catalogue, trials, and plan changes that apply at once."""

from __future__ import annotations

import pytest

from tests.http.support import (
    MID_NOVEMBER,
    PLAN_CREDITS,
    TRIAL_CREDITS,
    assert_rejected,
    balance,
    charge,
    freeze_clock,
    set_plan,
    top_up,
)


@pytest.mark.parametrize(("plan", "credits"), sorted(PLAN_CREDITS.items()))
def test_a_paid_plan_sets_the_month_limit_to_its_credits(api, org_id, plan, credits):
    # Given an org without a plan
    freeze_clock(api, MID_NOVEMBER)

    # When staff put it on the plan
    reply = api.set_plan(org_id, plan)

    # Then the answer is the new balance, and a later read agrees
    assert reply.status == 200
    expected = {
        "orgId": org_id,
        "plan": plan,
        "period": "2026-11",
        "planCredits": credits,
        "topUpCredits": 0,
        "limit": credits,
        "used": 0,
        "remaining": credits,
        "perUserLimit": None,
    }
    assert reply.body == expected
    assert balance(api, org_id) == expected


def test_a_trial_gives_ten_credits_ending_fourteen_days_after_it_was_set(api, org_id):
    # Given an org that never had a plan
    freeze_clock(api, "2026-11-10T09:30:00Z")

    # When staff put it on the trial
    reply = api.set_plan(org_id, "Trial")

    # Then it has the trial's credits until exactly fourteen days later
    assert reply.status == 200
    assert reply.body["plan"] == "Trial"
    assert (reply.body["limit"], reply.body["remaining"]) == (TRIAL_CREDITS, TRIAL_CREDITS)
    assert reply.body["trialEndsAt"] == "2026-11-24T09:30:00Z"


@pytest.mark.parametrize("unknown", ["Gold", "basic", "BASIC", "Lite ", "", "Free"])
def test_an_unknown_plan_is_rejected_and_the_plan_stays(api, org_id, unknown):
    # Given an org on Basic
    set_plan(api, org_id, "Basic")

    # When staff ask for a plan the catalogue does not have
    reply = api.set_plan(org_id, unknown)

    # Then it is refused and the org keeps its plan
    assert_rejected(reply, 400, "UNKNOWN_PLAN")
    assert balance(api, org_id)["plan"] == "Basic"


def test_a_trial_is_not_available_after_a_paid_plan(api, org_id):
    # Given an org that has had a paid plan
    set_plan(api, org_id, "Lite")

    # When staff try to put it on a trial
    reply = api.set_plan(org_id, "Trial")

    # Then the trial is refused and the paid plan stays
    assert_rejected(reply, 409, "TRIAL_NOT_AVAILABLE")
    assert balance(api, org_id)["plan"] == "Lite"


def test_a_trial_is_not_available_after_a_trial(api, org_id):
    # Given an org that had its trial and then moved to a paid plan
    freeze_clock(api, MID_NOVEMBER)
    set_plan(api, org_id, "Trial")
    set_plan(api, org_id, "Basic")

    # When staff try a second trial
    reply = api.set_plan(org_id, "Trial")

    # Then it is refused
    assert_rejected(reply, 409, "TRIAL_NOT_AVAILABLE")
    assert balance(api, org_id)["plan"] == "Basic"


def test_setting_the_trial_again_does_not_restart_it(api, org_id):
    # Given an org ten days into its trial
    freeze_clock(api, "2026-11-01T08:00:00Z")
    set_plan(api, org_id, "Trial")
    freeze_clock(api, "2026-11-11T08:00:00Z")

    # When staff set the trial again
    reply = api.set_plan(org_id, "Trial")

    # Then nothing changed: the trial still ends fourteen days after it first started
    assert reply.status == 200, reply.body
    assert balance(api, org_id)["trialEndsAt"] == "2026-11-15T08:00:00Z"
    freeze_clock(api, "2026-11-15T08:00:00Z")
    assert_rejected(api.use(org_id, "after-the-original-end"), 402, "TRIAL_EXPIRED")


def test_an_ended_trial_cannot_be_set_again(api, org_id):
    # Given an org whose trial started on 1 November and ended fourteen days later, unused
    freeze_clock(api, "2026-11-01T08:00:00Z")
    set_plan(api, org_id, "Trial")
    freeze_clock(api, "2026-11-20T08:00:00Z")

    # When staff set the trial again
    reply = api.set_plan(org_id, "Trial")

    # Then it is refused (not a 200 that reads as "the trial started again"), and the org still cannot run anything
    assert_rejected(reply, 409, "TRIAL_NOT_AVAILABLE")
    assert "ended at 2026-11-15T08:00:00" in reply.body["message"]
    assert (balance(api, org_id)["trialEndsAt"], balance(api, org_id)["remaining"]) == ("2026-11-15T08:00:00Z", 0)
    assert_rejected(api.use(org_id, "after-the-refusal"), 402, "TRIAL_EXPIRED")


def test_a_plan_change_applies_at_once_and_usage_carries_over(api, org_id):
    # Given an org on Basic that has used 3 credits this month
    freeze_clock(api, MID_NOVEMBER)
    set_plan(api, org_id, "Basic")
    charge(api, org_id, 3)

    # When it moves to Enterprise
    reply = api.set_plan(org_id, "Enterprise")

    # Then the new limit applies at once and the month's usage counts against it
    assert reply.status == 200
    assert (reply.body["plan"], reply.body["limit"], reply.body["used"], reply.body["remaining"]) == (
        "Enterprise",
        500,
        3,
        497,
    )
    charged = api.use(org_id, "first-on-enterprise")
    assert charged.status == 201
    assert (charged.body["org"]["used"], charged.body["org"]["limit"]) == (4, 500)


def test_a_downgrade_below_usage_blocks_further_enquiries(api, org_id):
    # Given an org on Basic that has used 21 credits this month
    freeze_clock(api, MID_NOVEMBER)
    set_plan(api, org_id, "Basic")
    charge(api, org_id, 21)

    # When it moves down to Lite (20 credits)
    reply = api.set_plan(org_id, "Lite")

    # Then it has nothing left this month and the next enquiry is denied without being counted
    assert reply.status == 200
    assert (reply.body["limit"], reply.body["used"], reply.body["remaining"]) == (20, 21, 0)
    assert_rejected(api.use(org_id, "over-the-new-limit"), 402, "ORG_LIMIT_REACHED")
    assert balance(api, org_id)["used"] == 21


def test_moving_back_up_after_a_downgrade_unblocks_at_once(api, org_id):
    # Given an org blocked after moving down below its usage
    freeze_clock(api, MID_NOVEMBER)
    set_plan(api, org_id, "Basic")
    charge(api, org_id, 21)
    set_plan(api, org_id, "Lite")
    assert_rejected(api.use(org_id, "blocked"), 402, "ORG_LIMIT_REACHED")

    # When it moves back up to Basic
    set_plan(api, org_id, "Basic")

    # Then the same enquiry runs at once
    reply = api.use(org_id, "blocked")
    assert reply.status == 201
    assert (reply.body["org"]["used"], reply.body["org"]["limit"]) == (22, 100)


def test_setting_the_same_plan_again_changes_nothing(api, org_id):
    # Given an org on Basic with 2 credits used
    freeze_clock(api, MID_NOVEMBER)
    set_plan(api, org_id, "Basic")
    charge(api, org_id, 2)

    # When staff set Basic again
    reply = api.set_plan(org_id, "Basic")

    # Then the balance is as it was
    assert reply.status == 200
    assert (reply.body["plan"], reply.body["limit"], reply.body["used"]) == ("Basic", 100, 2)


def test_top_ups_of_the_month_survive_a_plan_change(api, org_id):
    # Given an org on Basic topped up with 30 credits
    freeze_clock(api, MID_NOVEMBER)
    set_plan(api, org_id, "Basic")
    top_up(api, org_id, 30)

    # When it moves to Enterprise
    reply = api.set_plan(org_id, "Enterprise")

    # Then the limit is the new plan's credits plus the month's top-ups
    assert reply.status == 200
    assert (reply.body["planCredits"], reply.body["topUpCredits"], reply.body["limit"]) == (500, 30, 530)


def test_moving_from_the_trial_to_a_paid_plan_ends_the_trial(api, org_id):
    # Given an org on its trial
    freeze_clock(api, MID_NOVEMBER)
    set_plan(api, org_id, "Trial")

    # When it moves to Lite
    reply = api.set_plan(org_id, "Lite")

    # Then it has Lite's monthly credits and no trial end any more
    assert reply.status == 200
    assert (reply.body["plan"], reply.body["planCredits"]) == ("Lite", 20)
    assert "trialEndsAt" not in reply.body
    assert "trialEndsAt" not in balance(api, org_id)
