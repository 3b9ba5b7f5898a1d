"""GET /orgs/{orgId}/balance[?userId=]: what the org (and the user) has used and has left this period."""

from typing import Any

from adapters.runtime import credit_service
from domain.commands import GetBalance
from functions.common.documents import balance_document
from functions.common.errors import rejections_as_documents
from functions.common.observability import logger
from functions.common.requests import command_parser

parse = command_parser(GetBalance, outside_body=("orgId", "userId"), with_body=False)
service = credit_service()


@logger.inject_lambda_context
@rejections_as_documents
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    command = parse(event)
    return balance_document(service.balance(command.org_id, command.user_id))
