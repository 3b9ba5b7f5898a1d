"""What the use cases' tests share: the org, its users, the month, and the saga's steps as a client runs them."""

from __future__ import annotations

from datetime import UTC, datetime

from domain.account import OrgReservation, UserReservation
from domain.errors import UserLimitReached
from domain.periods import Period
from domain.services import ChargeRequest, CreditService, OrgCreditReserved
from tests.fakes import FakeTimer, FixedClock

ORG = "org-1"
ALICE = "alice"
BOB = "bob"
MARCH_10 = datetime(2024, 3, 10, 12, 0, tzinfo=UTC)
MARCH = "2024-03"
MARCH_STARTS = datetime(2024, 3, 1, tzinfo=UTC)
APRIL_STARTS = datetime(2024, 4, 1, tzinfo=UTC)


def request(
    clock: FixedClock, enquiry_id: str = "enq-1", user_id: str = ALICE, reservation_id: str = "exec-1"
) -> ChargeRequest:
    return ChargeRequest(ORG, user_id, enquiry_id, clock.now(), reservation_id)


def charge(service: CreditService, charge_request: ChargeRequest) -> tuple[OrgCreditReserved, UserReservation | None]:
    """The use-credit saga's happy path: reserve the org credit, then (unless replayed) the user's."""
    reserved = service.reserve_org_credit(charge_request)
    if reserved.replayed:
        return reserved, reserved.user
    return reserved, service.reserve_user_credit(charge_request, reserved.user_hint)


def charge_many(service: CreditService, clock: FixedClock, count: int, user_id: str = ALICE, prefix: str = "e") -> None:
    for number in range(count):
        charge(service, request(clock, f"{prefix}-{number}", user_id, f"x-{prefix}-{number}"))


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
    service.set_plan(ORG, "Basic")
    service.set_user_limit(ORG, 1)
    charge(service, request(clock, "enq-1", reservation_id="exec-1"))
    denied = request(clock, "enq-2", reservation_id="exec-2")
    reserved = service.reserve_org_credit(denied)
    try:
        service.reserve_user_credit(denied, reserved.user_hint)
    except UserLimitReached:
        return denied
    raise AssertionError("the user step charged an enquiry over the per-user limit")
