"""The credit account decides whether an org may charge an enquiry; these tests state its rules."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from domain.account import (
    TRIAL_WINDOW,
    CreditAccount,
    EntryState,
    LedgerEntry,
    OrgProfile,
    OrgReservation,
    PerUserLimit,
    UserReservation,
    WindowCounter,
)
from domain.errors import (
    EnquiryChargedToAnotherUser,
    EnquiryInProgress,
    NoActivePlan,
    OrgLimitReached,
    TopUpNotAvailable,
    TrialExpired,
    TrialNotAvailable,
    UserLimitReached,
    WindowClosed,
)
from domain.plans import plan_named

ORG = "org-1"
MARCH_10 = datetime(2024, 3, 10, 12, 0, tzinfo=UTC)
MARCH_STARTS = datetime(2024, 3, 1, tzinfo=UTC)
APRIL_STARTS = datetime(2024, 4, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)


def profile_on(*plans: str, at: datetime = MARCH_10) -> OrgProfile:
    """The profile of a new org after staff set each of `plans` in turn at `at`."""
    profile = OrgProfile(ORG)
    for name in plans:
        profile = CreditAccount(profile, WindowCounter(profile.window_key(at))).change_plan(plan_named(name), at)
    return profile


def account(profile: OrgProfile, at: datetime = MARCH_10, used: int = 0, top_ups: int = 0) -> CreditAccount:
    """The account as the store would read it at `at`: the profile and the usage of the window `at` falls in."""
    return CreditAccount(profile, WindowCounter(profile.window_key(at), used=used, top_ups=top_ups))


def use_all(profile: OrgProfile, at: datetime, credits: int) -> int:
    """Reserve `credits` one after another, as the store would record them; returns the final count."""
    used = 0
    for _ in range(credits):
        used = account(profile, at, used=used).reserve(at).used
    return used


# -- no plan -----------------------------------------------------------------------------------------------


def test_an_org_without_a_plan_cannot_charge() -> None:
    # Given an org that staff never gave a plan
    new_org = account(OrgProfile(ORG))
    # When it tries to reserve a credit, Then it is told it has no plan
    with pytest.raises(NoActivePlan):
        new_org.reserve(MARCH_10)


def test_an_org_without_a_plan_has_no_credits() -> None:
    allowance = account(OrgProfile(ORG)).allowance(MARCH_10)
    assert allowance.plan is None
    assert allowance.limit == 0
    assert allowance.remaining == 0
    assert (allowance.window_starts_at, allowance.window_ends_at) == (None, None)


# -- paid plans --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("plan", "credits"), [("Ultimate", 1000), ("Enterprise", 500), ("Basic", 100), ("Lite", 20)])
def test_a_paid_plan_allows_exactly_its_monthly_credits(plan: str, credits: int) -> None:
    # Given an org on the plan that has used all but one credit this month
    profile = profile_on(plan)
    # When it reserves the last one
    last = account(profile, used=credits - 1).reserve(MARCH_10)
    # Then it is granted, and the next one is refused
    assert (last.used, last.limit, last.window, last.plan) == (credits, credits, "2024-03", plan)
    with pytest.raises(OrgLimitReached):
        account(profile, used=credits).reserve(MARCH_10)


def test_a_reservation_counts_against_the_current_month() -> None:
    reservation = account(profile_on("Basic"), used=41).reserve(MARCH_10)
    assert reservation == OrgReservation(
        window="2024-03",
        period="2024-03",
        plan="Basic",
        used=42,
        limit=100,
        window_starts_at=MARCH_STARTS,
        window_ends_at=APRIL_STARTS,
    )
    assert reservation.remaining == 58


@pytest.mark.parametrize(
    ("at", "starts_at", "ends_at"),
    [
        (datetime(2023, 2, 1, tzinfo=UTC), datetime(2023, 2, 1, tzinfo=UTC), datetime(2023, 3, 1, tzinfo=UTC)),
        (datetime(2024, 2, 29, 23, 59, tzinfo=UTC), datetime(2024, 2, 1, tzinfo=UTC), MARCH_STARTS),
        (datetime(2024, 3, 31, 23, 59, 59, 999999, tzinfo=UTC), MARCH_STARTS, APRIL_STARTS),
        (datetime(2024, 12, 15, tzinfo=UTC), datetime(2024, 12, 1, tzinfo=UTC), datetime(2025, 1, 1, tzinfo=UTC)),
    ],
    ids=["first-instant-of-february", "leap-february", "last-instant-of-march", "december-into-next-year"],
)
def test_a_paid_plans_reservation_is_bounded_by_the_calendar_month_of_the_charge(
    at: datetime, starts_at: datetime, ends_at: datetime
) -> None:
    # Given an org on Basic, When it charges at `at`
    reservation = account(profile_on("Basic", at=at), at=at).reserve(at)
    # Then the reservation carries the bounds of that UTC month (the window the forecast measures)
    assert (reservation.window_starts_at, reservation.window_ends_at) == (starts_at, ends_at)
    allowance = account(profile_on("Basic", at=at), at=at).allowance(at)
    assert (allowance.window_starts_at, allowance.window_ends_at) == (starts_at, ends_at)


def test_a_paid_plans_usage_window_is_the_calendar_month() -> None:
    profile = profile_on("Basic")
    assert profile.window_key(datetime(2024, 3, 31, 23, 59, 59, 999999, tzinfo=UTC)) == "2024-03"
    assert profile.window_key(datetime(2024, 4, 1, tzinfo=UTC)) == "2024-04"


# -- the trial ---------------------------------------------------------------------------------------------


def test_the_trial_gives_exactly_ten_credits_then_the_org_limit_is_reached() -> None:
    # Given an org that has just started its trial
    profile = profile_on("Trial")
    # When it uses ten credits
    used = use_all(profile, MARCH_10, 10)
    # Then all ten were granted, and the eleventh is refused
    assert used == 10
    with pytest.raises(OrgLimitReached):
        account(profile, used=used).reserve(MARCH_10)


def test_the_trial_expires_exactly_fourteen_days_after_it_started() -> None:
    # Given an org whose trial started on 10 March at noon, with credits to spare
    profile = profile_on("Trial", at=MARCH_10)
    ends_at = MARCH_10 + timedelta(days=14)
    assert profile.trial_ends_at == ends_at
    # When it charges at the instant the trial ends, Then the trial has expired
    with pytest.raises(TrialExpired):
        account(profile, at=ends_at, used=3).reserve(ends_at)


def test_the_trial_still_allows_a_charge_one_microsecond_before_it_ends() -> None:
    profile = profile_on("Trial", at=MARCH_10)
    just_before = MARCH_10 + timedelta(days=14) - MICROSECOND
    reservation = account(profile, at=just_before, used=3).reserve(just_before)
    assert (reservation.used, reservation.window) == (4, TRIAL_WINDOW)


def test_the_trial_has_ended_from_the_instant_it_ends_and_the_allowance_agrees() -> None:
    # Given an org whose trial started on 10 March at noon
    profile = profile_on("Trial", at=MARCH_10)
    ends_at = MARCH_10 + timedelta(days=14)
    # Then it has ended at that instant, not a microsecond before, and then nothing remains of it
    assert (profile.trial_has_ended(ends_at - MICROSECOND), profile.trial_has_ended(ends_at)) == (False, True)
    assert account(profile, at=ends_at, used=3).allowance(ends_at).remaining == 0
    assert not profile_on("Basic").trial_has_ended(ends_at)


def test_an_expired_trial_is_reported_as_expired_even_when_its_credits_are_used_up() -> None:
    profile = profile_on("Trial", at=MARCH_10)
    ends_at = MARCH_10 + timedelta(days=14)
    with pytest.raises(TrialExpired):
        account(profile, at=ends_at, used=10).reserve(ends_at)


def test_the_trial_does_not_renew_on_the_first_of_the_month() -> None:
    # Given a trial that started on 25 March and used all ten credits in March
    started = datetime(2024, 3, 25, 9, 0, tzinfo=UTC)
    profile = profile_on("Trial", at=started)
    used = use_all(profile, started, 10)
    # When the org charges on 1 April, still inside the trial window
    april_1 = datetime(2024, 4, 1, 0, 0, tzinfo=UTC)
    # Then April counts against the same trial window, so nothing is left
    assert profile.window_key(april_1) == profile.window_key(started) == TRIAL_WINDOW
    with pytest.raises(OrgLimitReached):
        account(profile, at=april_1, used=used).reserve(april_1)


def test_trial_usage_continues_across_a_month_boundary() -> None:
    started = datetime(2024, 3, 25, 9, 0, tzinfo=UTC)
    profile = profile_on("Trial", at=started)
    april_2 = datetime(2024, 4, 2, tzinfo=UTC)
    reservation = account(profile, at=april_2, used=6).reserve(april_2)
    assert (reservation.window, reservation.used, reservation.limit) == (TRIAL_WINDOW, 7, 10)
    assert reservation.period == "2024-04"  # per-user limits still count by calendar month


def test_a_trial_reservation_is_bounded_by_the_trials_fourteen_days_not_the_month() -> None:
    # Given a trial that started on 25 March at 09:00
    started = datetime(2024, 3, 25, 9, 0, tzinfo=UTC)
    profile = profile_on("Trial", at=started)
    # When it charges in March and again in April
    in_march = account(profile, at=started, used=1).reserve(started + timedelta(hours=1))
    april_2 = datetime(2024, 4, 2, tzinfo=UTC)
    in_april = account(profile, at=april_2, used=2).reserve(april_2)
    # Then both are bounded by the trial: from its start to 14 days later
    for reservation in (in_march, in_april):
        assert (reservation.window_starts_at, reservation.window_ends_at) == (started, started + timedelta(days=14))


def test_the_trial_allowance_ends_when_the_trial_does_and_has_no_top_ups() -> None:
    profile = profile_on("Trial", at=MARCH_10)
    allowance = account(profile, used=4, top_ups=50).allowance(MARCH_10)
    assert (allowance.window, allowance.plan_credits, allowance.top_up_credits) == (TRIAL_WINDOW, 10, 0)
    assert (allowance.limit, allowance.remaining) == (10, 6)
    assert (allowance.window_starts_at, allowance.window_ends_at) == (MARCH_10, MARCH_10 + timedelta(days=14))


def test_an_org_gets_only_one_trial() -> None:
    # Given an org that had a trial and moved on to a paid plan
    profile = profile_on("Trial", "Basic")
    # When staff set the trial again, Then it is not available
    with pytest.raises(TrialNotAvailable):
        account(profile).change_plan(plan_named("Trial"), MARCH_10 + timedelta(days=1))


def test_a_trial_is_not_available_after_a_paid_plan() -> None:
    profile = profile_on("Lite")
    with pytest.raises(TrialNotAvailable):
        account(profile).change_plan(plan_named("Trial"), MARCH_10)


def test_setting_the_same_plan_again_changes_nothing() -> None:
    # Given an org on Basic
    profile = profile_on("Basic")
    subject = account(profile)
    # When staff set Basic again a week later
    again = subject.change_plan(plan_named("Basic"), MARCH_10 + timedelta(days=7))
    # Then the profile is unchanged (same version, same plan_set_at)
    assert again == profile


def test_setting_the_trial_again_keeps_the_trial_clock() -> None:
    # Given an org whose trial started on 10 March
    profile = profile_on("Trial", at=MARCH_10)
    later = MARCH_10 + timedelta(days=10)
    # When staff set the trial again ten days later
    again = account(profile, at=later).change_plan(plan_named("Trial"), later)
    # Then it is not a new trial: it still ends 14 days after 10 March
    assert again == profile
    assert again.trial_ends_at == MARCH_10 + timedelta(days=14)


def test_setting_the_trial_again_once_it_has_ended_is_refused() -> None:
    # Given an org whose trial started on 10 March and ended fourteen days later
    profile = profile_on("Trial", at=MARCH_10)
    ended = MARCH_10 + timedelta(days=14)
    # When staff set the trial again at the instant it ended, or later, Then it is not available
    for at in (ended, ended + timedelta(days=30)):
        with pytest.raises(TrialNotAvailable, match="ended at 2024-03-24T12:00:00"):
            account(profile, at=at).change_plan(plan_named("Trial"), at)
    # and a second before it ended, it was still the running trial: nothing changes
    last_second = ended - timedelta(seconds=1)
    assert account(profile, at=last_second).change_plan(plan_named("Trial"), last_second) == profile


def test_changing_plan_applies_at_once() -> None:
    profile = profile_on("Basic")
    subject = account(profile)
    later = MARCH_10 + timedelta(hours=1)
    changed = subject.change_plan(plan_named("Enterprise"), later)
    assert (changed.plan, changed.plan_set_at, changed.version) == ("Enterprise", later, profile.version + 1)
    assert changed.had_paid_plan
    assert changed.trial_started_at is None


def test_leaving_the_trial_for_a_paid_plan_keeps_the_record_of_when_it_started() -> None:
    on_basic = account(profile_on("Trial", at=MARCH_10)).change_plan(plan_named("Basic"), MARCH_10 + timedelta(days=3))
    assert on_basic.trial_started_at == MARCH_10
    assert on_basic.had_paid_plan


def test_a_plan_change_keeps_the_months_usage() -> None:
    # Given an org on Basic that has used 15 credits this month
    downgraded = account(profile_on("Basic"), used=15).change_plan(plan_named("Lite"), MARCH_10)
    # When it moves to Lite and charges again
    reservation = account(downgraded, used=15).reserve(MARCH_10)
    # Then the 15 count against Lite's 20
    assert (reservation.used, reservation.limit, reservation.plan) == (16, 20, "Lite")


def test_downgrading_below_the_months_usage_blocks_further_charges() -> None:
    # Given an org on Basic that has used 50 credits this month
    downgraded = account(profile_on("Basic"), used=50).change_plan(plan_named("Lite"), MARCH_10)
    # When it moves to Lite (20 a month)
    blocked = account(downgraded, used=50)
    # Then it has nothing left this month
    assert blocked.allowance(MARCH_10).remaining == 0
    with pytest.raises(OrgLimitReached):
        blocked.reserve(MARCH_10)


def test_upgrading_unblocks_an_org_that_reached_its_limit() -> None:
    upgraded = account(profile_on("Lite"), used=20).change_plan(plan_named("Basic"), MARCH_10)
    reservation = account(upgraded, used=20).reserve(MARCH_10)
    assert (reservation.used, reservation.limit) == (21, 100)


# -- top-ups -----------------------------------------------------------------------------------------------


def test_the_limit_is_the_plan_credits_plus_the_top_ups() -> None:
    # Given an org on Basic with 30 credits topped up this month
    profile = profile_on("Basic")
    # When it has used 129 of them, Then one is left
    last = account(profile, used=129, top_ups=30).reserve(MARCH_10)
    assert (last.used, last.limit) == (130, 130)
    # And at 130 the org limit is reached
    with pytest.raises(OrgLimitReached):
        account(profile, used=130, top_ups=30).reserve(MARCH_10)


def test_a_top_up_adds_credits_to_the_current_month() -> None:
    subject = account(profile_on("Basic"), used=100, top_ups=5)
    usage = subject.top_up(20, MARCH_10)
    assert usage == WindowCounter("2024-03", used=100, top_ups=25)


def test_top_ups_expire_at_the_end_of_the_month() -> None:
    # Given an org on Basic that topped up 50 credits in March
    profile = profile_on("Basic")
    march = account(profile, used=100, top_ups=50)
    assert march.allowance(MARCH_10).limit == 150
    # When April starts, the store reads April's usage, which has no top-ups
    april_1 = datetime(2024, 4, 1, tzinfo=UTC)
    april = account(profile, at=april_1).allowance(april_1)
    # Then the limit is the plan's credits again
    assert (april.window, april.top_up_credits, april.limit) == ("2024-04", 0, 100)


def test_a_top_up_cannot_be_applied_to_another_months_usage() -> None:
    march_usage = CreditAccount(profile_on("Basic"), WindowCounter("2024-03", used=3))
    with pytest.raises(ValueError, match="current period"):
        march_usage.top_up(10, datetime(2024, 4, 1, tzinfo=UTC))


@pytest.mark.parametrize("plans", [(), ("Trial",)], ids=["no-plan", "trial"])
def test_top_ups_are_not_available_without_a_paid_plan(plans: tuple[str, ...]) -> None:
    subject = account(profile_on(*plans))
    with pytest.raises(TopUpNotAvailable):
        subject.top_up(10, MARCH_10)


# -- per-user limit ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("limit", "used", "allowed"),
    [
        (None, 0, True),
        (None, 10_000, True),
        (0, 0, False),
        (5, 4, True),
        (5, 5, False),
        (5, 9, False),
    ],
    ids=["uncapped-first", "uncapped-many", "zero-allows-nothing", "last-credit", "at-limit", "over-limit"],
)
def test_the_per_user_limit_caps_each_users_monthly_charges(limit: int | None, used: int, allowed: bool) -> None:
    if allowed:
        reservation = PerUserLimit(limit).reserve_one(used, "2024-03")
        assert (reservation.period, reservation.used, reservation.limit) == ("2024-03", used + 1, limit)
    else:
        with pytest.raises(UserLimitReached):
            PerUserLimit(limit).reserve_one(used, "2024-03")


def test_an_uncapped_user_has_no_remaining_count() -> None:
    assert PerUserLimit(None).reserve_one(3, "2024-03").remaining is None
    assert PerUserLimit(5).reserve_one(3, "2024-03").remaining == 1


@pytest.mark.parametrize(
    ("per_user_limit", "user_used", "org_used", "expected"),
    [(10, 3, 3, 7), (10, 3, 98, 2), (None, 3, 3, 97), (2, 5, 5, 0)],
    ids=["cap-smaller", "org-smaller", "uncapped", "over-a-lowered-cap"],
)
def test_a_users_remaining_is_the_smaller_of_what_the_cap_and_the_org_have_left(
    per_user_limit: int | None, user_used: int, org_used: int, expected: int
) -> None:
    profile = replace(profile_on("Basic"), per_user_limit=per_user_limit)
    assert account(profile, used=org_used).user_remaining(user_used, MARCH_10) == expected


def test_changing_the_per_user_limit_is_a_new_version_of_the_profile() -> None:
    profile = profile_on("Basic")
    changed = account(profile).set_user_limit(7)
    assert (changed.per_user_limit, changed.version) == (7, profile.version + 1)


def test_setting_the_same_per_user_limit_changes_nothing() -> None:
    profile = replace(profile_on("Basic"), per_user_limit=7)
    assert account(profile).set_user_limit(7) is profile


# -- the ledger entry: an enquiry is charged at most once --------------------------------------------------


def ledger_entry(state: EntryState, user_id: str = "user-1") -> LedgerEntry:
    reservation = OrgReservation("2024-03", "2024-03", "Basic", 1, 100, MARCH_STARTS, APRIL_STARTS)
    entry = LedgerEntry.reserved("enq-1", user_id, reservation, "exec-1", recorded_at=MARCH_10)
    return entry.charged(UserReservation("2024-03", 1, None), MARCH_10) if state is EntryState.CHARGED else entry


def test_a_replay_by_the_same_user_of_a_charged_enquiry_is_accepted() -> None:
    ledger_entry(EntryState.CHARGED).check_replay("user-1")  # no error: the caller answers with the recorded charge


def test_an_enquiry_charged_to_one_user_cannot_be_claimed_by_another() -> None:
    with pytest.raises(EnquiryChargedToAnotherUser):
        ledger_entry(EntryState.CHARGED).check_replay("user-2")


def test_an_enquiry_reserved_for_another_user_cannot_be_claimed_either() -> None:
    with pytest.raises(EnquiryChargedToAnotherUser):
        ledger_entry(EntryState.ORG_RESERVED).check_replay("user-2")


def test_a_replay_of_an_enquiry_still_being_charged_is_told_to_retry() -> None:
    with pytest.raises(EnquiryInProgress):
        ledger_entry(EntryState.ORG_RESERVED).check_replay("user-1")


def test_a_ledger_entry_recognises_only_its_own_reservation() -> None:
    entry = ledger_entry(EntryState.ORG_RESERVED)
    assert entry.is_mine("exec-1")
    assert not entry.is_mine("exec-2")
    assert entry.user_reservation is None
    assert entry.org_reservation == OrgReservation("2024-03", "2024-03", "Basic", 1, 100, MARCH_STARTS, APRIL_STARTS)


# -- the ledger entry: a refund gives a charge back while its window is open --------------------------------


def charged_on_trial(at: datetime = MARCH_10) -> tuple[OrgProfile, LedgerEntry]:
    """A trial org's profile, and an enquiry it was charged for at `at`."""
    profile = profile_on("Trial", at=at)
    reservation = account(profile, at=at).reserve(at)
    entry = LedgerEntry.reserved("enq-1", "user-1", reservation, "exec-1", recorded_at=at)
    return profile, entry.charged(UserReservation("2024-03", 1, None), at)


