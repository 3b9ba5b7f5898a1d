"""Scheduled (every 5 minutes): give back the credits of reservations whose workflow ended without charging or
releasing them, e.g. when the compensation itself failed. Nothing else ever reclaims them."""

from typing import Any

from adapters.runtime import credit_service
from functions.common.deadline import deadline_of
from functions.common.observability import count, logger

service = credit_service()


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    released = service.sweep_abandoned_reservations(deadline_of(context))
    for abandoned in released:
        count("ReservationsSwept")
        logger.warning(
            "abandoned reservation released",
            extra={
                "orgId": abandoned.org_id,
                "enquiryId": abandoned.enquiry_id,
                "reservationId": abandoned.reservation_id,
                "reservedAt": abandoned.reserved_at.isoformat(),
            },
        )
    return {
        "released": len(released),
        "reservations": [
            {"orgId": item.org_id, "enquiryId": item.enquiry_id, "reservationId": item.reservation_id}
            for item in released
        ],
    }
