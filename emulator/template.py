"""Reads template.yaml: the one description of the service's wiring, for the emulator and the tests alike.

Understands the CloudFormation short-form tags and resolves the intrinsic functions the template uses
(Ref, GetAtt, Sub, If/Not/Equals on parameters) to the names and ARNs the emulated account gives them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ACCOUNT_ID = "123456789012"
REGION = "eu-west-2"
PARTITION = "aws"
STACK_NAME = "credits-local"

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE_PATH = ROOT / "template.yaml"


class _Tag:
    def __init__(self, name: str, value: Any) -> None:
        self.name = name
        self.value = value


class _CfnLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """SafeLoader's rules with libyaml's parser where PyYAML has it (its wheels do): the same documents, ten times
    faster (the tests load the stack a dozen times in each process)."""


def _tag_constructor(loader: yaml.SafeLoader, tag_suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = "Ref" if tag_suffix == "Ref" else f"Fn::{tag_suffix}"
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
        if tag_suffix == "GetAtt":
            value = str(value).split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        assert isinstance(node, yaml.MappingNode)
        value = loader.construct_mapping(node, deep=True)
    return {name: value}


_CfnLoader.add_multi_constructor("!", _tag_constructor)


def load_yaml(path: Path) -> Any:
    return parse_yaml(path.read_text(encoding="utf-8"))


def parse_yaml(text: str) -> Any:
    return yaml.load(text, Loader=_CfnLoader)  # noqa: S506  # SafeLoader subclass with CFN tags only


@dataclass(frozen=True)
class FunctionSpec:
    logical_id: str
    handler: str
    environment: dict[str, str]
    timeout_seconds: float = 3.0
    schedule_seconds: float | None = None
    """The rate of its Schedule event, if it has one."""

    @property
    def arn(self) -> str:
        return f"arn:{PARTITION}:lambda:{REGION}:{ACCOUNT_ID}:function:{self.logical_id}"


@dataclass(frozen=True)
class StateMachineSpec:
    logical_id: str
    definition: str
    workflow_type: str
    schedule_seconds: float | None = None
    """The rate of its Schedule event, if it has one."""

    @property
    def arn(self) -> str:
        return f"arn:{PARTITION}:states:{REGION}:{ACCOUNT_ID}:stateMachine:{self.logical_id}"


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    integration: dict[str, Any]
    pattern: re.Pattern[str] = field(compare=False)
    authorization: str = "NONE"
    """AWS_IAM when the operation requires a SigV4 signature (its security scheme's authtype is awsSigv4)."""

    def match(self, method: str, path: str) -> dict[str, str] | None:
        if method.upper() != self.method:
            return None
        found = self.pattern.match(path)
        return None if found is None else found.groupdict()


@dataclass
class Stack:
    resources: dict[str, Any]
    functions: dict[str, FunctionSpec]
    state_machines: dict[str, StateMachineSpec]
    routes: list[Route]
    table: dict[str, Any]
    table_name: str
    topic_names: list[str]
    """Every SNS topic (AlertsTopic for customer success, OperationsTopic for the alarms)."""
    gateway_responses: dict[str, Any] = field(default_factory=dict)
    stage_throttle: StageThrottle | None = None
    """The stage's throttle on each method, when it has one."""
    api_name: str = ""
    """The REST API's name: the ApiName dimension of its metrics."""
    stage_name: str = ""
    """The API's stage (StageName): $context.stage, and the Stage dimension of its metrics."""
    alarms: list[dict[str, Any]] = field(default_factory=list)
    """Each AWS::CloudWatch::Alarm's Properties, resolved (emulator/alarms.py evaluates them)."""


@dataclass(frozen=True)
class StageThrottle:
    """A stage's MethodSettings throttle: "applied at the API method level" (API Gateway, "Throttle requests to your
    REST APIs"), so each method of each resource has a bucket of its own."""

    rate: float
    """Requests a second, steady."""
    burst: float
    """The bucket's size: requests at once."""


def _stage_throttle(settings: list[dict[str, Any]]) -> StageThrottle | None:
    throttles = [setting for setting in settings if {"ThrottlingRateLimit", "ThrottlingBurstLimit"} & set(setting)]
    if not throttles:
        return None
    (setting,) = throttles
    if (setting.get("ResourcePath"), setting.get("HttpMethod")) != ("/*", "*"):
        raise ValueError(f"the emulator throttles every method alike (/* and *), not {setting}")
    return StageThrottle(float(setting["ThrottlingRateLimit"]), float(setting["ThrottlingBurstLimit"]))


class Resolver:
    """Evaluates intrinsic functions against the emulated account."""

    def __init__(self, template: dict[str, Any], parameters: dict[str, str] | None = None) -> None:
        self.template = template
        self.resources: dict[str, Any] = template.get("Resources", {})
        declared = template.get("Parameters", {})
        unknown = set(parameters or {}) - set(declared)
        if unknown:
            raise KeyError(f"template.yaml declares no parameter {sorted(unknown)}")
        self.parameters = {name: str(spec.get("Default", "")) for name, spec in declared.items()} | (parameters or {})
        for name, value in self.parameters.items():
            allowed = declared[name].get("AllowedValues")
            if allowed is not None and value not in allowed:  # CloudFormation refuses such a stack too
                raise ValueError(f"template parameter {name} must be one of {', '.join(allowed)}, not {value!r}")

    def ref(self, name: str) -> str:
        pseudo = {
            "AWS::Region": REGION,
            "AWS::AccountId": ACCOUNT_ID,
            "AWS::Partition": PARTITION,
            "AWS::StackName": STACK_NAME,
            "AWS::StackId": f"arn:{PARTITION}:cloudformation:{REGION}:{ACCOUNT_ID}:stack/{STACK_NAME}/local",
            "AWS::URLSuffix": "amazonaws.com",
        }
        if name in pseudo:
            return pseudo[name]
        if name in self.parameters:
            return self.parameters[name]
        kind = self.resources[name]["Type"]
        if kind == "AWS::Serverless::StateMachine":
            return StateMachineSpec(name, "", "").arn
        if kind == "AWS::DynamoDB::Table" and "TableName" in self.resources[name].get("Properties", {}):
            return str(self.resolve(self.resources[name]["Properties"]["TableName"]))  # the name the template gives
        if kind == "AWS::SNS::Topic":
            return f"arn:{PARTITION}:sns:{REGION}:{ACCOUNT_ID}:{name}"
        return name  # functions, log groups, roles (and a table with no TableName): named by the logical id here

    def get_att(self, name: str, attribute: str) -> str:
        kind = self.resources[name]["Type"]
        if attribute == "Arn":
            if kind == "AWS::Serverless::Function":
                return FunctionSpec(name, "", {}).arn
            if kind == "AWS::Serverless::StateMachine":
                return self.ref(name)
            service = {"AWS::Logs::LogGroup": "logs", "AWS::IAM::Role": "iam", "AWS::DynamoDB::Table": "dynamodb"}
            return f"arn:{PARTITION}:{service.get(kind, 'local')}:{REGION}:{ACCOUNT_ID}:{name}"
        if attribute == "TopicName":
            return name
        raise KeyError(f"GetAtt {name}.{attribute} is not emulated")

    def sub(self, text: str, variables: dict[str, Any] | None = None) -> str:
        def replace(match: re.Match[str]) -> str:
            expression = match.group(1)
            if expression.startswith("!"):
                return "${" + expression[1:] + "}"
            if variables and expression in variables:
                return str(self.resolve(variables[expression]))
            if "." in expression and not expression.startswith("AWS::"):
                name, attribute = expression.split(".", 1)
                return self.get_att(name, attribute)
            return self.ref(expression)

        return re.sub(r"\$\{([^}]+)\}", replace, text)

    def condition(self, name: str) -> bool:
        return bool(self.resolve(self.template.get("Conditions", {})[name]))

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self.resolve(item) for item in value]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, argument),) = value.items()
            if key == "Ref":
                return self.ref(argument)
            if key == "Fn::GetAtt":
                name, attribute = argument if isinstance(argument, list) else argument.split(".", 1)
                return self.get_att(name, attribute)
            if key == "Fn::Sub":
                if isinstance(argument, list):
                    return self.sub(argument[0], argument[1])
                return self.sub(argument)
            if key == "Fn::Equals":
                left, right = self.resolve(argument)
                return left == right
            if key == "Fn::Not":
                return not self.resolve(argument[0])
            if key == "Fn::If":
                name, when_true, when_false = argument
                return self.resolve(when_true if self.condition(name) else when_false)
        return {key: self.resolve(item) for key, item in value.items()}


