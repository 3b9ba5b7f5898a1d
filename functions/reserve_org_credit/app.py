"""use-credit, step 2: reserve one of the org's credits (or recognise a retry of an enquiry already charged)."""

from typing import Any

from adapters.runtime import bootstrap
from domain.services import CreditService
from functions.common.deadline import deadline_of
from functions.common.documents import (
    charge_request_from,
    org_reservation_document,
    user_hint_document,
    user_reservation_document,
)
from functions.common.errors import Handler, outcomes_as_answers
from functions.common.observability import count_decision, denials_counted, logger


def handler(service: CreditService) -> Handler:
    @logger.inject_lambda_context
    @outcomes_as_answers
    @denials_counted
    def reserve_org_credit(event: dict[str, Any], context: Any) -> dict[str, Any]:
        request = charge_request_from(event["charge"])
        reserved = service.reserve_org_credit(request, deadline_of(context))
        if reserved.replayed:
            count_decision("REPLAYED")
        document = {
            "replayed": reserved.replayed,
            "reservation": org_reservation_document(reserved.reservation),
            "user": user_reservation_document(reserved.user),
            "userHint": user_hint_document(reserved.user_hint),
        }
        logger.info("org credit reserved", extra={"orgId": request.org_id, "enquiryId": request.enquiry_id} | document)
        return document

    return reserve_org_credit


lambda_handler = handler(bootstrap())
