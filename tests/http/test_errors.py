"""Rejections: every bad request answers a JSON {code, message} without internals, and changes nothing."""

from __future__ import annotations

from typing import Any

import pytest

from tests.http.support import (
    BAD_IDS,
    MID_NOVEMBER,
    assert_error_document,
    assert_no_internals,
    assert_rejected,
    balance,
    freeze_clock,
    set_plan,
)

pytestmark = pytest.mark.refusals_only  # each test asserts that its refused request changed nothing

WRITES: dict[str, tuple[str, str, dict[str, Any]]] = {
    "plan": ("PUT", "plan", {"plan": "Lite"}),
    "user-limit": ("PUT", "user-limit", {"limit": 3}),
    "usage": ("POST", "usage", {"enquiryId": "enquiry-1", "userId": "user-1"}),
    "top-ups": ("POST", "top-ups", {"credits": 5, "topUpId": "top-up-1"}),
    "refunds": ("POST", "refunds", {"enquiryId": "refundable-1"}),
}
"""Each write route with a valid body that would visibly change an org on Basic (which ran refundable-1)."""


@pytest.fixture
def org_on_basic(api, org_id) -> str:
    freeze_clock(api, MID_NOVEMBER)
    set_plan(api, org_id, "Basic")
    assert api.use(org_id, "refundable-1", "user-1").status == 201
    return org_id


def state(api, org_id: str) -> dict[str, Any]:
    """Everything a write could change that the API shows."""
    return balance(api, org_id, "user-1")


def send(api, org_id: str, route: str, body: Any = None, raw: str | None = None, headers=None):
    method, resource, _ = WRITES[route]
    return api.call(method, f"/orgs/{org_id}/{resource}", body, raw=raw, headers=headers)


def test_the_valid_bodies_used_here_do_change_the_org(api, org_on_basic):
    # Given an org on Basic
    before = state(api, org_on_basic)

    # When each valid body is sent
    statuses = [send(api, org_on_basic, route, body).status for route, (_, _, body) in WRITES.items()]

    # Then each is accepted and the org changed (so "nothing changed" below means something)
    assert statuses == [200, 200, 201, 201, 201]
    after = state(api, org_on_basic)
    assert (after["plan"], after["perUserLimit"], after["used"], after["topUpCredits"]) == ("Lite", 3, 1, 5)
    assert after != before


# -- malformed and mistyped bodies -----------------------------------------------------------------------


@pytest.mark.parametrize("route", WRITES)
@pytest.mark.parametrize("raw", ['{"plan": "Lite"', "{plan: Lite}", "{'plan': 'Lite'}", "not json", "{}}"])
def test_a_body_that_is_not_json_is_rejected_and_changes_nothing(api, org_on_basic, route, raw):
    # Given an org on Basic
    before = state(api, org_on_basic)

    # When a body that is not JSON is sent
    reply = send(api, org_on_basic, route, raw=raw)

    # Then it is refused and nothing changed
    assert_rejected(reply, 400, "MALFORMED_JSON")
    assert state(api, org_on_basic) == before


@pytest.mark.parametrize("route", WRITES)
@pytest.mark.parametrize("raw", ["[]", '"Lite"', "42", "null"])
def test_a_json_body_that_is_not_an_object_is_rejected_and_changes_nothing(api, org_on_basic, route, raw):
    # Given an org on Basic
    before = state(api, org_on_basic)

    # When a JSON value that is not an object is sent
    reply = send(api, org_on_basic, route, raw=raw)

    # Then it is refused and nothing changed
    assert assert_error_document(reply, 400) in ("MALFORMED_JSON", "INVALID_FIELD")
    assert state(api, org_on_basic) == before


@pytest.mark.parametrize(
    ("route", "body"),
    [
        ("plan", {}),
        ("user-limit", {}),
        ("usage", {}),
        ("usage", {"userId": "user-1"}),
        ("usage", {"enquiryId": "enquiry-1"}),
        ("top-ups", {}),
        ("top-ups", {"topUpId": "top-up-1", "reason": "no credits given"}),
    ],
)
def test_a_missing_field_is_rejected_and_changes_nothing(api, org_on_basic, route, body):
    # Given an org on Basic
    before = state(api, org_on_basic)

    # When a required field is left out
    reply = send(api, org_on_basic, route, body)

    # Then it is refused and nothing changed
    assert_rejected(reply, 400, "MISSING_FIELD")
    assert state(api, org_on_basic) == before


