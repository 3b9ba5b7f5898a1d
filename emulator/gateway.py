"""API Gateway, emulated: matches a request to a route of template.yaml, renders the route's request template,
starts the state machine synchronously, selects the integration response and renders its template.

Also serves the emulator-only endpoints under /_local (never deployed).
"""

from __future__ import annotations

import base64
import json
import logging
import os
import re
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from emulator.alarms import Evaluation
from emulator.buckets import TokenBuckets
from emulator.cloud import ExecutionInputTooLarge, IntegrationTimeout, LocalCloud
from emulator.executions import Answered
from emulator.metrics import recorder
from emulator.template import REGION, Route, StageThrottle
from emulator.vtl import (
    GatewayError,
    HttpRequest,
    TemplateError,
    render_gateway_response_template,
    render_request_template,
    render_response_template,
)

log = logging.getLogger("emulator")

MAX_BODY_BYTES = 10 * 1024 * 1024
"""API Gateway's REST payload limit (10 MB); what reaches Step Functions is limited further, to 256 KiB."""


@dataclass
class Response:
    status: int
    body: dict[str, Any] | list[Any] | str
    headers: dict[str, str] = field(default_factory=dict)
    note: str = ""
    """What the log line says of the decision."""
    document: Any = None
    """A mapped answer (body text) as its client reads it: the JSON it holds, or the text when it is not JSON (for
    the log line's note and the executions journal: parsed once)."""

    def text(self) -> str:
        return self.body if isinstance(self.body, str) else json.dumps(self.body)


_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


@dataclass(frozen=True)
class RequestIds:
    """API Gateway's two ids of a request. `request_id` ($context.requestId, the x-amzn-RequestId header) is the
    client's when it sends an x-amzn-RequestId header in the form of a UUID: "Clients can override the value in the
    x-amzn-RequestId header with a value in the format of a universally unique identifier (UUID)". `extended`
    ($context.extendedRequestId, the x-amz-apigw-id header) is "a unique ID that API Gateway generates ... An API
    caller can't provide or override this request ID" ("Set up CloudWatch logging for REST APIs in API Gateway",
    API Gateway developer guide). Its form here is the one API Gateway's have: 16 characters of URL-safe base64,
    the last an "=" (e.g. "LIxCyGd7SK4FjEg=")."""

    request_id: str
    extended: str

    @classmethod
    def of(cls, headers: dict[str, str]) -> RequestIds:
        # A value not in the form of a UUID is not taken (API Gateway replaces it in its access log; what its
        # templates see then is not documented: docs/emulator.md, "Differences from AWS").
        asked = (_header(headers, "X-Amzn-RequestId") or "").strip()
        request_id = asked if _UUID.fullmatch(asked) else str(uuid.uuid4())
        return cls(request_id, base64.urlsafe_b64encode(os.urandom(11)).decode("ascii"))

    def headers(self) -> dict[str, str]:
        """What API Gateway sends with every answer."""
        return {"x-amzn-RequestId": self.request_id, "x-amz-apigw-id": self.extended}


def error(status: int, code: str, message: str) -> Response:
    return Response(status, {"code": code, "message": message}, note=code)


@dataclass(frozen=True)
class IncomingRequest:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: str


