"""Which API `credits` calls and how it signs: --endpoint or CREDITS_ENDPOINT, else the ApiUrl output of the stack
samconfig.toml names for --env (or --stack), read with CloudFormation's DescribeStacks (here the emulated account's);
SigV4 for execute-api with the caller's credentials, which the default stack (ApiAuth=AWS_IAM) requires."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import botocore.session
import pytest

from cli.client import ExitCode
from cli.target import Target, deployed, resolve
from emulator.cloud import LocalCloud
from emulator.template import REGION, load_stack
from tests.cli.conftest import run_credits
from tests.cli.test_exit_codes import NO_CREDENTIALS
from tests.conftest import Api, serving


@pytest.fixture
def stacks(cloud: LocalCloud) -> Iterator[dict[str, str]]:
    """CloudFormation stacks to create in the emulated account (name: ApiUrl), deleted after the test."""
    cloudformation = botocore.session.get_session().create_client("cloudformation", region_name=REGION)
    created: dict[str, str] = {}
    yield created
    for name in created:
        cloudformation.delete_stack(StackName=name)


# A template needs a resource: one that makes nothing (moto records it without modelling it, and warns).
QUIET = pytest.mark.filterwarnings("ignore:Tried to parse AWS.*WaitConditionHandle:UserWarning")


def _create(stacks: dict[str, str], name: str, api_url: str) -> None:
    cloudformation = botocore.session.get_session().create_client("cloudformation", region_name=REGION)
    template = {
        "Resources": {"Nothing": {"Type": "AWS::CloudFormation::WaitConditionHandle"}},
        "Outputs": {"ApiUrl": {"Value": api_url}},
    }
    cloudformation.create_stack(StackName=name, TemplateBody=json.dumps(template))
    stacks[name] = api_url


@QUIET
def test_the_api_is_found_from_the_named_stacks_api_url_output(api: Api, stacks: dict[str, str], org_id: str) -> None:
    # Given a stack whose ApiUrl is the emulator's
    name = f"credits-{uuid.uuid4().hex[:8]}"
    _create(stacks, name, api.url)

    # When staff name the stack
    found = run_credits("--stack", name, "plan", "set", org_id, "Basic")

    # Then the command reached the API that the stack's output names
    assert found.exit_code == ExitCode.OK, found.stderr
    assert api.balance(org_id).body["plan"] == "Basic"


@QUIET
def test_env_takes_the_stack_name_from_samconfig(api: Api, stacks: dict[str, str], org_id: str) -> None:
    # Given the dev environment's stack (samconfig.toml's [dev.global.parameters] stack_name)
    name, region = deployed("dev")
    assert (name, region) == ("xapien-credits-dev", REGION)
    _create(stacks, name, api.url)

    # When staff say --env dev
    found = run_credits("--env", "dev", "balance", org_id, "--json")

    # Then
    assert found.exit_code == ExitCode.OK, found.stderr
    assert found.document["orgId"] == org_id


@QUIET
def test_a_stack_whose_api_url_is_not_a_url_is_a_fault_exit_5(stacks: dict[str, str], org_id: str) -> None:
    name = f"credits-{uuid.uuid4().hex[:8]}"
    _create(stacks, name, "http://[::1")

    found = run_credits("--stack", name, "balance", org_id)

    assert found.exit_code == ExitCode.FAULT
    assert found.stderr.startswith(f"BAD_ENDPOINT: stack {name!r} output ApiUrl: ")


def test_a_stack_that_does_not_exist_is_a_fault_exit_5(cloud: LocalCloud, org_id: str) -> None:
    missing = run_credits("--stack", f"no-such-{uuid.uuid4().hex[:8]}", "balance", org_id)

    assert missing.exit_code == ExitCode.FAULT
    assert missing.stderr.startswith("STACK_NOT_FOUND: ")


def test_no_credentials_to_find_the_stack_is_a_fault_exit_5(cloud: LocalCloud, org_id: str) -> None:
    missing = run_credits("--stack", "xapien-credits", "balance", org_id, env=NO_CREDENTIALS)

    assert missing.exit_code == ExitCode.FAULT
    assert missing.stderr.startswith("NO_CREDENTIALS: ")


def test_credits_endpoint_names_the_api(api: Api, org_id: str) -> None:
    found = run_credits("balance", org_id, "--json", env={"CREDITS_ENDPOINT": api.url})

    assert found.exit_code == ExitCode.OK, found.stderr
    assert found.document["orgId"] == org_id


@pytest.fixture(scope="module")
def iam_api(cloud: LocalCloud) -> Iterator[Api]:
    """The default stack's routes (ApiAuth=AWS_IAM) over the same emulated account."""
    with serving(cloud, routes=load_stack(parameters={"ApiAuth": "AWS_IAM"}).routes) as client:
        yield client


