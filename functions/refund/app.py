"""POST /orgs/{orgId}/refunds: give back a charged enquiry's credit (the org's and its user's) while the window it
was charged to is open."""

from typing import Any

from adapters.runtime import bootstrap
from domain.errors import Conflict, NotRecorded
from domain.services import CreditService
from functions.common.commands import Refund
from functions.common.deadline import deadline_of
from functions.common.documents import refund_document
from functions.common.errors import Handler
from functions.common.handlers import command_handler
from functions.common.observability import count_refund, refusals_counted


def handler(service: CreditService) -> Handler:
    def refund(command: Refund, event: dict[str, Any], context: Any) -> dict[str, Any]:
        # The request's id (the execution's name) comes with the refund: the workflow's retry of this step, after a
        # write whose answer was lost, is answered as the refund it made, not as a replay.
        with refusals_counted(count_refund, "REFUSED", (NotRecorded, Conflict)):
            result = service.refund(
                command.org_id,
                command.enquiry_id,
                command.reason,
                deadline_of(context),
                execution_name=event["executionName"],
            )
        count_refund("REPLAYED" if result.replayed else "REFUNDED")
        return refund_document(result)

    return command_handler(Refund, refund, logged="credit refunded")


lambda_handler = handler(bootstrap())
