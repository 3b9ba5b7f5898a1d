"""The application services over in-memory ports: the use-credit saga, staff commands and the balance."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.account import TRIAL_WINDOW, EntryState, OrgReservation, UserReservation
from domain.errors import (
    EnquiryChargedToAnotherUser,
    EnquiryInProgress,
    InvalidRequest,
    NoActivePlan,
    OrgLimitReached,
    TopUpIdReused,
    TopUpNotAvailable,
    TrialExpired,
    TrialNotAvailable,
    UserLimitReached,
    WriteContended,
)
from domain.events import LimitReached
from domain.periods import Period
from domain.ports import StaleRead, WriteConflict
from domain.services import (
    ABANDONED_AFTER,
    PUBLISH_ATTEMPTS,
    ChargeRequest,
    CreditService,
    NotifyOutcome,
    OrgCreditReserved,
)
from tests.fakes import FakeTimer, FixedClock, InMemoryCreditStore, RecordingNotifier, no_pauses

ORG = "org-1"
ALICE = "alice"
BOB = "bob"
MARCH_10 = datetime(2024, 3, 10, 12, 0, tzinfo=UTC)
MARCH = "2024-03"
MARCH_STARTS = datetime(2024, 3, 1, tzinfo=UTC)
APRIL_STARTS = datetime(2024, 4, 1, tzinfo=UTC)


@pytest.fixture
def store() -> InMemoryCreditStore:
    return InMemoryCreditStore()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(MARCH_10)


@pytest.fixture
def notifier() -> RecordingNotifier:
    return RecordingNotifier()


@pytest.fixture
def timer() -> FakeTimer:
    return FakeTimer()


@pytest.fixture
def pauses(timer: FakeTimer) -> list[float]:
    return timer.pauses


@pytest.fixture
def service(
    store: InMemoryCreditStore, clock: FixedClock, notifier: RecordingNotifier, timer: FakeTimer
) -> CreditService:
    return CreditService(store, clock, notifier, retry=timer.retry())


def request(
    clock: FixedClock, enquiry_id: str = "enq-1", user_id: str = ALICE, reservation_id: str = "exec-1"
) -> ChargeRequest:
    return ChargeRequest(ORG, user_id, enquiry_id, clock.now(), reservation_id)


def charge(service: CreditService, charge_request: ChargeRequest) -> tuple[OrgCreditReserved, UserReservation | None]:
    """The use-credit saga's happy path: reserve the org credit, then (unless replayed) the user's."""
    reserved = service.reserve_org_credit(charge_request)
    if reserved.replayed:
        return reserved, reserved.user
    return reserved, service.reserve_user_credit(charge_request, reserved.user_hint)


def charge_many(service: CreditService, clock: FixedClock, count: int, user_id: str = ALICE, prefix: str = "e") -> None:
    for number in range(count):
        charge(service, request(clock, f"{prefix}-{number}", user_id, f"x-{prefix}-{number}"))


# -- the use-credit saga -----------------------------------------------------------------------------------


def test_charging_an_enquiry_reserves_an_org_credit_then_a_user_credit(
    service: CreditService, store: InMemoryCreditStore, clock: FixedClock
) -> None:
    # Given an org on Basic
    service.set_plan(ORG, "Basic")
    charge_request = request(clock)
    # When the org step runs
    reserved = service.reserve_org_credit(charge_request)
    # Then one org credit is set aside and the enquiry is recorded as reserved
    assert reserved.reservation == OrgReservation(MARCH, MARCH, "Basic", 1, 100, MARCH_STARTS, APRIL_STARTS)
    assert not reserved.replayed
    assert store.usage(ORG, MARCH).used == 1
    entry = store.entry(ORG, "enq-1")
    assert entry is not None
    assert entry.state is EntryState.ORG_RESERVED
    # When the user step runs
    user = service.reserve_user_credit(charge_request, reserved.user_hint)
    # Then the user is counted and the enquiry is charged
    assert user == UserReservation(MARCH, used=1, limit=None)
    assert store.user_used(ORG, ALICE, MARCH) == 1
    entry = store.entry(ORG, "enq-1")
    assert entry is not None
    assert (entry.state, entry.user_used, entry.user_id) == (EntryState.CHARGED, 1, ALICE)


def test_an_org_without_a_plan_is_refused_and_nothing_is_recorded(
    service: CreditService, store: InMemoryCreditStore, clock: FixedClock
) -> None:
    with pytest.raises(NoActivePlan):
        service.reserve_org_credit(request(clock))
    assert store.entry(ORG, "enq-1") is None
    assert store.usage(ORG, MARCH).used == 0


def test_a_replay_of_a_charged_enquiry_is_answered_without_charging(
    service: CreditService, store: InMemoryCreditStore, clock: FixedClock
) -> None:
    # Given an enquiry already charged to alice
    service.set_plan(ORG, "Basic")
    first, first_user = charge(service, request(clock, reservation_id="exec-1"))
    # When the same enquiry arrives again for alice (a new request, so a new execution)
    clock.advance(timedelta(minutes=5))
    again = service.reserve_org_credit(request(clock, reservation_id="exec-2"))
    # Then it is answered as a replay of the recorded charge, and nothing more is counted
    assert again.replayed
    assert again.reservation == first.reservation
    assert again.user == first_user
    assert store.usage(ORG, MARCH).used == 1
    assert store.user_used(ORG, ALICE, MARCH) == 1


def test_an_enquiry_charged_to_one_user_is_refused_for_another(
    service: CreditService, store: InMemoryCreditStore, clock: FixedClock
) -> None:
    service.set_plan(ORG, "Basic")
    charge(service, request(clock, user_id=ALICE, reservation_id="exec-1"))
    with pytest.raises(EnquiryChargedToAnotherUser):
        service.reserve_org_credit(request(clock, user_id=BOB, reservation_id="exec-2"))
    assert store.usage(ORG, MARCH).used == 1
    assert store.user_used(ORG, BOB, MARCH) == 0


def test_an_enquiry_still_being_charged_by_another_request_is_in_progress(
    service: CreditService, store: InMemoryCreditStore, clock: FixedClock
) -> None:
    # Given a first request that has reserved the org credit but not yet the user's
    service.set_plan(ORG, "Basic")
    service.reserve_org_credit(request(clock, reservation_id="exec-1"))
    # When a second request for the same enquiry arrives, Then it is told to retry
    with pytest.raises(EnquiryInProgress):
        service.reserve_org_credit(request(clock, reservation_id="exec-2"))
    assert store.usage(ORG, MARCH).used == 1


def test_a_repeated_org_step_with_the_same_reservation_id_does_not_charge_twice(
    service: CreditService, store: InMemoryCreditStore, clock: FixedClock
) -> None:
    # Given an org step that committed, but whose answer was lost so the workflow retries it
    service.set_plan(ORG, "Basic")
    charge_request = request(clock)
    first = service.reserve_org_credit(charge_request)
    # When the step runs again with the same reservation id
    again = service.reserve_org_credit(charge_request)
    # Then it recognises its own write: same reservation, not a replay, nothing more counted
    assert again.reservation == first.reservation
    assert not again.replayed
    assert store.usage(ORG, MARCH).used == 1
    # And the saga can carry on to the user step
    assert service.reserve_user_credit(charge_request, again.user_hint).used == 1


def test_a_repeated_user_step_does_not_charge_the_user_twice(
    service: CreditService, store: InMemoryCreditStore, clock: FixedClock
) -> None:
    # Given a user step that committed, retried by the workflow with the same input (and so a stale hint)
    service.set_plan(ORG, "Basic")
    charge_request = request(clock)
    reserved = service.reserve_org_credit(charge_request)
    first = service.reserve_user_credit(charge_request, reserved.user_hint)
    # When it runs again
    again = service.reserve_user_credit(charge_request, reserved.user_hint)
    # Then it answers what it recorded the first time and counts nothing more
    assert again == first
    assert store.user_used(ORG, ALICE, MARCH) == 1
    assert store.usage(ORG, MARCH).used == 1


def test_a_repeated_user_step_without_a_hint_reads_back_its_own_charge(
    service: CreditService, store: InMemoryCreditStore, clock: FixedClock
) -> None:
    service.set_plan(ORG, "Basic")
    charge_request = request(clock)
    _, first = charge(service, charge_request)
    assert service.reserve_user_credit(charge_request, None) == first
    assert store.user_used(ORG, ALICE, MARCH) == 1


def test_a_user_step_whose_org_reservation_is_gone_is_contended_and_counts_nothing(
    service: CreditService, store: InMemoryCreditStore, clock: FixedClock
) -> None:
    service.set_plan(ORG, "Basic")
    charge_request = request(clock)
    service.reserve_org_credit(charge_request)
    service.release_org_credit(charge_request)
    with pytest.raises(WriteContended):
        service.reserve_user_credit(charge_request, None)
    assert store.user_used(ORG, ALICE, MARCH) == 0


def test_a_user_step_cannot_charge_an_enquiry_now_reserved_by_another_execution(
    service: CreditService, store: InMemoryCreditStore, clock: FixedClock
) -> None:
    # Given exec-1's reservation was released and exec-2 has since reserved the same enquiry
    service.set_plan(ORG, "Basic")
    first = request(clock, reservation_id="exec-1")
    stale = service.reserve_org_credit(first)
    service.release_org_credit(first)
    service.reserve_org_credit(request(clock, reservation_id="exec-2"))
    # When exec-1's user step runs late, Then it does not charge exec-2's entry
    with pytest.raises(WriteContended):
        service.reserve_user_credit(first, None)
    with pytest.raises(WriteContended):
        service.reserve_user_credit(first, stale.user_hint)
    entry = store.entry(ORG, "enq-1")
    assert entry is not None
    assert (entry.reservation_id, entry.state) == ("exec-2", EntryState.ORG_RESERVED)
    assert store.user_used(ORG, ALICE, MARCH) == 0


def test_a_user_limit_denial_releases_the_org_reservation_and_forgets_the_enquiry(
    service: CreditService, store: InMemoryCreditStore, clock: FixedClock
) -> None:
    # Given an org on Basic with one credit per user, which alice has used
    service.set_plan(ORG, "Basic")
    service.set_user_limit(ORG, 1)
    charge(service, request(clock, "enq-1", reservation_id="exec-1"))
    denied = request(clock, "enq-2", reservation_id="exec-2")
    # When alice's next enquiry reserves an org credit but the user step refuses it
    reserved = service.reserve_org_credit(denied)
    assert store.usage(ORG, MARCH).used == 2
    with pytest.raises(UserLimitReached):
        service.reserve_user_credit(denied, reserved.user_hint)
    released = service.release_org_credit(denied)
    # Then the compensation gives the org credit back and the enquiry is not remembered
    assert released
    assert store.usage(ORG, MARCH).used == 1
    assert store.user_used(ORG, ALICE, MARCH) == 1
    assert store.entry(ORG, "enq-2") is None


def test_an_enquiry_denied_for_the_user_limit_succeeds_when_retried_after_the_limit_is_raised(
    service: CreditService, store: InMemoryCreditStore, clock: FixedClock
) -> None:
    # Given alice's enquiry enq-2 was denied for the per-user limit and compensated
    service.set_plan(ORG, "Basic")
    service.set_user_limit(ORG, 1)
    charge(service, request(clock, "enq-1", reservation_id="exec-1"))
    denied = request(clock, "enq-2", reservation_id="exec-2")
    reserved = service.reserve_org_credit(denied)
    with pytest.raises(UserLimitReached):
        service.reserve_user_credit(denied, reserved.user_hint)
    service.release_org_credit(denied)
    # When staff raise the limit and alice retries the same enquiry
    service.set_user_limit(ORG, 2)
    retried, user = charge(service, request(clock, "enq-2", reservation_id="exec-3"))
    # Then it is charged as a new charge, not a replay
    assert not retried.replayed
    assert user is not None
    assert (user.used, user.limit) == (2, 2)
    assert store.usage(ORG, MARCH).used == 2


def test_an_enquiry_denied_for_the_org_limit_succeeds_when_retried_after_a_top_up(
    service: CreditService, store: InMemoryCreditStore, clock: FixedClock
) -> None:
    service.set_plan(ORG, "Lite")
    charge_many(service, clock, 20)
    with pytest.raises(OrgLimitReached):
        service.reserve_org_credit(request(clock, "enq-21", reservation_id="exec-21"))
    assert store.entry(ORG, "enq-21") is None
    service.top_up(ORG, 5, "tu-1", None)
    retried, _ = charge(service, request(clock, "enq-21", reservation_id="exec-22"))
    assert (retried.reservation.used, retried.reservation.limit) == (21, 25)


def test_releasing_twice_gives_back_only_once(
    service: CreditService, store: InMemoryCreditStore, clock: FixedClock
) -> None:
    # Given an org reservation that was released
    service.set_plan(ORG, "Basic")
    charge(service, request(clock, "enq-0", reservation_id="exec-0"))
    charge_request = request(clock, "enq-1", reservation_id="exec-1")
    service.reserve_org_credit(charge_request)
    assert service.release_org_credit(charge_request)
    # When the compensation runs again
    again = service.release_org_credit(charge_request)
    # Then there is nothing left to release and the counts are unchanged
    assert not again
    assert store.usage(ORG, MARCH).used == 1
    assert store.user_used(ORG, ALICE, MARCH) == 1


def test_releasing_a_charged_enquiry_gives_back_the_org_and_the_user_credit(
    service: CreditService, store: InMemoryCreditStore, clock: FixedClock
) -> None:
    service.set_plan(ORG, "Basic")
    charge_request = request(clock)
    charge(service, charge_request)
    assert service.release_org_credit(charge_request)
    assert store.usage(ORG, MARCH).used == 0
    assert store.user_used(ORG, ALICE, MARCH) == 0
    assert store.entry(ORG, "enq-1") is None


def test_a_release_by_another_execution_leaves_the_charge_alone(
    service: CreditService, store: InMemoryCreditStore, clock: FixedClock
) -> None:
    # Given enq-1 charged by execution exec-1
    service.set_plan(ORG, "Basic")
    charge(service, request(clock, reservation_id="exec-1"))
    # When a replaying execution's compensation runs for the same enquiry
    released = service.release_org_credit(request(clock, reservation_id="exec-2"))
    # Then it releases nothing: the charge belongs to exec-1
    assert not released
    assert store.usage(ORG, MARCH).used == 1
    assert store.entry(ORG, "enq-1") is not None


# -- optimistic concurrency --------------------------------------------------------------------------------


def test_an_org_step_that_loses_a_race_reads_again_and_succeeds(
    service: CreditService, store: InMemoryCreditStore, clock: FixedClock, pauses: list[float]
) -> None:
    # Given an org on Basic whose first conditional write will find the counters changed
    service.set_plan(ORG, "Basic")
    store.fail_next("reserve_org_credit", StaleRead("usage"))
    # When the org step runs
    reserved = service.reserve_org_credit(request(clock))
    # Then it read again, paused once, and reserved exactly one credit
    assert reserved.reservation.used == 1
    assert store.calls["charge_snapshot"] == 2
    assert len(pauses) == 1
    assert store.usage(ORG, MARCH).used == 1


def test_a_concurrent_charge_between_read_and_write_is_counted_not_overwritten(
    service: CreditService, store: InMemoryCreditStore, clock: FixedClock
) -> None:
    # Given another request for enq-other that commits between this step's read and its write
    service.set_plan(ORG, "Basic")
    other = CreditService(store, clock, retry=no_pauses())
    store.before_next_write("reserve_org_credit", lambda: charge(other, request(clock, "enq-other", BOB, "exec-o")))
    # When this step writes, its read is stale
    reserved = service.reserve_org_credit(request(clock))
    # Then it read again and both credits are counted
    assert reserved.reservation.used == 2
    assert store.usage(ORG, MARCH).used == 2
    assert store.entry(ORG, "enq-other") is not None


def test_losing_the_race_for_the_last_credit_ends_in_org_limit_reached(
    service: CreditService, store: InMemoryCreditStore, clock: FixedClock
) -> None:
    # Given an org on Lite with one credit left, which another request takes between this step's read and write
    service.set_plan(ORG, "Lite")
    charge_many(service, clock, 19)
    other = CreditService(store, clock, retry=no_pauses())
    store.before_next_write("reserve_org_credit", lambda: charge(other, request(clock, "enq-other", BOB, "exec-o")))
    # When this step retries after the stale read, Then there is nothing left and nothing is overspent
    with pytest.raises(OrgLimitReached):
        service.reserve_org_credit(request(clock, "enq-last"))
    assert store.usage(ORG, MARCH).used == 20
    assert store.entry(ORG, "enq-last") is None


def test_two_requests_for_the_same_enquiry_racing_charge_it_once(
    service: CreditService, store: InMemoryCreditStore, clock: FixedClock
) -> None:
    # Given a second execution for the same enquiry that records it between this step's read and write
    service.set_plan(ORG, "Basic")
    other = CreditService(store, clock, retry=no_pauses())
    store.before_next_write("reserve_org_credit", lambda: other.reserve_org_credit(request(clock, reservation_id="b")))
    # When this step writes, the enquiry is already in the ledger, so it reads again and finds it in progress
    with pytest.raises(EnquiryInProgress):
        service.reserve_org_credit(request(clock, reservation_id="a"))
    assert store.usage(ORG, MARCH).used == 1


def assert_gave_up_in_time(pauses: list[float], budget: float) -> None:
    """The step paused as the retry policy says, and stopped only when its time was spent."""
    timer = FakeTimer()
    retry = timer.retry()
    for _ in retry.attempts(deadline=budget):
        pass
    assert pauses == timer.pauses
    assert sum(pauses) <= budget - retry.reserve_seconds
    assert len(pauses) > 12, "a burst needs more than the old fixed count of tries"


def test_an_org_step_that_keeps_losing_races_gives_up_as_contended(
    service: CreditService, store: InMemoryCreditStore, clock: FixedClock, pauses: list[float], timer: FakeTimer
) -> None:
    # Given every conditional write finds the counters changed
    service.set_plan(ORG, "Basic")
    store.fail_next("reserve_org_credit", StaleRead("usage"), times=1000)
    # When the org step runs with 2 s left before its deadline
    with pytest.raises(WriteContended):
        service.reserve_org_credit(request(clock), deadline=timer.now + 2.0)
    # Then it read and tried again after each pause until its time was spent, having charged nothing
    tries = len(pauses) + 1
    assert store.calls["reserve_org_credit"] == tries
    assert store.calls["charge_snapshot"] == tries
    assert_gave_up_in_time(pauses, budget=2.0)
    assert store.usage(ORG, MARCH).used == 0
    assert store.entry(ORG, "enq-1") is None


def test_a_user_step_that_loses_a_race_reads_again_and_succeeds(
    service: CreditService, store: InMemoryCreditStore, clock: FixedClock
) -> None:
    # Given alice's other enquiry is charged between this step's hint and its write
    service.set_plan(ORG, "Basic")
    charge_request = request(clock)
    reserved = service.reserve_org_credit(charge_request)
    charge(service, request(clock, "enq-2", reservation_id="exec-2"))
    # When the user step runs with its now stale hint
    user = service.reserve_user_credit(charge_request, reserved.user_hint)
    # Then it read again and counted alice's second credit on top of the first
    assert user.used == 2
    assert store.user_used(ORG, ALICE, MARCH) == 2
    assert store.calls["user_snapshot"] == 1


def test_a_user_step_that_keeps_losing_races_gives_up_as_contended(
    service: CreditService, store: InMemoryCreditStore, clock: FixedClock, pauses: list[float], timer: FakeTimer
) -> None:
    service.set_plan(ORG, "Basic")
    charge_request = request(clock)
    reserved = service.reserve_org_credit(charge_request)
    store.fail_next("reserve_user_credit", StaleRead("user usage"), times=1000)
    with pytest.raises(WriteContended):
        service.reserve_user_credit(charge_request, reserved.user_hint, deadline=timer.now + 2.0)
    assert store.calls["reserve_user_credit"] == len(pauses) + 1
    assert_gave_up_in_time(pauses, budget=2.0)
    assert store.user_used(ORG, ALICE, MARCH) == 0


def test_a_per_user_limit_set_while_a_charge_is_in_flight_applies_to_it(
    service: CreditService, store: InMemoryCreditStore, clock: FixedClock
) -> None:
    # Given alice has used one credit and her next enquiry has reserved the org credit under no per-user cap
    service.set_plan(ORG, "Basic")
    charge(service, request(clock, "enq-1", reservation_id="exec-1"))
    charge_request = request(clock, "enq-2", reservation_id="exec-2")
    reserved = service.reserve_org_credit(charge_request)
    # When staff cap users at one credit before the user step runs
    service.set_user_limit(ORG, 1)
    # Then the user step sees the new cap (its hint is stale) and refuses
    with pytest.raises(UserLimitReached):
        service.reserve_user_credit(charge_request, reserved.user_hint)
    assert store.user_used(ORG, ALICE, MARCH) == 1


# -- the trial through the service -------------------------------------------------------------------------


def test_a_trial_counts_every_charge_in_one_window_across_a_month_boundary(
    service: CreditService, store: InMemoryCreditStore, clock: FixedClock
) -> None:
    # Given a trial started on 25 March that used six credits in March
    clock.set(datetime(2024, 3, 25, 9, 0, tzinfo=UTC))
    service.set_plan(ORG, "Trial")
    charge_many(service, clock, 6, prefix="mar")
    # When the org charges in April, still within the 14 days
    clock.set(datetime(2024, 4, 2, 9, 0, tzinfo=UTC))
    charge_many(service, clock, 4, prefix="apr")
    # Then only four more were allowed: the trial did not renew on the 1st
    assert store.usage(ORG, TRIAL_WINDOW).used == 10
    with pytest.raises(OrgLimitReached):
        service.reserve_org_credit(request(clock, "apr-extra"))


def test_a_trial_refuses_charges_from_the_instant_it_ends(
    service: CreditService, store: InMemoryCreditStore, clock: FixedClock
) -> None:
    service.set_plan(ORG, "Trial")
    clock.set(MARCH_10 + timedelta(days=14) - timedelta(microseconds=1))
    charge(service, request(clock, "enq-1", reservation_id="exec-1"))
    clock.set(MARCH_10 + timedelta(days=14))
    with pytest.raises(TrialExpired):
        service.reserve_org_credit(request(clock, "enq-2", reservation_id="exec-2"))
    assert store.usage(ORG, TRIAL_WINDOW).used == 1


def test_an_expired_trial_has_no_credits_remaining(service: CreditService, clock: FixedClock) -> None:
    # Given a trial that used four of its ten credits
    service.set_plan(ORG, "Trial")
    charge_many(service, clock, 4)
    # When its fourteen days are over
    clock.set(MARCH_10 + timedelta(days=14))
    balance = service.balance(ORG, ALICE)
    # Then the balance says nothing is left, as a charge would be refused
    assert balance.remaining == 0
    assert balance.user_remaining == 0


# -- staff commands ----------------------------------------------------------------------------------------


def test_setting_a_plan_answers_the_new_balance(service: CreditService) -> None:
    balance = service.set_plan(ORG, "Enterprise")
    assert (balance.plan, balance.period, balance.plan_credits, balance.limit) == ("Enterprise", MARCH, 500, 500)
    assert (balance.used, balance.remaining, balance.trial_ends_at) == (0, 500, None)


def test_setting_the_trial_answers_when_it_ends(service: CreditService) -> None:
    balance = service.set_plan(ORG, "Trial")
    assert (balance.plan, balance.limit, balance.remaining) == ("Trial", 10, 10)
    assert balance.trial_ends_at == MARCH_10 + timedelta(days=14)


def test_setting_an_unknown_plan_is_rejected_before_anything_is_read(
    service: CreditService, store: InMemoryCreditStore
) -> None:
    with pytest.raises(InvalidRequest) as raised:
        service.set_plan(ORG, "Platinum")
    assert raised.value.code == "UNKNOWN_PLAN"
    assert store.calls["save_profile"] == 0
    assert ORG not in store.profiles


def test_setting_the_same_plan_again_writes_nothing(
    service: CreditService, store: InMemoryCreditStore, clock: FixedClock
) -> None:
    service.set_plan(ORG, "Trial")
    clock.advance(timedelta(days=3))
    again = service.set_plan(ORG, "Trial")
    assert store.calls["save_profile"] == 1
    assert again.trial_ends_at == MARCH_10 + timedelta(days=14)


def test_a_second_trial_is_not_available(service: CreditService, store: InMemoryCreditStore) -> None:
    service.set_plan(ORG, "Trial")
    service.set_plan(ORG, "Basic")
    with pytest.raises(TrialNotAvailable):
        service.set_plan(ORG, "Trial")
    assert store.profile(ORG).plan == "Basic"


def test_a_plan_change_carries_the_months_usage_over(
    service: CreditService, store: InMemoryCreditStore, clock: FixedClock
) -> None:
    # Given an org on Basic that used 25 credits this month
    service.set_plan(ORG, "Basic")
    charge_many(service, clock, 25)
    # When it is downgraded to Lite
    balance = service.set_plan(ORG, "Lite")
    # Then the 25 count against Lite's 20: nothing is left and the next charge is refused
    assert (balance.limit, balance.used, balance.remaining) == (20, 25, 0)
    with pytest.raises(OrgLimitReached):
        service.reserve_org_credit(request(clock, "enq-after"))


def test_a_plan_change_that_loses_a_race_reads_again(
    service: CreditService, store: InMemoryCreditStore, pauses: list[float]
) -> None:
    service.set_plan(ORG, "Basic")
    store.fail_next("save_profile", StaleRead("profile"))
    balance = service.set_plan(ORG, "Ultimate")
    assert balance.limit == 1000
    assert store.profile(ORG).plan == "Ultimate"
    assert len(pauses) == 1


def test_a_plan_change_that_keeps_losing_races_gives_up_as_contended(
    service: CreditService, store: InMemoryCreditStore
) -> None:
    store.fail_next("save_profile", StaleRead("profile"), times=1000)
    with pytest.raises(WriteContended):
        service.set_plan(ORG, "Basic")
    assert store.profile(ORG).plan is None


def test_setting_a_per_user_limit_answers_it_in_the_balance(service: CreditService, store: InMemoryCreditStore) -> None:
    service.set_plan(ORG, "Basic")
    assert service.set_user_limit(ORG, 5).per_user_limit == 5
    assert service.set_user_limit(ORG, None).per_user_limit is None
    assert store.profile(ORG).per_user_limit is None


def test_a_per_user_limit_of_zero_lets_no_user_charge(
    service: CreditService, store: InMemoryCreditStore, clock: FixedClock
) -> None:
    service.set_plan(ORG, "Basic")
    service.set_user_limit(ORG, 0)
    charge_request = request(clock)
    reserved = service.reserve_org_credit(charge_request)
    with pytest.raises(UserLimitReached):
        service.reserve_user_credit(charge_request, reserved.user_hint)


# -- top-ups -----------------------------------------------------------------------------------------------


def test_a_top_up_adds_to_the_limit_of_the_current_month(service: CreditService, store: InMemoryCreditStore) -> None:
    service.set_plan(ORG, "Basic")
    result = service.top_up(ORG, 30, "tu-1", "uplift")
    assert not result.replayed
    assert (result.balance.top_up_credits, result.balance.limit, result.balance.remaining) == (30, 130, 130)
    assert (result.top_up.top_up_id, result.top_up.credits, result.top_up.period) == ("tu-1", 30, MARCH)
    assert result.top_up.reason == "uplift"
    assert store.usage(ORG, MARCH).top_ups == 30


def test_several_top_ups_add_up(service: CreditService) -> None:
    service.set_plan(ORG, "Basic")
    service.top_up(ORG, 30, "tu-1", None)
    result = service.top_up(ORG, 20, "tu-2", None)
    assert result.balance.limit == 150


def test_the_same_top_up_id_twice_adds_the_credits_once(service: CreditService, store: InMemoryCreditStore) -> None:
    # Given a top-up of 30 recorded as tu-1
    service.set_plan(ORG, "Basic")
    first = service.top_up(ORG, 30, "tu-1", None)
    # When the same top-up is sent again
    again = service.top_up(ORG, 30, "tu-1", None)
    # Then it is a replay: the credits were added once
    assert again.replayed
    assert again.top_up == first.top_up
    assert again.balance.limit == 130
    assert store.usage(ORG, MARCH).top_ups == 30


def test_the_same_top_up_id_with_different_credits_is_refused(
    service: CreditService, store: InMemoryCreditStore
) -> None:
    service.set_plan(ORG, "Basic")
    service.top_up(ORG, 30, "tu-1", None)
    with pytest.raises(TopUpIdReused):
        service.top_up(ORG, 40, "tu-1", None)
    assert store.usage(ORG, MARCH).top_ups == 30


def test_a_top_up_racing_the_same_top_up_id_adds_once(service: CreditService, store: InMemoryCreditStore) -> None:
    # Given a retry of the same top-up that records it between this request's read and write
    service.set_plan(ORG, "Basic")
    other = CreditService(store, FixedClock(MARCH_10), retry=no_pauses())
    store.before_next_write("record_top_up", lambda: other.top_up(ORG, 30, "tu-1", None))
    # When this request writes, Then it finds the id recorded and answers a replay
    result = service.top_up(ORG, 30, "tu-1", None)
    assert result.replayed
    assert store.usage(ORG, MARCH).top_ups == 30


@pytest.mark.parametrize("plan", [None, "Trial"], ids=["no-plan", "trial"])
def test_top_ups_are_not_available_without_a_paid_plan(
    service: CreditService, store: InMemoryCreditStore, plan: str | None
) -> None:
    if plan is not None:
        service.set_plan(ORG, plan)
    with pytest.raises(TopUpNotAvailable):
        service.top_up(ORG, 10, "tu-1", None)
    assert store.find_top_up(ORG, "tu-1") is None


def test_top_ups_expire_at_the_end_of_the_month(
    service: CreditService, clock: FixedClock, store: InMemoryCreditStore
) -> None:
    # Given an org on Basic that topped up 50 credits in March and used 120
    service.set_plan(ORG, "Basic")
    service.top_up(ORG, 50, "tu-1", None)
    charge_many(service, clock, 120)
    clock.set(datetime(2024, 3, 31, 23, 59, 59, 999999, tzinfo=UTC))
    assert service.balance(ORG, None).limit == 150
    # When April begins
    clock.set(datetime(2024, 4, 1, tzinfo=UTC))
    balance = service.balance(ORG, None)
    # Then the top-up is gone and the usage starts again
    assert (balance.period, balance.top_up_credits, balance.limit, balance.used) == ("2024-04", 0, 100, 0)


# -- the balance -------------------------------------------------------------------------------------------


def test_the_balance_of_an_org_without_a_plan_is_empty(service: CreditService) -> None:
    balance = service.balance(ORG, None)
    assert (balance.plan, balance.limit, balance.used, balance.remaining) == (None, 0, 0, 0)
    assert balance.user_id is None


@pytest.mark.parametrize(
    ("per_user_limit", "alice_used", "org_used", "expected_remaining"),
    [
        (10, 3, 3, 7),  # the per-user cap is what is smaller
        (10, 3, 98, 2),  # the org has less left than the cap allows
        (None, 3, 3, 97),  # uncapped: what the org has left
        (None, 0, 100, 0),  # uncapped, org used up
    ],
    ids=["cap-smaller", "org-smaller", "uncapped", "uncapped-org-used-up"],
)
def test_a_users_remaining_is_the_smaller_of_their_cap_and_the_orgs_remaining(
    service: CreditService,
    clock: FixedClock,
    per_user_limit: int | None,
    alice_used: int,
    org_used: int,
    expected_remaining: int,
) -> None:
    # Given an org on Basic where alice ran `alice_used` enquiries and bob the rest
    service.set_plan(ORG, "Basic")
    charge_many(service, clock, alice_used, ALICE, prefix="a")
    charge_many(service, clock, org_used - alice_used, BOB, prefix="b")
    service.set_user_limit(ORG, per_user_limit)
    # When alice's balance is asked for
    balance = service.balance(ORG, ALICE)
    # Then it shows what she used and the smaller of what she and the org have left
    assert (balance.user_id, balance.user_used, balance.used) == (ALICE, alice_used, org_used)
    assert balance.user_remaining == expected_remaining


def test_a_user_over_a_lowered_cap_has_nothing_remaining(service: CreditService, clock: FixedClock) -> None:
    service.set_plan(ORG, "Basic")
    charge_many(service, clock, 5)
    service.set_user_limit(ORG, 2)
    balance = service.balance(ORG, ALICE)
    assert (balance.user_used, balance.user_remaining, balance.remaining) == (5, 0, 95)


# -- notifications -----------------------------------------------------------------------------------------


def last_credit(window: str = MARCH) -> OrgReservation:
    """The reservation of Lite's last credit; early in the window, so only LimitReached is due."""
    period = Period.parse(window)
    return OrgReservation(window, window, "Lite", 20, 20, period.starts_at, period.ends_at)


