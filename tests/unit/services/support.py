"""What the use cases' tests share: the org, its users, the month, the saga's steps as a client runs them, and the
situations the tests are given (each one line in a test: an org on a plan, a reserved or charged enquiry, ...)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from domain.account import OrgReservation, UserReservation
from domain.errors import UserLimitReached
from domain.periods import Period
from domain.ports import WriteConflict
from domain.services import ABANDONED_AFTER, ChargeRequest, CreditService, OrgCreditReserved
from tests.fakes import FakeTimer, FixedClock, InMemoryCreditStore

ORG = "org-1"
ALICE = "alice"
BOB = "bob"
MARCH_10 = datetime(2024, 3, 10, 12, 0, tzinfo=UTC)
MARCH = "2024-03"
MARCH_STARTS = datetime(2024, 3, 1, tzinfo=UTC)
APRIL_STARTS = datetime(2024, 4, 1, tzinfo=UTC)


def request(
    clock: FixedClock, enquiry_id: str = "enq-1", user_id: str = ALICE, execution_name: str = "exec-1"
) -> ChargeRequest:
    return ChargeRequest(ORG, user_id, enquiry_id, clock.now(), execution_name)


def charge(service: CreditService, charge_request: ChargeRequest) -> tuple[OrgCreditReserved, UserReservation | None]:
    """The use-credit saga's happy path: reserve the org credit, then (unless replayed) the user's."""
    reserved = service.reserve_org_credit(charge_request)
    if reserved.replayed:
        return reserved, reserved.user
    return reserved, service.reserve_user_credit(charge_request, reserved.user_hint)


def charge_many(service: CreditService, clock: FixedClock, count: int, user_id: str = ALICE, prefix: str = "e") -> None:
    for number in range(count):
        charge(service, request(clock, f"{prefix}-{number}", user_id, f"x-{prefix}-{number}"))


# -- Given: the situations the tests start from (the ids are enq-1 and exec-1 unless a test names others) --------


def an_org_on(service: CreditService, plan: str) -> None:
    """The org on `plan` from the clock's now, with nothing charged."""
    service.set_plan(ORG, plan)


def a_reserved_enquiry(
    service: CreditService, clock: FixedClock, enquiry_id: str = "enq-1", execution_name: str = "exec-1", *, on: str
) -> tuple[ChargeRequest, OrgCreditReserved]:
    """An org on the plan `on` where alice's enquiry (enq-1, by exec-1) has reserved its org credit; its user step
    has not run yet. Answers the request and what the org step answered."""
    an_org_on(service, on)
    reserved_request = request(clock, enquiry_id, execution_name=execution_name)
    return reserved_request, service.reserve_org_credit(reserved_request)


def a_charged_enquiry(
    service: CreditService, clock: FixedClock, user_id: str = ALICE, execution_name: str = "exec-1", *, on: str
) -> tuple[ChargeRequest, OrgCreditReserved, UserReservation | None]:
    """An org on the plan `on` where the user's (alice's) enquiry enq-1 is charged by exec-1: both steps of the
    saga have run. Answers the request and what each step answered."""
    an_org_on(service, on)
    charged_request = request(clock, user_id=user_id, execution_name=execution_name)
    reserved, user = charge(service, charged_request)
    return charged_request, reserved, user


def alices_second_enquiry_reserved(
    service: CreditService, clock: FixedClock, *, on: str
) -> tuple[ChargeRequest, OrgCreditReserved]:
    """An org on the plan `on` where alice's enq-1 is charged (one credit of hers used) and her enq-2 has reserved
    its org credit; enq-2's user step has not run yet."""
    a_charged_enquiry(service, clock, on=on)
    second = request(clock, "enq-2", execution_name="exec-2")
    return second, service.reserve_org_credit(second)


def an_abandoned_reservation(service: CreditService, clock: FixedClock, *, on: str) -> ChargeRequest:
    """An org on the plan `on` where alice's enq-1 reserved its org credit in a workflow that then ended without
    charging or releasing it, longer ago than the grace period."""
    abandoned, _ = a_reserved_enquiry(service, clock, on=on)
    clock.advance(ABANDONED_AFTER + timedelta(seconds=1))
    return abandoned


def a_charge_in_flight(service: CreditService, store: InMemoryCreditStore, write: str, times: int, *, on: str) -> None:
    """An org on the plan `on`, and a charge's transaction in flight on the items that the next `times` calls of
    `write` write (each of them meets it and writes nothing)."""
    an_org_on(service, on)
    store.fail_next(write, WriteConflict("TransactionConflict"), times=times)


def assert_gave_up_in_time(pauses: list[float], budget: float) -> None:
    """The step paused as the retry policy says, and stopped only when its time was spent."""
    timer = FakeTimer()
    retry = timer.retry()
    for _ in retry.attempts(deadline=budget):
        pass
    assert pauses == timer.pauses
    assert sum(pauses) <= budget - retry.reserve_seconds
    assert len(pauses) > 12, "a burst needs more than the old fixed count of tries"


def last_credit(window: str = MARCH) -> OrgReservation:
    """The reservation of Lite's last credit; early in the window, so only LimitReached is due."""
    period = Period.parse(window)
    return OrgReservation(window, window, "Lite", 20, 20, period.starts_at, period.ends_at)


def denied_for_the_user_limit(service: CreditService, clock: FixedClock) -> ChargeRequest:
    """On Basic with one credit per user, which alice has used: her enq-2 reserves an org credit, the user step
    refuses it (UserLimitReached), and the request is answered. Its compensation is left to the caller."""
    an_org_on(service, "Basic")
    service.set_user_limit(ORG, 1)
    charge(service, request(clock, "enq-1", execution_name="exec-1"))
    denied = request(clock, "enq-2", execution_name="exec-2")
    reserved = service.reserve_org_credit(denied)
    try:
        service.reserve_user_credit(denied, reserved.user_hint)
    except UserLimitReached:
        return denied
    raise AssertionError("the user step charged an enquiry over the per-user limit")
