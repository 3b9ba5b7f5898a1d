"""template.yaml is wired as deployed: every handler, workflow and route it names exists and is connected; roles
grant nothing wide (what each function's role must allow, exactly, is tests/integration/test_permissions.py's, from
the requests the functions make); the API stage logs every request and is throttled."""

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
SCHEDULED = sorted(name for name, spec in STACK.state_machines.items() if spec.schedule_seconds is not None)
"""The workflows a schedule starts (the daily audit), not a route."""
API_MACHINES = [machine for machine in STATE_MACHINES if machine not in SCHEDULED]
TABLE_ID = next(name for name, resource in RESOURCES.items() if resource["Type"] == "AWS::DynamoDB::Table")
FUNCTIONS = sorted(STACK.functions)
PLACEHOLDER = re.compile(r"\$\{([^}]+)\}")
STATE_MACHINE_ARN = re.compile(r'"stateMachineArn":\s*"([^"]+)"')


def _properties(logical_id: str) -> dict[str, Any]:
    properties: dict[str, Any] = RESOURCES[logical_id]["Properties"]
    return properties


def _states(states: dict[str, Any]) -> list[dict[str, Any]]:
    """Every state, those of a Map's item processor included."""
    found = []
    for state in states.values():
        found.append(state)
        processor = state.get("ItemProcessor") or state.get("Iterator")
        if processor is not None:
            found += _states(processor["States"])
    return found


def _tasks(spec: StateMachineSpec) -> list[dict[str, Any]]:
    return [state for state in _states(json.loads(spec.definition)["States"]) if state["Type"] == "Task"]


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


# -- what a role allows ------------------------------------------------------------------------------------

Grant = tuple[str, str]
"""(IAM action, resource), the resource named by the template's logical id: "CreditTable",
"CreditTable/index/ReservedIndex", "AlertsTopic", "ValidateFunction", or "*"."""

TRANSACTION_ITEM_ACTIONS = {
    "Put": "dynamodb:PutItem",
    "Update": "dynamodb:UpdateItem",
    "Delete": "dynamodb:DeleteItem",
    "ConditionCheck": "dynamodb:ConditionCheckItem",
}
"""What each item of a TransactWriteItems needs: no action of the transaction's own, but the action of the single-item
operation the item stands for, and dynamodb:ConditionCheckItem for a ConditionCheck ("Using IAM with DynamoDB
transactions", https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis-iam.html)."""

READ_ACTIONS = frozenset({"dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:Scan"})
WIDE_POLICY_TEMPLATES = frozenset({"DynamoDBCrudPolicy", "DynamoDBWritePolicy", "DynamoDBReadPolicy"})
"""SAM's table-wide templates: every read (and write) action on the table and all its indexes."""


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _resource(value: Any) -> str:
    """A statement's Resource as the logical id it names ("*" stays "*")."""
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        name, _attribute = value["Fn::GetAtt"]
        return str(name)
    if isinstance(value, dict) and isinstance(value.get("Fn::Sub"), str):
        return re.sub(r"\$\{(\w+)\.Arn\}", r"\1", value["Fn::Sub"])
    if isinstance(value, dict) and "Ref" in value:
        return str(value["Ref"])
    assert isinstance(value, str), f"a Resource this test cannot read: {value}"
    return value


def _statement_grants(statements: list[dict[str, Any]]) -> set[Grant]:
    grants: set[Grant] = set()
    for statement in statements:
        assert statement["Effect"] == "Allow", statement
        grants |= {
            (action, _resource(resource))
            for action in _listed(statement["Action"])
            for resource in _listed(statement["Resource"])
        }
    return grants


def role_grants(logical_id: str) -> set[Grant]:
    """What the Policies of a function or state machine allow. SAM's X-Ray and basic-execution managed policies,
    which SAM attaches itself, are not in the template and not counted."""
    grants: set[Grant] = set()
    for policy in _properties(logical_id).get("Policies", []):
        if isinstance(policy, dict) and "Statement" in policy:
            grants |= _statement_grants(policy["Statement"])
        elif isinstance(policy, dict) and "SNSPublishMessagePolicy" in policy:  # sns:Publish on that topic
            grants.add(("sns:Publish", _resource(policy["SNSPublishMessagePolicy"]["TopicName"])))
        elif isinstance(policy, dict) and "LambdaInvokePolicy" in policy:  # lambda:InvokeFunction on that function
            grants.add(("lambda:InvokeFunction", policy["LambdaInvokePolicy"]["FunctionName"]["Ref"]))
        elif isinstance(policy, dict) and RESOURCES.get(policy.get("Ref"), {}).get("Type") == "AWS::IAM::ManagedPolicy":
            grants |= _statement_grants(_properties(policy["Ref"])["PolicyDocument"]["Statement"])
        else:
            raise AssertionError(f"{logical_id}: a policy this test cannot read (and cannot vouch for): {policy}")
    return grants


