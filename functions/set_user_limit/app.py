"""PUT /orgs/{orgId}/user-limit: cap (or uncap, with null) what each user may run per month."""

from typing import Any

from adapters.runtime import credit_service
from domain.commands import SetUserLimit
from functions.common.deadline import deadline_of
from functions.common.documents import balance_document
from functions.common.errors import rejections_as_documents
from functions.common.observability import logger
from functions.common.requests import command_parser

parse = command_parser(SetUserLimit)
service = credit_service()


@logger.inject_lambda_context
@rejections_as_documents
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    command = parse(event)
    document = balance_document(service.set_user_limit(command.org_id, command.limit, deadline_of(context)))
    logger.info("user limit set", extra=document)
    return document
