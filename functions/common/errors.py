"""How a rejected request leaves a Lambda: the exception keeps its domain class name (the Step Functions error
name the workflow catches) and its message becomes the JSON error document the client receives."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any

from domain.errors import DomainError

Handler = Callable[[dict[str, Any], Any], Any]


def error_document(error: DomainError) -> dict[str, Any] | None:
    """The client's error document of a rejection (its status is the error's own); None for any other error."""
    if error.http_status is None:
        return None
    return {"code": error.code, "message": error.message, "httpStatus": error.http_status}


def rejections_as_documents(handler: Handler) -> Handler:
    @functools.wraps(handler)
    def wrapper(event: dict[str, Any], context: Any) -> Any:
        try:
            return handler(event, context)
        except DomainError as error:
            document = error_document(error)
            if document is not None:
                # The Lambda runtime reports str(error) as errorMessage; the workflow's Fail state passes it on.
                error.args = (json.dumps(document),)
            raise

    return wrapper
