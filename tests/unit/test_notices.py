"""When customer success hears about an org: LimitReached when the last credit of the period is used (or the
first org-limit denial finds none sent), LimitForecast when the pace so far would use every credit before the
period ends: projected = used / max(elapsed fraction of the period, 0.1), fired when projected >= limit and
used < limit. Each kind at most once per org and period; at least once while the topic eventually accepts it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from domain.account import TRIAL_WINDOW, CreditAccount, OrgProfile, OrgReservation, WindowCounter
from domain.events import LimitForecast, LimitNotice, LimitReached
from domain.notices import (
    EARLIEST_FORECAST_FRACTION,
    notice_after_denial,
    notices_after_charge,
    projected_usage,
)
from domain.periods import elapsed_fraction
from domain.plans import plan_named
from domain.ports import NOTICE_LEASE
from domain.services import PUBLISH_ATTEMPTS, ChargeRequest, CreditService, NotifyOutcome
from tests.fakes import FixedClock, InMemoryCreditStore, RecordingNotifier, no_pauses

ORG = "org-1"
FORECAST = "LimitForecast"
REACHED = "LimitReached"
SECOND = timedelta(seconds=1)
MICROSECOND = timedelta(microseconds=1)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def on(*changes: tuple[str, datetime]) -> OrgProfile:
    """The profile of an org after staff set each plan at its instant, in turn."""
    profile = OrgProfile(ORG)
    for name, at in changes:
        profile = CreditAccount(profile, WindowCounter(profile.window_key(at))).change_plan(plan_named(name), at)
    return profile


def paid(plan: str) -> OrgProfile:
    """An org on `plan` since long before any month these tests look at."""
    return on((plan, utc(2020, 1, 1)))


def granted(profile: OrgProfile, at: datetime, used: int, top_ups: int = 0) -> OrgReservation:
    """The reservation of the charge at `at` that brings the window's count to `used`."""
    return CreditAccount(profile, WindowCounter(profile.window_key(at), used=used - 1, top_ups=top_ups)).reserve(at)


def summary(notices: list[LimitNotice]) -> list[tuple[str, float | None]]:
    return [(notice.kind, notice.projected if isinstance(notice, LimitForecast) else None) for notice in notices]


TRIAL_10_MARCH = utc(2024, 3, 10, 12)
TRIAL_25_MARCH = utc(2024, 3, 25, 9)


@dataclass(frozen=True)
class Case:
    profile: OrgProfile
    at: datetime
    used: int
    expected: tuple[str, float | None] | None
    top_ups: int = 0