SIGNING = {"AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "example", "AWS_DEFAULT_REGION": REGION}


def test_a_request_is_signed_with_the_callers_credentials(iam_api: Api, api: Api, org_id: str) -> None:
    # When staff with credentials put an org on a plan through the default stack, and ask unsigned
    signed = run_credits("--endpoint", iam_api.url, "plan", "set", org_id, "Basic", env=SIGNING)
    unsigned = run_credits("--endpoint", iam_api.url, "--no-sign", "balance", org_id, env=SIGNING)
    elsewhere = run_credits("--endpoint", iam_api.url, "--region", "us-east-1", "balance", org_id, env=SIGNING)

    # Then the signed request was let through; API Gateway refused the unsigned one and one signed for another region
    assert signed.exit_code == ExitCode.OK, signed.stderr
    assert api.balance(org_id).body["plan"] == "Basic"
    assert unsigned.exit_code == ExitCode.DENIED
    assert unsigned.stderr.startswith("MISSING_AUTHENTICATION_TOKEN: ")
    assert elsewhere.exit_code == ExitCode.DENIED
    assert elsewhere.stderr.startswith("INVALID_SIGNATURE: ")


@QUIET
def test_the_environments_stack_is_found_and_signed_for_in_samconfigs_region(
    iam_api: Api, stacks: dict[str, str], org_id: str
) -> None:
    # Given the dev stack (samconfig.toml deploys it to eu-west-2) serving the default stack's routes
    _create(stacks, "xapien-credits-dev", iam_api.url)

    # When staff whose profile's region is another one read a balance with --env dev
    found = run_credits("--env", "dev", "balance", org_id, env=SIGNING | {"AWS_DEFAULT_REGION": "us-east-1"})

    # Then the stack was found in eu-west-2, and the request signed for eu-west-2 was let through
    assert found.exit_code == ExitCode.OK, found.stderr


EXECUTE_API = "https://a1b2c3d4e5.execute-api.us-west-2.amazonaws.com/v1"


def _signing_region(target: Target) -> str:
    signer = resolve(target).signer
    assert signer is not None
    return signer.region


def test_the_signing_region_is_the_one_in_an_execute_api_host(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a profile whose region is neither the API's nor samconfig.toml's
    monkeypatch.setenv("AWS_DEFAULT_REGION", "ca-central-1")

    # Then an execute-api endpoint is signed for its own region, unless --region says otherwise
    assert _signing_region(Target(endpoint=EXECUTE_API)) == "us-west-2"
    assert _signing_region(Target(endpoint=EXECUTE_API, region="eu-central-1")) == "eu-central-1"


@QUIET
def test_the_signing_region_is_the_one_in_the_stacks_execute_api_url(
    cloud: LocalCloud, stacks: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a stack (in samconfig.toml's region) whose ApiUrl is API Gateway's in another region
    name = f"credits-{uuid.uuid4().hex[:8]}"
    _create(stacks, name, EXECUTE_API)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "ca-central-1")

    assert _signing_region(Target(stack=name)) == "us-west-2"


def test_the_signing_region_is_samconfigs_then_the_profiles(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a profile in ca-central-1, and an endpoint that names no region (the emulator)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "ca-central-1")
    local = "http://127.0.0.1:3000"

    # Then an environment samconfig.toml deploys is signed for its deploy region; one it does not know, the profile's
    assert _signing_region(Target(endpoint=local, env="dev")) == REGION
    assert _signing_region(Target(endpoint=local, env="staging")) == "ca-central-1"
