"""The compensation of the use-credit saga: a request's reservation given back, once, and only its own."""

from __future__ import annotations

from domain.services import CreditService
from tests.fakes import FixedClock, InMemoryCreditStore
from tests.unit.services.support import (
    ALICE,
    MARCH,
    ORG,
    a_charged_enquiry,
    alices_second_enquiry_reserved,
    denied_for_the_user_limit,
    request,
)


def test_a_user_limit_denial_releases_the_org_reservation_and_forgets_the_enquiry(
    service: CreditService, store: InMemoryCreditStore, clock: FixedClock
) -> None:
    # Given alice's enquiry enq-2 holding an org credit, refused by the user step for the per-user limit
    denied = denied_for_the_user_limit(service, clock)
    assert store.window_counter(ORG, MARCH).used == 2
    # When the workflow compensates
    released = service.release_org_credit(denied)
    # Then the compensation gives the org credit back and the enquiry is not remembered
    assert released
    assert store.window_counter(ORG, MARCH).used == 1
    assert store.user_used(ORG, ALICE, MARCH) == 1
    assert store.entry(ORG, "enq-2") is None


def test_releasing_twice_gives_back_only_once(
    service: CreditService, store: InMemoryCreditStore, clock: FixedClock
) -> None:
    # Given alice's one charged enquiry, and an org reservation for her next one that was released
    charge_request, _ = alices_second_enquiry_reserved(service, clock, on="Basic")
    assert service.release_org_credit(charge_request)
    # When the compensation runs again
    again = service.release_org_credit(charge_request)
    # Then there is nothing left to release and the counts are unchanged
    assert not again
    assert store.window_counter(ORG, MARCH).used == 1
    assert store.user_used(ORG, ALICE, MARCH) == 1


def test_a_release_by_another_execution_leaves_the_charge_alone(
    service: CreditService, store: InMemoryCreditStore, clock: FixedClock
) -> None:
    # Given enq-1 charged by execution exec-1
    a_charged_enquiry(service, clock, execution_name="exec-1", on="Basic")
    # When a replaying execution's compensation runs for the same enquiry
    released = service.release_org_credit(request(clock, execution_name="exec-2"))
    # Then it releases nothing: the charge belongs to exec-1
    assert not released
    assert store.window_counter(ORG, MARCH).used == 1
    assert store.entry(ORG, "enq-1") is not None


def test_releasing_a_charged_enquiry_gives_back_the_org_and_the_user_credit(
    service: CreditService, store: InMemoryCreditStore, clock: FixedClock
) -> None:
    # Given alice's charged enquiry
    charge_request, _, _ = a_charged_enquiry(service, clock, on="Basic")
    # When it is released, Then both credits are given back and the enquiry is forgotten
    assert service.release_org_credit(charge_request)
    assert store.window_counter(ORG, MARCH).used == 0
    assert store.user_used(ORG, ALICE, MARCH) == 0
    assert store.entry(ORG, "enq-1") is None
