"""Topping up the org's current month: the credits add up, once per top-up id, and expire with the month."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from domain.errors import TopUpIdReused, TopUpNotAvailable
from domain.services import CreditService
from tests.fakes import FixedClock, InMemoryCreditStore
from tests.unit.services.support import MARCH, ORG, a_charge_in_flight, an_org_on, charge_many


def test_a_top_up_adds_to_the_limit_of_the_current_month(service: CreditService, store: InMemoryCreditStore) -> None:
    an_org_on(service, "Basic")
    result = service.top_up(ORG, 30, "tu-1", "uplift")
    assert not result.replayed
    assert (result.balance.top_up_credits, result.balance.limit, result.balance.remaining) == (30, 130, 130)
    assert (result.top_up.top_up_id, result.top_up.credits, result.top_up.period) == ("tu-1", 30, MARCH)
    assert result.top_up.reason == "uplift"
    assert store.window_counter(ORG, MARCH).top_ups == 30


def test_several_top_ups_add_up(service: CreditService) -> None:
    an_org_on(service, "Basic")
    service.top_up(ORG, 30, "tu-1", None)
    result = service.top_up(ORG, 20, "tu-2", None)
    assert result.balance.limit == 150


def test_the_same_top_up_id_twice_adds_the_credits_once(service: CreditService, store: InMemoryCreditStore) -> None:
    # Given a top-up of 30 recorded as tu-1
    an_org_on(service, "Basic")
    first = service.top_up(ORG, 30, "tu-1", None)
    # When the same top-up is sent again
    again = service.top_up(ORG, 30, "tu-1", None)
    # Then it is a replay: the credits were added once
    assert again.replayed
    assert again.top_up == first.top_up
    assert again.balance.limit == 130
    assert store.window_counter(ORG, MARCH).top_ups == 30


def test_the_same_top_up_id_with_different_credits_is_refused(
    service: CreditService, store: InMemoryCreditStore
) -> None:
    an_org_on(service, "Basic")
    service.top_up(ORG, 30, "tu-1", None)
    with pytest.raises(TopUpIdReused):
        service.top_up(ORG, 40, "tu-1", None)
    assert store.window_counter(ORG, MARCH).top_ups == 30


def test_a_top_up_racing_the_same_top_up_id_adds_once(
    service: CreditService, store: InMemoryCreditStore, other: CreditService
) -> None:
    # Given a retry of the same top-up that records it between this request's read and write
    an_org_on(service, "Basic")
    store.before_next_write("record_top_up", lambda: other.top_up(ORG, 30, "tu-1", None))
    # When this request writes, Then it finds the id recorded and answers a replay
    result = service.top_up(ORG, 30, "tu-1", None)
    assert result.replayed
    assert store.window_counter(ORG, MARCH).top_ups == 30


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
    an_org_on(service, "Basic")
    service.top_up(ORG, 50, "tu-1", None)
    charge_many(service, clock, 120)
    clock.set(datetime(2024, 3, 31, 23, 59, 59, 999999, tzinfo=UTC))
    assert service.balance(ORG, None).limit == 150
    # When April begins
    clock.set(datetime(2024, 4, 1, tzinfo=UTC))
    balance = service.balance(ORG, None)
    # Then the top-up is gone and the usage starts again
    assert (balance.period, balance.top_up_credits, balance.limit, balance.used) == ("2024-04", 0, 100, 0)


def test_a_top_up_that_met_a_charge_in_flight_records_the_same_top_up_again(
    service: CreditService, store: InMemoryCreditStore
) -> None:
    a_charge_in_flight(service, store, "record_top_up", times=3, on="Basic")
    reads = store.calls["account"]

    result = service.top_up(ORG, 25, "invoice-1", None)

    assert (result.replayed, result.balance.top_up_credits) == (False, 25)
    assert store.window_counter(ORG, MARCH).top_ups == 25
    assert store.calls["account"] - reads == 1


def test_a_top_up_without_an_id_is_recorded_under_its_request_so_a_retried_step_adds_it_once(
    service: CreditService,
) -> None:
    # Given an org on Basic
    an_org_on(service, "Basic")
    # When a top-up without a topUpId runs twice in one request (the workflow retried the step)
    first = service.top_up(ORG, 30, None, None, execution_name="req-1")
    again = service.top_up(ORG, 30, None, None, execution_name="req-1")
    # Then it is recorded under the request's id, and added once
    assert (first.top_up.top_up_id, first.replayed, again.replayed) == ("request-req-1", False, True)
    assert again.balance.limit == 130
    # And another request's top-up without an id is another top-up
    assert service.top_up(ORG, 30, None, None, execution_name="req-2").balance.limit == 160


def test_a_top_up_without_an_id_needs_its_request_id(service: CreditService) -> None:
    an_org_on(service, "Basic")
    with pytest.raises(ValueError, match="id of its request"):
        service.top_up(ORG, 30, None, None)
