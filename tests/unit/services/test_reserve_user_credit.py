"""The user step of the use-credit saga: one of the user's credits under the org's per-user limit, once per
enquiry, under concurrent writers."""

from __future__ import annotations

import pytest

from domain.account import EntryState
from domain.errors import UserLimitReached, WriteContended
from domain.ports import StaleRead
from domain.services import CreditService
from tests.fakes import FakeTimer, FixedClock, InMemoryCreditStore
from tests.unit.services.support import (
    ALICE,
    MARCH,
    ORG,
    a_charged_enquiry,
    a_reserved_enquiry,
    alices_second_enquiry_reserved,
    assert_gave_up_in_time,
    charge,
    denied_for_the_user_limit,
    request,
)


def test_a_repeated_user_step_does_not_charge_the_user_twice(
    service: CreditService, store: InMemoryCreditStore, clock: FixedClock
) -> None:
    # Given a user step that committed, retried by the workflow with the same input (and so a stale hint)
    charge_request, reserved, first = a_charged_enquiry(service, clock, on="Basic")
    # When it runs again
    again = service.reserve_user_credit(charge_request, reserved.user_hint)
    # Then it answers what it recorded the first time and counts nothing more
    assert again == first
    assert store.user_used(ORG, ALICE, MARCH) == 1
    assert store.window_counter(ORG, MARCH).used == 1


def test_a_repeated_user_step_without_a_hint_reads_back_its_own_charge(
    service: CreditService, store: InMemoryCreditStore, clock: FixedClock
) -> None:
    # Given alice's charged enquiry
    charge_request, _, first = a_charged_enquiry(service, clock, on="Basic")
    # When its user step runs again without a hint, Then it answers what it recorded and counts nothing more
    assert service.reserve_user_credit(charge_request, None) == first
    assert store.user_used(ORG, ALICE, MARCH) == 1


def test_a_user_step_repeated_after_its_charge_was_refunded_counts_nothing_and_does_not_wait(
    service: CreditService, store: InMemoryCreditStore, clock: FixedClock, pauses: list[float]
) -> None:
    # Given alice's charged enquiry, refunded since
    charge_request, reserved, first = a_charged_enquiry(service, clock, on="Basic")
    service.refund(ORG, "enq-1", "not delivered")
    paused_before = len(pauses)

    # When its user step runs again late (a duplicate invocation), Then it answers what it did once it has read the
    # entry (its hint is stale: one write refused, one pause), without waiting out its deadline
    assert service.reserve_user_credit(charge_request, reserved.user_hint) == first
    assert len(pauses) - paused_before <= 1
    assert store.user_used(ORG, ALICE, MARCH) == 0
    assert store.entry(ORG, "enq-1").state is EntryState.REFUNDED


def test_a_user_step_whose_org_reservation_is_gone_is_contended_and_counts_nothing(
    service: CreditService, store: InMemoryCreditStore, clock: FixedClock
) -> None:
    # Given an enquiry whose org reservation was released before its user step ran
    charge_request, _ = a_reserved_enquiry(service, clock, on="Basic")
    service.release_org_credit(charge_request)
    # When the user step runs, Then it is refused and counts nothing
    with pytest.raises(WriteContended):
        service.reserve_user_credit(charge_request, None)
    assert store.user_used(ORG, ALICE, MARCH) == 0


def test_a_user_step_cannot_charge_an_enquiry_now_reserved_by_another_execution(
    service: CreditService, store: InMemoryCreditStore, clock: FixedClock
) -> None:
    # Given exec-1's reservation was released and exec-2 has since reserved the same enquiry
    first, stale = a_reserved_enquiry(service, clock, execution_name="exec-1", on="Basic")
    service.release_org_credit(first)
    service.reserve_org_credit(request(clock, execution_name="exec-2"))
    # When exec-1's user step runs late, Then it does not charge exec-2's entry
    with pytest.raises(WriteContended):
        service.reserve_user_credit(first, None)
    with pytest.raises(WriteContended):
        service.reserve_user_credit(first, stale.user_hint)
    entry = store.entry(ORG, "enq-1")
    assert entry is not None
    assert (entry.execution_name, entry.state) == ("exec-2", EntryState.ORG_RESERVED)
    assert store.user_used(ORG, ALICE, MARCH) == 0


def test_an_enquiry_denied_for_the_user_limit_succeeds_when_retried_after_the_limit_is_raised(
    service: CreditService, store: InMemoryCreditStore, clock: FixedClock
) -> None:
    # Given alice's enquiry enq-2 was denied for the per-user limit and compensated
    service.release_org_credit(denied_for_the_user_limit(service, clock))
    # When staff raise the limit and alice retries the same enquiry
    service.set_user_limit(ORG, 2)
    retried, user = charge(service, request(clock, "enq-2", execution_name="exec-3"))
    # Then it is charged as a new charge, not a replay
    assert not retried.replayed
    assert user is not None
    assert (user.used, user.limit) == (2, 2)
    assert store.window_counter(ORG, MARCH).used == 2


def test_a_user_step_that_loses_a_race_reads_again_and_succeeds(
    service: CreditService, store: InMemoryCreditStore, clock: FixedClock
) -> None:
    # Given alice's other enquiry is charged between this step's hint and its write
    charge_request, reserved = a_reserved_enquiry(service, clock, on="Basic")
    charge(service, request(clock, "enq-2", execution_name="exec-2"))
    # When the user step runs with its now stale hint
    user = service.reserve_user_credit(charge_request, reserved.user_hint)
    # Then it read again and counted alice's second credit on top of the first
    assert user.used == 2
    assert store.user_used(ORG, ALICE, MARCH) == 2
    assert store.calls["user_snapshot"] == 1


def test_a_user_step_that_keeps_losing_races_gives_up_as_contended(
    service: CreditService, store: InMemoryCreditStore, clock: FixedClock, pauses: list[float], timer: FakeTimer
) -> None:
    # Given an enquiry that reserved its org credit, and every write of the user's credit finds the counter changed
    charge_request, reserved = a_reserved_enquiry(service, clock, on="Basic")
    store.fail_next("reserve_user_credit", StaleRead("user usage"), times=1000)
    # When the user step runs with 2 s left before its deadline
    with pytest.raises(WriteContended):
        service.reserve_user_credit(charge_request, reserved.user_hint, deadline=timer.now + 2.0)
    # Then it tried again after each pause until its time was spent, having counted nothing
    assert store.calls["reserve_user_credit"] == len(pauses) + 1
    assert_gave_up_in_time(pauses, budget=2.0)
    assert store.user_used(ORG, ALICE, MARCH) == 0


def test_a_per_user_limit_set_while_a_charge_is_in_flight_applies_to_it(
    service: CreditService, store: InMemoryCreditStore, clock: FixedClock
) -> None:
    # Given alice has used one credit and her next enquiry has reserved the org credit under no per-user cap
    charge_request, reserved = alices_second_enquiry_reserved(service, clock, on="Basic")
    # When staff cap users at one credit before the user step runs
    service.set_user_limit(ORG, 1)
    # Then the user step sees the new cap (its hint is stale) and refuses
    with pytest.raises(UserLimitReached):
        service.reserve_user_credit(charge_request, reserved.user_hint)
    assert store.user_used(ORG, ALICE, MARCH) == 1