def test_using_the_last_credit_publishes_limit_reached(
    service: CreditService, clock: FixedClock, notifier: RecordingNotifier
) -> None:
    outcome = service.notify(ORG, last_credit(), clock.now(), "exec-1")
    expected = LimitReached(ORG, MARCH_10, "Lite", MARCH, 20, 20)
    assert outcome == NotifyOutcome(sent=[expected], failed=[])
    assert notifier.published == [expected]


def test_a_charge_that_leaves_credits_at_a_sustainable_pace_publishes_nothing(
    service: CreditService, store: InMemoryCreditStore, clock: FixedClock, notifier: RecordingNotifier
) -> None:
    # 5 of 20 used by 10 March at noon is a pace of about 16 for the month: below the limit
    reservation = OrgReservation(MARCH, MARCH, "Lite", 5, 20, MARCH_STARTS, APRIL_STARTS)
    assert service.notify(ORG, reservation, clock.now(), "exec-1") == NotifyOutcome([], [])
    assert notifier.published == []
    assert store.notices == {}


def test_limit_reached_is_published_once_per_org_and_window(
    service: CreditService, clock: FixedClock, notifier: RecordingNotifier
) -> None:
    # Given LimitReached was published for March
    service.notify(ORG, last_credit(), clock.now(), "exec-1")
    # When the notify step runs again for the same window (another charge, or the last credit of a top-up)
    again = service.notify(ORG, last_credit(), clock.now(), "exec-2")
    # and the same execution's step is retried
    retried = service.notify(ORG, last_credit(), clock.now(), "exec-1")
    # Then nothing more is published
    assert again == retried == NotifyOutcome([], [])
    assert len(notifier.published) == 1


