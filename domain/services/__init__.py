"""Application services: one module per use case. They read through the ports, let the aggregate decide, and
write back under optimistic concurrency (read, decide, conditional write; on a lost race, write again or read
again: retrying.py). CreditService is what the functions call."""

from domain.services.balance import Balance
from domain.services.charge import ABANDONED_AFTER, ChargeRequest
from domain.services.credit_service import CreditService
from domain.services.history import ChargesPage, TopUps
from domain.services.notify import PUBLISH_ATTEMPTS, NotifyOutcome
from domain.services.refund import RefundResult
from domain.services.reserve_org_credit import OrgCreditReserved
from domain.services.top_up import TopUpResult

__all__ = [
    "ABANDONED_AFTER",
    "PUBLISH_ATTEMPTS",
    "Balance",
    "ChargeRequest",
    "ChargesPage",
    "CreditService",
    "NotifyOutcome",
    "OrgCreditReserved",
    "RefundResult",
    "TopUpResult",
    "TopUps",
]