def test_a_charge_is_refunded_in_its_month_until_the_last_instant_of_it() -> None:
    entry, profile = ledger_entry(EntryState.CHARGED), profile_on("Basic")
    last_instant = APRIL_STARTS - timedelta(microseconds=1)

    refunded = entry.refunded(profile, last_instant, "report failed")

    assert (refunded.state, refunded.refunded_at, refunded.refund_reason) == (
        EntryState.REFUNDED,
        last_instant,
        "report failed",
    )
    assert refunded.is_refunded
    assert not entry.is_refunded
    # what was charged stays as it was recorded
    assert replace(refunded, state=entry.state, refunded_at=None, refund_reason=None) == entry


def test_a_charge_of_a_month_that_is_over_is_not_refunded() -> None:
    entry, profile = ledger_entry(EntryState.CHARGED), profile_on("Basic")
    with pytest.raises(WindowClosed, match="charged to 2024-03, which closed at 2024-04-01T00:00:00"):
        entry.refunded(profile, APRIL_STARTS, None)


def test_a_trial_charge_is_refunded_while_the_trial_runs_and_not_once_it_has_ended() -> None:
    profile, entry = charged_on_trial()
    ends = MARCH_10 + timedelta(days=14)

    assert entry.refunded(profile, ends - timedelta(microseconds=1), None).is_refunded
    with pytest.raises(WindowClosed, match="which closed at 2024-03-24T12:00:00"):
        entry.refunded(profile, ends, None)


def test_a_trial_charge_is_not_refunded_once_the_org_is_on_a_paid_plan() -> None:
    # Given an enquiry charged to the trial, and the org moved to Basic the day after
    profile, entry = charged_on_trial()
    day_after = MARCH_10 + timedelta(days=1)
    on_basic = account(profile, at=day_after).change_plan(plan_named("Basic"), day_after)

    # When it is refunded within the trial's fourteen days, Then the trial is no longer the org's window
    with pytest.raises(WindowClosed, match="no longer the org's window"):
        entry.refunded(on_basic, day_after, None)


def test_an_enquiry_still_being_charged_is_not_refunded() -> None:
    with pytest.raises(EnquiryInProgress):
        ledger_entry(EntryState.ORG_RESERVED).refunded(profile_on("Basic"), MARCH_10, None)