def _rate_seconds(expression: str) -> float:
    match = re.fullmatch(r"rate\((\d+) (minute|minutes|hour|hours|day|days)\)", expression.strip())
    if match is None:
        raise ValueError(f"the emulator runs rate(...) schedules only, not {expression!r}")
    unit = {"minute": 60, "hour": 3600, "day": 86400}[match.group(2).rstrip("s")]
    return float(match.group(1)) * unit


def _route_pattern(path: str) -> re.Pattern[str]:
    regex = re.sub(r"\\\{([A-Za-z0-9_]+)\\\}", r"(?P<\1>[^/]+)", re.escape(path))
    return re.compile(f"^{regex}$")


def api_document(definition_body: dict[str, Any], base: Path) -> dict[str, Any]:
    """The API's OpenAPI document: inline, or the file an AWS::Include names (as `sam deploy` uploads it)."""
    include = definition_body.get("Fn::Transform")
    if include is None:
        return definition_body
    if include.get("Name") != "AWS::Include":
        raise ValueError(f"the emulator reads AWS::Include transforms only, not {include.get('Name')}")
    document: dict[str, Any] = load_yaml(base / include["Parameters"]["Location"])
    return document


def _authorization(operation: dict[str, Any], schemes: dict[str, Any]) -> str:
    """The method's authorisation type as API Gateway imports it from the operation's resolved `security`."""
    for requirement in operation.get("security") or []:
        for scheme in requirement:
            if schemes[scheme].get("x-amazon-apigateway-authtype") == "awsSigv4":
                return "AWS_IAM"
    return "NONE"


