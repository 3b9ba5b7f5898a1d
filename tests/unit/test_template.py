"""template.yaml is wired as deployed: every handler, workflow and route it names exists and is connected; each
role allows what its code calls and nothing more; the API stage logs every request and is throttled."""

from __future__ import annotations

import ast
import functools
import importlib
import inspect
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from emulator.template import REGION, ROOT, TEMPLATE_PATH, Stack, StateMachineSpec, load_stack, load_yaml

STACK: Stack = load_stack()
TEMPLATE: dict[str, Any] = load_yaml(TEMPLATE_PATH)
RESOURCES: dict[str, Any] = TEMPLATE["Resources"]
STATE_MACHINES = sorted(STACK.state_machines)
TABLE_ID = next(name for name, resource in RESOURCES.items() if resource["Type"] == "AWS::DynamoDB::Table")
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


# -- what a function's code can call ------------------------------------------------------------------------
# Read from the source, not declared: the handler's calls on the credit service, the service's calls on its ports,
# and the adapters' calls on their boto3 clients (TransactWriteItems by the kinds of item the method builds).


def _is_self(node: ast.AST) -> bool:
    return isinstance(node, ast.Name) and node.id == "self"


def _type_name(annotation: ast.AST | None) -> str | None:
    """The class an annotation names, when it is a bare name ("Table", or "Table" as a string)."""
    if isinstance(annotation, ast.Name):
        return annotation.id
    if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
        return annotation.value
    return None


@dataclass
class _Uses:
    calls: set[str] = field(default_factory=set)
    """Functions and methods called: "name" or "Class.name"."""
    client_calls: set[tuple[str, str]] = field(default_factory=set)
    """(attribute, method) on a client the source does not define, held by self or by an object of the source:
    ("_db", "query"), ("store", "release")."""
    item_kinds: set[str] = field(default_factory=set)
    """Kinds of transaction item built: "Put", "Update", "Delete", "ConditionCheck"."""
    indexes: set[str] = field(default_factory=set)


FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef


