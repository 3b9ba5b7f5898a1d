"""PUT /orgs/{orgId}/user-limit: cap (or uncap, with null) what each user may run per month."""

from typing import Any

from adapters.runtime import bootstrap
from domain.services import CreditService
from functions.common.commands import SetUserLimit
from functions.common.deadline import deadline_of
from functions.common.documents import balance_document
from functions.common.errors import Handler
from functions.common.handlers import command_handler


def handler(service: CreditService) -> Handler:
    def set_user_limit(command: SetUserLimit, event: dict[str, Any], context: Any) -> dict[str, Any]:
        return balance_document(service.set_user_limit(command.org_id, command.limit, deadline_of(context)))

    return command_handler(SetUserLimit, set_user_limit, logged="user limit set")


lambda_handler = handler(bootstrap())
