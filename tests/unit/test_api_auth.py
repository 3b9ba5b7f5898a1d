"""The REST API lets no one in by default: every route requires an IAM (SigV4) signature unless the stack is
deployed with ApiAuth=NONE (a sandbox)."""

from __future__ import annotations

import fnmatch
import re

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

SAMPLE_PATHS = {"{orgId}": "acme"}
ARN_PREFIX = re.compile(r"^arn:aws:execute-api:[a-z0-9-]+:\d{12}:CreditApi/v1/")


def _invocable_routes(policy: str) -> set[tuple[str, str]]:
    """The routes a request to which the policy allows, judged like IAM: * matches any characters, '/' included."""
    template = load_yaml(TEMPLATE_PATH)
    statements = Resolver(template).resolve(template["Resources"][policy]["Properties"]["PolicyDocument"])["Statement"]
    allowed: set[tuple[str, str]] = set()
    for route in load_stack().routes:
        concrete = route.path.replace("{orgId}", SAMPLE_PATHS["{orgId}"])
        request = f"{route.method}{concrete}"
        for statement in statements:
            assert statement["Effect"] == "Allow"
            assert statement["Action"] == "execute-api:Invoke"
            for resource in statement["Resource"]:
                assert ARN_PREFIX.match(resource), resource
                if fnmatch.fnmatchcase(request, ARN_PREFIX.sub("", resource)):
                    allowed.add((route.method, route.path))
    return allowed


def test_staff_tools_may_set_plans_and_limits_top_up_and_read_balances_but_not_charge() -> None:
    # When a staff tool's role has the staff policy
    # Then it may call every staff route and read balances, and it cannot use a credit
    assert _invocable_routes("StaffApiAccessPolicy") == {
        ("PUT", "/orgs/{orgId}/plan"),
        ("PUT", "/orgs/{orgId}/user-limit"),
        ("POST", "/orgs/{orgId}/top-ups"),
        ("GET", "/orgs/{orgId}/balance"),
    }


def test_the_report_runner_may_only_use_credits_and_read_balances() -> None:
    # When the report runner's role has its policy
    # Then it may charge and read balances, nothing else
    assert _invocable_routes("ReportRunnerApiAccessPolicy") == {
        ("POST", "/orgs/{orgId}/usage"),
        ("GET", "/orgs/{orgId}/balance"),
    }


def test_the_caller_policies_exist_only_on_a_stack_that_requires_iam() -> None:
    # Given the template
    resources = load_yaml(TEMPLATE_PATH)["Resources"]

    # Then both policies are created with IAM authorisation only (a sandbox stack has nothing to grant)
    for policy in ("StaffApiAccessPolicy", "ReportRunnerApiAccessPolicy"):
        assert resources[policy]["Condition"] == "UseIamAuth"
