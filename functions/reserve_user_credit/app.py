"""use-credit, step 3: reserve one of the user's credits; the enquiry is then charged."""

from typing import Any

from adapters.runtime import bootstrap
from domain.services import CreditService
from functions.common.deadline import deadline_of
from functions.common.documents import (
    charge_request_from,
    org_reservation_from,
    user_hint_from,
    user_reservation_document,
)
from functions.common.errors import Handler, outcomes_as_answers
from functions.common.observability import count_decision, denials_counted, logger


def handler(service: CreditService) -> Handler:
    @logger.inject_lambda_context
    @outcomes_as_answers
    @denials_counted
    def reserve_user_credit(event: dict[str, Any], context: Any) -> dict[str, Any] | None:
        request = charge_request_from(event["charge"])
        hint = user_hint_from(event.get("hint"), request, org_reservation_from(event["reservation"]))
        reservation = service.reserve_user_credit(request, hint, deadline_of(context))
        if not reservation.rerun:
            count_decision("CHARGED")
        document = user_reservation_document(reservation)
        extra = {"orgId": request.org_id, "enquiryId": request.enquiry_id, "user": document}
        logger.info("user credit reserved", extra=extra)
        return document

    return reserve_user_credit


lambda_handler = handler(bootstrap())
