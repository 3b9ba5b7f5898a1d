"""use-credit, compensation: give back the org (and user) credit this request reserved. Safe to repeat."""

from typing import Any

from adapters.runtime import credit_service
from functions.common.deadline import deadline_of
from functions.common.documents import charge_request_from
from functions.common.observability import logger

service = credit_service()


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    request = charge_request_from(event["charge"])
    released = service.release_org_credit(request, deadline_of(context))
    logger.info(
        "org credit released", extra={"orgId": request.org_id, "enquiryId": request.enquiry_id, "released": released}
    )
    return {"released": released}
