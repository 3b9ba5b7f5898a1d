"""Scheduled (daily, one page per invocation of the AuditEveryOrg workflow's loop): audit the next windows of one
shard of the orgs active this month, count each disagreement in the Drift metric by kind, and log it on one line.
It never changes the books: repairing them is a staff decision (docs/operations.md)."""

from typing import Any

from adapters.runtime import bootstrap
from domain.services import CreditService
from functions.common.errors import Handler
from functions.common.observability import count, logger


def handler(service: CreditService) -> Handler:
    @logger.inject_lambda_context
    def audit_every_org(event: dict[str, Any], context: Any) -> dict[str, Any]:
        page = service.audit_active_page(event.get("month"), int(event["shard"]), event.get("after"))
        drifted = 0
        for audited in page.audited:
            for drift in audited.drift:
                drifted += 1
                count("Drift", kind=str(drift.kind))
                logger.error(
                    "books disagree",
                    extra={
                        "orgId": audited.org_id,
                        "window": audited.window,
                        "kind": str(drift.kind),
                        "subject": drift.subject,
                        "counter": drift.counter,
                        "ledger": drift.ledger,
                        "entries": list(drift.entries),
                    },
                )
        return {
            "month": page.month,
            "shard": page.shard,
            "after": page.after,
            "audited": len(page.audited),
            "drift": drifted,
        }

    return audit_every_org


lambda_handler = handler(bootstrap())