def test_limit_reached_is_published_again_in_a_new_window_or_for_another_org(
    service: CreditService, clock: FixedClock, notifier: RecordingNotifier
) -> None:
    service.notify(ORG, last_credit(MARCH), clock.now(), "exec-1")
    service.notify(ORG, last_credit("2024-04"), clock.now(), "exec-2")
    service.notify("org-2", last_credit(MARCH), clock.now(), "exec-3")
    assert [(event.org_id, event.window) for event in notifier.published] == [
        (ORG, MARCH),
        (ORG, "2024-04"),
        ("org-2", MARCH),
    ]


def test_a_failed_publish_is_reported_and_withdraws_the_claim_so_the_next_chance_publishes(
    service: CreditService,
    store: InMemoryCreditStore,
    clock: FixedClock,
    notifier: RecordingNotifier,
    pauses: list[float],
) -> None:
    # Given a topic that refuses every try of the first notify step
    notifier.failures = PUBLISH_ATTEMPTS
    # When the notify step runs
    outcome = service.notify(ORG, last_credit(), clock.now(), "exec-1")
    # Then it tried PUBLISH_ATTEMPTS times, pausing between tries, and reports the notice as failed (no exception)
    assert outcome == NotifyOutcome(sent=[], failed=[LimitReached(ORG, MARCH_10, "Lite", MARCH, 20, 20)])
    assert notifier.attempts == PUBLISH_ATTEMPTS
    assert len(pauses) == PUBLISH_ATTEMPTS - 1
    assert notifier.published == []
    # and the notice is not marked as sent: the claim is gone
    assert store.notices == {}
    # When the next chance comes (another execution), Then LimitReached is published
    again = service.notify(ORG, last_credit(), clock.now(), "exec-2")
    assert [notice.kind for notice in again.sent] == ["LimitReached"]
    assert len(notifier.published) == 1


