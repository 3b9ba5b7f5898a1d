"""One request to the API: signed with SigV4 for execute-api by botocore, sent, retried while the answer says when
to ask again (Retry-After) and the caller allowed it (--retry), and judged: what it means for the exit code."""

from __future__ import annotations

import email.utils
import json
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import IntEnum
from functools import cached_property
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSPreparedRequest, AWSRequest
from botocore.exceptions import BotoCoreError, ClientError
from botocore.httpsession import URLLib3Session

SERVICE = "execute-api"
TIMEOUT_SECONDS = 60.0
"""API Gateway answers within 29 s (its integration timeout); a minute covers a slow network as well."""
RETRYABLE_STATUSES = frozenset({429, 503, 504})
DEFAULT_RETRY_AFTER_SECONDS = 1.0
"""How long to wait before asking again when a retryable answer does not say (the API's always says 1)."""
LONGEST_WAIT_SECONDS = 30.0
"""The longest Retry-After that --retry waits for. The API asks for 1 s; a longer wait (a proxy's Retry-After: 86400)
is not one to spend in a terminal or a script, so the command stops there (exit 4) and says how long was asked."""


class ExitCode(IntEnum):
    """What a run of `credits` ended with: EXIT_CODE_MEANINGS says (and --help, and docs/cli.md "Exit codes")."""

    OK = 0
    USAGE = 2
    """Click's own."""
    DENIED = 3
    RETRYABLE = 4
    FAULT = 5


EXIT_CODE_MEANINGS = {
    ExitCode.OK: "success, a replay (200) too",
    ExitCode.USAGE: "usage error: the command line is wrong, nothing was sent",
    ExitCode.DENIED: "denied: a 4xx that asking again will not change (400, 402, 403, 404, 409, 413, 415)",
    ExitCode.RETRYABLE: "retryable: 429, 503, 504 or any answer with Retry-After, once --retry N is spent",
    ExitCode.FAULT: "fault: a 500 or another 5xx, no answer, no credentials, no such stack, a defect (INTERNAL)",
}


class Fault(Exception):
    """A request that got no answer from the API, or could not be made: exit code FAULT."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code, self.message = code, message


@dataclass(frozen=True)
class Answer:
    """What the API answered one request."""

    status: int
    text: str
    headers: Mapping[str, str] = field(default_factory=dict)
    """By lower-case name."""

    @cached_property
    def document(self) -> Any:
        """The answer's JSON, or None when it is not JSON."""
        try:
            return json.loads(self.text)
        except ValueError:
            return None

    @property
    def result(self) -> Mapping[str, Any] | None:
        """The document of a success, when it is a JSON object (what a command shows); else None."""
        document = self.document
        return document if self.exit_code is ExitCode.OK and isinstance(document, Mapping) else None

    @property
    def not_json(self) -> bool:
        """A success that is not a JSON object: no API answers one (a proxy's page does), so it is a fault."""
        return self.exit_code is ExitCode.OK and self.result is None

    @property
    def retry_after(self) -> float | None:
        """Seconds to wait before asking again, when the answer says (RFC 9110: seconds, or an HTTP date)."""
        value = self.headers.get("retry-after")
        if value is None:
            return None
        try:
            return max(0.0, float(value))
        except ValueError:
            pass
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return DEFAULT_RETRY_AFTER_SECONDS
        return max(0.0, (when - datetime.now(UTC)).total_seconds())

    @property
    def exit_code(self) -> ExitCode:
        if 200 <= self.status < 300:
            return ExitCode.OK
        if self.status in RETRYABLE_STATUSES or "retry-after" in self.headers:
            return ExitCode.RETRYABLE
        if 400 <= self.status < 500:
            return ExitCode.DENIED
        return ExitCode.FAULT

    def error_line(self) -> str:
        """`CODE: message (requestId ...)`, from the API's JSON error; an answer that is not one (a proxy's page, a
        load balancer's) is named by its status."""
        document = self.document
        error = document if isinstance(document, dict) else {}
        code = error.get("code") or f"HTTP_{self.status}"
        message = error.get("message") or self.text.strip()[:200] or "(no body)"
        request_id = error.get("requestId") or self.headers.get("x-amzn-requestid")
        return f"{code}: {message}" + (f" (requestId {request_id})" if request_id else "")


def route_path(route: str, **ids: str) -> str:
    """A route of the API (`/orgs/{orgId}/usage/{enquiryId}`, as api/openapi.yaml names it) with its ids filled in,
    each encoded as one path segment."""
    return route.format_map({name: quote(value, safe="") for name, value in ids.items()})


