"""use-credit, step 1: check the request and fix the decision time every later step uses.

Its factory takes a clock, not the credit service: this step opens no store (its role has no table access)."""

from typing import Any

from adapters.clock import SystemClock
from domain.periods import require_utc
from domain.ports import Clock
from domain.services import ChargeRequest
from functions.common.commands import ChargeCredit
from functions.common.documents import charge_request_document
from functions.common.errors import Handler
from functions.common.handlers import command_handler


def handler(clock: Clock) -> Handler:
    def validate(command: ChargeCredit, event: dict[str, Any], context: Any) -> dict[str, Any]:
        request = ChargeRequest(
            org_id=command.org_id,
            user_id=command.user_id,
            enquiry_id=command.enquiry_id,
            decided_at=require_utc(clock.now()),
            execution_name=str(event["executionName"]),
        )
        return charge_request_document(request)

    return command_handler(ChargeCredit, validate, logged="charge requested")


lambda_handler = handler(SystemClock())
