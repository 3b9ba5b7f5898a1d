"""GET /orgs/{orgId}/balance[?userId=]: what the org (and the user) has used and has left this period."""

from typing import Any

from adapters.runtime import bootstrap
from domain.services import CreditService
from functions.common.commands import GetBalance
from functions.common.documents import balance_document
from functions.common.errors import Handler
from functions.common.handlers import command_handler


def handler(service: CreditService) -> Handler:
    def get_balance(command: GetBalance, event: dict[str, Any], context: Any) -> dict[str, Any]:
        return balance_document(service.balance(command.org_id, command.user_id))

    return command_handler(GetBalance, get_balance, outside_body=("orgId", "userId"), with_body=False)


lambda_handler = handler(bootstrap())
