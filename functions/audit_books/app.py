"""GET /orgs/{orgId}/audit?period=: the org's counters held to its ledger for a window, and each way they disagree.
Reads only."""

from typing import Any

from adapters.runtime import bootstrap
from domain.services import CreditService
from functions.common.commands import AuditBooks
from functions.common.documents import audit_document
from functions.common.errors import Handler
from functions.common.handlers import command_handler


def handler(service: CreditService) -> Handler:
    def audit_books(command: AuditBooks, event: dict[str, Any], context: Any) -> dict[str, Any]:
        return audit_document(service.audit(command.org_id, command.period))

    return command_handler(AuditBooks, audit_books, outside_body=("orgId", "period"), with_body=False)


lambda_handler = handler(bootstrap())
