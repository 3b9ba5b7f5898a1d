"""Turns the workflow input that API Gateway built into a command.

API Gateway's request template passes what the client sent as base64 (`raw.orgId`, `raw.userId`, `raw.body`),
so no client text can break the execution input; decoding and validating it happens here, once.

Validation is pydantic-core's, with the schemas generated from domain/commands.py's pydantic models
(functions/common/command_schemas.json, and commands.py the values): the same engine, errors and messages as the
models, without importing pydantic at a function's cold start.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from collections.abc import Callable
from typing import Any, TypeVar

from pydantic_core import SchemaValidator, ValidationError

from domain.errors import InvalidRequest

C = TypeVar("C")

# The pydantic-core schema of each command, by its name: generated with functions/common/commands.py
with open(os.path.join(os.path.dirname(__file__), "command_schemas.json"), encoding="utf-8") as schemas:
    SCHEMAS: dict[str, Any] = json.load(schemas)


def _decoded(raw: dict[str, Any], name: str) -> str | None:
    """None when the client did not send it; "" when it sent it empty (which validation then refuses)."""
    value = raw.get(name)
    if value is None:
        return None
    try:
        return base64.b64decode(str(value), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise InvalidRequest("MALFORMED_REQUEST", f"{name} is not valid UTF-8 text") from None


def _body(raw: dict[str, Any]) -> dict[str, Any]:
    text = _decoded(raw, "body")
    if text is None or not text.strip():
        return {}
    try:
        body = json.loads(text)
    except json.JSONDecodeError as error:
        raise InvalidRequest("MALFORMED_JSON", f"the body is not valid JSON: {error.msg}") from None
    if not isinstance(body, dict):
        raise InvalidRequest("MALFORMED_JSON", "the body must be a JSON object")
    return body


FIELD_NAME_SHOWN = 64
"""How much of a field's name an error message quotes. A client's unknown field can be as long as the body; quoted
whole, it would make the error document, and so the workflow's cause, longer than the 32,768 characters a Step
Functions cause may have ("cause ... Maximum length of 32768", Step Functions API reference), and API Gateway's
response template could no longer read it as JSON."""


def _shown(field: str) -> str:
    return field if len(field) <= FIELD_NAME_SHOWN else f"{field[:FIELD_NAME_SHOWN]}... ({len(field)} characters)"


def _describe(error: ValidationError) -> InvalidRequest:
    errors = error.errors()
    # An unknown field is most often a misspelt one: naming it helps more than naming the field it displaced.
    first = next((item for item in errors if item["type"] == "extra_forbidden"), errors[0])
    field = _shown(".".join(str(part) for part in first["loc"]) or "body")
    kind = first["type"]
    if kind == "missing":
        return InvalidRequest("MISSING_FIELD", f"{field} is required", field)
    if kind == "extra_forbidden":
        return InvalidRequest("UNKNOWN_FIELD", f"{field} is not a field of this request", field)
    if kind == "string_pattern_mismatch":
        return InvalidRequest("INVALID_ID", f"{field} must be 1-128 characters of A-Z a-z 0-9 _ . : -", field)
    return InvalidRequest("INVALID_FIELD", f"{field}: {first['msg']}", field)


def _fields(event: dict[str, Any], outside_body: tuple[str, ...], with_body: bool) -> dict[str, Any]:
    """The body's fields plus those taken from the path or query string (`outside_body`)."""
    raw = event.get("raw")
    if not isinstance(raw, dict):
        raise InvalidRequest("MALFORMED_REQUEST", "the request could not be read")
    fields = _body(raw) if with_body else {}
    for name in outside_body:
        if name in fields:
            raise InvalidRequest("UNKNOWN_FIELD", f"{name} is not a field of this request body", name)
    for name in outside_body:
        value = _decoded(raw, name)
        if value is not None:
            fields[name] = value
    if "orgId" not in fields:
        fields["orgId"] = ""
    return fields


def command_parser(
    command: type[C], outside_body: tuple[str, ...] = ("orgId",), with_body: bool = True
) -> Callable[[dict[str, Any]], C]:
    """The parser of one command, its validator built now: called at module level, during the function's cold
    start. `command` is built from the validated fields by name: a function's frozen command
    (functions/common/commands.py), or, in the tests, the pydantic model it is generated from."""
    validator = SchemaValidator(SCHEMAS[command.__name__])

    def parse_request(event: dict[str, Any]) -> C:
        fields = _fields(event, outside_body, with_body)
        try:
            # A client's JSON is validated by alias only (the REST contract's names), never by Python name.
            values = validator.validate_python(fields, by_alias=True, by_name=False)
        except ValidationError as error:
            raise _describe(error) from None
        return command(**values)

    return parse_request


def parse_command(
    command: type[C], event: dict[str, Any], outside_body: tuple[str, ...] = ("orgId",), with_body: bool = True
) -> C:
    """Validate the body's fields plus those taken from the path or query string (`outside_body`)."""
    return command_parser(command, outside_body, with_body)(event)
