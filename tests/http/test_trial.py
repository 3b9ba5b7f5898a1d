"""The trial: 10 credits within 14 days of when it was set; it does not renew on the 1st."""

from __future__ import annotations

from tests.http.support import (
    FIRST_INSTANT_OF_DECEMBER,
    TRIAL_CREDITS,
    assert_rejected,
    balance,
    charge,
    freeze_clock,
    set_plan,
)


def test_a_trial_allows_ten_enquiries_and_denies_the_eleventh(api, org_id):
    # Given an org on its trial that has run ten enquiries
    freeze_clock(api, "2026-11-10T12:00:00Z")
    set_plan(api, org_id, "Trial")
    charge(api, org_id, TRIAL_CREDITS)

    # When it runs an eleventh
    reply = api.use(org_id, "eleventh")

    # Then it is denied and not counted
    assert_rejected(reply, 402, "ORG_LIMIT_REACHED")
    assert (balance(api, org_id)["used"], balance(api, org_id)["remaining"]) == (TRIAL_CREDITS, 0)


def test_a_trial_does_not_renew_on_the_first(api, org_id):
    # Given an org that used all its trial credits in late November
    freeze_clock(api, "2026-11-25T10:00:00Z")
    set_plan(api, org_id, "Trial")
    charge(api, org_id, TRIAL_CREDITS)

    # When December starts, still within the fourteen days
    freeze_clock(api, FIRST_INSTANT_OF_DECEMBER)
    reply = api.use(org_id, "in-december")

    # Then there are still no credits left
    assert_rejected(reply, 402, "ORG_LIMIT_REACHED")
    now = balance(api, org_id)
    assert (now["period"], now["used"], now["remaining"]) == ("2026-12", TRIAL_CREDITS, 0)


def test_trial_credits_used_before_the_first_still_count_after_it(api, org_id):
    # Given an org that used 4 trial credits in November
    freeze_clock(api, "2026-11-28T10:00:00Z")
    set_plan(api, org_id, "Trial")
    charge(api, org_id, 4, prefix="november")

    # When it runs enquiries in December
    freeze_clock(api, "2026-12-02T10:00:00Z")
    charge(api, org_id, 6, prefix="december")

    # Then the seventh in December is one too many
    assert_rejected(api.use(org_id, "one-too-many"), 402, "ORG_LIMIT_REACHED")


def test_a_trial_runs_enquiries_until_the_last_second_of_its_fourteen_days(api, org_id):
    # Given an org whose trial was set on 1 November at 08:00
    freeze_clock(api, "2026-11-01T08:00:00Z")
    set_plan(api, org_id, "Trial")

    # When it runs an enquiry one second before fourteen days have passed
    freeze_clock(api, "2026-11-15T07:59:59Z")
    reply = api.use(org_id, "last-second")

    # Then it is charged
    assert reply.status == 201, reply.body


def test_a_trial_expires_fourteen_days_after_it_was_set(api, org_id):
    # Given an org whose trial was set on 1 November at 08:00 and has credits left
    freeze_clock(api, "2026-11-01T08:00:00Z")
    set_plan(api, org_id, "Trial")
    charge(api, org_id, 3)

    # When it runs an enquiry fourteen days later
    freeze_clock(api, "2026-11-15T08:00:00Z")
    reply = api.use(org_id, "too-late")

    # Then the trial has expired and nothing is counted
    assert_rejected(reply, 402, "TRIAL_EXPIRED")
    assert balance(api, org_id)["used"] == 3


def test_the_trial_clock_starts_when_the_trial_is_set_not_at_first_use(api, org_id):
    # Given an org whose trial was set on 1 November and first used on 10 November
    freeze_clock(api, "2026-11-01T08:00:00Z")
    set_plan(api, org_id, "Trial")
    freeze_clock(api, "2026-11-10T08:00:00Z")
    charge(api, org_id, 1)

    # When it runs an enquiry on 16 November
    freeze_clock(api, "2026-11-16T08:00:00Z")
    reply = api.use(org_id, "after-fourteen-days-from-setting")

    # Then the trial has expired
    assert_rejected(reply, 402, "TRIAL_EXPIRED")


def test_an_expired_trial_org_can_move_to_a_paid_plan_and_run_enquiries(api, org_id):
    # Given an org whose trial expired
    freeze_clock(api, "2026-11-01T08:00:00Z")
    set_plan(api, org_id, "Trial")
    freeze_clock(api, "2026-11-20T08:00:00Z")
    assert_rejected(api.use(org_id, "expired"), 402, "TRIAL_EXPIRED")

    # When staff put it on Lite
    set_plan(api, org_id, "Lite")

    # Then the enquiry that was denied is charged
    reply = api.use(org_id, "expired")
    assert reply.status == 201
    assert (reply.body["org"]["used"], reply.body["org"]["limit"]) == (1, 20)
