"""GET /orgs/{orgId}/usage/{enquiryId}: one enquiry's charge, and the execution that charged it."""

from typing import Any

from adapters.runtime import bootstrap
from domain.services import CreditService
from functions.common.commands import GetCharge
from functions.common.documents import usage_entry_document
from functions.common.errors import Handler
from functions.common.handlers import command_handler


def handler(service: CreditService) -> Handler:
    def get_usage_entry(command: GetCharge, event: dict[str, Any], context: Any) -> dict[str, Any]:
        return usage_entry_document(command.org_id, service.usage_entry(command.org_id, command.enquiry_id))

    return command_handler(GetCharge, get_usage_entry, outside_body=("orgId", "enquiryId"), with_body=False)


lambda_handler = handler(bootstrap())
