"""The functions validate requests with pydantic-core schemas generated from domain/commands.py's pydantic models
(functions/common/commands.py). Whatever a client sends, the two must agree: the same requests accepted, into the
same values, and the same requests refused, with the same errors (type, place, message), which is what the
client's error code and message are made of (functions/common/requests.py)."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError
from pydantic_core import SchemaValidator

from domain import commands as models
from functions.common import commands as runtime
from functions.common.requests import SCHEMAS
from generate.commands import models as command_models
from tests.vtl_corpus import request_bodies

COMMANDS = [model for model in command_models() if model is not models.Command]
VALIDATORS = {model.__name__: SchemaValidator(SCHEMAS[model.__name__]) for model in COMMANDS}

Outcome = tuple[str, Any]


def _errors(error: ValidationError) -> list[dict[str, Any]]:
    return [
        {key: item.get(key) for key in ("type", "loc", "msg", "input", "ctx")}
        for item in error.errors(include_url=False)
    ]


def by_pydantic(model: type[BaseModel], fields: dict[str, Any]) -> Outcome:
    try:
        return "accepted", model.model_validate(fields, by_alias=True, by_name=False).model_dump()
    except ValidationError as error:
        return "refused", _errors(error)


def by_runtime(model: type[BaseModel], fields: dict[str, Any]) -> Outcome:
    try:
        values = VALIDATORS[model.__name__].validate_python(fields, by_alias=True, by_name=False)
    except ValidationError as error:
        return "refused", _errors(error)
    command = getattr(runtime, model.__name__)(**values)
    return "accepted", dataclasses.asdict(command)


def agree(model: type[BaseModel], fields: dict[str, Any]) -> Outcome:
    expected = by_pydantic(model, fields)
    assert by_runtime(model, fields) == expected, (model.__name__, fields)
    return expected


ORG_IDS = ["acme", "A-z_0.9:x", "x" * 128, "x" * 129, "", "acme corp", "ORG#acme", "énq", "enq\n", 5, None]

BODIES: list[Any] = [
    # the cases of tests/unit/test_requests.py
    {"enquiryId": "enq-1", "userId": "alice"},
    {"credits": 50, "topUpId": "zendesk-4711", "reason": "uplift"},
    {"credits": 1},
    {"plan": "Basic"},
    {},
    {"userId": "alice"},
    {"enquiryId": "enq-1"},
    {"topUpId": "tu-1"},
    {"plan": "Basic", "plna": "Lite"},
    {"orgId": "victim", "plan": "Basic"},
    {"org_id": "victim", "plan": "Basic"},
    {"enquiry_id": "enq-1", "user_id": "alice"},
    *({"enquiryId": bad, "userId": "alice"} for bad in ["enq 1", "enq/1", "enq#1", "énq", "enq\n", "x" * 129, ""]),
    *({"enquiryId": bad, "userId": "alice"} for bad in [5, True, None, ["enq-1"]]),
    *({"credits": bad} for bad in [True, 5.0, "5", 0, -1, 100_001, 1, 100_000]),
    *({"limit": bad} for bad in [False, 5.0, "5", None, 0, 25, 1_000_000, -1, 1_000_001]),
    {"plan": 5},
    {"plan": "x" * 65},
    {"plan": "x" * 64},
    {"credits": 5, "reason": "x" * 501},
    {"credits": 5, "reason": "x" * 500},
    {"credits": 5, "reason": None, "topUpId": None},
    {"userId": None},
    {"userId": "al ice"},
]


def _corpus() -> list[dict[str, Any]]:
    """Every request body the VTL and HTTP tests send that is a JSON object."""
    found = []
    for text in request_bodies().values():
        try:
            document = json.loads(text)
        except ValueError:
            continue
        if isinstance(document, dict):
            found.append(document)
    return found


@pytest.mark.parametrize("model", COMMANDS, ids=lambda model: model.__name__)
def test_the_generated_schema_and_the_model_agree_on_every_request_of_the_tests(model: type[BaseModel]) -> None:
    outcomes = {"accepted": 0, "refused": 0}
    for body in [*BODIES, *_corpus()]:
        for org_id in ORG_IDS:
            outcome, _ = agree(model, {**body, "orgId": org_id})
            outcomes[outcome] += 1
    # Then both kinds were compared (a comparison that only ever saw refusals would prove little)
    assert outcomes["accepted"] > 0
    assert outcomes["refused"] > 0


_NAMES = sorted(
    {name for model in COMMANDS for name in model.model_fields}
    | {field.alias for model in COMMANDS for field in model.model_fields.values() if field.alias}
)
_IDS = st.from_regex(r"[A-Za-z0-9_.:\-]{1,130}", fullmatch=True) | st.text(max_size=140)
_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-2, 1_000_002)
    | st.integers()
    | st.floats(allow_nan=False)
    | _IDS
    | st.text(min_size=490, max_size=510, alphabet="ab"),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=5,
)
_FIELDS = st.dictionaries(st.sampled_from(_NAMES) | st.text(max_size=8), _VALUES, max_size=5)


@pytest.mark.parametrize("model", COMMANDS, ids=lambda model: model.__name__)
@settings(max_examples=400, deadline=None)
@given(fields=_FIELDS)
def test_the_generated_schema_and_the_model_agree_on_any_request(
    model: type[BaseModel], fields: dict[str, Any]
) -> None:
    agree(model, fields)


def test_the_command_values_are_frozen_and_hold_the_models_fields() -> None:
    for model in COMMANDS:
        value_class = getattr(runtime, model.__name__)
        assert [field.name for field in dataclasses.fields(value_class)] == list(model.model_fields)
        assert value_class.__dataclass_params__.frozen