def test_a_publish_that_fails_once_is_retried_within_the_step(
    service: CreditService, clock: FixedClock, notifier: RecordingNotifier
) -> None:
    notifier.failures = 1
    outcome = service.notify(ORG, last_credit(), clock.now(), "exec-1")
    assert [notice.kind for notice in outcome.sent] == ["LimitReached"]
    assert outcome.failed == []
    assert (notifier.attempts, len(notifier.published)) == (2, 1)


def test_without_a_notifier_nothing_is_claimed_or_published(store: InMemoryCreditStore, clock: FixedClock) -> None:
    silent = CreditService(store, clock, None, retry=no_pauses())
    assert silent.notify(ORG, last_credit(), clock.now(), "exec-1") == NotifyOutcome([], [])
    assert store.notices == {}


def test_the_charge_of_the_last_trial_credit_notifies_for_the_trial_window(
    service: CreditService, clock: FixedClock, notifier: RecordingNotifier
) -> None:
    service.set_plan(ORG, "Trial")
    charge_many(service, clock, 9)
    reserved, _ = charge(service, request(clock, "enq-last", reservation_id="exec-last"))
    service.notify(ORG, reserved.reservation, clock.now(), "exec-last")
    (event,) = notifier.published
    assert isinstance(event, LimitReached)
    assert (event.plan, event.window, event.used, event.limit) == ("Trial", TRIAL_WINDOW, 10, 10)


