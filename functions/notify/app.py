"""use-credit, step 4: tell customer success what this charge means (never fails a granted charge)."""

from typing import Any

from adapters.runtime import credit_service
from functions.common.documents import charge_request_from, org_reservation_from
from functions.common.observability import logger, tracer

service = credit_service()


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    request = charge_request_from(event["charge"])
    sent = service.notify(request.org_id, org_reservation_from(event["reservation"]), request.decided_at)
    kinds = [type(event).__name__ for event in sent]
    if kinds:
        logger.info("notifications sent", extra={"orgId": request.org_id, "kinds": kinds})
    return {"sent": kinds}