def _table_and_topic_grants(grants: set[Grant]) -> set[Grant]:
    return {grant for grant in grants if grant[0].startswith(("dynamodb:", "sns:"))}


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


@pytest.mark.parametrize("machine", API_MACHINES)
def test_every_state_machine_a_route_starts_is_express(machine: str) -> None:
    assert STACK.state_machines[machine].workflow_type == "EXPRESS"


def test_the_scheduled_workflow_is_the_daily_audit_a_standard_one() -> None:
    # A pass over every org may outlast an Express workflow's 5 minutes; no route starts it
    assert SCHEDULED == ["AuditEveryOrgStateMachine"]
    spec = STACK.state_machines["AuditEveryOrgStateMachine"]
    assert (spec.workflow_type, spec.schedule_seconds) == ("STANDARD", 86400)


def _reads() -> set[str]:
    """The state machines GET routes start: they read and decide nothing."""
    arns = {spec.arn: name for name, spec in STACK.state_machines.items()}
    return {arns[_started_machine(route)] for route in STACK.routes if route.method == "GET"}


def _kept_as_the_parameter_says(group: str) -> None:
    assert RESOURCES[group]["Type"] == "AWS::Logs::LogGroup"
    assert _properties(group)["RetentionInDays"] == {"Ref": "LogRetentionDays"}
    assert RESOURCES[group].get("DeletionPolicy", "Delete") == "Delete", f"{group} would outlive the stack"


@pytest.mark.parametrize("machine", STATE_MACHINES)
def test_every_state_machine_logs_to_a_log_group_of_the_stack_kept_as_the_parameter_says(machine: str) -> None:
    logging = _properties(machine)["Logging"]

    # A workflow that decides logs every step with its data (the Step Functions console shows an Express
    # execution from its logs); a read logs only its failures.
    assert logging["Level"] == ("ERROR" if machine in _reads() or machine in SCHEDULED else "ALL")
    assert logging["IncludeExecutionData"] is True
    groups = [
        destination["CloudWatchLogsLogGroup"]["LogGroupArn"]["Fn::GetAtt"][0] for destination in logging["Destinations"]
    ]
    assert len(groups) == 1, f"{machine} logs to {groups}"
    _kept_as_the_parameter_says(groups[0])
    # Step Functions' vended-logs prefix keeps CloudWatch's resource policy from growing with each machine.
    assert _properties(groups[0])["LogGroupName"]["Fn::Sub"].startswith("/aws/vendedlogs/states/")


def test_the_decisions_are_logged_in_full_and_the_reads_are_the_five_get_routes() -> None:
    assert _reads() == {
        "GetBalanceStateMachine",
        "ListUsageStateMachine",
        "GetUsageEntryStateMachine",
        "ListTopUpsStateMachine",
        "AuditBooksStateMachine",
    }


@pytest.mark.parametrize("function", FUNCTIONS)
def test_every_function_logs_to_a_log_group_of_the_stack_kept_as_the_parameter_says(function: str) -> None:
    # Without LoggingConfig Lambda creates /aws/lambda/<name> at the first invocation: kept for ever, and left
    # behind when the stack is deleted.
    group = _properties(function)["LoggingConfig"]["LogGroup"]["Ref"]
    _kept_as_the_parameter_says(group)
    assert _properties(group)["LogGroupName"] == {
        "Fn::Sub": f"/aws/lambda/${{AWS::StackName}}-{function.removesuffix('Function')}"
    }


def test_every_log_group_of_the_stack_expires_and_no_two_functions_or_workflows_share_one() -> None:
    groups = [name for name, resource in RESOURCES.items() if resource["Type"] == "AWS::Logs::LogGroup"]
    used = [_properties(function)["LoggingConfig"]["LogGroup"]["Ref"] for function in FUNCTIONS] + [
        _properties(machine)["Logging"]["Destinations"][0]["CloudWatchLogsLogGroup"]["LogGroupArn"]["Fn::GetAtt"][0]
        for machine in STATE_MACHINES
    ]

    assert all("RetentionInDays" in _properties(group) for group in groups)
    assert len(used) == len(set(used))
    assert set(groups) == {*used, "ApiAccessLogs"}


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
    assert sorted(arns[arn] for arn in started) == API_MACHINES


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


