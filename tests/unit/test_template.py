"""template.yaml is wired as deployed: every handler, workflow and route it names exists and is connected."""

from __future__ import annotations

import importlib
import inspect
import json
import os
import re
from typing import Any

import pytest

from emulator.template import REGION, ROOT, TEMPLATE_PATH, Stack, StateMachineSpec, load_stack, load_yaml

STACK: Stack = load_stack()
TEMPLATE: dict[str, Any] = load_yaml(TEMPLATE_PATH)
RESOURCES: dict[str, Any] = TEMPLATE["Resources"]
STATE_MACHINES = sorted(STACK.state_machines)
FUNCTIONS = sorted(STACK.functions)
PLACEHOLDER = re.compile(r"\$\{([^}]+)\}")
STATE_MACHINE_ARN = re.compile(r'"stateMachineArn":\s*"([^"]+)"')


def _properties(logical_id: str) -> dict[str, Any]:
    properties: dict[str, Any] = RESOURCES[logical_id]["Properties"]
    return properties


def _tasks(spec: StateMachineSpec) -> list[dict[str, Any]]:
    return [state for state in json.loads(spec.definition)["States"].values() if state["Type"] == "Task"]


def _invoke_policies(machine: str) -> set[str]:
    return {
        policy["LambdaInvokePolicy"]["FunctionName"]["Ref"]
        for policy in _properties(machine).get("Policies", [])
        if isinstance(policy, dict) and "LambdaInvokePolicy" in policy
    }


def _started_machine(route: Any) -> str:
    template = route.integration["requestTemplates"]["application/json"]
    found = STATE_MACHINE_ARN.search(template)
    assert found is not None, f"{route.method} {route.path}: the request template names no state machine"
    return found.group(1)


