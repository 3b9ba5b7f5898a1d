"""Every answer names the request it answers, as API Gateway does: x-amzn-RequestId ($context.requestId, which a
client may set, in the form of a UUID) and x-amz-apigw-id ($context.extendedRequestId, API Gateway's own); an error
body carries the request id too. The workflow execution that answered is named after x-amz-apigw-id, which no
client can choose: executions of one name would share a reservation (docs/rules.md, "Decisions")."""

from __future__ import annotations

import json
import re
import uuid
from concurrent.futures import ThreadPoolExecutor
from http.client import HTTPConnection

import pytest

from tests.http import support as http

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
EXTENDED_ID = re.compile(r"[A-Za-z0-9_-]{15}=")


def _call(api, method, path, body=None, headers=None):
    """The answer's status, its request ids (x-amzn-RequestId, x-amz-apigw-id) and its body."""
    reply = api.call(method, path, body, headers=headers)
    return reply.status, (reply.headers.get("x-amzn-requestid"), reply.headers.get("x-amz-apigw-id")), reply.body


def _execution_names(cloud, machine: str) -> list[str]:
    arn = cloud.stack.state_machines[machine].arn
    return [
        listed["name"] for listed in cloud.client("stepfunctions").list_executions(stateMachineArn=arn)["executions"]
    ]


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("PUT", "/orgs/{org}/plan", {"plan": "Basic"}, 200),
        ("POST", "/orgs/{org}/usage", {"enquiryId": "enq-1", "userId": "alice"}, 201),
        ("GET", "/orgs/{org}/balance", None, 200),
        ("PUT", "/orgs/{org}/plan", {"plan": "Platinum"}, 400),
        ("POST", "/orgs/{org}/usage", {"enquiryId": "enq-2"}, 400),
        ("GET", "/orgs/{org}/usage/never-charged", None, 404),
        ("GET", "/orgs/{org}/nowhere", None, 403),
        ("DELETE", "/orgs/{org}/plan", None, 405),
    ],
    ids=["set-plan", "charge", "balance", "unknown-plan", "missing-field", "not-found", "unknown-route", "method"],
)
def test_every_answer_carries_api_gateways_request_ids(api, org_id, method, path, body, status):
    http.freeze_clock(api, http.MID_NOVEMBER)
    http.set_plan(api, org_id, "Basic")

    got, (request_id, extended), document = _call(api, method, path.format(org=org_id), body)

    assert got == status, document
    assert UUID.fullmatch(request_id or ""), request_id
    assert EXTENDED_ID.fullmatch(extended or ""), extended
    if status >= 400:
        assert document["requestId"] == request_id, document


def test_each_request_has_ids_of_its_own(api, org_id):
    answers = [_call(api, "GET", f"/orgs/{org_id}/balance")[1] for _ in range(5)]

    assert len({request_id for request_id, _ in answers}) == 5
    assert len({extended for _, extended in answers}) == 5


def test_the_execution_that_answered_is_named_after_x_amz_apigw_id(api, cloud, org_id):
    # Given a charge
    http.freeze_clock(api, http.MID_NOVEMBER)
    http.set_plan(api, org_id, "Basic")
    status, (_, extended), _ = _call(api, "POST", f"/orgs/{org_id}/usage", {"enquiryId": "enq-1", "userId": "alice"})
    assert status == 201

    # Then the use-credit execution that charged it bears API Gateway's own id (its "=" dropped), and the ledger
    # names the same execution
    name = extended.rstrip("=")
    assert name in _execution_names(cloud, "UseCreditStateMachine")
    assert api.get_charge(org_id, "enq-1").body["executionName"] == name


def test_a_clients_own_request_id_is_echoed_if_it_is_a_uuid(api, org_id):
    mine = str(uuid.uuid4())

    _, (echoed, _), _ = _call(api, "GET", f"/orgs/{org_id}/balance", headers={"X-Amzn-RequestId": mine})
    _, (replaced, _), _ = _call(api, "GET", f"/orgs/{org_id}/balance", headers={"X-Amzn-RequestId": "not-a-uuid"})

    assert echoed == mine
    assert replaced != "not-a-uuid"
    assert UUID.fullmatch(replaced)


def test_requests_that_share_a_clients_request_id_are_still_charged_once(api, cloud, org_id):
    # Given a client that sends one request id with every retry of an enquiry, ten at once
    http.freeze_clock(api, http.MID_NOVEMBER)
    http.set_plan(api, org_id, "Basic")
    shared = {"X-Amzn-RequestId": str(uuid.uuid4())}
    body = {"enquiryId": "enq-1", "userId": "alice"}

    with ThreadPoolExecutor(max_workers=10) as pool:
        answers = list(pool.map(lambda _: _call(api, "POST", f"/orgs/{org_id}/usage", body, shared), range(10)))

    # Then each ran as an execution of its own name, and the enquiry is charged once
    statuses = sorted(status for status, _, _ in answers)
    assert statuses.count(201) == 1, answers
    assert set(statuses) <= {200, 201, 409}, answers
    names = {extended.rstrip("=") for _, (_, extended), _ in answers}
    assert len(names) == 10
    assert names <= set(_execution_names(cloud, "UseCreditStateMachine"))
    assert http.balance(api, org_id, "alice")["used"] == 1
    assert http.balance(api, org_id, "alice")["user"]["used"] == 1


def test_an_answer_refused_before_the_gateway_carries_request_ids_too(api, org_id):
    # A body that is not UTF-8 is refused by the HTTP server itself, before any route is matched
    connection = HTTPConnection(api.host, api.port, timeout=30)
    try:
        connection.request(
            "POST", f"/orgs/{org_id}/usage", body=b"\xff\xfe", headers={"Content-Type": "application/json"}
        )
        response = connection.getresponse()
        document = json.loads(response.read())
    finally:
        connection.close()

    assert response.status == 400
    assert UUID.fullmatch(response.getheader("x-amzn-RequestId") or "")
    assert EXTENDED_ID.fullmatch(response.getheader("x-amz-apigw-id") or "")
    assert document["requestId"] == response.getheader("x-amzn-RequestId")
