"""What Step Functions itself can answer, besides the service's own errors, still reaches the client as a JSON
error with a code: an execution that failed outside the service's Fail states (States.Runtime,
States.DataLimitExceeded where no Catch can take it), a step's answer over 256 KiB (caught), an input over
StartSyncExecution's 256 KiB, and its other refusals."""

from __future__ import annotations

import json
from typing import Any

import pytest

from emulator.gateway import Gateway
from emulator.vtl import HttpRequest
from tests.http.support import MID_NOVEMBER, assert_rejected, balance, freeze_clock, set_plan


@pytest.mark.parametrize("cause", ["An error occurred while executing the state 'Charged'", "", "{not json", "[]"])
@pytest.mark.parametrize("error", ["States.Runtime", "States.DataLimitExceeded"])
def test_an_execution_failed_outside_the_services_fail_states_answers_a_json_500(cloud, cause, error):
    # Given an execution FAILED with an error the service did not raise (States.Runtime cannot be caught by a
    # Catch on States.ALL on AWS) and a cause that is not the service's JSON error
    request = HttpRequest("POST", "/orgs/acme/usage", {"orgId": "acme"}, {}, {}, "{}", "rid", "/orgs/{orgId}/usage")
    body = json.dumps({"status": "FAILED", "error": error, "cause": cause})
    for route in cloud.stack.routes:
        # When API Gateway maps StartSyncExecution's answer
        response = Gateway._integration_response(route.integration, request, 200, body)

        # Then the client gets a JSON 500 with a code that names the failure, not a template failure
        document = json.loads(response.text())
        assert (response.status, document["code"]) == (500, "INTERNAL_ERROR"), route.path
        assert error in document["message"]


def test_an_execution_failing_with_states_runtime_answers_a_json_500_and_the_sweep_gives_the_credit_back(
    api, cloud, org_id
):
    # Given an org on Basic, and an org step that answers a document the workflow cannot use (a replay without
    # its reservation): the AlreadyCharged Pass state fails with States.Runtime, which nothing catches
    freeze_clock(api, MID_NOVEMBER)
    set_plan(api, org_id, "Basic")
    cloud.result_hooks.append(lambda name, result: {"replayed": True} if name == "ReserveOrgCreditFunction" else result)

    # When a user runs an enquiry
    reply = api.use(org_id, "enq-1")

    # Then the execution ended there and the client gets a JSON 500 naming the failure
    assert_rejected(reply, 500, "INTERNAL_ERROR")
    assert "States.Runtime" in reply.body["message"]
    cloud.result_hooks.clear()
    assert balance(api, org_id)["used"] == 1  # the org step's reservation, abandoned

    # and the sweep gives the credit back once the reservation is 5 minutes old
    freeze_clock(api, "2026-11-10T12:06:00Z")
    assert api.call("POST", "/_local/invoke/SweepReservationsFunction").status == 200
    assert balance(api, org_id)["used"] == 0


def test_a_step_answering_more_than_256_kib_is_caught_by_the_workflow_and_answers_503(api, cloud, org_id):
    # Given a plan step whose answer is over Step Functions' 256 KiB payload limit (States.DataLimitExceeded, which
    # the task's Catch on States.ALL catches: recorded on AWS, tests/recorded/stepfunctions)
    def too_large(name: str, result: Any) -> Any:
        return result | {"padding": "x" * 300_000} if name == "SetPlanFunction" else result

    cloud.result_hooks.append(too_large)

    # When staff set the plan
    reply = api.set_plan(org_id, "Basic")

    # Then the workflow's fault path answers: a 503 the client may retry
    assert_rejected(reply, 503, "SERVICE_UNAVAILABLE")
    # and the step's write, which did run, is confirmed by a retry (setting a plan is idempotent)
    cloud.result_hooks.clear()
    assert set_plan(api, org_id, "Basic")["plan"] == "Basic"


@pytest.mark.parametrize("padding", [200_000, 1_000_000])
def test_a_body_too_large_for_the_workflows_input_answers_413_and_changes_nothing(api, org_id, padding):
    # Given an org on Basic
    set_plan(api, org_id, "Basic")

    # When a top-up arrives whose body, once encoded into the workflow's input, is over 256 KiB
    reply = api.call("POST", f"/orgs/{org_id}/top-ups", {"credits": 5, "reason": "r" * padding})

    # Then StartSyncExecution refuses it and the client is told so (not to retry), and nothing changed
    assert_rejected(reply, 413, "PAYLOAD_TOO_LARGE")
    assert balance(api, org_id)["topUpCredits"] == 0


def test_a_body_under_the_input_limit_reaches_the_workflow_and_is_judged_by_the_rules(api, org_id):
    set_plan(api, org_id, "Basic")

    reply = api.call("POST", f"/orgs/{org_id}/top-ups", {"credits": 5, "reason": "r" * 150_000})

    assert reply.status == 400, reply.body
    assert balance(api, org_id)["topUpCredits"] == 0


REFUSALS = {
    "ThrottlingException": (503, "SERVICE_UNAVAILABLE"),
    "AccessDeniedException": (500, "INTERNAL_ERROR"),
    "StateMachineDoesNotExist": (500, "INTERNAL_ERROR"),
    "InvalidExecutionInput": (413, "PAYLOAD_TOO_LARGE"),
}


@pytest.mark.parametrize(("refusal", "expected"), REFUSALS.items(), ids=list(REFUSALS))
def test_start_sync_executions_own_refusals_tell_the_client_whether_a_retry_can_help(cloud, refusal, expected):
    # Given each route's integration, and Step Functions refusing to start the execution (HTTP 400)
    request = HttpRequest("POST", "/orgs/acme/usage", {"orgId": "acme"}, {}, {}, "{}", "rid", "/orgs/{orgId}/usage")
    body = json.dumps({"__type": refusal, "message": "refused"})
    for route in cloud.stack.routes:
        # When API Gateway maps the refusal
        response = Gateway._integration_response(route.integration, request, 400, body)

        # Then throttling says retry (503), a too-large input says 413, and anything else is a 500 (no retry)
        document = json.loads(response.text())
        assert (response.status, document["code"]) == expected, route.path
        assert document["message"]
