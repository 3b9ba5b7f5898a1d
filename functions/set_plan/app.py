"""PUT /orgs/{orgId}/plan: put the org on a plan, at once."""

from typing import Any

from adapters.runtime import bootstrap
from domain.services import CreditService
from functions.common.commands import SetPlan
from functions.common.deadline import deadline_of
from functions.common.documents import balance_document
from functions.common.errors import Handler
from functions.common.handlers import command_handler


def handler(service: CreditService) -> Handler:
    def set_plan(command: SetPlan, event: dict[str, Any], context: Any) -> dict[str, Any]:
        return balance_document(service.set_plan(command.org_id, command.plan, deadline_of(context)))

    return command_handler(SetPlan, set_plan, logged="plan set")


lambda_handler = handler(bootstrap())
