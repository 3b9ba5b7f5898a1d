"""GET /orgs/{orgId}/top-ups?period=: the top-ups recorded for a month, newest first."""

from typing import Any

from adapters.runtime import bootstrap
from domain.services import CreditService
from functions.common.commands import ListTopUps
from functions.common.documents import top_ups_document
from functions.common.errors import Handler
from functions.common.handlers import command_handler


def handler(service: CreditService) -> Handler:
    def list_top_ups(command: ListTopUps, event: dict[str, Any], context: Any) -> dict[str, Any]:
        return top_ups_document(service.top_ups(command.org_id, command.period))

    return command_handler(ListTopUps, list_top_ups, outside_body=("orgId", "period"), with_body=False)


lambda_handler = handler(bootstrap())