# -- least privilege -----------------------------------------------------------------------------------------

STATE_MACHINE_LOG_DELIVERY = frozenset(
    {
        "logs:CreateLogDelivery",
        "logs:CreateLogStream",
        "logs:GetLogDelivery",
        "logs:UpdateLogDelivery",
        "logs:DeleteLogDelivery",
        "logs:ListLogDeliveries",
        "logs:PutLogEvents",
        "logs:PutResourcePolicy",
        "logs:DescribeResourcePolicies",
        "logs:DescribeLogGroups",
    }
)
"""What a state machine's role needs to log to CloudWatch Logs, on "*" ("IAM policies for logging to CloudWatch
Logs", https://docs.aws.amazon.com/step-functions/latest/dg/cw-logs.html)."""


@pytest.mark.parametrize("function", FUNCTIONS)
def test_no_function_has_a_crud_wide_policy_template_or_a_wildcard_action(function: str) -> None:
    policies = _properties(function).get("Policies", [])
    templates = {name for policy in policies if isinstance(policy, dict) for name in policy}

    assert not templates & WIDE_POLICY_TEMPLATES
    assert [action for action, _ in role_grants(function) if "*" in action] == []
    assert [grant for grant in role_grants(function) if grant[1] == "*"] == []


def test_the_validate_step_may_reach_neither_the_table_nor_the_topic() -> None:
    # The first step of the saga only checks the request and fixes the decision time (tests/integration/
    # test_permissions.py sees that it makes no request at all)
    assert role_grants("ValidateFunction") == set()


def test_the_balance_query_may_only_read() -> None:
    actions = {action for action, _ in role_grants("GetBalanceFunction")}

    assert actions
    assert actions <= READ_ACTIONS, sorted(actions - READ_ACTIONS)


def test_only_the_notify_step_may_publish_and_only_to_the_alerts_topic() -> None:
    topics = {
        function: {resource for action, resource in role_grants(function) if action.startswith("sns:")}
        for function in FUNCTIONS
    }

    publishers = {function: published_to for function, published_to in topics.items() if published_to}

    assert publishers == {"NotifyFunction": {"AlertsTopic"}}


@pytest.mark.parametrize("machine", STATE_MACHINES)
def test_a_state_machine_may_invoke_its_own_functions_and_deliver_its_logs_and_nothing_else(machine: str) -> None:
    # Given the functions its definition invokes
    function_by_arn = {function.arn: name for name, function in STACK.functions.items()}
    invoked = {function_by_arn[task["Resource"]] for task in _tasks(STACK.state_machines[machine])}

    # When its role's grants are read
    grants = role_grants(machine)

    # Then it may invoke those functions, and log as Step Functions documents; nothing more
    assert {resource for action, resource in grants if action == "lambda:InvokeFunction"} == invoked
    others = {grant for grant in grants if grant[0] != "lambda:InvokeFunction"}
    assert others == {(action, "*") for action in STATE_MACHINE_LOG_DELIVERY}


def test_no_role_of_the_stack_uses_a_full_access_managed_policy() -> None:
    def strings(value: Any) -> list[str]:
        if isinstance(value, dict):
            return [text for item in value.values() for text in strings(item)]
        if isinstance(value, list):
            return [text for item in value for text in strings(item)]
        return [value] if isinstance(value, str) else []

    attached = [
        text
        for resource in RESOURCES.values()
        for key in ("Policies", "ManagedPolicyArns")
        for text in strings(resource.get("Properties", {}).get(key, []))
    ]

    assert [text for text in attached if "FullAccess" in text] == []


# -- the API stage -------------------------------------------------------------------------------------------

ACCESS_LOG_VARIABLES = {
    "$context.requestId",
    "$context.identity.sourceIp",
    "$context.identity.caller",
    "$context.identity.userArn",
    "$context.httpMethod",
    "$context.resourcePath",
    "$context.status",
    "$context.responseLength",
    "$context.responseLatency",
    "$context.integration.status",
    "$context.integration.latency",
}
"""Who called, what, and how it went (API Gateway's access-logging variables, https://docs.aws.amazon.com/
apigateway/latest/developerguide/api-gateway-variables-for-access-logging.html)."""


