"""Notifying customer success through the service: once per kind, org and window; a failed publish leaves
the claim for the next chance."""

from __future__ import annotations

from datetime import timedelta

from domain.account import TRIAL_WINDOW, OrgReservation
from domain.events import LimitNotice, LimitReached
from domain.ports import NOTICE_LEASE
from domain.services import PUBLISH_ATTEMPTS, CreditService, NotifyOutcome
from tests.fakes import FixedClock, InMemoryCreditStore, RecordingNotifier, no_pauses
from tests.unit.services.support import (
    APRIL_STARTS,
    MARCH,
    MARCH_10,
    MARCH_STARTS,
    ORG,
    charge,
    charge_many,
    last_credit,
    request,
)


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
    reserved, _ = charge(service, request(clock, "enq-last", execution_name="exec-last"))
    service.notify(ORG, reserved.reservation, clock.now(), "exec-last")
    (event,) = notifier.published
    assert isinstance(event, LimitReached)
    assert (event.plan, event.window, event.used, event.limit) == ("Trial", TRIAL_WINDOW, 10, 10)


def test_a_notice_whose_claim_was_taken_over_while_it_was_published_counts_as_sent(
    service: CreditService, store: InMemoryCreditStore, clock: FixedClock, notifier: RecordingNotifier
) -> None:
    # Given a publish so slow that the claim's lease ran out and another step took the claim over meanwhile
    def taken_over(notice: LimitNotice) -> None:
        clock.advance(NOTICE_LEASE + timedelta(seconds=1))
        assert store.claim_notice(ORG, notice.kind, notice.window, "exec-other", clock.now())

    notifier.before_publish = taken_over

    # When the step publishes LimitReached, Then the step does not fail: the notice went out from here
    outcome = service.notify(ORG, last_credit(), clock.now(), "exec-1")
    assert [notice.kind for notice in outcome.sent] == ["LimitReached"]
    assert outcome.failed == []
    # and the claim stays the other sender's, for it to confirm
    claim = store.notice(ORG, "LimitReached", MARCH)
    assert claim is not None
    assert claim.claimant == "exec-other"
