"""POST /orgs/{orgId}/top-ups: add credits to the org's current month (they expire with it)."""

from typing import Any

from adapters.runtime import credit_service
from domain.commands import TopUp
from functions.common.deadline import deadline_of
from functions.common.documents import top_up_document
from functions.common.errors import rejections_as_documents
from functions.common.observability import logger
from functions.common.requests import parse_command

service = credit_service()


@logger.inject_lambda_context
@rejections_as_documents
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    command = parse_command(TopUp, event)
    # Without a topUpId the request's id stands in, so a retried step cannot add the credits twice.
    topped_up = service.top_up(
        command.org_id,
        command.credits,
        command.top_up_id,
        command.reason,
        deadline_of(context),
        request_id=event["requestId"],
    )
    document = top_up_document(topped_up)
    logger.info("credits topped up", extra=document)
    return document
