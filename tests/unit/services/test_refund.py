"""Refunding a charged enquiry: the org's and the user's credit come back once, while its window is open."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.account import EntryState
from domain.errors import EnquiryInProgress, EnquiryNotFound, EnquiryRefunded, WindowClosed, WriteContended
from domain.ports import WriteConflict
from domain.services import CreditService
from tests.fakes import FixedClock, InMemoryCreditStore
from tests.unit.services.support import (
    ALICE,
    APRIL_STARTS,
    MARCH,
    ORG,
    a_charged_enquiry,
    a_reserved_enquiry,
    charge,
    request,
)


def test_a_refund_gives_back_the_org_and_the_user_credit_and_records_why(
    service: CreditService, store: InMemoryCreditStore, clock: FixedClock
) -> None:
    a_charged_enquiry(service, clock, on="Basic")

    result = service.refund(ORG, "enq-1", "report failed")

    assert not result.replayed
    assert (result.entry.state, result.entry.refunded_at, result.entry.refund_reason) == (
        EntryState.REFUNDED,
        clock.now(),
        "report failed",
    )
    assert (result.balance.used, result.balance.remaining) == (0, 100)
    assert (store.window_counter(ORG, MARCH).used, store.user_used(ORG, ALICE, MARCH)) == (0, 0)


def test_the_same_refund_again_is_answered_as_the_first_and_gives_back_nothing_more(
    service: CreditService, store: InMemoryCreditStore, clock: FixedClock
) -> None:
    a_charged_enquiry(service, clock, on="Basic")
    charge(service, request(clock, "enq-2", execution_name="exec-2"))
    first = service.refund(ORG, "enq-1", None)

    again = service.refund(ORG, "enq-1", None)

    assert again.replayed
    assert again.entry == first.entry
    assert (store.window_counter(ORG, MARCH).used, store.user_used(ORG, ALICE, MARCH)) == (1, 1)
    assert store.calls["refund"] == 1


def test_a_refund_that_lost_the_race_to_the_same_refund_is_answered_as_a_replay(
    service: CreditService, store: InMemoryCreditStore, clock: FixedClock
) -> None:
    # Given a charged enquiry, and another refund of it landing between this one's read and its write
    a_charged_enquiry(service, clock, on="Basic")
    store.before_next_write("refund", lambda: service.refund(ORG, "enq-1", "the other"))

    # When this refund writes, Then its write fails, it reads again, and answers the other's refund
    result = service.refund(ORG, "enq-1", "this one")

    assert result.replayed
    assert result.entry.refund_reason == "the other"
    assert store.window_counter(ORG, MARCH).used == 0


@pytest.mark.parametrize(("conflicts", "lands"), [(2, True), (10_000, False)], ids=["twice", "every-time"])
def test_a_refund_that_meets_writes_in_flight_tries_again_until_its_time_is_up(
    service: CreditService, store: InMemoryCreditStore, clock: FixedClock, conflicts: int, lands: bool
) -> None:
    # Given a charged enquiry, and charges holding the counters when the refund writes
    a_charged_enquiry(service, clock, on="Basic")
    store.fail_next("refund", WriteConflict("a charge holds the counter"), times=conflicts)

    # When it is refunded, Then it writes again until it lands, or gives up when its time is up
    if lands:
        assert not service.refund(ORG, "enq-1", None, deadline=1.0).replayed
        assert store.calls["refund"] == conflicts + 1
    else:
        with pytest.raises(WriteContended):
            service.refund(ORG, "enq-1", None, deadline=1.0)
    assert store.window_counter(ORG, MARCH).used == (0 if lands else 1)


@pytest.mark.parametrize(
    ("situation", "enquiry", "later", "refusal"),
    [
        ("charged", "enq-unknown", False, EnquiryNotFound),
        ("reserved", "enq-1", False, EnquiryInProgress),
        ("charged", "enq-1", True, WindowClosed),
    ],
    ids=["never-charged", "still-being-charged", "its-month-is-over"],
)
def test_a_refund_that_is_refused_gives_back_nothing(
    service: CreditService,
    store: InMemoryCreditStore,
    clock: FixedClock,
    situation: str,
    enquiry: str,
    later: bool,
    refusal: type[Exception],
) -> None:
    # Given alice's enquiry enq-1, charged or still only reserved
    if situation == "charged":
        a_charged_enquiry(service, clock, on="Basic")
    else:
        a_reserved_enquiry(service, clock, on="Basic")
    if later:
        clock.set(APRIL_STARTS)

    # When staff refund the enquiry, Then it is refused and March keeps its count
    with pytest.raises(refusal):
        service.refund(ORG, enquiry, None)
    assert store.window_counter(ORG, MARCH).used == 1


def test_a_refunded_enquiry_is_not_charged_again_under_its_id(
    service: CreditService, store: InMemoryCreditStore, clock: FixedClock
) -> None:
    a_charged_enquiry(service, clock, on="Basic")
    service.refund(ORG, "enq-1", None)
    clock.advance(timedelta(minutes=1))

    with pytest.raises(EnquiryRefunded):
        charge(service, request(clock, "enq-1", execution_name="exec-again"))
    assert store.window_counter(ORG, MARCH).used == 0


def test_a_retried_refund_step_is_answered_as_the_refund_it_made_and_another_request_as_a_replay(
    service: CreditService, store: InMemoryCreditStore, clock: FixedClock
) -> None:
    # Given a refund by request r-1 whose answer was lost after its write landed
    a_charged_enquiry(service, clock, on="Basic")
    first = service.refund(ORG, "enq-1", "report failed", execution_name="r-1")

    # When the workflow retries the step of r-1, and another request r-2 refunds the enquiry too
    retried = service.refund(ORG, "enq-1", "report failed", execution_name="r-1")
    other = service.refund(ORG, "enq-1", "report failed", execution_name="r-2")

    # Then r-1 is answered as the refund it made, r-2 as a replay; one credit came back
    assert (retried.replayed, retried.entry) == (False, first.entry)
    assert other.replayed
    assert store.calls["refund"] == 1
    assert store.window_counter(ORG, MARCH).used == 0