CASES = [
    # Month lengths 28-31: on the 11th at 00:00 ten days have passed, so the pace is used x days-in-month / 10.
    pytest.param(Case(paid("Basic"), utc(2023, 2, 11), 35, None), id="february-28-days-35-of-100-paces-98"),
    pytest.param(Case(paid("Basic"), utc(2023, 2, 11), 36, (FORECAST, 100.8)), id="february-28-days-36-of-100"),
    pytest.param(Case(paid("Basic"), utc(2024, 2, 11), 34, None), id="february-29-days-34-of-100-paces-98.6"),
    pytest.param(Case(paid("Basic"), utc(2024, 2, 11), 35, (FORECAST, 101.5)), id="february-29-days-35-of-100"),
    pytest.param(Case(paid("Basic"), utc(2024, 4, 11), 33, None), id="30-day-month-33-of-100-paces-99"),
    pytest.param(Case(paid("Basic"), utc(2024, 4, 11), 34, (FORECAST, 102.0)), id="30-day-month-34-of-100"),
    pytest.param(Case(paid("Basic"), utc(2024, 3, 11), 32, None), id="31-day-month-32-of-100-paces-99.2"),
    pytest.param(Case(paid("Basic"), utc(2024, 3, 11), 33, (FORECAST, 102.3)), id="31-day-month-33-of-100"),
    # Exactly on pace for the limit fires; a second later the same count is just below it.
    pytest.param(Case(paid("Lite"), utc(2023, 2, 15), 10, (FORECAST, 20.0)), id="boundary-projected-equals-limit"),
    pytest.param(Case(paid("Lite"), utc(2023, 2, 15) + SECOND, 10, None), id="boundary-a-second-later-is-below"),
    pytest.param(Case(paid("Lite"), utc(2024, 4, 16), 10, (FORECAST, 20.0)), id="boundary-half-of-a-30-day-month"),
    # The first days: the pace is measured over at least a tenth of the month.
    pytest.param(Case(paid("Lite"), utc(2024, 3, 1), 1, None), id="first-instant-one-credit-is-not-a-flood"),
    pytest.param(Case(paid("Lite"), utc(2024, 3, 1), 2, (FORECAST, 20.0)), id="first-instant-two-of-20-pace-20"),
    pytest.param(Case(paid("Basic"), utc(2024, 3, 1, 23, 59), 9, None), id="first-day-9-of-100-paces-90"),
    pytest.param(Case(paid("Basic"), utc(2024, 3, 3, 12), 9, None), id="third-day-still-floored-not-111.6"),
    pytest.param(Case(paid("Basic"), utc(2024, 3, 3, 12), 10, (FORECAST, 100.0)), id="third-day-10-of-100"),
    # The last minute of the month: almost all of the month has passed, so the pace is about the count.
    pytest.param(Case(paid("Lite"), utc(2024, 3, 31, 23, 59), 19, None), id="last-minute-19-of-20"),
    pytest.param(Case(paid("Lite"), utc(2024, 4, 1) - MICROSECOND, 19, None), id="last-instant-19-of-20"),
    pytest.param(Case(paid("Lite"), utc(2024, 3, 31, 23, 59), 20, (REACHED, None)), id="last-minute-last-credit"),
    pytest.param(Case(paid("Lite"), utc(2024, 4, 1), 2, (FORECAST, 20.0)), id="first-instant-of-the-next-month"),
    # A trial is measured over its own 14 days, not the calendar month.
    pytest.param(Case(on(("Trial", TRIAL_10_MARCH)), TRIAL_10_MARCH + timedelta(days=7), 4, None), id="trial-half-4"),
    pytest.param(
        Case(on(("Trial", TRIAL_10_MARCH)), TRIAL_10_MARCH + timedelta(days=7), 5, (FORECAST, 10.0)),
        id="trial-half-way-5-of-10-where-the-month-would-say-9.4",
    ),
    pytest.param(
        Case(on(("Trial", TRIAL_10_MARCH)), TRIAL_10_MARCH + timedelta(hours=1), 1, (FORECAST, 10.0)),
        id="trial-first-charge-on-its-first-day-is-floored-to-10",
    ),
    pytest.param(
        Case(on(("Trial", TRIAL_25_MARCH)), utc(2024, 3, 28, 9), 3, (FORECAST, 14.0)),
        id="trial-crossing-months-3-in-3-days-where-march-would-say-3.4",
    ),
    pytest.param(
        Case(on(("Trial", TRIAL_25_MARCH)), utc(2024, 4, 4, 9), 7, None),
        id="trial-crossing-months-7-in-10-days-where-april-would-say-62",
    ),
    pytest.param(Case(on(("Trial", TRIAL_25_MARCH)), utc(2024, 4, 4, 9), 8, (FORECAST, 11.2)), id="trial-8-in-10"),
    pytest.param(Case(on(("Trial", TRIAL_25_MARCH)), utc(2024, 4, 4, 9), 10, (REACHED, None)), id="trial-last"),
    # Top-ups raise the limit the pace is compared with.
    pytest.param(Case(paid("Basic"), utc(2024, 3, 16), 50, (FORECAST, 103.33)), id="mid-month-50-of-100"),
    pytest.param(Case(paid("Basic"), utc(2024, 3, 16), 50, None, top_ups=10), id="mid-month-50-of-100-plus-10"),
    pytest.param(
        Case(paid("Basic"), utc(2024, 3, 16), 55, (FORECAST, 113.67), top_ups=10), id="mid-month-55-of-100-plus-10"
    ),
    pytest.param(Case(paid("Basic"), utc(2024, 3, 16), 110, (REACHED, None), top_ups=10), id="topped-up-last"),
    # A plan change mid-month: the new plan's limit, the pace still measured from the 1st.
    pytest.param(
        Case(on(("Lite", utc(2024, 1, 1)), ("Basic", utc(2024, 3, 16))), utc(2024, 3, 16), 16, None),
        id="upgraded-lite-to-basic-16-paces-33-of-100",
    ),
    pytest.param(
        Case(on(("Lite", utc(2024, 1, 1))), utc(2024, 3, 16), 16, (FORECAST, 33.07)), id="on-lite-16-paces-33-of-20"
    ),
    pytest.param(
        Case(on(("Basic", utc(2024, 1, 1)), ("Lite", utc(2024, 3, 16))), utc(2024, 3, 16), 9, None),
        id="downgraded-to-lite-9-paces-18.6-from-the-1st-not-from-the-change",
    ),
    pytest.param(
        Case(on(("Basic", utc(2024, 1, 1)), ("Lite", utc(2024, 3, 16))), utc(2024, 3, 16), 10, (FORECAST, 20.67)),
        id="downgraded-to-lite-10-paces-20.67-of-20",
    ),
    # The last credit is LimitReached, never also a forecast, however fast it went.
    pytest.param(Case(paid("Lite"), utc(2024, 3, 2), 20, (REACHED, None)), id="last-credit-on-the-2nd"),
    pytest.param(Case(paid("Basic"), utc(2024, 3, 20), 100, (REACHED, None)), id="last-credit-on-the-20th"),
]


