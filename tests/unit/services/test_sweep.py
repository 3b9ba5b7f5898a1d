"""The sweep: reservations abandoned by their workflow are given back after the grace period."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.errors import WriteContended
from domain.services import ABANDONED_AFTER, CreditService
from tests.fakes import FixedClock, InMemoryCreditStore
from tests.unit.services.support import MARCH, ORG, a_reserved_enquiry, an_abandoned_reservation


def test_a_reservation_abandoned_by_its_workflow_is_given_back_by_the_sweep_after_the_grace_period(
    service: CreditService, store: InMemoryCreditStore, clock: FixedClock
) -> None:
    # Given an org credit reserved by a workflow that then ended without charging or releasing it
    a_reserved_enquiry(service, clock, on="Basic")
    assert store.window_counter(ORG, MARCH).used == 1

    # When the sweep runs just inside the grace period, Then it leaves it
    clock.advance(ABANDONED_AFTER - timedelta(seconds=1))
    assert service.sweep_abandoned_reservations() == []

    # When it runs after the grace period, Then the credit is back and the enquiry forgotten
    clock.advance(timedelta(seconds=2))
    (swept,) = service.sweep_abandoned_reservations()
    assert (swept.org_id, swept.enquiry_id, swept.execution_name) == (ORG, "enq-1", "exec-1")
    assert store.window_counter(ORG, MARCH).used == 0
    assert store.entry(ORG, "enq-1") is None


def test_the_abandoned_workflow_cannot_charge_after_the_sweep(
    service: CreditService, store: InMemoryCreditStore, clock: FixedClock
) -> None:
    # Given a reservation swept after its workflow was abandoned
    abandoned = an_abandoned_reservation(service, clock, on="Basic")
    service.sweep_abandoned_reservations()

    # When a step of that workflow, still running somewhere, tries to reserve again
    # Then it is refused (the reservation is fenced) and nothing is counted
    with pytest.raises(WriteContended):
        service.reserve_org_credit(abandoned)
    assert store.window_counter(ORG, MARCH).used == 0
