"""Parsing the workflow input (what API Gateway passed as base64) into commands, and rejecting the rest."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from domain.commands import ChargeCredit, Command, GetBalance, SetPlan, SetUserLimit, TopUp
from domain.errors import InvalidRequest
from functions.common.requests import parse_command


def encoded(text: str) -> str:
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def event(body: Any = None, org_id: str = "acme", user_id: str = "", raw_body: str | None = None) -> dict[str, Any]:
    """The execution input API Gateway's request template builds: path, query and body, each base64."""
    text = raw_body if raw_body is not None else ("" if body is None else json.dumps(body))
    return {
        "raw": {
            "orgId": encoded(org_id),
            "userId": encoded(user_id) if user_id else None,
            "body": encoded(text),
        }
    }


def rejection(model: type[Command], request: dict[str, Any], **options: Any) -> InvalidRequest:
    with pytest.raises(InvalidRequest) as raised:
        parse_command(model, request, **options)
    return raised.value


# -- valid requests ----------------------------------------------------------------------------------------


def test_a_valid_charge_request_becomes_a_charge_credit_command() -> None:
    # Given the org from the path and the enquiry and user from the body
    request = event({"enquiryId": "enq-1", "userId": "alice"}, org_id="acme")
    # When it is parsed
    command = parse_command(ChargeCredit, request)
    # Then the command holds all three
    assert command == ChargeCredit(org_id="acme", enquiry_id="enq-1", user_id="alice")


def test_a_valid_top_up_keeps_its_optional_id_and_reason() -> None:
    command = parse_command(TopUp, event({"credits": 50, "topUpId": "zendesk-4711", "reason": "uplift"}))
    assert (command.org_id, command.credits) == ("acme", 50)
    assert (command.top_up_id, command.reason) == ("zendesk-4711", "uplift")


def test_a_top_up_without_an_id_or_reason_is_valid() -> None:
    command = parse_command(TopUp, event({"credits": 1}))
    assert (command.credits, command.top_up_id, command.reason) == (1, None, None)


def test_a_set_plan_request_carries_the_plan_name_as_sent() -> None:
    assert parse_command(SetPlan, event({"plan": "Basic"})).plan == "Basic"


def test_the_balance_takes_the_user_from_the_query_string_and_ignores_the_body() -> None:
    request = event(raw_body="not json at all", user_id="alice")
    command = parse_command(GetBalance, request, outside_body=("orgId", "userId"), with_body=False)
    assert (command.org_id, command.user_id) == ("acme", "alice")


def test_the_balance_without_a_user_has_no_user() -> None:
    command = parse_command(GetBalance, event(), outside_body=("orgId", "userId"), with_body=False)
    assert command.user_id is None


@pytest.mark.parametrize("identifier", ["a", "A-z_0.9:x", "x" * 128])
def test_an_id_of_1_to_128_allowed_characters_is_accepted(identifier: str) -> None:
    command = parse_command(ChargeCredit, event({"enquiryId": identifier, "userId": "u"}, org_id=identifier))
    assert (command.org_id, command.enquiry_id) == (identifier, identifier)


# -- malformed bodies --------------------------------------------------------------------------------------


@pytest.mark.parametrize("raw_body", ['{"plan": "Basic"', "{plan: Basic}", "{'plan': 'Basic'}", "Basic"])
def test_a_body_that_is_not_json_is_malformed(raw_body: str) -> None:
    error = rejection(SetPlan, event(raw_body=raw_body))
    assert error.code == "MALFORMED_JSON"


@pytest.mark.parametrize("raw_body", ["[]", '["Basic"]', '"Basic"', "5", "null", "true"])
def test_a_body_that_is_not_a_json_object_is_malformed(raw_body: str) -> None:
    error = rejection(SetPlan, event(raw_body=raw_body))
    assert error.code == "MALFORMED_JSON"


def test_an_event_without_the_raw_request_is_malformed() -> None:
    assert rejection(SetPlan, {}).code == "MALFORMED_REQUEST"


def test_a_body_that_is_not_base64_is_malformed() -> None:
    request = {"raw": {"orgId": encoded("acme"), "userId": None, "body": "!!not base64!!"}}
    assert rejection(SetPlan, request).code == "MALFORMED_REQUEST"


def test_a_body_that_is_not_utf8_is_malformed() -> None:
    request = {"raw": {"orgId": encoded("acme"), "userId": None, "body": base64.b64encode(b"\xff\xfe").decode()}}
    assert rejection(SetPlan, request).code == "MALFORMED_REQUEST"


# -- missing and unknown fields ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "body", "field"),
    [
        (ChargeCredit, {"userId": "alice"}, "enquiryId"),
        (ChargeCredit, {"enquiryId": "enq-1"}, "userId"),
        (SetPlan, {}, "plan"),
        (TopUp, {"topUpId": "tu-1"}, "credits"),
        (SetUserLimit, {}, "limit"),
    ],
)
def test_a_missing_required_field_is_named(model: type[Command], body: dict[str, Any], field: str) -> None:
    error = rejection(model, event(body))
    assert (error.code, error.field) == ("MISSING_FIELD", field)


def test_an_empty_body_is_missing_its_required_fields() -> None:
    error = rejection(SetPlan, event(raw_body=""))
    assert (error.code, error.field) == ("MISSING_FIELD", "plan")


def test_an_unknown_field_is_rejected_not_ignored() -> None:
    error = rejection(SetPlan, event({"plan": "Basic", "plna": "Lite"}))
    assert (error.code, error.field) == ("UNKNOWN_FIELD", "plna")