@pytest.mark.parametrize("route", WRITES)
def test_an_empty_body_is_a_missing_field(api, org_on_basic, route):
    # Given an org on Basic
    before = state(api, org_on_basic)

    # When the body is empty
    reply = send(api, org_on_basic, route, raw="")

    # Then the first required field is reported missing, and nothing changed
    assert_rejected(reply, 400, "MISSING_FIELD")
    assert state(api, org_on_basic) == before


@pytest.mark.parametrize(
    ("route", "body"),
    [
        ("plan", {"plan": 5}),
        ("plan", {"plan": None}),
        ("plan", {"plan": True}),
        ("plan", {"plan": ["Lite"]}),
        ("user-limit", {"limit": True}),
        ("user-limit", {"limit": False}),
        ("user-limit", {"limit": "3"}),
        ("user-limit", {"limit": 3.0}),
        ("user-limit", {"limit": 2.5}),
        ("user-limit", {"limit": -1}),
        ("user-limit", {"limit": [3]}),
        ("usage", {"enquiryId": 5, "userId": "user-1"}),
        ("usage", {"enquiryId": True, "userId": "user-1"}),
        ("usage", {"enquiryId": None, "userId": "user-1"}),
        ("usage", {"enquiryId": "enquiry-1", "userId": 7}),
        ("usage", {"enquiryId": "enquiry-1", "userId": ["user-1"]}),
        ("top-ups", {"credits": True}),
        ("top-ups", {"credits": "5"}),
        ("top-ups", {"credits": 5.0}),
        ("top-ups", {"credits": 5.5}),
        ("top-ups", {"credits": None}),
        ("top-ups", {"credits": 5, "topUpId": 12}),
        ("top-ups", {"credits": 5, "reason": 12}),
    ],
)
def test_a_field_of_the_wrong_type_is_rejected_and_changes_nothing(api, org_on_basic, route, body):
    # Given an org on Basic
    before = state(api, org_on_basic)

    # When a field has the wrong type (a bool, string or float for an integer, and so on)
    reply = send(api, org_on_basic, route, body)

    # Then it is refused and nothing changed
    assert_rejected(reply, 400, "INVALID_FIELD")
    assert state(api, org_on_basic) == before


@pytest.mark.parametrize(
    ("route", "body"),
    [
        ("plan", {"plan": "Lite", "credits": 20}),
        ("plan", {"plan": "Lite", "orgId": "another-org"}),
        ("user-limit", {"limit": 3, "userId": "user-1"}),
        ("user-limit", {"limit": 3, "orgId": "another-org"}),
        ("usage", {"enquiryId": "enquiry-1", "userId": "user-1", "credits": 2}),
        ("usage", {"enquiryId": "enquiry-1", "userId": "user-1", "orgId": "another-org"}),
        ("top-ups", {"credits": 5, "period": "2026-12"}),
        ("top-ups", {"credits": 5, "orgId": "another-org"}),
    ],
)
def test_an_unknown_field_is_rejected_and_changes_nothing(api, org_on_basic, route, body):
    # Given an org on Basic
    before = state(api, org_on_basic)

    # When the body carries a field the request does not have
    reply = send(api, org_on_basic, route, body)

    # Then it is refused and nothing changed
    assert_rejected(reply, 400, "UNKNOWN_FIELD")
    assert state(api, org_on_basic) == before


@pytest.mark.parametrize("route", ["plan", "user-limit", "usage", "top-ups"])
def test_an_unknown_field_with_a_name_as_long_as_the_body_is_named_in_short(api, org_on_basic, route):
    # Given an org on Basic, and a body whose one unknown field has a 150,000-character name
    before = state(api, org_on_basic)
    name = "x" * 150_000

    # When it is sent
    reply = send(api, org_on_basic, route, {name: 1})

    # Then it is refused with the name clipped: the error (the workflow's cause) stays far below the 32,768
    # characters a Step Functions cause may have, so API Gateway's template can still read it as JSON
    assert_rejected(reply, 400, "UNKNOWN_FIELD")
    assert len(reply.body["message"]) < 200, reply.body["message"][:300]
    assert "150000 characters" in reply.body["message"]
    assert state(api, org_on_basic) == before


# -- identifiers -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", BAD_IDS)
@pytest.mark.parametrize(("route", "field"), [("usage", "enquiryId"), ("usage", "userId"), ("top-ups", "topUpId")])
def test_a_bad_id_in_the_body_is_rejected_and_changes_nothing(api, org_on_basic, route, field, bad):
    # Given an org on Basic
    before = state(api, org_on_basic)

    # When an id in the body is empty, too long, or has characters outside A-Z a-z 0-9 _ . : -
    body = WRITES[route][2] | {field: bad}
    reply = send(api, org_on_basic, route, body)

    # Then it is refused and nothing changed
    assert_rejected(reply, 400, "INVALID_ID")
    assert state(api, org_on_basic) == before


