"""use-credit, step 4 (and on an org-limit denial): tell customer success what this decision means.

It never fails a granted charge: a notice that cannot be delivered is logged, counted and left for the next
chance; the workflow catches anything else."""

from typing import Any

from adapters.runtime import bootstrap
from domain.services import CreditService
from functions.common.documents import charge_request_from, org_reservation_from
from functions.common.errors import Handler
from functions.common.observability import count_notification, logger


def handler(service: CreditService) -> Handler:
    @logger.inject_lambda_context
    def notify(event: dict[str, Any], context: Any) -> dict[str, Any]:
        request = charge_request_from(event["charge"])
        if event.get("denied"):
            outcome = service.notify_denial(request.org_id, request.decided_at, request.execution_name)
        else:
            reservation = org_reservation_from(event["reservation"])
            outcome = service.notify(request.org_id, reservation, request.decided_at, request.execution_name)
        for notice in outcome.sent:
            count_notification(notice.kind, "SENT")
            extra = {"orgId": notice.org_id, "kind": notice.kind, "period": notice.window}
            logger.info("notification sent", extra=extra)
        for notice in outcome.failed:
            count_notification(notice.kind, "FAILED")
            extra = {"orgId": notice.org_id, "kind": notice.kind, "period": notice.window}
            logger.error("notification not delivered", extra=extra)
        return {"sent": [notice.kind for notice in outcome.sent], "failed": [notice.kind for notice in outcome.failed]}

    return notify


lambda_handler = handler(bootstrap())
