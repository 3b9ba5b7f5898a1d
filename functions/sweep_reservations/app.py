"""Scheduled (every 5 minutes): give back the credits of reservations whose workflow ended without charging or
releasing them, e.g. when the compensation itself failed. Nothing else ever reclaims them."""

from typing import Any

from adapters.runtime import bootstrap
from domain.services import CreditService
from functions.common.deadline import deadline_of
from functions.common.errors import Handler
from functions.common.observability import count, logger


def handler(service: CreditService) -> Handler:
    @logger.inject_lambda_context
    def sweep_reservations(event: dict[str, Any], context: Any) -> dict[str, Any]:
        released = service.sweep_abandoned_reservations(deadline_of(context))
        for abandoned in released:
            count("ReservationsSwept")
            logger.warning(
                "abandoned reservation released",
                extra={
                    "orgId": abandoned.org_id,
                    "enquiryId": abandoned.enquiry_id,
                    "executionName": abandoned.execution_name,
                    "reservedAt": abandoned.reserved_at.isoformat(),
                },
            )
        return {
            "released": len(released),
            "reservations": [
                {"orgId": item.org_id, "enquiryId": item.enquiry_id, "executionName": item.execution_name}
                for item in released
            ],
        }

    return sweep_reservations


lambda_handler = handler(bootstrap())