@pytest.mark.parametrize("good", ["A-z_0.9:x", "a" * 128, "1", "urn:xapien:enquiry:2026.11_a-b"])
def test_ids_of_1_to_128_allowed_characters_are_accepted(api, org_on_basic, good):
    # Given an org on Basic
    # When the ids use only allowed characters, up to 128 of them
    reply = api.use(org_on_basic, good, good)
    topped = api.top_up(org_on_basic, 1, good)

    # Then they are accepted
    assert reply.status == 201, reply.body
    assert topped.status == 201, topped.body
    assert balance(api, org_on_basic, good)["user"]["used"] == 1


ROUTES = {
    **{route: (method, resource) for route, (method, resource, _) in WRITES.items()},
    "balance": ("GET", "balance"),
    "ledger": ("GET", "usage"),
    "ledger-entry": ("GET", "usage/refundable-1"),
    "top-ups-listed": ("GET", "top-ups"),
}


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("bad_path_id", ["{org}%20", "%20{org}", "{org}%2Fx", "{org}%C3%A9", "{org}%2C1", "%20"])
def test_a_bad_org_id_in_the_path_is_rejected_and_changes_nothing(api, org_on_basic, route, bad_path_id):
    # Given an org on Basic
    before = state(api, org_on_basic)

    # When a request names it with characters an id may not have
    method, resource = ROUTES[route]
    body = WRITES[route][2] if route in WRITES else None
    reply = api.call(method, f"/orgs/{bad_path_id.format(org=org_on_basic)}/{resource}", body)

    # Then it is refused, and the org it resembles did not change
    assert_rejected(reply, 400, "INVALID_ID")
    assert state(api, org_on_basic) == before


@pytest.mark.parametrize("route", ROUTES)
def test_an_org_id_of_129_characters_is_rejected_and_its_128_character_prefix_is_untouched(api, org_id, route):
    # Given an org whose id is 128 characters long, on Basic
    freeze_clock(api, MID_NOVEMBER)
    longest = (org_id + "x" * 128)[:128]
    set_plan(api, longest, "Basic")
    before = state(api, longest)

    # When a request names an org one character longer
    method, resource = ROUTES[route]
    body = WRITES[route][2] if route in WRITES else None
    reply = api.call(method, f"/orgs/{longest}y/{resource}", body)

    # Then it is refused and the 128-character org did not change
    assert_rejected(reply, 400, "INVALID_ID")
    assert state(api, longest) == before


# -- content types, routes and methods -----------------------------------------------------------------


@pytest.mark.parametrize("route", WRITES)
@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml"])
def test_a_body_that_is_not_declared_json_is_refused_with_415_and_changes_nothing(
    api, org_on_basic, route, content_type
):
    # Given an org on Basic
    before = state(api, org_on_basic)

    # When a valid JSON body is sent under another content type
    reply = send(api, org_on_basic, route, WRITES[route][2], headers={"Content-Type": content_type})

    # Then it is refused as an unsupported media type and nothing changed
    assert_error_document(reply, 415)
    assert state(api, org_on_basic) == before


def test_json_with_a_charset_is_accepted(api, org_on_basic):
    # Given an org on Basic
    # When the body is declared as JSON with a charset
    reply = send(
        api, org_on_basic, "plan", {"plan": "Lite"}, headers={"Content-Type": "application/json; charset=utf-8"}
    )

    # Then it is accepted
    assert reply.status == 200
    assert reply.body["plan"] == "Lite"


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/orgs",
        "/orgs/{org}",
        "/orgs/{org}/credits",
        "/orgs/{org}/balance/extra",
        "/orgs/{org}/Balance",
        "/v1/orgs/{org}/balance",
    ],
)
def test_an_unknown_route_is_refused_as_api_gateway_refuses_it(api, org_id, path):
    # When a path the API does not have is asked for
    reply = api.call("GET", path.format(org=org_id))

    # Then it gets API Gateway's MISSING_AUTHENTICATION_TOKEN (a 403, whatever the authorisation), as JSON
    assert_rejected(reply, 403, "MISSING_AUTHENTICATION_TOKEN")


