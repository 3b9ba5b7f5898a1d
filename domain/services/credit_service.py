"""The application's use cases, one module each, behind the one object the functions call: a method per
use case, given the dependencies the composition root (adapters/runtime.py) wired once per container."""

from __future__ import annotations

from datetime import datetime

from domain.account import LedgerEntry, OrgReservation, UserReservation
from domain.ports import AbandonedReservation, Clock, CreditStore, Notifier, UserSnapshot
from domain.retry import Retry
from domain.services.audit import ActiveAuditPage, Audit, audit_active_page, audit_books
from domain.services.balance import Balance, get_balance
from domain.services.charge import ChargeRequest
from domain.services.dependencies import Dependencies
from domain.services.history import ChargesPage, TopUps, get_charge, list_charges, list_top_ups
from domain.services.notify import NotifyOutcome, notify, notify_denial
from domain.services.refund import RefundResult, refund
from domain.services.release_org_credit import release_org_credit
from domain.services.reserve_org_credit import OrgCreditReserved, reserve_org_credit
from domain.services.reserve_user_credit import reserve_user_credit
from domain.services.set_plan import set_plan
from domain.services.set_user_limit import set_user_limit
from domain.services.sweep import sweep_abandoned_reservations
from domain.services.top_up import TopUpResult, default_top_up_id, top_up


class CreditService:
    def __init__(
        self,
        store: CreditStore,
        clock: Clock,
        notifier: Notifier | None = None,
        retry: Retry | None = None,
    ) -> None:
        self._deps = Dependencies(store, clock, notifier, retry or Retry())

    def now(self) -> datetime:
        """The service's clock, in UTC."""
        return self._deps.now()

    # -- the use-credit saga (`deadline`, on the monotonic clock: when a step stops trying) ------------------

    def reserve_org_credit(self, request: ChargeRequest, deadline: float | None = None) -> OrgCreditReserved:
        return reserve_org_credit(self._deps, request, deadline)

    def reserve_user_credit(
        self, request: ChargeRequest, hint: UserSnapshot | None, deadline: float | None = None
    ) -> UserReservation:
        return reserve_user_credit(self._deps, request, hint, deadline)

    def release_org_credit(self, request: ChargeRequest, deadline: float | None = None) -> bool:
        return release_org_credit(self._deps, request, deadline)

    def notify(self, org_id: str, reservation: OrgReservation, at: datetime, claimant: str) -> NotifyOutcome:
        return notify(self._deps, org_id, reservation, at, claimant)

    def notify_denial(self, org_id: str, at: datetime, claimant: str) -> NotifyOutcome:
        return notify_denial(self._deps, org_id, at, claimant)

    def sweep_abandoned_reservations(self, deadline: float | None = None) -> list[AbandonedReservation]:
        return sweep_abandoned_reservations(self._deps, deadline)

    # -- staff commands and queries ----------------------------------------------------------------------------

    def set_plan(self, org_id: str, plan_name: str, deadline: float | None = None) -> Balance:
        return set_plan(self._deps, org_id, plan_name, deadline)

    def set_user_limit(self, org_id: str, limit: int | None, deadline: float | None = None) -> Balance:
        return set_user_limit(self._deps, org_id, limit, deadline)

    def top_up(
        self,
        org_id: str,
        credits: int,
        top_up_id: str | None,
        reason: str | None,
        deadline: float | None = None,
        *,
        execution_name: str | None = None,
    ) -> TopUpResult:
        """`top_up_id` None: the execution's name stands in (default_top_up_id), so `execution_name` is then needed."""
        if top_up_id is None:
            if execution_name is None:
                raise ValueError("a top-up without a top-up id needs the id of its request")
            top_up_id = default_top_up_id(execution_name)
        return top_up(self._deps, org_id, credits, top_up_id, reason, deadline)

    def refund(
        self,
        org_id: str,
        enquiry_id: str,
        reason: str | None,
        deadline: float | None = None,
        execution_name: str | None = None,
    ) -> RefundResult:
        return refund(self._deps, org_id, enquiry_id, reason, deadline, execution_name)

    def balance(self, org_id: str, user_id: str | None) -> Balance:
        return get_balance(self._deps, org_id, user_id)

    def charges(
        self, org_id: str, period: str | None, user_id: str | None, limit: int, cursor: str | None
    ) -> ChargesPage:
        return list_charges(self._deps, org_id, period, user_id, limit, cursor)

    def get_charge(self, org_id: str, enquiry_id: str) -> LedgerEntry:
        return get_charge(self._deps, org_id, enquiry_id)

    def top_ups(self, org_id: str, period: str | None) -> TopUps:
        return list_top_ups(self._deps, org_id, period)

    def audit(self, org_id: str, period: str | None) -> Audit:
        return audit_books(self._deps, org_id, period)

    def audit_active_page(self, month: str | None, shard: int, after: dict[str, str] | None) -> ActiveAuditPage:
        return audit_active_page(self._deps, month, shard, after)