class _Source:
    """A module (or every module of a package) and one of its classes, with what each of the class's methods
    reaches through the functions and classes of the source. A call on an object is followed when its type is
    known: self, an attribute set in __init__ from a class of the source or from an annotated parameter, an
    annotated parameter, or a local variable assigned what a call of the source says it returns."""

    def __init__(self, path: str, class_name: str) -> None:
        files = sorted((ROOT / path).glob("*.py")) if (ROOT / path).is_dir() else [ROOT / path]
        self.class_name = class_name
        self.constants: dict[str, Any] = {}
        self.definitions: dict[str, FunctionNode] = {}
        self.owners: dict[str, str] = {}
        """Definition name -> the class it is a method of."""
        self.attributes: dict[str, dict[str, str]] = {}
        """Class -> attribute of self -> the class it holds (when known)."""
        for file in files:
            tree = ast.parse(file.read_text(encoding="utf-8"))
            for node in tree.body:
                if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
                    self.constants |= {
                        target.id: node.value.value for target in node.targets if isinstance(target, ast.Name)
                    }
                elif isinstance(node, FunctionNode):
                    self._define(node.name, node, owner=None)
                elif isinstance(node, ast.ClassDef):
                    self.attributes[node.name] = {}
                    for method in node.body:
                        if isinstance(method, FunctionNode):
                            self._define(f"{node.name}.{method.name}", method, owner=node.name)
        assert class_name in self.attributes, f"{path} defines no class {class_name}"
        for cls in self.attributes:
            if f"{cls}.__init__" in self.definitions:
                self.attributes[cls] = self._attributes_set(self.definitions[f"{cls}.__init__"], cls)

    def _define(self, name: str, node: FunctionNode, owner: str | None) -> None:
        # Followed by name: two functions of a package with one name would make the analysis guess.
        assert name not in self.definitions, f"two definitions of {name}: the analysis cannot tell which is called"
        self.definitions[name] = node
        if owner is not None:
            self.owners[name] = owner

    def _attributes_set(self, init: FunctionNode, cls: str) -> dict[str, str]:
        found: dict[str, str] = {}
        locals_ = self._local_types(init, cls, attributes={})
        for node in ast.walk(init):
            if isinstance(node, ast.Assign) and len(node.targets) == 1:
                target = node.targets[0]
                if isinstance(target, ast.Attribute) and _is_self(target.value):
                    held = self._type_of(node.value, cls, locals_, found)
                    if held is not None:
                        found[target.attr] = held
        return found

    def _local_types(self, function: FunctionNode, cls: str | None, attributes: dict[str, str]) -> dict[str, str]:
        arguments = function.args.posonlyargs + function.args.args + function.args.kwonlyargs
        types = {arg.arg: name for arg in arguments if (name := _type_name(arg.annotation)) is not None}
        if cls is not None and arguments and arguments[0].arg == "self":
            types["self"] = cls
        for node in ast.walk(function):
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                held = self._type_of(node.value, cls, types, attributes)
                if held is not None:
                    types[node.targets[0].id] = held
        return types

    def _type_of(
        self, node: ast.AST, cls: str | None, locals_: dict[str, str], attributes: dict[str, str]
    ) -> str | None:
        """The class of the source an expression's value is an instance of, when the code says."""
        if isinstance(node, ast.Name):
            return locals_.get(node.id)
        if isinstance(node, ast.Attribute) and _is_self(node.value) and cls is not None:
            return attributes.get(node.attr)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            if node.func.id in self.attributes:
                return node.func.id
            called = self.definitions.get(node.func.id)
            return None if called is None else _type_name(called.returns)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = self._type_of(node.func.value, cls, locals_, attributes)
            called = self.definitions.get(f"{owner}.{node.func.attr}")
            return None if called is None else _type_name(called.returns)
        return None

    def _direct(self, name: str) -> _Uses:
        function, cls = self.definitions[name], self.owners.get(name)
        attributes = self.attributes.get(cls, {}) if cls is not None else {}
        locals_ = self._local_types(function, cls, attributes)
        uses = _Uses()
        for child in ast.walk(function):
            if isinstance(child, ast.Call) and isinstance(child.func, ast.Name):
                uses.calls.add(child.func.id)
            elif isinstance(child, ast.Call) and isinstance(child.func, ast.Attribute):
                owner, method = child.func.value, child.func.attr
                if f"{self._type_of(owner, cls, locals_, attributes)}.{method}" in self.definitions:
                    uses.calls.add(f"{self._type_of(owner, cls, locals_, attributes)}.{method}")
                elif isinstance(owner, ast.Attribute) and (
                    _is_self(owner.value) or self._type_of(owner.value, cls, locals_, attributes) is not None
                ):
                    # self._db.query(...), or deps.store.release(...) on an object of the source.
                    uses.client_calls.add((owner.attr, method))
            elif isinstance(child, ast.Dict):
                for key, value in zip(child.keys, child.values, strict=True):
                    if isinstance(key, ast.Constant) and key.value in TRANSACTION_ITEM_ACTIONS:
                        uses.item_kinds.add(key.value)
                    if isinstance(key, ast.Constant) and key.value == "IndexName":
                        uses.indexes.add(self._string(value))
            elif isinstance(child, ast.keyword) and child.arg == "IndexName":
                uses.indexes.add(self._string(child.value))
        return uses

    def _string(self, node: ast.AST) -> str:
        if isinstance(node, ast.Name):
            return str(self.constants[node.id])
        assert isinstance(node, ast.Constant), ast.dump(node)
        return str(node.value)

    def reached(self, method: str) -> _Uses:
        """What the class's `method` and everything of the source it calls use, together."""
        total, seen, pending = _Uses(), set(), [f"{self.class_name}.{method}"]
        while pending:
            name = pending.pop()
            if name in seen or name not in self.definitions:
                continue
            seen.add(name)
            uses = self._direct(name)
            total.client_calls |= uses.client_calls
            total.item_kinds |= uses.item_kinds
            total.indexes |= uses.indexes
            pending.extend(uses.calls)
        return total


def _action(service: str, operation: str) -> str:
    return f"{service}:" + "".join(word.capitalize() for word in operation.split("_"))


@functools.cache
def _store_method_grants(method: str) -> frozenset[Grant]:
    """What one DynamoCreditStore method's requests need (the package's client is self._db of its Table)."""
    uses = _Source("adapters/dynamodb", "DynamoCreditStore").reached(method)
    grants: set[Grant] = set()
    for client, operation in uses.client_calls:
        if client != "_db":
            continue
        if operation == "transact_write_items":
            grants |= {(TRANSACTION_ITEM_ACTIONS[kind], TABLE_ID) for kind in uses.item_kinds}
        elif operation == "query" and uses.indexes:
            grants |= {("dynamodb:Query", f"{TABLE_ID}/index/{index}") for index in uses.indexes}
        else:
            grants.add((_action("dynamodb", operation), TABLE_ID))
    return frozenset(grants)


@functools.cache
def _notifier_method_grants(method: str) -> frozenset[Grant]:
    """What one SnsNotifier method's requests need (its client is self._sns, on the alerts topic)."""
    uses = _Source("adapters/sns.py", "SnsNotifier").reached(method)
    return frozenset((_action("sns", op), STACK.topic_name) for client, op in uses.client_calls if client == "_sns")


