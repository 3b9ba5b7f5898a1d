"""The compensation of the use-credit saga: a request's reservation given back, once, and only its own."""

from __future__ import annotations

from domain.services import CreditService
from tests.fakes import FixedClock, InMemoryCreditStore
from tests.unit.services.support import ALICE, MARCH, ORG, charge, denied_for_the_user_limit, request


def test_a_user_limit_denial_releases_the_org_reservation_and_forgets_the_enquiry(
    service: CreditService, store: InMemoryCreditStore, clock: FixedClock
) -> None:
    # Given alice's enquiry enq-2 holding an org credit, refused by the user step for the per-user limit
    denied = denied_for_the_user_limit(service, clock)
    assert store.usage(ORG, MARCH).used == 2
    # When the workflow compensates
    released = service.release_org_credit(denied)
    # Then the compensation gives the org credit back and the enquiry is not remembered
    assert released
    assert store.usage(ORG, MARCH).used == 1
    assert store.user_used(ORG, ALICE, MARCH) == 1
    assert store.entry(ORG, "enq-2") is None


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