@pytest.mark.parametrize("case", CASES)
def test_a_granted_charge_forecasts_the_limit_when_the_pace_reaches_it(case: Case) -> None:
    # Given the org's account as the charge at `case.at` reads it
    reservation = granted(case.profile, case.at, case.used, case.top_ups)
    assert reservation.used == case.used

    # When the charge is granted
    notices = notices_after_charge(ORG, reservation, case.at)

    # Then customer success hears what the rule says, or nothing
    assert summary(notices) == ([] if case.expected is None else [case.expected])


def test_a_forecast_names_the_org_plan_period_count_limit_and_pace() -> None:
    # Given an org on Basic topped up by 10, which reaches 55 credits on 16 March
    at = utc(2024, 3, 16)
    reservation = granted(paid("Basic"), at, 55, top_ups=10)

    # When the charge is granted
    notices = notices_after_charge(ORG, reservation, at)

    # Then the forecast carries what the message needs, the pace rounded to cents of a credit
    assert notices == [LimitForecast(ORG, at, "Basic", "2024-03", 55, 110, projected=113.67)]
    assert notices[0].kind == FORECAST


def test_limit_reached_names_the_window_of_the_last_credit() -> None:
    month = granted(paid("Lite"), utc(2024, 3, 2), 20)
    trial = granted(on(("Trial", TRIAL_25_MARCH)), utc(2024, 4, 2), 10)

    assert notices_after_charge(ORG, month, utc(2024, 3, 2)) == [
        LimitReached(ORG, utc(2024, 3, 2), "Lite", "2024-03", 20, 20)
    ]
    assert notices_after_charge(ORG, trial, utc(2024, 4, 2)) == [
        LimitReached(ORG, utc(2024, 4, 2), "Trial", TRIAL_WINDOW, 10, 10)
    ]


@pytest.mark.parametrize(
    ("now", "fraction"),
    [
        (utc(2024, 2, 28), 0.0),
        (utc(2024, 3, 1), 0.0),
        (utc(2024, 3, 16, 12), 0.5),
        (utc(2024, 4, 1), 1.0),
        (utc(2024, 4, 2), 1.0),
    ],
    ids=["before-the-window", "its-first-instant", "half-way", "its-end", "after-it"],
)
def test_the_elapsed_fraction_runs_from_nothing_to_all_of_the_window(now: datetime, fraction: float) -> None:
    assert elapsed_fraction(utc(2024, 3, 1), utc(2024, 4, 1), now) == fraction


