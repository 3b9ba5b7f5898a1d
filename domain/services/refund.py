"""POST refunds: give back the org's and the user's credit of a charged enquiry, while the window it was charged to
is open; once per charge (the same refund again is answered as it was)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from domain.account import LedgerEntry
from domain.errors import EnquiryNotFound
from domain.services.balance import Balance, get_org_balance
from domain.services.dependencies import Dependencies
from domain.services.retrying import answered, write_until_it_lands


@dataclass(frozen=True)
class RefundResult:
    entry: LedgerEntry
    """The enquiry's entry, refunded."""
    balance: Balance
    """The org's balance once the credit is back."""
    replayed: bool


def refund(
    deps: Dependencies,
    org_id: str,
    enquiry_id: str,
    reason: str | None,
    deadline: float | None,
    execution_name: str | None = None,
) -> RefundResult:
    def decide_refund() -> Callable[[bool], RefundResult]:
        snapshot = deps.store.refund_snapshot(org_id, enquiry_id)
        charged = snapshot.entry
        if charged is None:
            # Denials are not remembered: an enquiry that was denied has no entry either.
            raise EnquiryNotFound(f"no charge of enquiry {enquiry_id} is recorded for this org")
        if charged.is_refunded:
            replayed = charged.refunded_by_another_execution(execution_name)
            return answered(RefundResult(charged, get_org_balance(deps, org_id), replayed=replayed))
        refunded = charged.refunded(snapshot.profile, deps.now(), reason, execution_name)

        def write_refund(exact: bool) -> RefundResult:
            deps.store.refund(org_id, charged, refunded)
            return RefundResult(refunded, get_org_balance(deps, org_id), replayed=False)

        return write_refund

    # StaleRead: the entry or a counter moved (another refund of the same enquiry won): read it again, which
    # answers the winner's refund as a replay.
    return write_until_it_lands(
        deps.retry, deadline, decide_refund, "the enquiry's charge is changing too fast to refund; retry"
    )
