"""Reading the books back: the ledger page by page, one enquiry's charge, a month's top-ups."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.account import EntryState
from domain.errors import EnquiryNotFound, InvalidRequest
from domain.history import TOP_UPS_LISTED
from domain.services import CreditService
from tests.fakes import FixedClock
from tests.unit.services.support import (
    ALICE,
    BOB,
    MARCH,
    ORG,
    a_charged_enquiry,
    a_reserved_enquiry,
    an_org_on,
    charge,
    request,
)


def _charged_one_a_minute(service: CreditService, clock: FixedClock, count: int, user_id: str = ALICE) -> None:
    for number in range(count):
        clock.advance(timedelta(minutes=1))
        charge(service, request(clock, f"enq-{user_id}-{number}", user_id, f"exec-{user_id}-{number}"))


def _all_pages(service: CreditService, limit: int, user_id: str | None = None) -> list[list[str]]:
    pages, cursor = [], None
    while True:
        page = service.charges(ORG, MARCH, user_id, limit, cursor)
        pages.append([entry.enquiry_id for entry in page.entries])
        if page.cursor is None:
            return pages
        cursor = page.cursor


def test_the_ledger_is_read_newest_first_a_page_at_a_time_to_the_last(
    service: CreditService, clock: FixedClock
) -> None:
    an_org_on(service, "Basic")
    _charged_one_a_minute(service, clock, 5)

    assert _all_pages(service, 2) == [
        ["enq-alice-4", "enq-alice-3"],
        ["enq-alice-2", "enq-alice-1"],
        ["enq-alice-0"],
    ]


def test_a_last_page_that_is_full_says_it_is_the_last(service: CreditService, clock: FixedClock) -> None:
    # Given exactly two pages' worth
    an_org_on(service, "Basic")
    _charged_one_a_minute(service, clock, 4)

    # Then the second page has no cursor: no empty third page to ask for
    assert _all_pages(service, 2) == [["enq-alice-3", "enq-alice-2"], ["enq-alice-1", "enq-alice-0"]]


def test_one_users_charges_are_paged_apart(service: CreditService, clock: FixedClock) -> None:
    an_org_on(service, "Basic")
    _charged_one_a_minute(service, clock, 2, ALICE)
    _charged_one_a_minute(service, clock, 3, BOB)

    assert _all_pages(service, 2, BOB) == [["enq-bob-2", "enq-bob-1"], ["enq-bob-0"]]
    assert _all_pages(service, 2, ALICE) == [["enq-alice-1", "enq-alice-0"]]


def test_a_cursor_is_only_good_for_the_listing_that_answered_it(service: CreditService, clock: FixedClock) -> None:
    an_org_on(service, "Basic")
    _charged_one_a_minute(service, clock, 3)
    cursor = service.charges(ORG, MARCH, None, 1, None).cursor
    assert cursor is not None

    with pytest.raises(InvalidRequest) as refused:
        service.charges(ORG, MARCH, ALICE, 1, cursor)

    assert refused.value.code == "INVALID_CURSOR"


def test_without_a_period_the_ledger_lists_the_current_month(service: CreditService, clock: FixedClock) -> None:
    an_org_on(service, "Basic")
    _charged_one_a_minute(service, clock, 1)

    page = service.charges(ORG, None, None, 50, None)

    assert (page.window, [entry.enquiry_id for entry in page.entries]) == (MARCH, ["enq-alice-0"])


def test_a_trials_charges_are_listed_under_trial_not_its_month(service: CreditService, clock: FixedClock) -> None:
    an_org_on(service, "Trial")
    _charged_one_a_minute(service, clock, 2)

    trial = service.charges(ORG, "TRIAL", None, 50, None)

    assert [entry.window for entry in trial.entries] == ["TRIAL", "TRIAL"]
    assert service.charges(ORG, MARCH, None, 50, None).entries == ()


def test_a_refunded_charge_stays_in_the_ledger_as_refunded(service: CreditService, clock: FixedClock) -> None:
    a_charged_enquiry(service, clock, on="Basic")
    service.refund(ORG, "enq-1", "not delivered")

    (entry,) = service.charges(ORG, MARCH, None, 50, None).entries

    assert (entry.state, entry.refund_reason) == (EntryState.REFUNDED, "not delivered")


def test_one_enquirys_charge_names_the_execution_that_charged_it(service: CreditService, clock: FixedClock) -> None:
    a_charged_enquiry(service, clock, execution_name="exec-42", on="Basic")

    entry = service.get_charge(ORG, "enq-1")

    assert (entry.state, entry.execution_name, entry.charged_at) == (EntryState.CHARGED, "exec-42", clock.now())


@pytest.mark.parametrize("situation", ["never charged", "still being charged"])
def test_an_enquiry_not_charged_is_not_found(service: CreditService, clock: FixedClock, situation: str) -> None:
    if situation == "still being charged":
        a_reserved_enquiry(service, clock, on="Basic")
    else:
        an_org_on(service, "Basic")

    with pytest.raises(EnquiryNotFound):
        service.get_charge(ORG, "enq-1")


def test_a_months_top_ups_are_listed_newest_first(service: CreditService, clock: FixedClock) -> None:
    an_org_on(service, "Basic")
    service.top_up(ORG, 10, "t-1", "first")
    clock.advance(timedelta(hours=1))
    service.top_up(ORG, 20, "t-2", None)

    top_ups = service.top_ups(ORG, None)

    assert top_ups.period == MARCH
    assert [(record.top_up_id, record.credits, record.reason) for record in top_ups.records] == [
        ("t-2", 20, None),
        ("t-1", 10, "first"),
    ]
    assert service.top_ups(ORG, "2024-04").records == ()


def test_a_month_with_more_top_ups_than_a_listing_holds_lists_the_newest_and_says_so(
    service: CreditService, clock: FixedClock
) -> None:
    an_org_on(service, "Basic")
    for number in range(TOP_UPS_LISTED + 1):
        clock.advance(timedelta(seconds=1))
        service.top_up(ORG, 1, f"t-{number:03d}", None)

    top_ups = service.top_ups(ORG, MARCH)

    assert top_ups.truncated is True
    assert len(top_ups.records) == TOP_UPS_LISTED
    assert (top_ups.records[0].top_up_id, top_ups.records[-1].top_up_id) == (f"t-{TOP_UPS_LISTED:03d}", "t-001")
    assert service.top_ups(ORG, "2024-04").truncated is False
