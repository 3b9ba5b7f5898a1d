"""GET /orgs/{orgId}/usage/{enquiryId}: one enquiry's charge, and the execution that charged it."""

from typing import Any

from adapters.runtime import bootstrap
from domain.services import CreditService
from functions.common.commands import GetCharge
from functions.common.documents import charge_document
from functions.common.errors import Handler
from functions.common.handlers import command_handler


def handler(service: CreditService) -> Handler:
    def get_charge(command: GetCharge, event: dict[str, Any], context: Any) -> dict[str, Any]:
        return charge_document(command.org_id, service.get_charge(command.org_id, command.enquiry_id))

    return command_handler(GetCharge, get_charge, outside_body=("orgId", "enquiryId"), with_body=False)


lambda_handler = handler(bootstrap())