def test_the_pace_is_measured_over_at_least_a_tenth_of_the_window() -> None:
    assert EARLIEST_FORECAST_FRACTION == 0.1
    assert projected_usage(3, utc(2024, 3, 1), utc(2024, 4, 1), utc(2024, 3, 1)) == pytest.approx(30.0)
    assert projected_usage(3, utc(2024, 3, 1), utc(2024, 4, 1), utc(2024, 3, 16, 12)) == pytest.approx(6.0)


def test_the_forecast_uses_the_time_of_the_decision_not_of_the_window_start() -> None:
    # The same 5 of 10 trial credits: on pace at half way, no longer a day later.
    profile = on(("Trial", TRIAL_10_MARCH))
    half_way = TRIAL_10_MARCH + timedelta(days=7)
    later = half_way + timedelta(days=1)
    assert summary(notices_after_charge(ORG, granted(profile, half_way, 5), half_way)) == [(FORECAST, 10.0)]
    assert notices_after_charge(ORG, granted(profile, later, 5), later) == []


# -- a denial for the org's limit --------------------------------------------------------------------------


def test_a_denial_below_usage_after_a_downgrade_is_limit_reached() -> None:
    # Given an org that used 50 credits on Basic and was then moved to Lite (20)
    at = utc(2024, 3, 16)
    profile = on(("Basic", utc(2024, 1, 1)), ("Lite", at))
    allowance = CreditAccount(profile, WindowCounter("2024-03", used=50)).allowance(at)

    # When its next charge is denied, Then customer success hears the limit is reached, with the real count
    assert notice_after_denial(ORG, allowance, at) == LimitReached(ORG, at, "Lite", "2024-03", 50, 20)


def test_a_denial_of_a_trial_names_the_trial_window() -> None:
    at = utc(2024, 4, 2)
    allowance = CreditAccount(on(("Trial", TRIAL_25_MARCH)), WindowCounter(TRIAL_WINDOW, used=10)).allowance(at)
    assert notice_after_denial(ORG, allowance, at) == LimitReached(ORG, at, "Trial", TRIAL_WINDOW, 10, 10)


@pytest.mark.parametrize(
    ("profile", "usage"),
    [
        (OrgProfile(ORG), WindowCounter("2024-03", used=0)),
        (paid("Lite"), WindowCounter("2024-03", used=12)),
        (paid("Lite"), WindowCounter("2024-03", used=20, top_ups=5)),
    ],
    ids=["no-plan", "credits-left", "topped-up-since"],
)
def test_a_denial_says_nothing_when_the_org_has_not_reached_its_limit(
    profile: OrgProfile, usage: WindowCounter
) -> None:
    allowance = CreditAccount(profile, usage).allowance(utc(2024, 3, 16))
    assert notice_after_denial(ORG, allowance, utc(2024, 3, 16)) is None


# -- once per kind, org and period, through the service ----------------------------------------------------


@pytest.fixture
def store() -> InMemoryCreditStore:
    return InMemoryCreditStore()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(utc(2024, 3, 1))


@pytest.fixture
def notifier() -> RecordingNotifier:
    return RecordingNotifier()


@pytest.fixture
def service(store: InMemoryCreditStore, clock: FixedClock, notifier: RecordingNotifier) -> CreditService:
    return CreditService(store, clock, notifier, retry=no_pauses())


def run_enquiry(service: CreditService, clock: FixedClock, enquiry_id: str) -> NotifyOutcome:
    """The use-credit saga at the clock's time: org step, user step, notify step (the execution is the claimant)."""
    execution = f"exec-{enquiry_id}"
    request = ChargeRequest(ORG, "alice", enquiry_id, clock.now(), execution)
    reserved = service.reserve_org_credit(request)
    service.reserve_user_credit(request, reserved.user_hint)
    return service.notify(ORG, reserved.reservation, request.decided_at, execution)


def run_enquiries(service: CreditService, clock: FixedClock, count: int, prefix: str) -> None:
    for number in range(count):
        run_enquiry(service, clock, f"{prefix}-{number}")