def _header(headers: dict[str, str], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name.lower():
            return value
    return None


GATEWAY_RESPONSE_HEADER = "gatewayresponse.header."
STATIC_VALUE = re.compile(r"'(.*)'", re.DOTALL)


def _gateway_response_headers(parameters: dict[str, str]) -> dict[str, str]:
    """A gateway response's responseParameters: gatewayresponse.header.<name> set to a static value, quoted in
    single quotes ("x-amazon-apigateway-gateway-responses.responseParameters", API Gateway developer guide). The
    other sources it may name (the request's headers, path, query string) are not emulated, and are refused."""
    headers = {}
    for key, value in parameters.items():
        static = STATIC_VALUE.fullmatch(value)
        if not key.startswith(GATEWAY_RESPONSE_HEADER) or static is None:
            raise ValueError(f"a gateway response parameter the emulator does not map: {key}: {value}")
        headers[key.removeprefix(GATEWAY_RESPONSE_HEADER)] = static.group(1)
    return headers


def _mapped(status: int, text: str, headers: dict[str, str]) -> Response:
    """An answer a mapping template rendered, parsed once for what the log and the journal say of it."""
    try:
        document: Any = json.loads(text)
    except ValueError:
        document = text
    return Response(status, text, headers, note=_decision_note(document), document=document)


def _decision_note(document: Any) -> str:
    if not isinstance(document, dict):
        return ""
    if "code" in document:
        return str(document["code"])
    if "charged" in document:
        org = document.get("org") or {}
        verdict = "CHARGED" if document["charged"] else "ALREADY_CHARGED"
        return f"{verdict} used={org.get('used')}/{org.get('limit')}"
    if "remaining" in document:
        return f"plan={document.get('plan')} used={document.get('used')}/{document.get('limit')}"
    return ""


_SIGV4 = re.compile(
    r"AWS4-HMAC-SHA256 Credential=[^/\s,]+/\d{8}/(?P<region>[a-z0-9-]+)/(?P<service>[a-z0-9-]+)/aws4_request,\s*"
    r"SignedHeaders=[a-z0-9;-]+,\s*Signature=[0-9a-f]{64}"
)


_GATEWAY_MESSAGES = {
    "MISSING_AUTHENTICATION_TOKEN": "Missing Authentication Token",
    "INVALID_SIGNATURE": "Credential should be scoped to a valid region and service",
    "UNSUPPORTED_MEDIA_TYPE": "Unsupported Media Type",
    "INTEGRATION_TIMEOUT": "Endpoint request timed out",
}
"""API Gateway's own $context.error.message for the responses the emulator sends itself."""


def _iam_refusal(headers: dict[str, str]) -> str | None:
    """The gateway response API Gateway sends an AWS_IAM method's request that is not signed with SigV4, if any.

    Only the signature's presence and shape are checked (its scope must be this region and execute-api); the
    signature itself is not verified and no IAM policy is evaluated (docs/emulator.md, "Differences from AWS").
    """
    authorization = _header(headers, "Authorization")
    if not authorization:
        return "MISSING_AUTHENTICATION_TOKEN"
    signed = _SIGV4.fullmatch(authorization.strip())
    if signed is None or signed["region"] != REGION or signed["service"] != "execute-api":
        return "INVALID_SIGNATURE"
    if not (_header(headers, "X-Amz-Date") or _header(headers, "Date")):
        return "INVALID_SIGNATURE"
    return None


def _start_call(request_text: str) -> dict[str, Any] | None:
    """The StartSyncExecution call the request template wrote (None when it is not a JSON object whose input is
    JSON text, which Step Functions refuses as InvalidExecutionInput)."""
    try:
        call = json.loads(request_text)
        json.loads(call["input"])
    except (ValueError, KeyError, TypeError):
        return None
    return call if isinstance(call, dict) else None


def _answered(http: HttpRequest, ids: RequestIds, response: Response) -> Answered:
    """What the executions list shows of a request: its ids, the org, enquiry and user it named (path, query or
    body), and what it was answered."""
    try:
        body = json.loads(http.body or "null")
    except ValueError:
        body = None
    fields = body if isinstance(body, dict) else {}
    answer = response.document if response.document is not None else response.body
    code = answer.get("code") if response.status >= 400 and isinstance(answer, dict) else None

    def text(value: Any) -> str | None:
        return value if isinstance(value, str) else None

    return Answered(
        request_id=ids.request_id,
        http_status=response.status,
        code=text(code),
        body=answer,
        org_id=text(http.path_params.get("orgId")),
        enquiry_id=text(http.path_params.get("enquiryId") or fields.get("enquiryId")),
        user_id=text(http.query.get("userId") or fields.get("userId")),
    )


CONSOLE = Path(__file__).resolve().parent / "console"
"""The local console's page: static files kept in the repository, served as they are."""
_CONSOLE_TYPES = {".html": "text/html; charset=utf-8", ".css": "text/css; charset=utf-8", ".js": "text/javascript"}


def _console_file(name: str) -> Response:
    path = CONSOLE / name
    if "/" in name or path.suffix not in _CONSOLE_TYPES or not path.is_file():
        return error(404, "NOT_FOUND", f"no console file {name}")
    content_type = _CONSOLE_TYPES[path.suffix]
    return Response(200, path.read_text(encoding="utf-8"), {"Content-Type": content_type}, note="console")


def _iso(instant: datetime) -> str:
    return instant.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _alarm_summary(evaluation: Evaluation) -> dict[str, Any]:
    """One alarm as GET /_local/alarms shows it: its state as of the emulator's clock, why, since when, and the
    datapoints it judged (oldest first; null: no data in that period)."""
    return {
        "name": evaluation.name,
        "state": evaluation.state,
        "reason": evaluation.reason,
        "changedAt": _iso(evaluation.changed_at),
        "datapoints": [{"at": _iso(at), "value": value} for at, value in evaluation.datapoints],
    }


class Gateway:
    def __init__(
        self,
        cloud: LocalCloud,
        stage: str | None = None,
        routes: list[Route] | None = None,
        throttle: StageThrottle | None = None,
    ) -> None:
        self.cloud = cloud
        self.stage = stage or cloud.stack.stage_name
        """The stack's stage unless given ($context.stage, the Stage dimension of the API's metrics)."""
        self.routes = cloud.stack.routes if routes is None else routes
        """The API's routes, with their authorisation; the stack's unless given (tests serve both kinds)."""
        throttle = throttle or cloud.stack.stage_throttle
        self._throttle: TokenBuckets[tuple[str, str]] | None = (
            None if throttle is None else TokenBuckets(throttle.rate, throttle.burst)
        )
        """The stage's throttle, a bucket per method of each resource; the stack's unless given."""

    def handle(self, request: IncomingRequest) -> Response:
        started = time.perf_counter()
        ids = RequestIds.of(request.headers)
        try:
            response = self._dispatch(request, ids)
        except Exception:
            log.exception("request failed", extra={"requestId": ids.request_id})
            response = error(500, "INTERNAL_ERROR", "the emulator failed to handle the request")
        response.headers.update(ids.headers())
        if isinstance(response.body, dict) and "code" in response.body:
            response.body.setdefault("requestId", ids.request_id)  # the emulator's own errors (405, its 500)
        elapsed = (time.perf_counter() - started) * 1000
        if not request.path.startswith("/_local/"):
            self._record(response.status, elapsed)
        log.info(
            "%s %s -> %d %s (%.1f ms, request %s, %s)",
            request.method, request.path, response.status, response.note, elapsed, ids.request_id, ids.extended,
        )  # fmt: skip
        return response

    def _record(self, status: int, latency_ms: float) -> None:
        """API Gateway's metrics of one request, by ApiName and Stage: every request it answers counts, 4xx and 5xx
        whoever set the status (a gateway response, an integration response's mapping), its latency in ms."""
        dimensions = {"ApiName": self.cloud.stack.api_name, "Stage": self.stage}
        recorder.put("AWS/ApiGateway", "Count", 1, dimensions)
        recorder.put("AWS/ApiGateway", "4XXError", 1 if 400 <= status < 500 else 0, dimensions)
        recorder.put("AWS/ApiGateway", "5XXError", 1 if status >= 500 else 0, dimensions)
        recorder.put("AWS/ApiGateway", "Latency", latency_ms, dimensions, "Milliseconds")

    def _dispatch(self, request: IncomingRequest, ids: RequestIds) -> Response:
        if request.path.startswith("/_local/"):
            return self._local(request)
        allowed: list[str] = []
        for route in self.routes:
            params = route.pattern.match(request.path)
            if params is None:
                continue
            if route.method != request.method:
                allowed.append(route.method)
                continue
            refusal = _iam_refusal(request.headers) if route.authorization == "AWS_IAM" else None
            if refusal is not None:
                return self._gateway_response(refusal, 403, request, ids, route.path)
            if self._throttle is not None and self._throttle.take([((route.method, route.path), 1)]) is not None:
                return self._gateway_response("THROTTLED", 429, request, ids, route.path)
            return self._integrate(route.integration, route.path, request, ids, params.groupdict())
        if allowed:
            # API Gateway answers MISSING_AUTHENTICATION_TOKEN here too; the emulator says which methods exist.
            return error(405, "METHOD_NOT_ALLOWED", f"{request.path} accepts {', '.join(sorted(allowed))}")
        return self._gateway_response("MISSING_AUTHENTICATION_TOKEN", 403, request, ids, request.path)

    def _integrate(
        self,
        integration: dict[str, Any],
        resource_path: str,
        request: IncomingRequest,
        ids: RequestIds,
        path_params: dict[str, str],
    ) -> Response:
        content_type = (_header(request.headers, "Content-Type") or "application/json").split(";")[0].strip()
        templates = integration.get("requestTemplates", {})
        if content_type.lower() not in templates:
            # passthroughBehavior "never": API Gateway refuses content types without a template
            return self._gateway_response("UNSUPPORTED_MEDIA_TYPE", 415, request, ids, resource_path)
        http = self._http_request(request, ids, resource_path, path_params)
        rendered = render_request_template(templates[content_type.lower()], http)
        call = _start_call(rendered.text)
        execution_name = None if call is None else call.get("name")
        integration_started = time.perf_counter()
        try:
            integration_status, integration_body = self._start_sync_execution(call)
        except IntegrationTimeout:
            response = self._gateway_response("INTEGRATION_TIMEOUT", 504, request, ids, resource_path)
        else:
            response = self._integration_response(integration, http, integration_status, integration_body)
        integration_ms = (time.perf_counter() - integration_started) * 1000
        dimensions = {"ApiName": self.cloud.stack.api_name, "Stage": self.stage}
        recorder.put("AWS/ApiGateway", "IntegrationLatency", integration_ms, dimensions, "Milliseconds")
        if isinstance(execution_name, str):
            self.cloud.executions.answered(execution_name, _answered(http, ids, response))
        return response

    def _http_request(
        self, request: IncomingRequest, ids: RequestIds, resource_path: str, path_params: dict[str, str]
    ) -> HttpRequest:
        """The request as a mapping template sees it."""
        return HttpRequest(
            method=request.method,
            path=request.path,
            path_params={name: unquote(value) for name, value in path_params.items()},
            query=request.query,
            headers=request.headers,
            body=request.body,
            request_id=ids.request_id,
            resource_path=resource_path,
            stage=self.stage,
            extended_request_id=ids.extended,
        )

    def _gateway_response(
        self, kind: str, default_status: int, request: IncomingRequest, ids: RequestIds, resource_path: str
    ) -> Response:
        """What API Gateway itself answers, from the API document's x-amazon-apigateway-gateway-responses: the
        response of that type, else DEFAULT_4XX / DEFAULT_5XX, its body template rendered with $context.error."""
        responses = self.cloud.stack.gateway_responses
        fallback = "DEFAULT_4XX" if default_status < 500 else "DEFAULT_5XX"
        configured = responses.get(kind) or responses.get(fallback) or {}
        status = int(configured.get("statusCode", default_status))
        template = configured.get("responseTemplates", {}).get("application/json")
        message = _GATEWAY_MESSAGES.get(kind, kind)
        headers = _gateway_response_headers(configured.get("responseParameters", {}))
        if template is None:  # API Gateway's own body
            return Response(status, {"message": message}, headers, note=kind)
        http = self._http_request(request, ids, resource_path, {})
        rendered = render_gateway_response_template(template, http, GatewayError(kind, message))
        text = rendered.text.strip()
        status = rendered.status_override or status
        return _mapped(status, text, rendered.header_overrides | headers)

    def _start_sync_execution(self, call: dict[str, Any] | None) -> tuple[int, str]:
        """The Step Functions API call API Gateway makes: (HTTP status, response body)."""
        if call is None:
            return 400, json.dumps({"__type": "InvalidExecutionInput", "message": "the input is not valid JSON"})
        try:
            result = self.cloud.start_sync_execution(call["stateMachineArn"], call["input"], call.get("name"))
        except ExecutionInputTooLarge as refusal:
            return 400, json.dumps({"__type": "ValidationException", "message": str(refusal)})
        return 200, json.dumps(result.as_api_response())

    @staticmethod
    def _integration_response(integration: dict[str, Any], http: HttpRequest, status: int, body: str) -> Response:
        responses: dict[str, Any] = integration.get("responses", {})
        chosen = responses.get("default", {})
        for pattern, candidate in responses.items():
            if pattern != "default" and re.fullmatch(pattern, str(status)):
                chosen = candidate
                break
        template = chosen.get("responseTemplates", {}).get("application/json")
        default_status = int(chosen.get("statusCode", 200))
        if template is None:
            return Response(default_status, body)
        try:
            rendered = render_response_template(template, http, body)
        except TemplateError:
            log.exception("response template failed")
            return error(500, "INTERNAL_ERROR", "the response could not be mapped")
        text = rendered.text.strip()
        final_status = rendered.status_override or default_status
        return _mapped(final_status, text, rendered.header_overrides)

    # -- emulator-only endpoints ----------------------------------------------------------------------------

    def _local(self, request: IncomingRequest) -> Response:
        if request.path == "/_local/clock":
            if request.method == "DELETE":
                self.cloud.clock.thaw()
                return Response(200, {"frozen": False, "now": self.cloud.clock.now().isoformat()}, note="clock thawed")
            if request.method == "PUT":
                return self._freeze_clock(request.body)
            if request.method == "GET":
                frozen = self.cloud.clock.frozen_at
                return Response(200, {"frozen": frozen is not None, "now": self.cloud.clock.now().isoformat()})
            return error(405, "METHOD_NOT_ALLOWED", "/_local/clock accepts GET, PUT, DELETE")
        if request.path.startswith("/_local/invoke/"):
            name = request.path.removeprefix("/_local/invoke/")
            if name not in self.cloud.stack.functions:
                return error(404, "NOT_FOUND", f"no function {name} in template.yaml")
            if request.method != "POST":
                return error(405, "METHOD_NOT_ALLOWED", "/_local/invoke/<function> accepts POST")
            response = self.cloud.invoke(name)
            return Response(200, response, note=f"invoked {name}")
        if request.path == "/_local/executions" or request.path.startswith("/_local/executions/"):
            if request.method != "GET":
                return error(405, "METHOD_NOT_ALLOWED", "/_local/executions accepts GET")
            return self._executions(request)
        if request.path == "/_local/console" or request.path.startswith("/_local/console/"):
            return _console_file(request.path.removeprefix("/_local/console").strip("/") or "index.html")
        if request.path == "/_local/notifications":
            if request.method != "GET":
                return error(405, "METHOD_NOT_ALLOWED", "/_local/notifications accepts GET")
            return Response(200, self.cloud.notifications())
        if request.path == "/_local/alarms":
            if request.method != "GET":
                return error(405, "METHOD_NOT_ALLOWED", "/_local/alarms accepts GET")
            evaluated_at = self.cloud.clock.now()
            alarms = [_alarm_summary(evaluation) for evaluation in self.cloud.evaluate_alarms(evaluated_at)]
            return Response(200, {"evaluatedAt": _iso(evaluated_at), "alarms": alarms})
        if request.path == "/_local/metrics":
            if request.method != "GET":
                return error(405, "METHOD_NOT_ALLOWED", "/_local/metrics accepts GET")
            return Response(200, {"metrics": self.cloud.metrics.catalogue()})
        return error(404, "NOT_FOUND", f"no local endpoint {request.path}")

    def _executions(self, request: IncomingRequest) -> Response:
        """The last executions, newest first (?orgId=&stateMachine=&status=&limit=), or one with its steps, by its
        name or by the x-amzn-RequestId of the request it answered."""
        journal = self.cloud.executions
        name = unquote(request.path.removeprefix("/_local/executions").strip("/"))
        if name:
            found = journal.find(name)
            if found is None:
                return error(404, "NOT_FOUND", f"no execution {name} among the last {journal.kept}")
            return Response(200, found.details(), note=f"execution {found.name}")
        limit_text = request.query.get("limit", "50")
        if not limit_text.isdigit() or not 1 <= int(limit_text) <= journal.kept:
            return error(400, "INVALID_FIELD", f"limit must be a whole number from 1 to {journal.kept}")
        listed = journal.newest_first(
            org_id=request.query.get("orgId"),
            state_machine=request.query.get("stateMachine"),
            status=request.query.get("status"),
            limit=int(limit_text),
        )
        return Response(200, {"executions": [execution.summary() for execution in listed], "kept": journal.kept})

    def _freeze_clock(self, body: str) -> Response:
        try:
            document = json.loads(body or "null")
        except ValueError:
            return error(400, "MALFORMED_JSON", "the body is not valid JSON")
        now = document.get("now") if isinstance(document, dict) else None
        if not isinstance(now, str):
            return error(400, "MISSING_FIELD", 'send {"now": "<ISO 8601 instant with a UTC offset>"}')
        try:
            instant = datetime.fromisoformat(now.replace("Z", "+00:00"))
        except ValueError:
            return error(400, "INVALID_FIELD", "now must be an ISO 8601 instant, e.g. 2026-11-30T23:59:00Z")
        if instant.tzinfo is None:
            return error(400, "INVALID_FIELD", "now must carry a UTC offset, e.g. 2026-11-30T23:59:00Z")
        self.cloud.clock.freeze(instant)
        return Response(200, {"frozen": True, "now": self.cloud.clock.now().isoformat()}, note="clock frozen")
