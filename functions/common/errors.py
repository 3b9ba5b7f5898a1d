"""The one edge between the domain's errors and the client's answers.

A business outcome is data: a rejection the domain raises (a DomainError with an HTTP status: a denial, a conflict, a
bad request, something not found) leaves the step as its answer, the client's error document, which the workflow
routes on and ends with, SUCCEEDED. Only a fault leaves a step as an exception (a crash, a timeout, a store that
did not answer, a lost race out of time): Step Functions retries it or fails the execution.

The answer's shape is the client's Error document: `code`, `message`, `httpStatus` (the status it is answered with)
and `requestId` (API Gateway's, which the request template passes in the execution input, base64 like the rest). A
workflow tells an answer from a step's result by `httpStatus`; the response template answers with that status.
"""

from __future__ import annotations

import base64
import binascii
import functools
from collections.abc import Callable
from typing import Any

from domain.errors import DomainError

Handler = Callable[[dict[str, Any], Any], Any]

ANSWERED = "httpStatus"
"""The field that makes a step's result a client's answer (the workflows' Choice states route on it)."""


def request_id_of(event: dict[str, Any]) -> str | None:
    """API Gateway's request id, as the workflow passes it to the step (base64), or None when it did not."""
    encoded = event.get("requestId")
    if not isinstance(encoded, str):
        return None
    try:
        return base64.b64decode(encoded, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None


def answer(error: DomainError, request_id: str | None = None) -> dict[str, Any] | None:
    """The client's error document of a business outcome (its status is the error's own); None for a fault."""
    if error.http_status is None:
        return None
    document: dict[str, Any] = {"code": error.code, "message": error.message, ANSWERED: error.http_status}
    if request_id is not None:
        document["requestId"] = request_id
    return document


def outcomes_as_answers(handler: Handler) -> Handler:
    """A step that returns its business outcomes as answers and raises only for faults."""

    @functools.wraps(handler)
    def wrapper(event: dict[str, Any], context: Any) -> Any:
        try:
            return handler(event, context)
        except DomainError as error:
            document = answer(error, request_id_of(event))
            if document is None:
                raise
            return document

    return wrapper
