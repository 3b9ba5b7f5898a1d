"""The REST API lets no one in by default: every route requires an IAM (SigV4) signature unless the stack is
deployed with ApiAuth=NONE (a sandbox)."""

from __future__ import annotations

import fnmatch
import re
from typing import Any

import pytest

from emulator.template import TEMPLATE_PATH, Resolver, load_stack, load_yaml, resolved_api_document


def test_every_route_requires_a_sigv4_signature_by_default() -> None:
    # Given the stack deployed with the template's defaults
    stack = load_stack()

    # Then every route's method is imported with authorisation AWS_IAM
    assert stack.routes
    assert {(route.method, route.path): route.authorization for route in stack.routes} == {
        (route.method, route.path): "AWS_IAM" for route in stack.routes
    }


def test_a_sandbox_stack_deployed_with_api_auth_none_requires_no_signature() -> None:
    # Given the stack deployed with ApiAuth=NONE
    stack = load_stack(parameters={"ApiAuth": "NONE"})

    # Then no route requires one, and its document asks for no security scheme
    assert {route.authorization for route in stack.routes} == {"NONE"}
    document = resolved_api_document(parameters={"ApiAuth": "NONE"})
    assert all(operation["security"] == [] for methods in document["paths"].values() for operation in methods.values())


def test_the_security_scheme_is_api_gateways_iam_authorisation() -> None:
    # Given the document as deployed by default
    document = resolved_api_document()

    # Then each operation names one scheme, and that scheme is API Gateway's awsSigv4 on the Authorization header
    schemes = document["components"]["securitySchemes"]
    for methods in document["paths"].values():
        for operation in methods.values():
            assert operation["security"] == [{"sigv4": []}], operation["operationId"]
    assert schemes["sigv4"] == {
        "type": "apiKey",
        "name": "Authorization",
        "in": "header",
        "x-amazon-apigateway-authtype": "awsSigv4",
    }


def test_api_auth_accepts_only_aws_iam_or_none_and_defaults_to_aws_iam() -> None:
    # Given the template's parameter
    parameter = load_yaml(TEMPLATE_PATH)["Parameters"]["ApiAuth"]

    # Then it defaults to IAM and allows nothing but the two documented values
    assert parameter["Default"] == "AWS_IAM"
    assert parameter["AllowedValues"] == ["AWS_IAM", "NONE"]


def test_a_parameter_the_template_does_not_declare_is_refused() -> None:
    # When the stack is loaded with a misspelt parameter
    # Then it is refused rather than silently ignored (a typo must not deploy an open API)
    with pytest.raises(KeyError, match="ApiAuthh"):
        load_stack(parameters={"ApiAuthh": "NONE"})


# -- who may call what: the two caller policies the stack creates -------------------------------------------------

INVOKE = "execute-api:Invoke"
ARN_PREFIX = re.compile(r"^arn:aws:execute-api:[a-z0-9-]+:\d{12}:CreditApi/v1/")
SOURCE = TEMPLATE_PATH.parent / "api" / "source" / "openapi.yaml"


def _requests(path: str) -> set[str]:
    """Concrete paths of a route: each parameter an id, or a word of another route (an enquiry id "balance"), the
    values a wildcard of another route's grant could reach across a '/'."""
    words = {"acme"} | {word for route in load_stack().routes for word in route.path.split("/") if "{" not in word}
    found = {path}
    while any("{" in request for request in found):
        found = {re.sub(r"\{[^}]+\}", word, request, count=1) for request in found for word in words if word}
    return found


def _statements(policy: str) -> list[dict[str, Any]]:
    template = load_yaml(TEMPLATE_PATH)
    document = Resolver(template).resolve(template["Resources"][policy]["Properties"]["PolicyDocument"])
    statements: list[dict[str, Any]] = document["Statement"]
    return statements


def _invocable_routes(policy: str) -> set[tuple[str, str]]:
    """The routes some request to which the policy allows, judged like IAM: * matches any characters, '/' included."""
    statements = [statement for statement in _statements(policy) if statement["Action"].startswith("execute-api:")]
    allowed: set[tuple[str, str]] = set()
    for route in load_stack().routes:
        for request in (f"{route.method}{concrete}" for concrete in _requests(route.path)):
            for statement in statements:
                assert statement["Effect"] == "Allow"
                assert statement["Action"] == INVOKE
                for resource in statement["Resource"]:
                    assert ARN_PREFIX.match(resource), resource
                    if fnmatch.fnmatchcase(request, ARN_PREFIX.sub("", resource)):
                        allowed.add((route.method, route.path))
    return allowed


def _meant_for(caller: str) -> set[tuple[str, str]]:
    """The routes the API's source grants the caller (api/source/openapi.yaml, each operation's x-callers)."""
    paths = load_yaml(SOURCE)["paths"]
    return {
        (method.upper(), path)
        for path, methods in paths.items()
        for method, operation in methods.items()
        if caller in operation["x-callers"]
    }


@pytest.mark.parametrize("caller", sorted(load_yaml(SOURCE)["x-callers"]))
def test_each_caller_policy_allows_exactly_the_routes_granted_to_its_caller(caller: str) -> None:
    # When a role has the caller's policy
    # Then a request to each route granted to it is allowed, and no request to any other route (whatever its ids)
    assert _meant_for(caller)
    assert _invocable_routes(f"{caller}ApiAccessPolicy") == _meant_for(caller)


def test_every_route_is_granted_to_some_caller() -> None:
    # Given every route of the stack, and what the two policies allow
    granted = _invocable_routes("StaffApiAccessPolicy") | _invocable_routes("ReportRunnerApiAccessPolicy")

    # Then no route is left to nobody (a route added without x-callers would answer everyone 403)
    assert {(route.method, route.path) for route in load_stack().routes} == granted


def test_staff_tools_may_read_this_stacks_outputs_and_no_other_stacks_the_report_runner_none() -> None:
    # Given what each caller policy allows besides calling the API
    beyond = {
        caller: [statement for statement in _statements(f"{caller}ApiAccessPolicy") if statement["Action"] != INVOKE]
        for caller in ("Staff", "ReportRunner")
    }

    # Then staff tools (the credits command finds the API's URL in the stack's outputs) may describe this stack alone
    stack_id = Resolver(load_yaml(TEMPLATE_PATH)).ref("AWS::StackId")
    assert beyond == {
        "Staff": [{"Effect": "Allow", "Action": "cloudformation:DescribeStacks", "Resource": stack_id}],
        "ReportRunner": [],
    }


def test_staff_tools_may_do_everything_but_charge() -> None:
    assert ("POST", "/orgs/{orgId}/usage") not in _invocable_routes("StaffApiAccessPolicy")
    assert ("POST", "/orgs/{orgId}/refunds") in _invocable_routes("StaffApiAccessPolicy")


def test_the_report_runner_changes_credit_only_by_charging() -> None:
    # When the report runner's role has its policy
    # Then it may charge and read, but not set a plan or a limit, top up or refund
    writes = {(method, path) for method, path in _invocable_routes("ReportRunnerApiAccessPolicy") if method != "GET"}
    assert writes == {("POST", "/orgs/{orgId}/usage")}


def test_the_caller_policies_exist_only_on_a_stack_that_requires_iam() -> None:
    # Given the template
    resources = load_yaml(TEMPLATE_PATH)["Resources"]

    # Then both policies are created with IAM authorisation only (a sandbox stack has nothing to grant)
    for policy in ("StaffApiAccessPolicy", "ReportRunnerApiAccessPolicy"):
        assert resources[policy]["Condition"] == "UseIamAuth"
