"""Whether the service's own workflows hold on what AWS recorded (corpus.json):
- their Choice routing: every Choice rule of statemachines/*.asl.json, run in the emulator, routes each value AWS
  recorded for its operator as AWS routed it (a rule whose operator the recording does not cover fails here);
- their fault paths: a step that raises is caught into $.error with the shape AWS recorded for a Lambda task's
  caught error ({"Error": errorType, "Cause": the runtime's JSON}), the input kept beside it, and the execution ends
  in the workflow's own Fail state; a step answering over 256 KiB is caught too, as AWS recorded, and compensated;
- the response template (api/source/execution-result.vtl): AWS's recorded StartSyncExecution answers, whole (with
  the fields the emulator does not give), are parsed as the template means to.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from emulator.gateway import Gateway
from emulator.template import Route
from emulator.vtl import HttpRequest
from tests.integration.workflows import Fault, Workflows, always, inject
from tests.recorded.stepfunctions.replay import CASES, StateMachines

ROOT = Path(__file__).resolve().parents[3]
WORKFLOWS = sorted((ROOT / "statemachines").glob("*.asl.json"))
NOW = datetime(2025, 3, 14, 12, 30, tzinfo=UTC)
RECORDED_CATCH = (
    "tests/aws/services/stepfunctions/v2/error_handling/test_task_lambda.py::TestTaskLambda::test_raise_exception_catch"
)
"""A Lambda task (Resource: the function's ARN) whose function raised, caught: AWS's Catch output is its event 5."""


# -- Choice routing ---------------------------------------------------------------------------------------------


def _choice_states(states: dict[str, Any], workflow: str) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for name, state in states.items():
        if state["Type"] == "Choice":
            yield workflow, name, state
        for nested in ("ItemProcessor", "Iterator"):
            if nested in state:
                yield from _choice_states(state[nested]["States"], workflow)


CHOICES = [choice for path in WORKFLOWS for choice in _choice_states(json.loads(path.read_text())["States"], path.name)]


def _operator(rule: dict[str, Any]) -> str:
    (operator,) = set(rule) - {"Variable", "Next"}
    return operator


def _recorded_choices() -> dict[str, list[tuple[Any, Any, bool]]]:
    """operator -> (the Variable's value, the rule's literal, whether AWS took the rule), per recorded case."""
    recorded: dict[str, list[tuple[Any, Any, bool]]] = {}
    for case in CASES:
        if case["kind"] != "choice":
            continue
        rule = json.loads(case["definition"])["States"]["CheckValues"]["Choices"][0]
        operator = _operator(rule)
        values = json.loads(case["input"])
        taken = case["expected"] == {"TestResult.$": "ConditionTrue"}
        recorded.setdefault(operator, []).append((values["Variable"], rule[operator], taken))
    return recorded


RECORDED_CHOICES = _recorded_choices()


def _recorded_for(operator: str, literal: Any) -> list[tuple[Any, bool]]:
    """The recorded values for a rule with this operator and literal: those recorded with the same literal; for
    StringEquals, recorded with another literal, each value as it stood to that literal (the literal itself stands
    for ours, any other string for a string that is not ours)."""
    cases = RECORDED_CHOICES.get(operator, [])
    same = [(value, taken) for value, recorded_literal, taken in cases if recorded_literal == literal]
    if same or operator != "StringEquals":
        return same
    return [(literal if value == recorded_literal else value, taken) for value, recorded_literal, taken in cases]


def _at(path: str, value: Any) -> dict[str, Any]:
    """An input with the value at a simple path ($.a.b)."""
    keys = path.removeprefix("$.").split(".")
    document: dict[str, Any] = {keys[-1]: value}
    for key in reversed(keys[:-1]):
        document = {key: document}
    return document


def _routes(state: dict[str, Any]) -> dict[str, Any]:
    """The Choice state alone, each of its targets a Pass state that answers the target's name."""
    choice = {key: value for key, value in state.items() if key != "Comment"}
    choice["Choices"] = [rule | {"Next": f"route-{rule['Next']}"} for rule in state["Choices"]]
    choice["Default"] = f"route-{state['Default']}"
    targets = {rule["Next"] for rule in state["Choices"]} | {state["Default"]}
    routes = {f"route-{target}": {"Type": "Pass", "Result": target, "End": True} for target in targets}
    return {"StartAt": "Choice", "States": {"Choice": choice} | routes}


@pytest.mark.parametrize(("workflow", "name", "state"), CHOICES, ids=[f"{w}:{n}" for w, n, _ in CHOICES])
def test_each_choice_rule_of_the_workflows_routes_every_recorded_value_as_aws_did(
    cloud, unmetered, workflow, name, state
):
    # Given a Choice state of a workflow, alone, and the values AWS recorded its operator against
    (rule,) = state["Choices"]
    operator = _operator(rule)
    recorded = _recorded_for(operator, rule[operator])
    assert recorded, f"{workflow} {name}: AWS's recording has no case of {operator} {rule[operator]!r}"
    machines = StateMachines(cloud.client("stepfunctions"))
    arn, _ = machines.arn_and_name(json.dumps(_routes(state)), "EXPRESS")

    try:
        for value, taken in recorded:
            # When the emulator routes the value at the rule's Variable
            result = cloud.start_sync_execution(arn, json.dumps(_at(rule["Variable"], value)))

            # Then it goes where AWS went
            expected = rule["Next"] if taken else state["Default"]
            assert (result.status, json.loads(result.output or "null")) == ("SUCCEEDED", expected), (value, taken)
    finally:
        machines.delete_all()


def test_the_workflows_choice_operators_are_those_the_recording_covers():
    # Given the operators the workflows' Choice rules use
    used = {_operator(rule) for _, _, state in CHOICES for rule in state["Choices"]}

    # Then each is among the recorded ones (IsPresent, IsNull, BooleanEquals, StringEquals), and what the
    # workflows rely on holds in AWS's recording: IsPresent is true for a present null, false, 0 and ""; only JSON
    # true is BooleanEquals true; StringEquals on a non-string is false, not an error
    assert used <= set(RECORDED_CHOICES), used - set(RECORDED_CHOICES)
    present = {json.dumps(value): taken for value, literal, taken in RECORDED_CHOICES["IsPresent"] if literal is True}
    assert all(present[value] for value in ("null", "false", "0", '""'))
    true = [value for value, literal, taken in RECORDED_CHOICES["BooleanEquals"] if literal is True and taken]
    assert true
    assert all(value is True for value in true)
    assert not any(taken for value, _, taken in RECORDED_CHOICES["StringEquals"] if not isinstance(value, str))


# -- fault paths --------------------------------------------------------------------------------------------------


def _cause_shape(cause: str) -> str:
    """A Lambda failure's cause as text, with what differs by run (its request id) and by code (each stack frame)
    written over: its keys, their order, its separators and its message are left to compare."""
    document = json.loads(cause)
    shaped = cause.replace(document["requestId"], "<uuid>")
    for frame in document["stackTrace"]:
        shaped = shaped.replace(json.dumps(frame), '"<frame>"')
    return shaped


def _recorded_catch_output() -> dict[str, Any]:
    (case,) = [case for case in CASES if case["id"] == RECORDED_CATCH]
    exited = case["expected"][5]
    assert exited["type"] == "TaskStateExited"
    output: dict[str, Any] = exited["stateExitedEventDetails"]["output"]
    return output


@pytest.fixture
def workflows(cloud) -> Workflows:
    cloud.clock.freeze(NOW)  # one period for the whole test; the autouse fixture thaws it
    return Workflows(cloud)


def _exited_output(cloud, execution_arn: str, state: str) -> dict[str, Any]:
    for event in cloud.execution_history(execution_arn):
        if event["type"] == "TaskStateExited" and event["stateExitedEventDetails"]["name"] == state:
            output: dict[str, Any] = json.loads(event["stateExitedEventDetails"]["output"])
            return output
    raise AssertionError(f"{state} did not exit")


def test_a_step_that_raises_is_caught_into_error_with_the_shape_aws_recorded_and_answers_503(cloud, workflows, org_id):
    # Given an org on Basic, and a user step whose function raises as the recorded one did
    workflows.set_plan(org_id, "Basic")
    inject(cloud, Fault("ReserveUserCreditFunction", lambda: Exception("Some exception was raised."), always))

    # When a user runs an enquiry
    result = workflows.use(org_id, "enq-1", "user-1")

    # Then the Catch put at $.error what AWS's Catch answered for a Lambda task's error (an Error named after the
    # exception's type, a Cause that is the runtime's JSON, with its spaces), and kept the input beside it
    caught = _exited_output(cloud, result.execution_arn, "ReserveUserCredit")
    recorded = _recorded_catch_output()
    assert set(caught["error"]) == set(recorded) == {"Error", "Cause"}
    assert caught["error"]["Error"] == recorded["Error"] == "Exception"
    assert _cause_shape(caught["error"]["Cause"]) == _cause_shape(recorded["Cause"])
    assert {"charge", "org", "requestId"} <= set(caught)
    # and the workflow gave the org's credit back and ended in its own Fail state, which the client is answered 503
    assert workflows.states_entered(result)[-3:] == ["ReleaseOrgCredit", "WhyReleased", "Unavailable"]
    assert (result.status, result.error) == ("FAILED", "ServiceUnavailable")
    assert workflows.balance(org_id, "user-1")["used"] == 0
    assert {answer[0] for answer in _rendered(cloud.stack.routes, json.dumps(result.as_api_response()))} == {503}


def test_a_step_answering_over_256_kib_is_caught_as_aws_recorded_and_its_reservation_given_back(
    cloud, workflows, org_id
):
    # Given an org on Basic, and an org step whose answer is over Step Functions' 256 KiB (States.DataLimitExceeded,
    # which AWS recorded a Catch on States.ALL catching: test_states_errors)
    workflows.set_plan(org_id, "Basic")

    def too_large(name: str, result: Any) -> Any:
        return result | {"padding": "x" * 300_000} if name == "ReserveOrgCreditFunction" else result

    cloud.result_hooks.append(too_large)

    # When a user runs an enquiry
    result = workflows.use(org_id, "enq-1", "user-1")

    # Then the workflow's Catch took it into its compensation: nothing is left charged, and the client may retry
    caught = _exited_output(cloud, result.execution_arn, "ReserveOrgCredit")
    assert caught["error"]["Error"] == "States.DataLimitExceeded"
    assert (result.status, result.error) == ("FAILED", "ServiceUnavailable")
    cloud.result_hooks.clear()
    assert workflows.balance(org_id, "user-1")["used"] == 0


# -- the response template --------------------------------------------------------------------------------------


def _as_sent(recorded: dict[str, Any]) -> str:
    """A recorded StartSyncExecution answer as AWS sent it: input and output are JSON text, dates epoch seconds."""
    answer = dict(recorded)
    for key in ("input", "output"):
        if key in answer:
            answer[key] = json.dumps(answer[key])
    for key in ("startDate", "stopDate"):
        answer[key] = 1_700_000_000.123
    return json.dumps(answer)


def _rendered(routes: list[Route], body: str) -> list[tuple[int, Any, dict[str, str], int]]:
    """What each route's response template answers for a StartSyncExecution answer: (status, document, headers,
    the route's own success status)."""
    request = HttpRequest("POST", "/orgs/acme/usage", {"orgId": "acme"}, {}, {}, "{}", "rid", "/orgs/{orgId}/usage")
    answers = []
    for route in routes:
        response = Gateway._integration_response(route.integration, request, 200, body)
        success = int(route.integration["responses"]["default"]["statusCode"])
        answers.append((response.status, json.loads(response.text()), response.headers, success))
    return answers


SYNC_ANSWERS = [case for case in CASES if case["kind"] == "sync"]


@pytest.mark.parametrize("case", SYNC_ANSWERS, ids=[case["id"].split("::")[-1] for case in SYNC_ANSWERS])
def test_the_response_template_reads_aws_recorded_start_sync_execution_answers(cloud, case):
    # Given StartSyncExecution's answer as AWS recorded it (every field it has)
    recorded = case["expected"]

    # When each route's response template maps it
    answers = _rendered(cloud.stack.routes, _as_sent(recorded))

    # Then a SUCCEEDED execution's output is the answer, with the route's own status; a FAILED one a JSON 500
    # naming its error
    for status, document, _, success in answers:
        if recorded["status"] == "SUCCEEDED":
            assert (status, document) == (success, recorded["output"])
        else:
            assert (status, document["code"]) == (500, "INTERNAL_ERROR")
            assert recorded["error"] in document["message"]


def _recorded_answer(status: str) -> dict[str, Any]:
    (answer,) = [case["expected"] for case in SYNC_ANSWERS if case["id"].endswith(f"test_base[BASE_{status}]")]
    return dict(answer)


def test_the_response_template_reads_the_workflows_own_answers_in_aws_shape(cloud):
    # Given AWS's recorded answers with the workflows' own outcomes in them: a denial the workflow answered, and its
    # Fail state's fault
    unavailable = _unavailable_fail()
    denied = _recorded_answer("PASS_RESULT") | {
        "output": {"code": "ORG_LIMIT_REACHED", "message": "the org's limit is reached", "httpStatus": 402}
    }
    failed = _recorded_answer("RAISE_FAILURE") | {"error": unavailable["Error"], "cause": unavailable["Cause"]}

    # When each route's response template maps them
    denials = _rendered(cloud.stack.routes, _as_sent(denied))
    faults = _rendered(cloud.stack.routes, _as_sent(failed))

    # Then the denial is answered with its own status and document, the fault 503 with Retry-After
    assert {(status, json.dumps(document)) for status, document, _, _ in denials} == {
        (402, json.dumps(denied["output"]))
    }
    assert {(status, document["code"], headers.get("Retry-After")) for status, document, headers, _ in faults} == {
        (503, "SERVICE_UNAVAILABLE", "1")
    }


def _unavailable_fail() -> dict[str, Any]:
    states: dict[str, Any] = json.loads((ROOT / "statemachines" / "use_credit.asl.json").read_text())["States"]
    return states["Unavailable"]
