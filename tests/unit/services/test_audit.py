"""The books audited: each invariant of domain/audit.py holds on books the use cases wrote, and each way a
counter can disagree with the ledger is reported with its values and entries."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from domain.account import TRIAL_WINDOW, WindowCounter
from domain.audit import DriftKind
from domain.services import ABANDONED_AFTER, CreditService
from tests.fakes import FixedClock, InMemoryCreditStore
from tests.unit.services.support import (
    ALICE,
    BOB,
    MARCH,
    ORG,
    a_reserved_enquiry,
    an_org_on,
    charge_many,
)


def _kinds(service: CreditService, period: str | None = None) -> list[tuple[str, str, int | None, int | None]]:
    return [(d.kind, d.subject, d.counter, d.ledger) for d in service.audit(ORG, period).drift]


def test_books_the_use_cases_wrote_agree(service: CreditService, clock: FixedClock) -> None:
    an_org_on(service, "Basic")
    charge_many(service, clock, 3, ALICE)
    charge_many(service, clock, 2, BOB, prefix="b")
    service.refund(ORG, "e-0", "not delivered", None)
    service.top_up(ORG, 5, "goodwill", None)

    audited = service.audit(ORG, None)

    assert audited.drift == ()
    assert (audited.books.window, audited.books.used, audited.books.top_ups) == (MARCH, 4, 5)
    assert audited.books.user_used == {ALICE: 2, BOB: 2}


def test_an_org_counter_off_by_one_is_org_used_drift_with_the_entries(
    service: CreditService, store: InMemoryCreditStore, clock: FixedClock
) -> None:
    an_org_on(service, "Basic")
    charge_many(service, clock, 2)
    store.usages[(ORG, MARCH)] = replace(store.usages[(ORG, MARCH)], used=3)

    (drift,) = service.audit(ORG, MARCH).drift

    assert (drift.kind, drift.subject, drift.counter, drift.ledger) == (DriftKind.ORG_USED, "org", 3, 2)
    assert drift.entries == ("e-0", "e-1")


def test_a_user_counter_off_and_one_counted_without_entries_are_user_used_drift(
    service: CreditService, store: InMemoryCreditStore, clock: FixedClock
) -> None:
    an_org_on(service, "Basic")
    charge_many(service, clock, 2)
    store.user_usages[(ORG, ALICE, MARCH)] = 1
    store.user_usages[(ORG, "ghost", MARCH)] = 4

    assert _kinds(service) == [
        (DriftKind.USER_USED, "user:alice", 1, 2),
        (DriftKind.USER_USED, "user:ghost", 4, 0),
    ]


def test_top_ups_counted_but_not_recorded_are_top_ups_drift(service: CreditService, store: InMemoryCreditStore) -> None:
    an_org_on(service, "Basic")
    store.usages[(ORG, MARCH)] = WindowCounter(MARCH, used=0, top_ups=10)

    assert _kinds(service) == [(DriftKind.TOP_UPS, "topUps", 10, 0)]


def test_a_negative_counter_is_reported(service: CreditService, store: InMemoryCreditStore) -> None:
    an_org_on(service, "Basic")
    store.usages[(ORG, MARCH)] = WindowCounter(MARCH, used=-1)

    assert _kinds(service) == [(DriftKind.ORG_USED, "org", -1, 0), (DriftKind.NEGATIVE_COUNTER, "org", -1, None)]


def test_a_reservation_in_flight_counts_and_one_past_the_sweeps_grace_is_stale(
    service: CreditService, clock: FixedClock
) -> None:
    a_reserved_enquiry(service, clock, on="Basic")
    assert service.audit(ORG, None).drift == ()  # in flight: counted by both

    clock.advance(ABANDONED_AFTER + timedelta(seconds=1))

    (stale,) = service.audit(ORG, None).drift
    assert (stale.kind, stale.counter, stale.ledger) == (DriftKind.STALE_RESERVATION, None, None)


def test_a_trial_is_its_own_window_and_its_charges_count_for_the_users_month(
    service: CreditService, clock: FixedClock
) -> None:
    an_org_on(service, "Trial")
    charge_many(service, clock, 3, prefix="t")
    assert service.audit(ORG, None).books.window == TRIAL_WINDOW
    an_org_on(service, "Basic")
    charge_many(service, clock, 2)

    trial, month = service.audit(ORG, TRIAL_WINDOW), service.audit(ORG, MARCH)

    assert (trial.drift, month.drift) == ((), ())
    assert (trial.books.used, month.books.used, month.books.user_used) == (3, 2, {ALICE: 5})


def test_an_audit_that_found_drift_reads_again_and_answers_a_reading_that_agrees(
    service: CreditService, store: InMemoryCreditStore, clock: FixedClock
) -> None:
    # Given a charge landing between the counter's read and the ledger's (the first reading disagrees)
    an_org_on(service, "Basic")
    charge_many(service, clock, 1)
    readings = iter([replace(store.books(ORG, MARCH), used=2)])
    original = store.books
    store.books = lambda org_id, window: next(readings, None) or original(org_id, window)  # type: ignore[method-assign]

    # Then the audit answers the second reading, which agrees
    assert service.audit(ORG, MARCH).drift == ()
