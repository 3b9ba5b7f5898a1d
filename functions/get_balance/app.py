"""GET /orgs/{orgId}/balance[?userId=]: what the org (and the user) has used and has left this period."""

from typing import Any

from adapters.runtime import credit_service
from domain.commands import GetBalance
from functions.common.documents import balance_document
from functions.common.errors import rejections_as_documents
from functions.common.observability import logger
from functions.common.requests import parse_command

service = credit_service()


@logger.inject_lambda_context
@rejections_as_documents
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    command = parse_command(GetBalance, event, outside_body=("orgId", "userId"), with_body=False)
    return balance_document(service.balance(command.org_id, command.user_id))
