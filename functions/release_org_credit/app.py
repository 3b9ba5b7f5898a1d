"""use-credit, compensation: give back the org (and user) credit this request reserved. Safe to repeat."""

from typing import Any

from adapters.runtime import bootstrap
from domain.services import CreditService
from functions.common.deadline import deadline_of
from functions.common.documents import charge_request_from
from functions.common.errors import Handler
from functions.common.observability import logger


def handler(service: CreditService) -> Handler:
    @logger.inject_lambda_context
    def release_org_credit(event: dict[str, Any], context: Any) -> dict[str, Any]:
        request = charge_request_from(event["charge"])
        released = service.release_org_credit(request, deadline_of(context))
        extra = {"orgId": request.org_id, "enquiryId": request.enquiry_id, "released": released}
        logger.info("org credit released", extra=extra)
        return {"released": released}

    return release_org_credit


lambda_handler = handler(bootstrap())
