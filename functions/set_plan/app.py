"""PUT /orgs/{orgId}/plan: put the org on a plan, at once."""

from typing import Any

from adapters.runtime import credit_service
from domain.commands import SetPlan
from functions.common.deadline import deadline_of
from functions.common.documents import balance_document
from functions.common.errors import rejections_as_documents
from functions.common.observability import logger
from functions.common.requests import command_parser

parse = command_parser(SetPlan)
service = credit_service()


@logger.inject_lambda_context
@rejections_as_documents
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    command = parse(event)
    document = balance_document(service.set_plan(command.org_id, command.plan, deadline_of(context)))
    logger.info("plan set", extra=document)
    return document