def resolved_api_document(path: Path = TEMPLATE_PATH, parameters: dict[str, str] | None = None) -> dict[str, Any]:
    """The REST API's OpenAPI document with its intrinsic functions resolved, as CloudFormation deploys it."""
    template = load_yaml(path)
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::Serverless::Api":
            document = api_document(resource["Properties"]["DefinitionBody"], path.parent)
            resolved: dict[str, Any] = Resolver(template, parameters).resolve(document)
            return resolved
    raise LookupError("template.yaml has no AWS::Serverless::Api")


def load_stack(path: Path = TEMPLATE_PATH, parameters: dict[str, str] | None = None) -> Stack:
    """The stack as deployed with `parameters` (the template's defaults for those not given)."""
    template = load_yaml(path)
    resolver = Resolver(template, parameters)
    resources = resolver.resources
    global_function = template.get("Globals", {}).get("Function", {})
    global_env = global_function.get("Environment", {}).get("Variables", {})

    functions: dict[str, FunctionSpec] = {}
    state_machines: dict[str, StateMachineSpec] = {}
    routes: list[Route] = []
    table: dict[str, Any] = {}
    table_name = api_name = stage_name = ""
    topic_names: list[str] = []
    gateway_responses: dict[str, Any] = {}
    stage_throttle = None
    alarms: list[dict[str, Any]] = []
    for name, resource in resources.items():
        kind, props = resource["Type"], resource.get("Properties", {})
        if kind == "AWS::Serverless::Function":
            variables = global_env | props.get("Environment", {}).get("Variables", {})
            environment = {key: str(resolver.resolve(value)) for key, value in variables.items()}
            timeout = float(props.get("Timeout", global_function.get("Timeout", 3)))
            rates = [
                _rate_seconds(event["Properties"]["Schedule"])
                for event in props.get("Events", {}).values()
                if event.get("Type") in ("Schedule", "ScheduleV2")
            ]
            functions[name] = FunctionSpec(name, props["Handler"], environment, timeout, min(rates, default=None))
        elif kind == "AWS::Serverless::StateMachine":
            definition = (path.parent / props["DefinitionUri"]).read_text(encoding="utf-8")
            substitutions = resolver.resolve(props.get("DefinitionSubstitutions", {}))
            for key, value in substitutions.items():
                definition = definition.replace("${" + key + "}", str(value))
            schedules = [
                _rate_seconds(event["Properties"]["Schedule"])
                for event in props.get("Events", {}).values()
                if event.get("Type") in ("Schedule", "ScheduleV2")
            ]
            state_machines[name] = StateMachineSpec(
                name, definition, props.get("Type", "STANDARD"), min(schedules, default=None)
            )
        elif kind == "AWS::DynamoDB::Table":
            table, table_name = resolver.resolve(props), resolver.ref(name)
        elif kind == "AWS::SNS::Topic":
            topic_names.append(name)
        elif kind == "AWS::CloudWatch::Alarm":
            if "Condition" not in resource or resolver.condition(resource["Condition"]):
                alarms.append(resolver.resolve(props))
        elif kind == "AWS::Serverless::Api":
            api_name = str(resolver.resolve(props.get("Name", name)))
            stage_name = str(resolver.resolve(props["StageName"]))
            document = resolver.resolve(api_document(props["DefinitionBody"], path.parent))
            gateway_responses = document.get("x-amazon-apigateway-gateway-responses", {})
            stage_throttle = _stage_throttle(resolver.resolve(props.get("MethodSettings", [])))
            schemes = document.get("components", {}).get("securitySchemes", {})
            for route_path, methods in document["paths"].items():
                for method, operation in methods.items():
                    integration = operation["x-amazon-apigateway-integration"]
                    authorization = _authorization(operation, schemes)
                    pattern = _route_pattern(route_path)
                    routes.append(Route(method.upper(), route_path, integration, pattern, authorization))
    return Stack(
        resources,
        functions,
        state_machines,
        routes,
        table,
        table_name,
        topic_names,
        gateway_responses,
        stage_throttle,
        api_name,
        stage_name,
        alarms,
    )
