"""The org step of the use-credit saga: one org credit reserved per enquiry, at most once, under the org's
plan, trial and limit, and under concurrent writers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.account import TRIAL_WINDOW, EntryState, OrgReservation, UserReservation
from domain.errors import (
    EnquiryChargedToAnotherUser,
    EnquiryInProgress,
    NoActivePlan,
    OrgLimitReached,
    TrialExpired,
    WriteContended,
)
from domain.ports import StaleRead
from domain.services import CreditService
from tests.fakes import FakeTimer, FixedClock, InMemoryCreditStore
from tests.unit.services.support import (
    ALICE,
    APRIL_STARTS,
    BOB,
    MARCH,
    MARCH_10,
    MARCH_STARTS,
    ORG,
    a_charge_in_flight,
    a_charged_enquiry,
    a_reserved_enquiry,
    an_abandoned_reservation,
    an_org_on,
    assert_gave_up_in_time,
    charge,
    charge_many,
    request,
)


def test_charging_an_enquiry_reserves_an_org_credit_then_a_user_credit(
    service: CreditService, store: InMemoryCreditStore, clock: FixedClock
) -> None:
    # Given an org on Basic
    an_org_on(service, "Basic")
    # When the org step runs
    charge_request = request(clock)
    reserved = service.reserve_org_credit(charge_request)
    # Then one org credit is set aside and the enquiry is recorded as reserved
    assert reserved.reservation == OrgReservation(MARCH, MARCH, "Basic", 1, 100, MARCH_STARTS, APRIL_STARTS)
    assert not reserved.replayed
    assert store.window_counter(ORG, MARCH).used == 1
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
    assert store.window_counter(ORG, MARCH).used == 0


def test_a_replay_of_a_charged_enquiry_is_answered_without_charging(
    service: CreditService, store: InMemoryCreditStore, clock: FixedClock
) -> None:
    # Given an enquiry already charged to alice
    _, first, first_user = a_charged_enquiry(service, clock, execution_name="exec-1", on="Basic")
    # When the same enquiry arrives again for alice (a new request, so a new execution)
    clock.advance(timedelta(minutes=5))
    again = service.reserve_org_credit(request(clock, execution_name="exec-2"))
    # Then it is answered as a replay of the recorded charge, and nothing more is counted
    assert again.replayed
    assert again.reservation == first.reservation
    assert again.user == first_user
    assert store.window_counter(ORG, MARCH).used == 1
    assert store.user_used(ORG, ALICE, MARCH) == 1


def test_an_enquiry_charged_to_one_user_is_refused_for_another(
    service: CreditService, store: InMemoryCreditStore, clock: FixedClock
) -> None:
    # Given an enquiry charged to alice
    a_charged_enquiry(service, clock, user_id=ALICE, execution_name="exec-1", on="Basic")
    # When bob's request for the same enquiry arrives, Then it is refused and nothing more is counted
    with pytest.raises(EnquiryChargedToAnotherUser):
        service.reserve_org_credit(request(clock, user_id=BOB, execution_name="exec-2"))
    assert store.window_counter(ORG, MARCH).used == 1
    assert store.user_used(ORG, BOB, MARCH) == 0


def test_an_enquiry_still_being_charged_by_another_request_is_in_progress(
    service: CreditService, store: InMemoryCreditStore, clock: FixedClock
) -> None:
    # Given a first request that has reserved the org credit but not yet the user's
    a_reserved_enquiry(service, clock, on="Basic")
    # When a second request for the same enquiry arrives, Then it is told to retry
    with pytest.raises(EnquiryInProgress):
        service.reserve_org_credit(request(clock, execution_name="exec-2"))
    assert store.window_counter(ORG, MARCH).used == 1


def test_an_org_step_rerun_under_the_same_execution_name_does_not_charge_twice(
    service: CreditService, store: InMemoryCreditStore, clock: FixedClock
) -> None:
    # Given an org step that committed, but whose answer was lost so the workflow retries it
    charge_request, first = a_reserved_enquiry(service, clock, on="Basic")
    # When the step reruns under the same execution name
    again = service.reserve_org_credit(charge_request)
    # Then it recognises its own write: same reservation, not a replay, nothing more counted
    assert again.reservation == first.reservation
    assert not again.replayed
    assert store.window_counter(ORG, MARCH).used == 1
    # And the saga can carry on to the user step
    assert service.reserve_user_credit(charge_request, again.user_hint).used == 1


def test_an_enquiry_denied_for_the_org_limit_succeeds_when_retried_after_a_top_up(
    service: CreditService, store: InMemoryCreditStore, clock: FixedClock
) -> None:
    an_org_on(service, "Lite")
    charge_many(service, clock, 20)
    with pytest.raises(OrgLimitReached):
        service.reserve_org_credit(request(clock, "enq-21", execution_name="exec-21"))
    assert store.entry(ORG, "enq-21") is None
    service.top_up(ORG, 5, "tu-1", None)
    retried, _ = charge(service, request(clock, "enq-21", execution_name="exec-22"))
    assert (retried.reservation.used, retried.reservation.limit) == (21, 25)


def test_an_org_step_that_loses_a_race_reads_again_and_succeeds(
    service: CreditService, store: InMemoryCreditStore, clock: FixedClock, pauses: list[float]
) -> None:
    # Given an org on Basic whose first conditional write will find the counters changed
    an_org_on(service, "Basic")
    store.fail_next("reserve_org_credit", StaleRead("usage"))
    # When the org step runs
    reserved = service.reserve_org_credit(request(clock))
    # Then it read again, paused once, and reserved exactly one credit
    assert reserved.reservation.used == 1
    assert store.calls["charge_snapshot"] == 2
    assert len(pauses) == 1
    assert store.window_counter(ORG, MARCH).used == 1


def test_a_concurrent_charge_between_read_and_write_is_counted_not_overwritten(
    service: CreditService, store: InMemoryCreditStore, clock: FixedClock, other: CreditService
) -> None:
    # Given another request for enq-other that commits between this step's read and its write
    an_org_on(service, "Basic")
    store.before_next_write("reserve_org_credit", lambda: charge(other, request(clock, "enq-other", BOB, "exec-o")))
    # When this step writes, its read is stale
    reserved = service.reserve_org_credit(request(clock))
    # Then it read again and both credits are counted
    assert reserved.reservation.used == 2
    assert store.window_counter(ORG, MARCH).used == 2
    assert store.entry(ORG, "enq-other") is not None


def test_losing_the_race_for_the_last_credit_ends_in_org_limit_reached(
    service: CreditService, store: InMemoryCreditStore, clock: FixedClock, other: CreditService
) -> None:
    # Given an org on Lite with one credit left, which another request takes between this step's read and write
    an_org_on(service, "Lite")
    charge_many(service, clock, 19)
    store.before_next_write("reserve_org_credit", lambda: charge(other, request(clock, "enq-other", BOB, "exec-o")))
    # When this step retries after the stale read, Then there is nothing left and nothing is overspent
    with pytest.raises(OrgLimitReached):
        service.reserve_org_credit(request(clock, "enq-last"))
    assert store.window_counter(ORG, MARCH).used == 20
    assert store.entry(ORG, "enq-last") is None


def test_two_requests_for_the_same_enquiry_racing_charge_it_once(
    service: CreditService, store: InMemoryCreditStore, clock: FixedClock, other: CreditService
) -> None:
    # Given a second execution for the same enquiry that records it between this step's read and write
    an_org_on(service, "Basic")
    store.before_next_write("reserve_org_credit", lambda: other.reserve_org_credit(request(clock, execution_name="b")))
    # When this step writes, the enquiry is already in the ledger, so it reads again and finds it in progress
    with pytest.raises(EnquiryInProgress):
        service.reserve_org_credit(request(clock, execution_name="a"))
    assert store.window_counter(ORG, MARCH).used == 1


def test_an_org_step_that_keeps_losing_races_gives_up_as_contended(
    service: CreditService, store: InMemoryCreditStore, clock: FixedClock, pauses: list[float], timer: FakeTimer
) -> None:
    # Given every conditional write finds the counters changed
    an_org_on(service, "Basic")
    store.fail_next("reserve_org_credit", StaleRead("usage"), times=1000)
    # When the org step runs with 2 s left before its deadline
    with pytest.raises(WriteContended):
        service.reserve_org_credit(request(clock), deadline=timer.now + 2.0)
    # Then it read and tried again after each pause until its time was spent, having charged nothing
    tries = len(pauses) + 1
    assert store.calls["reserve_org_credit"] == tries
    assert store.calls["charge_snapshot"] == tries
    assert_gave_up_in_time(pauses, budget=2.0)
    assert store.window_counter(ORG, MARCH).used == 0
    assert store.entry(ORG, "enq-1") is None


def test_a_trial_counts_every_charge_in_one_window_across_a_month_boundary(
    service: CreditService, store: InMemoryCreditStore, clock: FixedClock
) -> None:
    # Given a trial started on 25 March that used six credits in March
    clock.set(datetime(2024, 3, 25, 9, 0, tzinfo=UTC))
    an_org_on(service, "Trial")
    charge_many(service, clock, 6, prefix="mar")
    # When the org charges in April, still within the 14 days
    clock.set(datetime(2024, 4, 2, 9, 0, tzinfo=UTC))
    charge_many(service, clock, 4, prefix="apr")
    # Then only four more were allowed: the trial did not renew on the 1st
    assert store.window_counter(ORG, TRIAL_WINDOW).used == 10
    with pytest.raises(OrgLimitReached):
        service.reserve_org_credit(request(clock, "apr-extra"))


def test_a_trial_refuses_charges_from_the_instant_it_ends(
    service: CreditService, store: InMemoryCreditStore, clock: FixedClock
) -> None:
    an_org_on(service, "Trial")
    clock.set(MARCH_10 + timedelta(days=14) - timedelta(microseconds=1))
    charge(service, request(clock, "enq-1", execution_name="exec-1"))
    clock.set(MARCH_10 + timedelta(days=14))
    with pytest.raises(TrialExpired):
        service.reserve_org_credit(request(clock, "enq-2", execution_name="exec-2"))
    assert store.window_counter(ORG, TRIAL_WINDOW).used == 1


def test_a_new_request_for_an_enquiry_held_by_an_abandoned_reservation_reclaims_it(
    service: CreditService, store: InMemoryCreditStore, clock: FixedClock
) -> None:
    # Given an enquiry reserved by a workflow that ended without charging or releasing it, long ago
    an_abandoned_reservation(service, clock, on="Basic")

    # When the client asks again (before any sweep)
    reserved, _user = charge(service, request(clock, execution_name="exec-2"))

    # Then the old reservation is given back and the enquiry charged once
    assert not reserved.replayed
    assert store.window_counter(ORG, MARCH).used == 1
    assert store.entry(ORG, "enq-1").execution_name == "exec-2"


def test_a_new_request_while_the_first_is_still_in_flight_is_told_to_retry(
    service: CreditService, clock: FixedClock
) -> None:
    # Given an enquiry reserved a moment ago by a workflow still running
    a_reserved_enquiry(service, clock, on="Basic")
    clock.advance(timedelta(seconds=10))

    # When the client asks again, Then it is told the enquiry is in progress
    with pytest.raises(EnquiryInProgress):
        service.reserve_org_credit(request(clock, execution_name="exec-2"))


def test_an_org_step_whose_write_met_a_transaction_in_flight_tries_the_same_decision_without_reading_again(
    service: CreditService, store: InMemoryCreditStore, clock: FixedClock, pauses: list[float]
) -> None:
    # Given an org on Basic, and a charge's transaction in flight on its counter when this step first writes
    a_charge_in_flight(service, store, "reserve_org_credit", times=2, on="Basic")
    # When the org step runs
    reserved = service.reserve_org_credit(request(clock))
    # Then it paused and wrote the same decision again (no condition failed, so nothing read was wrong)
    assert store.calls["charge_snapshot"] == 1
    assert store.calls["reserve_org_credit"] == 3
    assert len(pauses) == 2
    assert reserved.reservation.used == 1
    assert store.window_counter(ORG, MARCH).used == 1