def test_the_api_stage_writes_one_json_line_per_request_to_its_own_log_group() -> None:
    # Given the stage's access-log setting
    setting = _properties("CreditApi")["AccessLogSetting"]

    # When its format is read as API Gateway fills it in (every value quoted, so it stays JSON)
    record = json.loads(setting["Format"])

    # Then it names who called and how the request went, into a log group of the stack kept as the parameter says
    assert set(record.values()) >= ACCESS_LOG_VARIABLES, sorted(ACCESS_LOG_VARIABLES - set(record.values()))
    assert all(isinstance(value, str) and value.startswith("$context.") for value in record.values())
    group = setting["DestinationArn"]["Fn::GetAtt"][0]
    assert RESOURCES[group]["Type"] == "AWS::Logs::LogGroup"
    assert _properties(group)["RetentionInDays"] == {"Ref": "ApiAccessLogRetentionDays"}
    assert TEMPLATE["Parameters"]["ApiAccessLogRetentionDays"]["Default"] == "90"


def test_every_route_of_the_stage_is_throttled_as_the_template_parameters_say() -> None:
    settings = _properties("CreditApi")["MethodSettings"]
    every_route = [setting for setting in settings if (setting["ResourcePath"], setting["HttpMethod"]) == ("/*", "*")]

    assert len(every_route) == 1
    assert every_route[0]["ThrottlingRateLimit"] == {"Ref": "ApiThrottlingRateLimit"}
    assert every_route[0]["ThrottlingBurstLimit"] == {"Ref": "ApiThrottlingBurstLimit"}
    parameters = TEMPLATE["Parameters"]
    # The burst admits the 150 simultaneous enquiries the concurrency tests send (tests/http/test_concurrency.py).
    assert int(parameters["ApiThrottlingBurstLimit"]["Default"]) >= 150
    assert int(parameters["ApiThrottlingRateLimit"]["Default"]) > 0


def test_the_account_wide_cloudwatch_role_is_set_only_when_asked_and_before_the_stage() -> None:
    # Given the API Gateway account setting (one per account and Region) the stack may set
    account = RESOURCES["ApiGatewayAccount"]
    settled = RESOURCES["ApiGatewayAccountSettled"]

    # Then it exists only when the parameter asks for it (not by default), outlives the stack with its role,
    # and the API waits for it when it exists
    assert TEMPLATE["Parameters"]["CreateApiGatewayAccountRole"]["Default"] == "false"
    assert TEMPLATE["Conditions"]["CreatesApiGatewayAccountRole"] == {
        "Fn::Equals": [{"Ref": "CreateApiGatewayAccountRole"}, "true"]
    }
    assert account["Condition"] == RESOURCES["ApiGatewayCloudWatchRole"]["Condition"] == "CreatesApiGatewayAccountRole"
    assert account["DeletionPolicy"] == RESOURCES["ApiGatewayCloudWatchRole"]["DeletionPolicy"] == "Retain"
    assert settled["Metadata"]["ApiGatewayAccount"] == {
        "Fn::If": ["CreatesApiGatewayAccountRole", {"Ref": "ApiGatewayAccount"}, ""]
    }
    assert RESOURCES["CreditApi"]["DependsOn"] == "ApiGatewayAccountSettled"


# -- checkov's suppressions ----------------------------------------------------------------------------------


def test_every_checkov_suppression_names_one_check_and_says_why_it_does_not_apply() -> None:
    skips = [
        (name, skip)
        for name, resource in RESOURCES.items()
        for skip in resource.get("Metadata", {}).get("checkov", {}).get("skip", [])
    ]

    assert skips
    for name, skip in skips:
        assert re.fullmatch(r"CKV2?_AWS_\d+", skip["id"]), (name, skip)
        assert len(skip.get("comment", "").split()) >= 8, (name, skip)


def test_the_table_cannot_be_replaced_or_deleted_by_an_update() -> None:
    # Given the table as the template declares it
    table = RESOURCES[TABLE_ID]

    # Then it has a name of its own, so CloudFormation refuses an update that would replace it (a custom-named
    # resource cannot be replaced) rather than starting the service on an empty table; nobody can delete it while
    # deletion protection is on; and the stack's own deletion or a replacement would retain it
    assert table["Properties"]["TableName"] == {"Ref": "AWS::StackName"}
    assert table["Properties"]["DeletionProtectionEnabled"] is True
    assert (table["DeletionPolicy"], table["UpdateReplacePolicy"]) == ("Retain", "Retain")
    assert STACK.table_name == "credits-local"  # the emulator names it as the template does
