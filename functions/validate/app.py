"""use-credit, step 1: check the request and fix the decision time every later step uses."""

from typing import Any

from adapters.clock import clock_slot
from domain.commands import ChargeCredit
from domain.periods import require_utc
from domain.services import ChargeRequest
from functions.common.documents import charge_request_document
from functions.common.errors import rejections_as_documents
from functions.common.observability import logger
from functions.common.requests import command_parser

parse = command_parser(ChargeCredit)


@logger.inject_lambda_context
@rejections_as_documents
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    command = parse(event)
    request = ChargeRequest(
        org_id=command.org_id,
        user_id=command.user_id,
        enquiry_id=command.enquiry_id,
        decided_at=require_utc(clock_slot.now()),
        reservation_id=str(event["reservationId"]),
    )
    logger.info("charge requested", extra=charge_request_document(request))
    return charge_request_document(request)