PORT_ADAPTERS = {"store": _store_method_grants, "notifier": _notifier_method_grants}
"""The use cases' ports (domain/services/dependencies.py) and what adapters/runtime.py plugs into them (a test
below checks that wiring)."""


@functools.cache
def _service_method_grants(method: str) -> frozenset[Grant]:
    uses = _Source("domain/services", "CreditService").reached(method)
    grants: set[Grant] = set()
    for port, port_method in uses.client_calls:
        if port in PORT_ADAPTERS:
            grants |= PORT_ADAPTERS[port](port_method)
    return frozenset(grants)


def _handler_path(function: str) -> Path:
    return ROOT / (STACK.functions[function].handler.rpartition(".")[0].replace(".", "/") + ".py")


def code_grants(function: str) -> set[Grant]:
    """What the function's code can ask of DynamoDB and SNS: each credit-service method its handler calls
    (`service.<method>(...)`), followed down to the boto3 requests."""
    tree = ast.parse(_handler_path(function).read_text(encoding="utf-8"))
    methods = {
        node.func.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == "service"
    }
    return set().union(*(_service_method_grants(method) for method in methods))


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


@pytest.mark.parametrize("machine", STATE_MACHINES)
def test_every_state_machine_is_express(machine: str) -> None:
    assert STACK.state_machines[machine].workflow_type == "EXPRESS"


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
    assert logging["Level"] == ("ERROR" if machine in _reads() else "ALL")
    assert logging["IncludeExecutionData"] is True
    groups = [
        destination["CloudWatchLogsLogGroup"]["LogGroupArn"]["Fn::GetAtt"][0] for destination in logging["Destinations"]
    ]
    assert len(groups) == 1, f"{machine} logs to {groups}"
    _kept_as_the_parameter_says(groups[0])
    # Step Functions' vended-logs prefix keeps CloudWatch's resource policy from growing with each machine.
    assert _properties(groups[0])["LogGroupName"]["Fn::Sub"].startswith("/aws/vendedlogs/states/")


def test_the_decisions_are_logged_in_full_and_the_reads_are_the_four_get_routes() -> None:
    assert _reads() == {
        "GetBalanceStateMachine",
        "ListUsageStateMachine",
        "GetUsageEntryStateMachine",
        "ListTopUpsStateMachine",
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
def test_every_function_role_allows_exactly_the_table_and_topic_actions_its_code_can_make(function: str) -> None:
    # Given what the function's code can ask of DynamoDB and SNS, read from its handler down to the boto3 calls
    needed = code_grants(function)

    # When the template's Policies for its role are read
    allowed = role_grants(function)

    # Then they allow all of it (nothing the code does is refused) and nothing else
    assert _table_and_topic_grants(allowed) == needed, (
        f"missing {sorted(needed - allowed)}, never needed {sorted(allowed - needed)}"
    )
    assert allowed == _table_and_topic_grants(allowed), "a grant on neither the table nor the topic"


@pytest.mark.parametrize("function", FUNCTIONS)
def test_no_function_has_a_crud_wide_policy_template_or_a_wildcard_action(function: str) -> None:
    policies = _properties(function).get("Policies", [])
    templates = {name for policy in policies if isinstance(policy, dict) for name in policy}

    assert not templates & WIDE_POLICY_TEMPLATES
    assert [action for action, _ in role_grants(function) if "*" in action] == []
    assert [grant for grant in role_grants(function) if grant[1] == "*"] == []


def test_the_validate_step_has_no_table_access_and_its_code_opens_no_store() -> None:
    # Given the first step of the saga, which only checks the request and fixes the decision time
    tree = ast.parse(_handler_path("ValidateFunction").read_text(encoding="utf-8"))
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}

    # Then neither its role nor its imports reach DynamoDB or SNS
    assert role_grants("ValidateFunction") == set()
    assert not imported & {"adapters.runtime", "adapters.dynamodb", "adapters.sns", "boto3"}


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


def test_the_code_reaches_aws_only_through_the_composition_root_this_analysis_follows() -> None:
    # The grants read from the code are complete only if every AWS call goes through the credit service's ports,
    # wired in adapters/runtime.py to the DynamoDB store and the SNS notifier.
    importing_boto3 = [
        str(path.relative_to(ROOT))
        for path in sorted((ROOT / "functions").rglob("*.py")) + sorted((ROOT / "domain").rglob("*.py"))
        if re.search(r"^\s*(import|from)\s+boto3\b", path.read_text(encoding="utf-8"), re.MULTILINE)
    ]
    runtime = (ROOT / "adapters" / "runtime.py").read_text(encoding="utf-8")

    assert importing_boto3 == []
    assert "DynamoCreditStore(" in runtime
    assert "SnsNotifier(" in runtime
    assert "CreditService(store, clock or SystemClock(), notifier)" in runtime


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
