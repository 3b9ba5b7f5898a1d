"""use-credit, step 3: reserve one of the user's credits; the enquiry is then charged."""

from typing import Any

from adapters.runtime import credit_service
from functions.common.deadline import deadline_of
from functions.common.documents import (
    charge_request_from,
    org_reservation_from,
    user_hint_from,
    user_reservation_document,
)
from functions.common.errors import rejections_as_documents
from functions.common.observability import count_decision, denials_counted, logger

service = credit_service()


@logger.inject_lambda_context
@rejections_as_documents
@denials_counted
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any] | None:
    request = charge_request_from(event["charge"])
    hint = user_hint_from(event.get("hint"), request, org_reservation_from(event["reservation"]))
    reservation = service.reserve_user_credit(request, hint, deadline_of(context))
    if not reservation.repeated:
        count_decision("CHARGED")
    document = user_reservation_document(reservation)
    logger.info(
        "user credit reserved", extra={"orgId": request.org_id, "enquiryId": request.enquiry_id, "user": document}
    )
    return document