# -- abandoned reservations ----------------------------------------------------------------------------------


def test_a_reservation_abandoned_by_its_workflow_is_given_back_by_the_sweep_after_the_grace_period(
    service: CreditService, store: InMemoryCreditStore, clock: FixedClock
) -> None:
    # Given an org credit reserved by a workflow that then ended without charging or releasing it
    service.set_plan(ORG, "Basic")
    service.reserve_org_credit(request(clock))
    assert store.usage(ORG, MARCH).used == 1

    # When the sweep runs just inside the grace period, Then it leaves it
    clock.advance(ABANDONED_AFTER - timedelta(seconds=1))
    assert service.sweep_abandoned_reservations() == []

    # When it runs after the grace period, Then the credit is back and the enquiry forgotten
    clock.advance(timedelta(seconds=2))
    (swept,) = service.sweep_abandoned_reservations()
    assert (swept.org_id, swept.enquiry_id, swept.reservation_id) == (ORG, "enq-1", "exec-1")
    assert store.usage(ORG, MARCH).used == 0
    assert store.entry(ORG, "enq-1") is None


def test_the_abandoned_workflow_cannot_charge_after_the_sweep(
    service: CreditService, store: InMemoryCreditStore, clock: FixedClock
) -> None:
    # Given a reservation swept after its workflow was abandoned
    service.set_plan(ORG, "Basic")
    abandoned = request(clock)
    service.reserve_org_credit(abandoned)
    clock.advance(ABANDONED_AFTER + timedelta(seconds=1))
    service.sweep_abandoned_reservations()

    # When a step of that workflow, still running somewhere, tries to reserve again
    # Then it is refused (the reservation is fenced) and nothing is counted
    with pytest.raises(WriteContended):
        service.reserve_org_credit(abandoned)
    assert store.usage(ORG, MARCH).used == 0


