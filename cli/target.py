"""Which API the command calls, and as whom.

The API: `--endpoint` (or CREDITS_ENDPOINT), else the `ApiUrl` output of the stack that samconfig.toml names for
the environment (`--env`, `default` unless told), or of `--stack`. As whom: the caller's usual AWS credentials, as
botocore finds them (environment, `--profile`, SSO, a role), for SigV4 in the API's region: `--region`, else the
one in the endpoint's host when it is API Gateway's (`<id>.execute-api.<region>.amazonaws.com`), else samconfig.toml's
deploy region for the environment, else the profile's or AWS_DEFAULT_REGION. The stack is looked up in `--region`,
else samconfig.toml's deploy region, else the profile's: the environment's stack is where samconfig deployed it."""

from __future__ import annotations

import os
import re
import sys
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import botocore.session
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError
from botocore.httpsession import URLLib3Session
from botocore.utils import get_environ_proxies

from cli.client import Fault, Signer, endpoint_problem, http_session

SAMCONFIG = Path(__file__).resolve().parents[1] / "samconfig.toml"
"""`sam deploy`'s choices for each environment: the stack's name and its region."""
API_URL_OUTPUT = "ApiUrl"
"""template.yaml's output with the stage's URL."""


@dataclass(frozen=True)
class Target:
    """The root command's options: which API, and as whom."""

    endpoint: str | None = None
    stack: str | None = None
    env: str = "default"
    profile: str | None = None
    region: str | None = None
    sign: bool | None = None
    """True: sign, and fail without credentials; False: never sign; None: sign when credentials are found."""


@dataclass(frozen=True)
class Resolved:
    endpoint: str
    signer: Signer | None
    http: URLLib3Session


def deployed(env: str, samconfig: Path = SAMCONFIG) -> tuple[str | None, str | None]:
    """The stack name and the deploy region samconfig.toml gives the environment (None for what it does not say)."""
    try:
        config = tomllib.loads(samconfig.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return None, None
    section = config.get(env, {})
    stack = section.get("global", {}).get("parameters", {}).get("stack_name")
    region = section.get("deploy", {}).get("parameters", {}).get("region")
    return stack, region


EXECUTE_API_HOST = re.compile(r"^[a-z0-9]+\.execute-api\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(\.cn)?$")
"""An API Gateway stage's default host: `<api id>.execute-api.<region>.amazonaws.com`."""


def execute_api_region(endpoint: str) -> str | None:
    """The region in the endpoint's host when it is API Gateway's own (`https://<id>.execute-api.<region>...`)."""
    found = EXECUTE_API_HOST.match(urlsplit(endpoint).hostname or "")
    return found["region"] if found else None


def resolve(target: Target, notice: Callable[[str], None] = lambda line: print(line, file=sys.stderr)) -> Resolved:
    """The endpoint and the signer, or a Fault that says what is missing; `notice` hears that a request will go
    unsigned because no credentials were found (only --no-sign asks for that)."""
    stack_name, deploy_region = deployed(target.env)
    try:
        session = botocore.session.Session(profile=target.profile)
        session_region = session.get_config_variable("region")
        lookup_region = target.region or deploy_region or session_region
        endpoint = target.endpoint or _api_url(session, lookup_region, target.stack or stack_name, target.env)
        region = target.region or execute_api_region(endpoint) or deploy_region or session_region
        credentials = None if target.sign is False else session.get_credentials()
        http = _http(session, endpoint)
    except (BotoCoreError, ClientError) as failed:
        raise Fault("CREDENTIALS_FAILED", str(failed)) from failed
    if credentials is None:
        if target.sign:
            raise Fault(
                "NO_CREDENTIALS",
                "no AWS credentials found (environment, profile, SSO): `aws sso login`, or --profile NAME",
            )
        if target.sign is None:
            notice(
                "UNSIGNED: no AWS credentials found, so the request goes unsigned, which the default stack refuses "
                "(--profile NAME, `aws sso login`); --no-sign, for a sandbox or make run, silences this"
            )
        return Resolved(endpoint, None, http)
    if not region:
        raise Fault("NO_REGION", "no region to sign for: --region NAME")
    return Resolved(endpoint, Signer(credentials, region), http)


def _http(session: Any, endpoint: str) -> URLLib3Session:
    """The HTTP client botocore's own clients would use for the endpoint: the CA bundle of AWS_CA_BUNDLE or the
    profile's ca_bundle, else REQUESTS_CA_BUNDLE, else botocore's (so TLS inspection's CA is trusted here as it is
    for the stack lookup), and the environment's proxies."""
    verify = session.get_config_variable("ca_bundle") or os.environ.get("REQUESTS_CA_BUNDLE") or True
    return http_session(verify, get_environ_proxies(endpoint))


def _api_url(session: Any, region: str | None, stack: str | None, env: str) -> str:
    if not stack:
        raise Fault("NO_STACK", f"samconfig.toml names no stack for {env!r}: --stack NAME or --endpoint URL")
    try:
        cloudformation = session.create_client("cloudformation", region_name=region)
        (described,) = cloudformation.describe_stacks(StackName=stack)["Stacks"]
    except ClientError as refused:
        error = refused.response.get("Error", {})
        # DescribeStacks answers a stack it does not have with ValidationError ("Stack with id X does not exist").
        if error.get("Code") == "ValidationError":
            raise Fault("STACK_NOT_FOUND", f"{error.get('Message', stack)} (region {region})") from refused
        raise Fault("STACK_LOOKUP_FAILED", str(refused)) from refused
    except NoCredentialsError as failed:
        raise Fault("NO_CREDENTIALS", f"{failed}: finding stack {stack!r} needs them; or --endpoint URL") from failed
    except BotoCoreError as failed:
        raise Fault("STACK_LOOKUP_FAILED", str(failed)) from failed
    for output in described.get("Outputs", []):
        if output.get("OutputKey") == API_URL_OUTPUT:
            url = str(output["OutputValue"])
            problem = endpoint_problem(url)
            if problem:
                raise Fault("BAD_ENDPOINT", f"stack {stack!r} output {API_URL_OUTPUT}: {problem}")
            return url
    raise Fault("NO_API_URL", f"stack {stack!r} has no {API_URL_OUTPUT} output")