@pytest.mark.parametrize(
    ("method", "resource"),
    [
        ("GET", "plan"),
        ("POST", "plan"),
        ("DELETE", "plan"),
        ("GET", "user-limit"),
        ("PATCH", "user-limit"),
        ("PUT", "usage"),
        ("DELETE", "usage"),
        ("POST", "usage/refundable-1"),
        ("DELETE", "usage/refundable-1"),
        ("PUT", "top-ups"),
        ("DELETE", "top-ups"),
        ("GET", "refunds"),
        ("POST", "balance"),
        ("DELETE", "balance"),
    ],
)
def test_a_method_a_route_does_not_accept_is_405_and_changes_nothing(api, org_on_basic, method, resource):
    # Given an org on Basic
    before = state(api, org_on_basic)

    # When a route is called with a method it does not accept
    reply = api.call(method, f"/orgs/{org_on_basic}/{resource}", {"plan": "Lite", "limit": 3, "credits": 5})

    # Then it is refused and nothing changed
    assert_error_document(reply, 405)
    assert state(api, org_on_basic) == before


# -- failures inside the service ---------------------------------------------------------------------------

SECRET = "internal detail: /srv/credits/adapters/dynamodb.py line 42"


def failing(function_name: str):
    def hook(name: str, event: dict[str, Any]) -> None:
        if name == function_name:
            raise RuntimeError(SECRET)

    return hook


@pytest.mark.parametrize("function_name", ["ValidateFunction", "ReserveOrgCreditFunction", "ReserveUserCreditFunction"])
def test_a_failing_step_answers_503_without_internals_and_charges_nothing(api, cloud, org_on_basic, function_name):
    # Given a step of the use-credit workflow that fails unexpectedly
    before = state(api, org_on_basic)
    cloud.invocation_hooks.append(failing(function_name))

    # When an enquiry is run
    reply = api.use(org_on_basic, "unlucky")

    # Then the client is told to retry, sees nothing of the failure, and nothing is charged
    assert_rejected(reply, 503, "SERVICE_UNAVAILABLE")
    assert SECRET not in str(reply.body)
    assert state(api, org_on_basic) == before

    # And once the step recovers, the same enquiry is charged
    cloud.invocation_hooks.clear()
    assert api.use(org_on_basic, "unlucky").status == 201
    assert (state(api, org_on_basic)["used"], state(api, org_on_basic)["user"]["used"]) == (
        before["used"] + 1,
        before["user"]["used"] + 1,
    )


def test_a_failing_notification_does_not_fail_a_granted_charge(api, cloud, org_id):
    # Given an org with one credit left, and notifications that fail
    freeze_clock(api, MID_NOVEMBER)
    set_plan(api, org_id, "Lite")
    for number in range(19):
        assert api.use(org_id, f"enq-{number}").status == 201
    cloud.invocation_hooks.append(failing("NotifyFunction"))

    # When the last credit is used
    reply = api.use(org_id, "the-last-one")

    # Then the charge stands
    assert reply.status == 201
    assert_no_internals(reply)
    assert balance(api, org_id)["used"] == 20


@pytest.mark.parametrize(
    ("function_name", "route"),
    [("SetPlanFunction", "plan"), ("SetUserLimitFunction", "user-limit"), ("TopUpFunction", "top-ups")],
)
def test_a_failing_staff_command_answers_503_without_internals_and_changes_nothing(
    api, cloud, org_on_basic, function_name, route
):
    # Given the function behind a staff command fails unexpectedly
    before = state(api, org_on_basic)
    cloud.invocation_hooks.append(failing(function_name))

    # When the command is sent
    reply = send(api, org_on_basic, route, WRITES[route][2])

    # Then the client is told to retry, sees nothing of the failure, and nothing changed
    assert_rejected(reply, 503, "SERVICE_UNAVAILABLE")
    assert SECRET not in str(reply.body)
    cloud.invocation_hooks.clear()
    assert state(api, org_on_basic) == before


@pytest.mark.parametrize(
    ("function_name", "path"),
    [
        ("GetBalanceFunction", "balance"),
        ("ListUsageFunction", "usage"),
        ("GetUsageEntryFunction", "usage/refundable-1"),
        ("ListTopUpsFunction", "top-ups"),
    ],
)
def test_a_failing_read_answers_503_without_internals(api, cloud, org_on_basic, function_name, path):
    # Given the function behind the read fails unexpectedly
    cloud.invocation_hooks.append(failing(function_name))

    # When it is read
    reply = api.call("GET", f"/orgs/{org_on_basic}/{path}")

    # Then the client is told to retry and sees nothing of the failure
    assert_rejected(reply, 503, "SERVICE_UNAVAILABLE")
    assert SECRET not in str(reply.body)