def test_a_new_request_for_an_enquiry_held_by_an_abandoned_reservation_reclaims_it(
    service: CreditService, store: InMemoryCreditStore, clock: FixedClock
) -> None:
    # Given an enquiry reserved by a workflow that ended without charging or releasing it, long ago
    service.set_plan(ORG, "Basic")
    service.reserve_org_credit(request(clock, reservation_id="exec-1"))
    clock.advance(ABANDONED_AFTER + timedelta(seconds=1))

    # When the client asks again (before any sweep)
    reserved, _user = charge(service, request(clock, reservation_id="exec-2"))

    # Then the old reservation is given back and the enquiry charged once
    assert not reserved.replayed
    assert store.usage(ORG, MARCH).used == 1
    assert store.entry(ORG, "enq-1").reservation_id == "exec-2"


def test_a_new_request_while_the_first_is_still_in_flight_is_told_to_retry(
    service: CreditService, clock: FixedClock
) -> None:
    # Given an enquiry reserved a moment ago by a workflow still running
    service.set_plan(ORG, "Basic")
    service.reserve_org_credit(request(clock, reservation_id="exec-1"))
    clock.advance(timedelta(seconds=10))

    # When the client asks again, Then it is told the enquiry is in progress
    with pytest.raises(EnquiryInProgress):
        service.reserve_org_credit(request(clock, reservation_id="exec-2"))