# -- functions ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("function", FUNCTIONS)
def test_every_function_handler_imports_and_takes_only_an_event_and_a_context(
    function: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the environment the template gives the function (and the region Lambda sets)
    spec = STACK.functions[function]
    for name, value in (spec.environment | {"AWS_DEFAULT_REGION": REGION}).items():
        if name not in os.environ:
            monkeypatch.setenv(name, value)

    # When the runtime loads the handler the template names
    module_name, _, attribute = spec.handler.rpartition(".")
    handler = getattr(importlib.import_module(module_name), attribute, None)

    # Then it is a function of (event, context)
    assert callable(handler), f"{spec.handler} is not a callable in {module_name}"
    assert list(inspect.signature(handler).parameters) == ["event", "context"]


def test_every_handler_module_of_the_source_tree_is_deployed() -> None:
    deployed = {STACK.functions[name].handler.rpartition(".")[0] for name in FUNCTIONS}
    on_disk = {".".join(path.relative_to(ROOT).with_suffix("").parts) for path in (ROOT / "functions").glob("*/app.py")}

    assert on_disk == deployed


# -- state machines ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("machine", STATE_MACHINES)
def test_every_definition_substitution_is_filled_in(machine: str) -> None:
    properties = _properties(machine)
    raw_definition = (ROOT / properties["DefinitionUri"]).read_text(encoding="utf-8")

    placeholders = set(PLACEHOLDER.findall(raw_definition))

    assert "${" not in STACK.state_machines[machine].definition
    assert placeholders == set(properties.get("DefinitionSubstitutions", {})), "unused or missing substitutions"


@pytest.mark.parametrize("machine", STATE_MACHINES)
def test_every_task_invokes_a_function_of_the_stack_that_the_state_machine_may_invoke(machine: str) -> None:
    spec = STACK.state_machines[machine]
    function_by_arn = {function.arn: name for name, function in STACK.functions.items()}

    invoked = {function_by_arn.get(task["Resource"], task["Resource"]) for task in _tasks(spec)}

    assert invoked, f"{machine} runs no task"
    assert invoked <= set(FUNCTIONS), f"{machine} invokes functions the stack lacks: {invoked - set(FUNCTIONS)}"
    assert invoked == _invoke_policies(machine)


@pytest.mark.parametrize("machine", STATE_MACHINES)
def test_every_state_machine_is_express(machine: str) -> None:
    assert STACK.state_machines[machine].workflow_type == "EXPRESS"


@pytest.mark.parametrize("machine", STATE_MACHINES)
def test_every_state_machine_logs_every_step_with_its_data_to_a_log_group_of_the_stack(machine: str) -> None:
    logging = _properties(machine)["Logging"]

    assert logging["Level"] == "ALL"
    assert logging["IncludeExecutionData"] is True
    groups = [
        destination["CloudWatchLogsLogGroup"]["LogGroupArn"]["Fn::GetAtt"][0] for destination in logging["Destinations"]
    ]
    assert groups, f"{machine} logs nowhere"
    for group in groups:
        assert RESOURCES[group]["Type"] == "AWS::Logs::LogGroup"
        # Step Functions' vended-logs prefix keeps CloudWatch's resource policy from growing with each machine.
        assert _properties(group)["LogGroupName"]["Fn::Sub"].startswith("/aws/vendedlogs/states/")


@pytest.mark.parametrize("machine", STATE_MACHINES)
def test_every_state_machine_is_traced(machine: str) -> None:
    assert _properties(machine)["Tracing"]["Enabled"] is True


# -- the REST API ------------------------------------------------------------------------------------------


def test_every_route_starts_a_state_machine_synchronously() -> None:
    assert STACK.routes
    for route in STACK.routes:
        integration = route.integration
        assert integration["type"] == "aws", route.path
        assert integration["httpMethod"] == "POST", route.path
        assert integration["uri"].endswith(":states:action/StartSyncExecution"), route.path


def test_every_route_names_a_state_machine_of_the_stack_and_every_state_machine_has_one_route() -> None:
    arns = {spec.arn: name for name, spec in STACK.state_machines.items()}

    started = [_started_machine(route) for route in STACK.routes]

    assert [arn for arn in started if arn not in arns] == []
    assert sorted(arns[arn] for arn in started) == STATE_MACHINES


def test_the_api_may_start_exactly_the_state_machines_its_routes_name() -> None:
    role_statements = _properties("ApiRole")["Policies"][0]["PolicyDocument"]["Statement"]
    allowed = {
        resource["Ref"]
        for statement in role_statements
        if statement["Action"] == "states:StartSyncExecution"
        for resource in statement["Resource"]
    }
    arns = {spec.arn: name for name, spec in STACK.state_machines.items()}

    assert allowed == {arns[_started_machine(route)] for route in STACK.routes}


# -- notifications and metrics -----------------------------------------------------------------------------


@pytest.mark.parametrize("function", FUNCTIONS)
def test_every_function_names_the_metrics_namespace_and_service(function: str) -> None:
    # Powertools refuses to flush a metric without a namespace: a handler that counts would fail instead.
    environment = STACK.functions[function].environment

    assert environment.get("POWERTOOLS_METRICS_NAMESPACE")
    assert environment.get("POWERTOOLS_SERVICE_NAME") == "credits"


def test_the_notify_function_may_publish_to_the_topic_it_is_told_to_publish_to() -> None:
    policies = _properties("NotifyFunction")["Policies"]
    published_to = [
        policy["SNSPublishMessagePolicy"]["TopicName"]["Fn::GetAtt"]
        for policy in policies
        if isinstance(policy, dict) and "SNSPublishMessagePolicy" in policy
    ]
    told = TEMPLATE["Globals"]["Function"]["Environment"]["Variables"]["ALERTS_TOPIC_ARN"]

    assert published_to == [["AlertsTopic", "TopicName"]]
    assert told == {"Ref": "AlertsTopic"}
    assert RESOURCES["AlertsTopic"]["Type"] == "AWS::SNS::Topic"


# -- AWS's edges -------------------------------------------------------------------------------------------

TIMEOUT_NAMES = {"Sandbox.Timedout", "Lambda.Unknown", "States.Timeout", "Lambda.ClientExecutionTimeoutException"}
"""A function timeout reaches Step Functions as Sandbox.Timedout or Lambda.Unknown (both seen on AWS), a task's own
as States.Timeout; Lambda.ClientExecutionTimeoutException is Lambda's service timing out
(https://docs.aws.amazon.com/step-functions/latest/dg/bp-lambda-serviceexception.html)."""


@pytest.mark.parametrize("machine", STATE_MACHINES)
def test_every_retry_that_names_a_timeout_names_every_name_a_timeout_arrives_by(machine: str) -> None:
    incomplete = []
    for name, state in json.loads(STACK.state_machines[machine].definition)["States"].items():
        for retrier in state.get("Retry", []):
            names = set(retrier["ErrorEquals"])
            if names & TIMEOUT_NAMES and not (names >= TIMEOUT_NAMES or "States.ALL" in names):
                incomplete.append(f"{name}: lacks {sorted(TIMEOUT_NAMES - names)}")

    assert incomplete == []


def test_the_api_sets_its_openapi_version_so_sam_creates_no_extra_stage() -> None:
    document = load_yaml(ROOT / "api" / "openapi.yaml")

    assert _properties("CreditApi")["OpenApiVersion"] == document["openapi"]