class Signer:
    """SigV4 for execute-api in a region, with the caller's credentials as botocore found them (environment,
    profile, SSO, a role): fresh ones for each request, so that temporary credentials are renewed as they expire."""

    def __init__(self, credentials: Any, region: str) -> None:
        self._credentials, self.region = credentials, region

    def sign(self, request: AWSRequest) -> None:
        try:
            frozen = self._credentials.get_frozen_credentials()
        except (BotoCoreError, ClientError) as failed:
            # ClientError: STS refused the profile's role (AssumeRole, AssumeRoleWithWebIdentity), or SSO its token.
            raise Fault("CREDENTIALS_FAILED", str(failed)) from failed
        SigV4Auth(frozen, SERVICE, self.region).add_auth(request)


def endpoint_problem(url: str) -> str | None:
    """Why `url` cannot be the API's (a stage's URL), or None when it can."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (raises ValueError for a port that is not one)
    except ValueError as malformed:
        return f"{url!r} is not a URL: {malformed}"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"{url!r} is not an http(s) URL such as http://127.0.0.1:3000 (a stage's URL)"
    return None


def http_session(verify: bool | str = True, proxies: Mapping[str, str] | None = None) -> URLLib3Session:
    """botocore's own HTTP client, as its clients use it: `verify` the CA bundle (AWS_CA_BUNDLE, the profile's
    ca_bundle) or True for botocore's, the proxies from the environment."""
    return URLLib3Session(verify=verify, proxies=dict(proxies or {}), timeout=TIMEOUT_SECONDS)


def send(http: URLLib3Session, request: AWSPreparedRequest) -> Answer:
    """One HTTP exchange, whatever its status; a Fault when there was no whole answer."""
    where = f"{request.method} {request.url}"
    try:
        response = http.send(request)
        raw = response.content
    except BotoCoreError as failed:
        # botocore's transport errors: no connection, TLS refused, a timeout, a connection closed mid-answer, an
        # answer that is not HTTP (HTTPClientError).
        raise Fault("NO_ANSWER", f"{where}: {failed}") from failed
    headers = _lower(response.headers.items())
    promised = headers.get("content-length", "")
    if response.status_code not in (204, 304) and promised.isdigit() and len(raw) < int(promised):
        raise Fault("NO_ANSWER", f"{where}: the answer was cut short ({len(raw)} of {promised} bytes)")
    return Answer(response.status_code, _text(raw), headers)


@dataclass
class Client:
    """The API at `endpoint` (the stage's URL): each call signed when there is a signer, and asked again up to
    `retries` times while the answer is retryable, after the seconds its Retry-After says."""

    endpoint: str
    signer: Signer | None = None
    retries: int = 0
    http: URLLib3Session = field(default_factory=http_session)
    notice: Callable[[str], None] = lambda line: print(line, file=sys.stderr)
    """Where the client says that it waits to ask again (stderr)."""
    sleep: Callable[[float], None] = time.sleep

    def call(
        self,
        method: str,
        path: str,
        query: Mapping[str, str | int | None] | None = None,
        body: Mapping[str, Any] | None = None,
    ) -> Answer:
        asked = {name: str(value) for name, value in (query or {}).items() if value is not None}
        url = self.endpoint.rstrip("/") + path + (f"?{urlencode(asked)}" if asked else "")
        payload = None if body is None else json.dumps(body)
        attempt = 0
        while True:
            answer = self._once(method, url, payload)
            if answer.exit_code is not ExitCode.RETRYABLE or attempt >= self.retries:
                return answer
            attempt += 1
            wait = answer.retry_after
            wait = DEFAULT_RETRY_AFTER_SECONDS if wait is None else wait
            if wait > LONGEST_WAIT_SECONDS:
                self.notice(
                    f"{answer.error_line()}; the API asked to wait {wait:g} s before asking again, longer than "
                    f"--retry waits ({LONGEST_WAIT_SECONDS:g} s): not asking again"
                )
                return answer
            self.notice(f"{answer.error_line()}; asking again in {wait:g} s ({attempt} of {self.retries})")
            self.sleep(wait)

    def _once(self, method: str, url: str, payload: str | None) -> Answer:
        headers = {"Accept": "application/json"}
        if payload is not None:
            headers["Content-Type"] = "application/json"
        request = AWSRequest(method=method, url=url, data=payload, headers=headers)
        if self.signer is not None:
            self.signer.sign(request)  # a fresh X-Amz-Date for each attempt
        return send(self.http, request.prepare())


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", errors="replace")


def _lower(headers: Any) -> dict[str, str]:
    return {str(name).lower(): str(value) for name, value in headers}
