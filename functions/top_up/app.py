"""POST /orgs/{orgId}/top-ups: add credits to the org's current month (they expire with it)."""

from typing import Any

from adapters.runtime import bootstrap
from domain.services import CreditService
from functions.common.commands import TopUp
from functions.common.deadline import deadline_of
from functions.common.documents import top_up_document
from functions.common.errors import Handler
from functions.common.handlers import command_handler


def handler(service: CreditService) -> Handler:
    def top_up(command: TopUp, event: dict[str, Any], context: Any) -> dict[str, Any]:
        # Without a topUpId the request's id stands in (the service's rule), so a retried step cannot add the
        # credits twice.
        topped_up = service.top_up(
            command.org_id,
            command.credits,
            command.top_up_id,
            command.reason,
            deadline_of(context),
            execution_name=event["executionName"],
        )
        return top_up_document(topped_up)

    return command_handler(TopUp, top_up, logged="credits topped up")


lambda_handler = handler(bootstrap())