# -- a write that met another in flight (DynamoDB's TransactionConflict) -----------------------------------


def test_an_org_step_whose_write_met_a_transaction_in_flight_tries_the_same_decision_without_reading_again(
    service: CreditService, store: InMemoryCreditStore, clock: FixedClock, pauses: list[float]
) -> None:
    # Given an org on Basic, and a charge's transaction in flight on its counter when this step first writes
    service.set_plan(ORG, "Basic")
    store.fail_next("reserve_org_credit", WriteConflict("TransactionConflict"), times=2)
    # When the org step runs
    reserved = service.reserve_org_credit(request(clock))
    # Then it paused and wrote the same decision again (no condition failed, so nothing read was wrong)
    assert store.calls["charge_snapshot"] == 1
    assert store.calls["reserve_org_credit"] == 3
    assert len(pauses) == 2
    assert reserved.reservation.used == 1
    assert store.usage(ORG, MARCH).used == 1


def test_a_plan_change_that_met_a_charge_in_flight_saves_the_same_change_again(
    service: CreditService, store: InMemoryCreditStore
) -> None:
    service.set_plan(ORG, "Basic")
    reads = store.calls["account"]
    store.fail_next("save_profile", WriteConflict("TransactionConflictException"), times=3)

    balance = service.set_plan(ORG, "Enterprise")

    assert (balance.plan, store.profile(ORG).plan) == ("Enterprise", "Enterprise")
    assert store.calls["account"] - reads == 1


def test_a_top_up_that_met_a_charge_in_flight_records_the_same_top_up_again(
    service: CreditService, store: InMemoryCreditStore
) -> None:
    service.set_plan(ORG, "Basic")
    reads = store.calls["account"]
    store.fail_next("record_top_up", WriteConflict("TransactionConflict"), times=3)

    result = service.top_up(ORG, 25, "invoice-1", None)

    assert (result.replayed, result.balance.top_up_credits) == (False, 25)
    assert store.usage(ORG, MARCH).top_ups == 25
    assert store.calls["account"] - reads == 1