def published(notifier: RecordingNotifier, kind: str | None = None) -> list[tuple[str, str, int]]:
    return [
        (notice.kind, notice.window, notice.used)
        for notice in notifier.published
        if kind is None or notice.kind == kind
    ]


def test_a_forecast_and_then_limit_reached_are_each_sent_once_in_a_month(
    service: CreditService, clock: FixedClock, notifier: RecordingNotifier
) -> None:
    # Given an org on Lite, charging on 10 March at noon (under a third of the month gone)
    service.set_plan(ORG, "Lite")
    clock.set(utc(2024, 3, 10, 12))

    # When it uses all 20 credits, and is then denied
    run_enquiries(service, clock, 20, "mar")
    denial = service.notify_denial(ORG, clock.now(), "exec-denied")

    # Then the 7th charge (pace 22.84) forecast the limit, the 20th reached it, and nothing else was sent
    assert published(notifier) == [(FORECAST, "2024-03", 7), (REACHED, "2024-03", 20)]
    assert denial == NotifyOutcome([], [])


def test_the_next_month_sends_its_own_notices(
    service: CreditService, clock: FixedClock, notifier: RecordingNotifier
) -> None:
    # Given an org on Lite that was sent both notices for March
    service.set_plan(ORG, "Lite")
    clock.set(utc(2024, 3, 10, 12))
    run_enquiries(service, clock, 20, "mar")

    # When it charges twice on 1 April
    clock.set(utc(2024, 4, 1, 8))
    run_enquiries(service, clock, 2, "apr")

    # Then April has its own forecast
    assert published(notifier)[2:] == [(FORECAST, "2024-04", 2)]


def test_the_first_denial_after_a_downgrade_below_usage_sends_limit_reached_once(
    service: CreditService, clock: FixedClock, notifier: RecordingNotifier
) -> None:
    # Given an org that used 30 credits on Basic by the 25th (no notice due), then moved to Lite (20)
    service.set_plan(ORG, "Basic")
    clock.set(utc(2024, 3, 25))
    run_enquiries(service, clock, 30, "basic")
    service.set_plan(ORG, "Lite")
    assert notifier.published == []

    # When its charges are denied twice
    first = service.notify_denial(ORG, clock.now(), "exec-1")
    second = service.notify_denial(ORG, clock.now(), "exec-2")

    # Then the first denial told customer success, and the second did not again
    assert first.sent == [LimitReached(ORG, utc(2024, 3, 25), "Lite", "2024-03", 30, 20)]
    assert second == NotifyOutcome([], [])
    assert len(notifier.published) == 1


def test_a_notice_being_sent_by_one_execution_is_not_sent_by_another_meanwhile(
    service: CreditService, store: InMemoryCreditStore, clock: FixedClock, notifier: RecordingNotifier
) -> None:
    # Given an org on Lite whose last credit is being notified by one execution
    service.set_plan(ORG, "Lite")
    clock.set(utc(2024, 3, 25))
    run_enquiries(service, clock, 19, "early")
    concurrent: list[NotifyOutcome] = []

    def denial_meanwhile(notice: LimitNotice) -> None:
        if not concurrent:
            concurrent.append(service.notify_denial(ORG, clock.now(), "exec-denied"))

    notifier.before_publish = denial_meanwhile

    # When a denial's notify step runs while the first is publishing
    outcome = run_enquiry(service, clock, "last")

    # Then LimitReached goes out once, from the execution that claimed it first
    assert concurrent == [NotifyOutcome([], [])]
    assert [notice.kind for notice in outcome.sent] == [REACHED]
    assert published(notifier, REACHED) == [(REACHED, "2024-03", 20)]


