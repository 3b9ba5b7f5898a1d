"""GET /orgs/{orgId}/usage?period=&userId=&limit=&cursor=: one page of the org's charges in a window (and of one
user's), newest first."""

from typing import Any

from adapters.runtime import bootstrap
from domain.services import CreditService
from functions.common.commands import ListCharges
from functions.common.documents import charges_page_document
from functions.common.errors import Handler
from functions.common.handlers import command_handler


def handler(service: CreditService) -> Handler:
    def list_charges(command: ListCharges, event: dict[str, Any], context: Any) -> dict[str, Any]:
        page = service.charges(command.org_id, command.period, command.user_id, command.limit, command.cursor)
        return charges_page_document(page)

    return command_handler(
        ListCharges, list_charges, outside_body=("orgId", "period", "userId", "limit", "cursor"), with_body=False
    )


lambda_handler = handler(bootstrap())