def test_an_org_id_in_the_body_is_rejected_so_the_path_cannot_be_overridden() -> None:
    # Given a body that names another org than the path does
    request = event({"orgId": "victim", "plan": "Basic"}, org_id="acme")
    # When it is parsed, Then the body's orgId is an unknown field
    error = rejection(SetPlan, request)
    assert (error.code, error.field) == ("UNKNOWN_FIELD", "orgId")


def test_an_org_id_under_its_python_name_in_the_body_is_rejected() -> None:
    error = rejection(SetPlan, event({"org_id": "victim", "plan": "Basic"}, org_id="acme"))
    assert (error.code, error.field) == ("UNKNOWN_FIELD", "org_id")


def test_a_field_under_its_python_name_instead_of_its_contract_name_is_unknown() -> None:
    error = rejection(ChargeCredit, event({"enquiry_id": "enq-1", "user_id": "alice"}))
    assert error.code == "UNKNOWN_FIELD"


# -- ids ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "identifier",
    ["enq 1", "enq/1", "enq#1", "énq", "enq\n", "x" * 129, ""],
    ids=["space", "slash", "hash", "non-ascii", "trailing-newline", "129-chars", "empty"],
)
def test_an_enquiry_id_outside_the_id_alphabet_or_length_is_invalid(identifier: str) -> None:
    error = rejection(ChargeCredit, event({"enquiryId": identifier, "userId": "alice"}))
    assert (error.code, error.field) == ("INVALID_ID", "enquiryId")


@pytest.mark.parametrize("org_id", ["acme corp", "x" * 129, "ORG#acme"])
def test_an_org_id_from_the_path_outside_the_id_alphabet_is_invalid(org_id: str) -> None:
    error = rejection(SetPlan, event({"plan": "Basic"}, org_id=org_id))
    assert (error.code, error.field) == ("INVALID_ID", "orgId")


def test_a_missing_org_id_is_invalid() -> None:
    error = rejection(SetPlan, event({"plan": "Basic"}, org_id=""))
    assert (error.code, error.field) == ("INVALID_ID", "orgId")


def test_a_user_id_from_the_query_string_outside_the_id_alphabet_is_invalid() -> None:
    request = event(user_id="al ice")
    error = rejection(GetBalance, request, outside_body=("orgId", "userId"), with_body=False)
    assert (error.code, error.field) == ("INVALID_ID", "userId")


@pytest.mark.parametrize("value", [5, True, None, ["enq-1"]], ids=["int", "bool", "null", "list"])
def test_an_id_that_is_not_a_string_is_an_invalid_field(value: Any) -> None:
    error = rejection(ChargeCredit, event({"enquiryId": value, "userId": "alice"}))
    assert (error.code, error.field) == ("INVALID_FIELD", "enquiryId")


# -- numbers are strict ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "body", "field"),
    [
        (TopUp, {"credits": True}, "credits"),
        (TopUp, {"credits": 5.0}, "credits"),
        (TopUp, {"credits": "5"}, "credits"),
        (SetUserLimit, {"limit": False}, "limit"),
        (SetUserLimit, {"limit": 5.0}, "limit"),
        (SetUserLimit, {"limit": "5"}, "limit"),
    ],
    ids=["credits-bool", "credits-float", "credits-string", "limit-bool", "limit-float", "limit-string"],
)
def test_an_integer_field_accepts_only_a_json_integer(model: type[Command], body: dict[str, Any], field: str) -> None:
    error = rejection(model, event(body))
    assert (error.code, error.field) == ("INVALID_FIELD", field)


@pytest.mark.parametrize("credits", [0, -1, 100_001])
def test_top_up_credits_outside_1_to_100000_are_invalid(credits: int) -> None:
    error = rejection(TopUp, event({"credits": credits}))
    assert (error.code, error.field) == ("INVALID_FIELD", "credits")


@pytest.mark.parametrize("credits", [1, 100_000])
def test_top_up_credits_at_the_bounds_are_valid(credits: int) -> None:
    assert parse_command(TopUp, event({"credits": credits})).credits == credits


def test_a_null_per_user_limit_removes_the_cap() -> None:
    assert parse_command(SetUserLimit, event({"limit": None})).limit is None


@pytest.mark.parametrize("limit", [0, 25, 1_000_000])
def test_a_per_user_limit_from_0_to_a_million_is_valid(limit: int) -> None:
    assert parse_command(SetUserLimit, event({"limit": limit})).limit == limit


@pytest.mark.parametrize("limit", [-1, 1_000_001])
def test_a_negative_or_huge_per_user_limit_is_invalid(limit: int) -> None:
    error = rejection(SetUserLimit, event({"limit": limit}))
    assert (error.code, error.field) == ("INVALID_FIELD", "limit")


@pytest.mark.parametrize(
    ("body", "field"),
    [({"plan": 5}, "plan"), ({"plan": "x" * 65}, "plan")],
    ids=["not-a-string", "too-long"],
)
def test_a_plan_that_is_not_a_short_string_is_invalid(body: dict[str, Any], field: str) -> None:
    error = rejection(SetPlan, event(body))
    assert (error.code, error.field) == ("INVALID_FIELD", field)


def test_a_top_up_reason_longer_than_500_characters_is_invalid() -> None:
    error = rejection(TopUp, event({"credits": 5, "reason": "x" * 501}))
    assert (error.code, error.field) == ("INVALID_FIELD", "reason")