def test_a_pending_claim_of_a_crashed_sender_is_taken_over_only_after_the_lease(
    service: CreditService, store: InMemoryCreditStore, clock: FixedClock, notifier: RecordingNotifier
) -> None:
    # Given an org at its limit whose LimitReached was claimed by a sender that then crashed
    service.set_plan(ORG, "Lite")
    clock.set(utc(2024, 3, 25))
    run_enquiries(service, clock, 19, "early")
    assert store.claim_notice(ORG, REACHED, "2024-03", "exec-crashed", clock.now())
    crashed_at = clock.now()
    run_enquiry(service, clock, "last")
    assert published(notifier, REACHED) == []

    # When a denial comes just inside the lease, Then it leaves the claim alone
    clock.set(crashed_at + NOTICE_LEASE - SECOND)
    assert service.notify_denial(ORG, clock.now(), "exec-early") == NotifyOutcome([], [])

    # When a denial comes once the lease is over, Then it takes the claim over and sends LimitReached, once
    clock.set(crashed_at + NOTICE_LEASE + SECOND)
    taken_over = service.notify_denial(ORG, clock.now(), "exec-late")
    again = service.notify_denial(ORG, clock.now(), "exec-later")
    assert [notice.kind for notice in taken_over.sent] == [REACHED]
    assert again == NotifyOutcome([], [])
    assert published(notifier, REACHED) == [(REACHED, "2024-03", 20)]


def test_a_retried_notify_step_takes_back_its_own_pending_claim(
    service: CreditService, store: InMemoryCreditStore, clock: FixedClock, notifier: RecordingNotifier
) -> None:
    # Given a notify step that claimed LimitReached and crashed before publishing
    reservation = granted(paid("Lite"), utc(2024, 3, 25), 20)
    assert store.claim_notice(ORG, REACHED, "2024-03", "exec-1", clock.now())

    # When the workflow retries the step (same execution, within the lease)
    outcome = service.notify(ORG, reservation, utc(2024, 3, 25), "exec-1")

    # Then it sends the notice
    assert [notice.kind for notice in outcome.sent] == [REACHED]
    assert len(notifier.published) == 1


def test_a_failed_forecast_is_sent_at_the_next_charge_of_the_window(
    service: CreditService, store: InMemoryCreditStore, clock: FixedClock, notifier: RecordingNotifier
) -> None:
    # Given an org on Lite on 10 March whose 7th charge forecasts the limit, while the topic refuses everything
    service.set_plan(ORG, "Lite")
    clock.set(utc(2024, 3, 10, 12))
    run_enquiries(service, clock, 6, "early")
    notifier.failures = PUBLISH_ATTEMPTS

    # When the 7th charge's notify step gives up
    failed = run_enquiry(service, clock, "seventh")

    # Then the forecast is reported as failed and the claim is not left behind
    assert summary(failed.failed) == [(FORECAST, 22.84)]
    assert failed.sent == []
    assert store.notice(ORG, FORECAST, "2024-03") is None

    # When the topic accepts again and the 8th charge is granted
    eighth = run_enquiry(service, clock, "eighth")

    # Then the forecast goes out, with the count of now, once
    assert [(notice.kind, notice.used) for notice in eighth.sent] == [(FORECAST, 8)]
    run_enquiry(service, clock, "ninth")
    assert published(notifier) == [(FORECAST, "2024-03", 8)]


def test_a_failed_limit_reached_is_sent_by_the_next_denial_of_the_period(
    service: CreditService, clock: FixedClock, notifier: RecordingNotifier
) -> None:
    # Given an org on Lite whose last credit was used on the 25th while the topic refused every try
    service.set_plan(ORG, "Lite")
    clock.set(utc(2024, 3, 25))
    run_enquiries(service, clock, 19, "early")
    notifier.failures = PUBLISH_ATTEMPTS
    failed = run_enquiry(service, clock, "last")
    assert [notice.kind for notice in failed.failed] == [REACHED]

    # When the next charge is denied for the org's limit
    denial = service.notify_denial(ORG, clock.now(), "exec-denied")

    # Then LimitReached goes out then, once
    assert [notice.kind for notice in denial.sent] == [REACHED]
    assert published(notifier, REACHED) == [(REACHED, "2024-03", 20)]
    assert service.notify_denial(ORG, clock.now(), "exec-denied-again") == NotifyOutcome([], [])
