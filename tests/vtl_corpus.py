"""The cases the VTL cross-check renders with both engines (tests/unit/test_vtl_reference.py).

Every mapping template API Gateway renders for this API (api/openapi.yaml, read through emulator.template), each with
the payloads it meets: for a request template, what clients send (the HTTP tests' requests, and hostile bodies,
paths and query strings); for a response template, what StartSyncExecution answers (each workflow's outputs, each
Fail state's error and cause, runtime failures, timeouts, and its own refusals); for a gateway response, API
Gateway's error messages. Combinations are generated, and every case differs from every other in what it renders.
"""

from __future__ import annotations

import base64
import json
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

from domain import errors
from domain.commands import (
    AuditBooks,
    ChargeCredit,
    Command,
    GetBalance,
    GetCharge,
    ListCharges,
    ListTopUps,
    Refund,
    SetPlan,
    SetUserLimit,
    TopUp,
)
from domain.errors import DomainError, InvalidRequest
from domain.services import CreditService
from emulator.template import Stack, StateMachineSpec, load_stack
from emulator.vtl import GatewayError, HttpRequest
from functions.common.errors import answer
from functions.common.requests import parse_command
from tests.fakes import FixedClock, InMemoryCreditStore
from tests.http.support import BAD_IDS


@dataclass(frozen=True)
class Case:
    id: str
    kind: str
    """request, response or gateway: which of emulator.vtl's render functions applies (probe: as a request)."""
    template_name: str
    template: str
    request: HttpRequest
    body: str
    """What $input maps: the client's body for a request template, the integration's for a response template."""
    error: GatewayError | None = None

    def inputs(self) -> tuple[object, ...]:
        """What the template can see, but the request id (which every case has its own of)."""
        request = self.request
        params = (tuple(request.path_params.items()), tuple(request.query.items()), tuple(request.headers.items()))
        return self.template, self.body, request.method, request.path, params, self.error


# ---- what clients send --------------------------------------------------------------------------------------

ROUTE_COMMANDS: dict[str, tuple[type[Command], tuple[str, ...], bool]] = {
    "PUT /orgs/{orgId}/plan": (SetPlan, ("orgId",), True),
    "PUT /orgs/{orgId}/user-limit": (SetUserLimit, ("orgId",), True),
    "POST /orgs/{orgId}/usage": (ChargeCredit, ("orgId",), True),
    "GET /orgs/{orgId}/usage": (ListCharges, ("orgId", "period", "userId", "limit", "cursor"), False),
    "GET /orgs/{orgId}/usage/{enquiryId}": (GetCharge, ("orgId", "enquiryId"), False),
    "POST /orgs/{orgId}/top-ups": (TopUp, ("orgId",), True),
    "GET /orgs/{orgId}/top-ups": (ListTopUps, ("orgId", "period"), False),
    "GET /orgs/{orgId}/audit": (AuditBooks, ("orgId", "period"), False),
    "POST /orgs/{orgId}/refunds": (Refund, ("orgId",), True),
    "GET /orgs/{orgId}/balance": (GetBalance, ("orgId", "userId"), False),
}
"""How each route's function reads the workflow input (the command_handler call in functions/*/app.py), by
"METHOD path"."""

VALID_BODIES: dict[str, list[Any]] = {
    # The bodies tests/http sends to each route (test_errors.WRITES, the conftest Api helpers, the schema examples).
    "PUT /orgs/{orgId}/plan": [{"plan": "Lite"}, {"plan": "Basic"}, {"plan": "Trial"}, {"plan": "Platinum"}],
    "PUT /orgs/{orgId}/user-limit": [{"limit": 3}, {"limit": 25}, {"limit": None}, {"limit": 0}],
    "POST /orgs/{orgId}/usage": [
        {"enquiryId": "enquiry-1", "userId": "user-1"},
        {"enquiryId": "enq-1", "userId": "alice"},
        {"enquiryId": "urn:xapien:enquiry:2026.11_a-b", "userId": "A-z_0.9:x"},
    ],
    "GET /orgs/{orgId}/usage": [None],
    "GET /orgs/{orgId}/usage/{enquiryId}": [None],
    "POST /orgs/{orgId}/top-ups": [
        {"credits": 5, "topUpId": "top-up-1"},
        {"credits": 50, "topUpId": "zendesk-4711", "reason": "uplift"},
        {"credits": 4, "topUpId": "t-1", "reason": "sales demo"},
        {"credits": 5},
    ],
    "GET /orgs/{orgId}/top-ups": [None],
    "GET /orgs/{orgId}/audit": [None],
    "POST /orgs/{orgId}/refunds": [
        {"enquiryId": "enq-1"},
        {"enquiryId": "enq-42", "reason": "report failed to deliver"},
        {"enquiryId": "refunded-1", "reason": None},
    ],
    "GET /orgs/{orgId}/balance": [None],
}

LISTING_QUERIES: list[dict[str, str]] = [
    # What tests/http sends to the listings (and what they refuse): period, limit and cursor
    {"period": "2026-11"},
    {"period": "TRIAL", "limit": "100"},
    {"period": "2026-11", "userId": "alice", "limit": "1"},
    {"limit": "0"},
    {"limit": "101"},
    {"limit": "ten"},
    {"period": "2026-13"},
    {"period": "november"},
    {"cursor": "WyIyMDI2LTExIixudWxsLCIyMDI2LTExLTE0VDEyOjMwOjAwKzAwOjAwIiwiZW5xLTEiXQ"},
    {"cursor": "not a cursor"},
    {"cursor": "x" * 1025},
]
"""Query strings of the listings (GET usage, GET top-ups); valid and refused alike."""

ENQUIRY_IDS = ["enq-1", "urn:xapien:enquiry:2026.11_a-b", "a" * 129, "enq 1", "enqé"]
"""Path enquiryIds, URL-decoded as API Gateway hands them over."""

REJECTED_BODIES: list[Any] = [
    # test_errors: missing, mistyped and unknown fields, and JSON that is not an object
    {},
    {"plan": 5},
    {"plan": None},
    {"plan": ["Lite"]},
    {"limit": True},
    {"limit": "3"},
    {"limit": 3.0},
    {"limit": 2.5},
    {"limit": -1},
    {"enquiryId": 5, "userId": "user-1"},
    {"enquiryId": "enquiry-1", "userId": ["user-1"]},
    {"credits": True},
    {"credits": "5"},
    {"credits": 5.5},
    {"credits": 5, "reason": 12},
    {"plan": "Lite", "orgId": "another-org"},
    {"credits": 5, "period": "2026-12"},
    {"enquiryId": "enquiry-1", "userId": "user-1", "credits": 2},
    {"plan": "Lite", "limit": 3, "credits": 5},
    [],
    "Lite",
    42,
    None,
]

RAW_BODIES = [
    # test_errors: bodies that are not JSON, and the empty body
    '{"plan": "Lite"',
    "{plan: Lite}",
    "{'plan': 'Lite'}",
    "not json",
    "{}}",
    "",
    " ",
    "\n",
    "{}\n",
    '{"plan":"Lite"}   ',
]


GOOD_IDS = ["A-z_0.9:x", "a" * 128, "1", "urn:xapien:enquiry:2026.11_a-b", "alice"]

HOSTILE_TEXTS: dict[str, str] = {
    "emoji": "😀 outside the BMP: 𝄞 🇬🇧 👩🏽‍💻",
    "quotes": "it's \"quoted\" and 'single' and `back` ''\"\"",
    "backslashes": "back\\slash \\n \\u0041 \\\\ \\' \\\" trailing\\",
    "control": "nul\x00 bell\x07 bs\x08 tab\t nl\n cr\r vt\x0b ff\x0c esc\x1b us\x1f del\x7f c1\x85",
    "dollars": "$context.requestId ${context.requestId} $!input.body $util.escapeJavaScript('x') $ $$ $1",
    "hashes": "# ## #set($x = 1) #if(true)yes#end #* comment *# ##line #{else} #end #foreach",
    "directive-start": "#set(",
    "separators": "line\u2028separator paragraph\u2029separator nbsp\u00a0 zwj\u200d",
    "bom": "\ufeffstarts with a byte order mark",
    "accents": "é ü ß ñ 中文 العربية עברית ελληνικά",
    "html": "</script><script>alert('x')</script>&amp;<!--",
    "json-in-json": '{"code": "ORG_LIMIT_REACHED", "httpStatus": 402}',
    "slashes": "a/b//c\\/d",
    "long": "x" * 100_000,
    "long-emoji": "😀" * 25_000,
}


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode("ascii")


def _hostile_documents() -> dict[str, Any]:
    nested: Any = "deep"
    for depth in range(60):
        nested = {f"level{depth}": [nested, {"$": "#set(", "'": '"'}]}
    return {"nested": nested, "numbers": {"big": 2**64, "negative": -0.0, "float": 1e300, "tiny": 5e-324}}


def request_bodies() -> dict[str, str]:
    """Every body a request case sends, by a short name: the HTTP tests' bodies and hostile ones."""
    bodies: dict[str, str] = {}
    for route, documents in VALID_BODIES.items():
        for number, document in enumerate(documents):
            if document is not None:
                bodies[f"valid-{route.rsplit('/', 1)[1]}-{number}"] = json.dumps(document)
    for number, document in enumerate(REJECTED_BODIES):
        bodies[f"rejected-{number}"] = json.dumps(document)
    for number, raw in enumerate(RAW_BODIES):
        bodies[f"raw-{number}"] = raw
    for name, text in HOSTILE_TEXTS.items():
        bodies[f"reason-{name}-escaped"] = json.dumps({"credits": 5, "reason": text})
        if not text.isascii():
            bodies[f"reason-{name}-raw"] = json.dumps({"credits": 5, "reason": text}, ensure_ascii=False)
        bodies[f"text-{name}"] = text
    for name, document in _hostile_documents().items():
        bodies[f"document-{name}"] = json.dumps(document)
    bodies["reason-150k"] = json.dumps({"credits": 5, "reason": "r" * 150_000})  # test_workflow_failures
    bodies["reason-300k"] = json.dumps({"credits": 5, "reason": "r" * 300_000})
    bodies["unknown-field-hostile"] = json.dumps({"plan": "Lite", HOSTILE_TEXTS["quotes"]: 1})
    return bodies


# ---- what StartSyncExecution answers ------------------------------------------------------------------------


def _org_window(used: int = 3, limit: int = 100, window: str = "2026-11") -> dict[str, Any]:
    return {
        "window": window,
        "period": "2026-11",
        "plan": "Basic",
        "used": used,
        "limit": limit,
        "remaining": limit - used,
        "windowStartsAt": "2026-11-01T00:00:00Z",
        "windowEndsAt": "2026-12-01T00:00:00Z",
    }


def _balance(user: bool, trial: bool) -> dict[str, Any]:
    document: dict[str, Any] = {
        "orgId": "acme",
        "plan": "Trial" if trial else "Basic",
        "period": "2026-11",
        "planCredits": 10 if trial else 100,
        "topUpCredits": 0 if trial else 5,
        "limit": 10 if trial else 105,
        "used": 3,
        "remaining": 7 if trial else 102,
        "perUserLimit": None if trial else 25,
    }
    if trial:
        document["trialEndsAt"] = "2026-11-24T12:00:00Z"
    if user:
        document["user"] = {"userId": "user-1", "used": 2, "remaining": 5}
    return document


def workflow_outputs() -> dict[str, dict[str, Any]]:
    """What each workflow's last state gives (statemachines/*.asl.json; functions/common/documents.py)."""
    charge = {
        "orgId": "acme",
        "userId": "user-1",
        "enquiryId": "enquiry-1",
        "period": "2026-11",
        "org": _org_window(),
    }
    user_window = {"period": "2026-11", "used": 2, "limit": 25, "remaining": 23}
    top_up = _balance(user=False, trial=False) | {
        "topUp": {"topUpId": "zendesk-4711", "credits": 50, "period": "2026-11", "reason": "uplift"}
    }
    outputs: dict[str, dict[str, Any]] = {
        "charged": charge | {"charged": True, "replayed": False, "user": user_window},
        "charged-no-user-limit": charge | {"charged": True, "replayed": False, "user": None},
        "charged-trial": charge
        | {"charged": True, "replayed": False, "org": _org_window(1, 10, "TRIAL")}
        | {"user": None},
        "already-charged": charge | {"charged": False, "replayed": True, "user": user_window},
        "already-charged-no-user": charge | {"charged": False, "replayed": True, "user": None},
        "top-up": top_up | {"replayed": False},
        "top-up-replayed": top_up | {"replayed": True},
        "top-up-no-reason": top_up | {"replayed": False, "topUp": top_up["topUp"] | {"reason": None}},
        "balance": _balance(user=False, trial=False),
        "balance-user": _balance(user=True, trial=False),
        "balance-trial": _balance(user=False, trial=True),
        "balance-trial-user": _balance(user=True, trial=True),
        "balance-no-plan": _balance(user=False, trial=False) | {"plan": None, "planCredits": 0, "limit": 5},
    }
    item = {
        "enquiryId": "enq-1",
        "userId": "alice",
        "window": "2026-11",
        "chargedAt": "2026-11-14T12:30:00.123456Z",
        "state": "CHARGED",
        "executionName": "5b2f8c1e-0d5a-4b8e-9c61-3f0f1a2b3c4d",
    }
    refunded = item | {"state": "REFUNDED", "refundedAt": "2026-11-15T09:00:00Z", "refundReason": "not delivered"}
    cursor = "WyIyMDI2LTExIixudWxsLCIyMDI2LTExLTE0VDEyOjMwOjAwKzAwOjAwIiwiZW5xLTEiXQ"
    outputs |= {
        "usage-page": {"orgId": "acme", "period": "2026-11", "items": [refunded, item], "cursor": cursor},
        "usage-page-last": {"orgId": "acme", "period": "TRIAL", "items": [item | {"window": "TRIAL"}], "cursor": None},
        "usage-page-empty": {"orgId": "acme", "period": "2026-11", "items": [], "cursor": None},
        "usage-entry": {"orgId": "acme"} | item,
        "usage-entry-refunded": {"orgId": "acme"} | refunded | {"refundReason": None},
        "top-ups-listed": {
            "orgId": "acme",
            "period": "2026-11",
            "items": [
                {"topUpId": "zendesk-4711", "credits": 50, "reason": "uplift", "recordedAt": "2026-11-02T10:00:00Z"},
                {"topUpId": "5b2f8c1e", "credits": 5, "reason": None, "recordedAt": "2026-11-01T00:00:00Z"},
            ],
            "truncated": False,
        },
        "top-ups-none": {"orgId": "acme", "period": "2026-11", "items": [], "truncated": True},
        "audit-drift": {
            "orgId": "acme",
            "period": "2026-11",
            "auditedAt": "2026-11-20T12:00:00Z",
            "counters": {"used": 3, "topUps": 0, "users": {"alice": 2}},
            "ledger": {"used": 2, "charged": 2, "reserved": 0, "refunded": 1, "topUps": 0, "users": {"alice": 2}},
            "drift": [{"kind": "ORG_USED", "subject": "org", "counter": 3, "ledger": 2, "entries": ["enq-1", "enq-2"]}],
        },
    }
    for name, text in HOSTILE_TEXTS.items():
        outputs[f"top-up-reason-{name}"] = top_up | {"replayed": name == "quotes", "topUp": {"reason": text}}
    return outputs


def _fail_states(workflow: StateMachineSpec) -> list[tuple[str, str | None]]:
    """(error, cause) of every Fail state of the workflow that names its Error and Cause itself."""
    states = json.loads(workflow.definition)["States"].values()
    return [(state["Error"], state.get("Cause")) for state in states if state["Type"] == "Fail" and "Error" in state]


_RAISED_WITH: dict[type[DomainError], str] = {
    # domain/account.py and domain/services/ raise these with these messages
    errors.NoActivePlan: "the org has no plan; set one before running enquiries",
    errors.TrialExpired: "the trial ended at 2026-11-24T12:00:00+00:00; choose a paid plan to continue",
    errors.OrgLimitReached: "the org has used all 100 credits of 2026-11",
    errors.UserLimitReached: "the user has used all 25 credits allowed per user in 2026-11",
    errors.TrialNotAvailable: "the org has already had its trial",
    errors.EnquiryChargedToAnotherUser: "enquiry enquiry-1 is already recorded for another user",
    errors.EnquiryInProgress: "enquiry enquiry-1 is being charged by another request; retry",
    errors.TopUpNotAvailable: "top-ups add to a paid plan's month; set a paid plan first",
    errors.TopUpIdReused: "top-up zendesk-4711 was already recorded with 50 credits",
    errors.EnquiryRefunded: "enquiry enquiry-1 was refunded; a report run again is a new enquiry, with a new enquiryId",
    errors.EnquiryNotFound: "no charge of enquiry enq-1 is recorded for this org",
    errors.WindowClosed: "enquiry enq-1 was charged to 2026-10, which closed at 2026-11-01T00:00:00+00:00; its credit "
    "cannot be given back",
}

DOMAIN_MESSAGES: dict[str, str] = {
    error.__name__: _RAISED_WITH.get(error, f"the request breaks the rule {error.__name__}")
    for error in errors.REJECTIONS
    if error is not InvalidRequest  # it names its own code and field: the route's invalid requests, below
}
"""Every rejection of the domain (domain/errors.py REJECTIONS) with a message like the one it is raised with: a new
rejection is rendered by both engines without a change here."""


def _answer(error: DomainError) -> dict[str, Any]:
    """A business outcome as a step answers it (functions/common/errors.py), and the workflow ends with it."""
    document = answer(error, "c0f8250e-c48c-4ac0-a03e-73b47f13b40b")
    assert document is not None, error
    return document


def _queried(command: Command) -> None:
    """What the listing's service refuses beyond the command's own validation (domain/history.py: the period's
    form, the cursor), run on an empty store."""
    service = CreditService(InMemoryCreditStore(), FixedClock(datetime(2026, 11, 14, 12, 30, tzinfo=UTC)))
    if isinstance(command, ListCharges):
        service.charges(command.org_id, command.period, command.user_id, command.limit, command.cursor)
    elif isinstance(command, ListTopUps):
        service.top_ups(command.org_id, command.period)


def _invalid_request_answers(route: str) -> dict[str, dict[str, Any]]:
    """The InvalidRequest each client request above gets from the route's function (functions/common/requests.py,
    and the listing's rules in domain/history.py)."""
    model, outside_body, with_body = ROUTE_COMMANDS[route]
    causes: dict[str, dict[str, Any]] = {}
    bodies = request_bodies() if with_body else {}
    queries: dict[str, dict[str, str]] = {"none": {}} | {f"id-{n}": {"userId": bad} for n, bad in enumerate(BAD_IDS)}
    queries |= {f"listing-{n}": query for n, query in enumerate(LISTING_QUERIES)}
    queries |= {f"enquiry-{n}": {"enquiryId": enquiry_id} for n, enquiry_id in enumerate(ENQUIRY_IDS)}
    events = {f"invalid-{name}": {"orgId": _b64("acme"), "body": _b64(body)} for name, body in bodies.items()}
    for name, query in queries.items():
        events[f"invalid-query-{name}"] = {"orgId": _b64("acme"), "body": ""} | {
            field: _b64(value) for field, value in query.items()
        }
    for name, raw in events.items():
        try:
            _queried(parse_command(model, {"raw": raw}, outside_body, with_body))
        except InvalidRequest as rejected:
            causes[name] = _answer(rejected)
    return causes


def answers(route: str) -> dict[str, dict[str, Any]]:
    """Every business outcome an execution can answer (SUCCEEDED, with the client's error document as its output):
    each domain rejection, the route's invalid requests, and hostile messages. The response template is the same for
    every route, so every route gets every rejection."""
    found = {f"rejected-{name}": _answer(getattr(errors, name)(message)) for name, message in DOMAIN_MESSAGES.items()}
    unknown_plan = InvalidRequest("UNKNOWN_PLAN", "plan must be one of Ultimate, Enterprise, Basic, Lite", "plan")
    found["rejected-UNKNOWN_PLAN"] = _answer(unknown_plan)
    found.update(_invalid_request_answers(route))
    for name, text in HOSTILE_TEXTS.items():
        found[f"hostile-message-{name}"] = _answer(errors.OrgLimitReached(text))
    return found


def failures(workflow: StateMachineSpec) -> dict[str, tuple[str | None, str | None]]:
    """(error, cause) of every FAILED execution the workflow can end in (its Fail states, and what Step Functions
    reports of the failures no Catch takes), and of hostile ones."""
    found: dict[str, tuple[str | None, str | None]] = {}
    for error, cause in _fail_states(workflow):
        found[f"fail-state-{error}"] = (error, cause)
    # Failures the workflows do not catch, as Step Functions reports them (the template answers a JSON 500)
    lambda_cause = {"errorMessage": "boom", "errorType": "KeyError", "stackTrace": ['  File "app.py", line 1\n']}
    found |= {
        "runtime-States.Runtime": (
            "States.Runtime",
            "An error occurred while executing the state 'Charged' (entered at the event id #12). "
            "The JSONPath '$.org.reservation.period' specified for the field 'period.$' could not be found "
            "in the input '{\"charge\": {}}'",
        ),
        "runtime-States.DataLimitExceeded": (
            "States.DataLimitExceeded",
            "The state/task 'SetPlan' returned a result with a size exceeding the maximum number of bytes service "
            "limit.",
        ),
        "runtime-States.Timeout": ("States.Timeout", None),
        "runtime-Sandbox.Timedout": ("Sandbox.Timedout", "Task timed out after 3.00 seconds"),
        "runtime-Lambda.Unknown": ("Lambda.Unknown", "The cause could not be determined because Lambda did not ..."),
        "runtime-KeyError": ("KeyError", json.dumps(lambda_cause)),
        "runtime-json-cause-not-a-document": ("StoreUnavailable", '{"errorMessage": "throttled"}'),
        "no-cause": ("ServiceUnavailable", None),
        "empty-cause": ("ServiceUnavailable", ""),
        "no-error-no-cause": (None, None),
        "non-json-cause": ("TopUpIdReused", "not json at all"),
        "cause-code-prefix-truncated": ("OrgLimitReached", '{"code": "ORG_LIMIT_REACHED", "message": "the org has u'),
        "cause-code-without-status": ("OrgLimitReached", '{"code": "ORG_LIMIT_REACHED", "message": "no status"}'),
        "cause-status-as-text": (
            "OrgLimitReached",
            '{"code": "ORG_LIMIT_REACHED", "message": "m", "httpStatus": "402"}',
        ),
        "cause-code-compact": ("OrgLimitReached", '{"code":"ORG_LIMIT_REACHED","message":"m","httpStatus":402}'),
    }
    for name, text in HOSTILE_TEXTS.items():
        found[f"hostile-error-name-{name}"] = (text[:256], "not a document")
    return found


def _execution(status: str, **fields: Any) -> dict[str, Any]:
    arn = "arn:aws:states:eu-west-2:123456789012:express:UseCreditStateMachine:req:req"
    response = {"executionArn": arn, "stateMachineArn": arn.rsplit(":", 2)[0], "name": "req", "status": status}
    return response | {key: value for key, value in fields.items() if value is not None}


def execution_results(route: str, workflow: StateMachineSpec) -> dict[str, str]:
    """StartSyncExecution's 200 bodies for the route: SUCCEEDED, FAILED and TIMED_OUT, as JSON text."""
    results: dict[str, str] = {}
    full = {
        "startDate": 1.7331232e9,
        "stopDate": 1.733123200123e9,
        "input": '{"raw": {}}',
        "inputDetails": {"included": True},
        "billingDetails": {"billedMemoryUsedInMB": 64, "billedDurationInMilliseconds": 100},
    }
    for name, output in workflow_outputs().items():
        compact = json.dumps(output, separators=(",", ":"), ensure_ascii=False)
        results[f"succeeded-{name}"] = json.dumps(_execution("SUCCEEDED", output=compact))
        results[f"succeeded-{name}-spaced"] = json.dumps(_execution("SUCCEEDED", output=json.dumps(output)))
    results["succeeded-full-response"] = json.dumps(
        _execution("SUCCEEDED", output=json.dumps(workflow_outputs()["charged"]), outputDetails={"included": True})
        | full
    )
    for name, document in answers(route).items():
        results[f"answered-{name}"] = json.dumps(_execution("SUCCEEDED", output=json.dumps(document)))
    results["answered-compact"] = json.dumps(
        _execution("SUCCEEDED", output=json.dumps(_answer(errors.EnquiryInProgress("m")), separators=(",", ":")))
    )
    for name, (error, cause) in failures(workflow).items():
        results[f"failed-{name}"] = json.dumps(_execution("FAILED", error=error, cause=cause))
    results["failed-full-response"] = json.dumps(
        _execution(
            "FAILED", error="OrgLimitReached", cause=json.dumps({"code": "X", "message": "m", "httpStatus": 402})
        )
        | full
    )
    results["timed-out"] = json.dumps(_execution("TIMED_OUT"))
    results["timed-out-with-error"] = json.dumps(_execution("TIMED_OUT", error="States.Timeout", cause="too slow"))
    results["timed-out-full-response"] = json.dumps(_execution("TIMED_OUT") | full)
    return results


START_REFUSALS: dict[str, Any] = {
    # The 400 bodies StartSyncExecution answers with (AWS JSON protocol: __type and message), and the emulator's own
    "throttled": {"__type": "com.amazonaws.swf.service.v2.model#ThrottlingException", "message": "Rate exceeded"},
    "throttled-short": {"__type": "ThrottlingException", "message": "refused"},
    "kms-throttled": {"__type": "KmsThrottlingException", "message": "KMS is throttling"},
    "invalid-input": {"__type": "com.amazonaws.swf.service.v2.model#InvalidExecutionInput", "message": "bad"},
    "invalid-input-emulator": {"__type": "InvalidExecutionInput", "message": "the input is not valid JSON"},
    "too-long": {
        "__type": "com.amazonaws.swf.service.v2.model#ValidationException",
        "message": "1 validation error detected: Value at 'input' failed to satisfy constraint: "
        "Member must have length less than or equal to 262144",
    },
    "too-long-emulator": {"__type": "ValidationException", "message": "input is 300012 bytes, over 262144"},
    "access-denied": {
        "__type": "AccessDeniedException",
        "message": "User: arn:aws:sts::1:assumed-role/ApiRole is not authorized",
    },
    "no-state-machine": {"__type": "StateMachineDoesNotExist", "message": "State Machine Does Not Exist: 'arn'"},
    "invalid-arn": {"__type": "InvalidArn", "message": "Invalid Arn: 'Resource type not valid in this context'"},
    "invalid-name": {"__type": "InvalidName", "message": "Invalid Name: 'req id'"},
    "deleting": {"__type": "StateMachineDeleting", "message": "deleting"},
    "validation-other": {"__type": "ValidationException", "message": "1 validation error detected: name"},
    "unknown-operation": {"__type": "UnknownOperationException"},
    "no-type": {"message": "something went wrong"},
    "message-number": {"__type": "ValidationException", "message": 262144},
    "message-null": {"__type": "ThrottlingException", "message": None},
    "type-null": {"__type": None, "message": None},
    "hostile-message": {"__type": "AccessDeniedException", "message": HOSTILE_TEXTS["quotes"] + HOSTILE_TEXTS["emoji"]},
    "empty-object": {},
}


def start_refusals() -> dict[str, str]:
    bodies = {name: json.dumps(body) for name, body in START_REFUSALS.items()}
    bodies["empty-body"] = ""
    return bodies


SERVER_ERRORS = {
    "internal": json.dumps({"__type": "InternalServerError", "message": "Internal error"}),
    "unavailable": json.dumps({"__type": "ServiceUnavailable", "message": "Service Unavailable"}),
    "empty-body": "",
    "html": "<html><body>502 Bad Gateway</body></html>",
}

GATEWAY_MESSAGES = [
    # The messages API Gateway's own responses carry ($context.error.message)
    "Missing Authentication Token",
    "Unsupported Media Type",
    "Endpoint request timed out",
    "Too Many Requests",
    "Limit Exceeded",
    "Forbidden",
    "Unauthorized",
    "Invalid request body",
    "Request too long",
    "Internal server error",
    "Invalid API Key identifier specified",
    "Missing Authentication Token 😀 é",
]


# ---- the cases ----------------------------------------------------------------------------------------------

PATH_ORG_IDS = [
    "acme",
    "org-0123456789ab",
    ("org-" + "x" * 128)[:128],
    "acme ",
    " acme",
    "acme/x",
    "acmeé",
    "acme,1",
    " ",
]
"""Path orgIds, URL-decoded as API Gateway hands them over (test_errors' bad path ids)."""


def _request(route: str, method: str, case_id: str, org_id: str, query: dict[str, str], body: str,
             headers: dict[str, str] | None = None, enquiry_id: str = "enq-1") -> HttpRequest:  # fmt: skip
    path_params = {"orgId": org_id} | ({"enquiryId": enquiry_id} if "{enquiryId}" in route else {})
    return HttpRequest(
        method=method,
        path=route.replace("{orgId}", org_id).replace("{enquiryId}", enquiry_id),
        path_params=path_params,
        query=query,
        headers={"Content-Type": "application/json", "User-Agent": "vtl-corpus"} | (headers or {}),
        body=body,
        request_id=str(uuid.uuid5(uuid.NAMESPACE_URL, case_id)),
        resource_path=route,
        # API Gateway's own id, in its form: 16 characters of URL-safe base64 ending in "=" (emulator/gateway.py)
        extended_request_id=base64.urlsafe_b64encode(uuid.uuid5(uuid.NAMESPACE_DNS, case_id).bytes[:11]).decode(),
    )


def _workflow(stack: Stack, integration: dict[str, Any]) -> StateMachineSpec:
    """The state machine the route's request template starts, as the stack deploys it (substitutions made)."""
    arn = re.search(r"stateMachine:(\w+)", integration["requestTemplates"]["application/json"])
    assert arn is not None, "a request template names no state machine"
    return stack.state_machines[arn.group(1)]


def _request_cases(stack: Stack) -> Iterator[Case]:
    bodies = request_bodies()
    for route in stack.routes:
        template = route.integration["requestTemplates"]["application/json"]
        name = f"{route.method} {route.path} request"
        queries: list[dict[str, str]] = [{}, {"userId": "user-1"}]
        for body_name, body in bodies.items():
            for query in queries if body_name.startswith("valid") else [{}]:
                case_id = f"{name} body={body_name} query={'&'.join(query)}"
                request = _request(route.path, route.method, case_id, "acme", query, body)
                yield Case(case_id, "request", name, template, request, body)
        default_body = next(iter(VALID_BODIES[f"{route.method} {route.path}"])) or ""
        body_text = "" if default_body == "" else json.dumps(default_body)
        for number, org_id in enumerate(PATH_ORG_IDS[1:]):
            case_id = f"{name} org=path-{number}"
            request = _request(route.path, route.method, case_id, org_id, {}, body_text)
            yield Case(case_id, "request", name, template, request, body_text)
        for number, user_id in enumerate(BAD_IDS + GOOD_IDS + [HOSTILE_TEXTS["quotes"], HOSTILE_TEXTS["emoji"]]):
            case_id = f"{name} query=userId-{number}"
            request = _request(route.path, route.method, case_id, "acme", {"userId": user_id}, body_text)
            yield Case(case_id, "request", name, template, request, body_text)
        for number, extra in enumerate([{"period": "2026-11"}, {"userId": "user-1", "x": "'\"\\"}, {"UserId": "caps"}]):
            case_id = f"{name} query=extra-{number}"
            request = _request(route.path, route.method, case_id, "acme", extra, body_text)
            yield Case(case_id, "request", name, template, request, body_text)
        for number, query in enumerate(LISTING_QUERIES):
            case_id = f"{name} query=listing-{number}"
            request = _request(route.path, route.method, case_id, "acme", query, body_text)
            yield Case(case_id, "request", name, template, request, body_text)
        for number, enquiry_id in enumerate(ENQUIRY_IDS if "{enquiryId}" in route.path else []):
            case_id = f"{name} enquiry=path-{number}"
            request = _request(route.path, route.method, case_id, "acme", {}, body_text, enquiry_id=enquiry_id)
            yield Case(case_id, "request", name, template, request, body_text)
        case_id = f"{name} headers=hostile"
        headers = {
            "User-Agent": HOSTILE_TEXTS["quotes"],
            "X-Forwarded-For": "1.2.3.4",
            "content-type": "application/json",
        }
        request = _request(route.path, route.method, case_id, "acme", {}, body_text, headers)
        yield Case(case_id, "request", name, template, request, body_text)


CANONICAL_ROUTE = ("/orgs/{orgId}/usage", "POST")


def _reads_the_request(template: str) -> bool:
    """Whether a template reads anything of the request but its id ($context.requestId is the case's own)."""
    return re.search(r"\$!?\{?(context\.(?!responseOverride|requestId)|input\.params)", template) is not None


def _response_cases(stack: Stack) -> Iterator[Case]:
    for route in stack.routes:
        workflow = _workflow(stack, route.integration)
        for pattern, response in route.integration["responses"].items():
            template = response["responseTemplates"]["application/json"]
            name = f"{route.method} {route.path} response {pattern}"
            if pattern == "default":
                bodies = execution_results(f"{route.method} {route.path}", workflow)
            elif pattern.startswith("4"):
                bodies = start_refusals()
            else:
                bodies = SERVER_ERRORS
            for body_name, body in bodies.items():
                case_id = f"{name} body={body_name}"
                # A template that reads nothing of the request renders alike for every route: one request for all
                # lets corpus() keep one case of each body, not one per route.
                path, method = (route.path, route.method) if _reads_the_request(template) else CANONICAL_ROUTE
                request = _request(path, method, case_id, "acme", {}, "{}")
                yield Case(case_id, "response", name, template, request, body)


def _gateway_cases(stack: Stack) -> Iterator[Case]:
    for kind, response in stack.gateway_responses.items():
        template = response["responseTemplates"]["application/json"]
        name = f"gateway response {kind}"
        for number, message in enumerate(GATEWAY_MESSAGES):
            case_id = f"{name} message={number}"
            request = _request("/orgs/{orgId}/credits", "GET", case_id, "acme", {}, "")
            yield Case(case_id, "gateway", name, template, request, "", GatewayError(kind, message))


PROBES: dict[str, str] = {
    # The Velocity idioms emulator/vtl.py aligns airspeed on (tests/unit/test_vtl.py), beyond what the API's
    # templates use today: the judge keeps each alignment honest.
    "escape-javascript": "$util.escapeJavaScript($input.path('$.text'))",
    "escape-javascript-idiom": """{"v": "$util.escapeJavaScript($input.path('$.text')).replaceAll("\\\\'", "'")"}""",
    "string-literals": """#set($s = "a\\\\b\\nc")$s $s.length() #set($t = 'it''s')$t """
    """#set($u = "${context.requestId}-\\u0041")$u""",
    "hyphenated-identifiers": "$context.requestId-x ${context.requestId}-x $context.httpMethod $context.stage",
    "params": "$input.params('content-type') [$input.params('missing')] $input.params('orgId') $input.params('userId')",
    "params-maps": "#set($all = $input.params())#foreach($type in $all.keySet())$type:"
    "#foreach($name in $all.get($type).keySet())$name=$all.get($type).get($name);#end#end",
    "input-json": "$input.json('$') | $input.json('$.text') | $input.json('$.l') | $input.json('$.code') | "
    "[$input.json('$.nope')]",
    "input-path-objects": "#set($r = $input.path('$'))$r $r.size() $r.m.b[2].k #foreach($v in $r.m)$v;#end "
    "$r.l $r.l.size()",
    "input-path-missing": "#if($input.path('$.nope'))set#{else}null#end [$!input.path('$.nope')]",
    "undefined-references": "$nope $context.nope [$!nope] ${nope} $!{nope}",
    "truth-of-values": "#set($z = 0)#set($e = '')#set($l = [])#set($f = $input.path('$.ok'))"
    "#if($z)y#{else}n#end #if($e)y#{else}n#end #if($l)y#{else}n#end #if($nope)y#{else}n#end #if(!$nope)y#{else}n#end "
    "#if($f)y#{else}n#end #if($f && $z)y#{else}n#end #if($nope || $e)y#{else}n#end",
    "equality": """#if($input.path('$.code') == "402")s#{else}d#end #if($input.path('$.code') == 402)s#{else}d#end """
    """#if($input.path('$.text') == $input.path('$.l[0]'))s#{else}d#end """
    """#if($input.path('$.nope') == $null)s#{else}d#end""",
    "numbers": """#set($s = "n=" + 3)$s #set($n = $input.path('$.code'))$n.toString() #set($m = $n + 1)$m """
    """$input.path('$.ok').toString()""",
    "java-string-methods": "#set($s = ' Hello World ')$s.length() $s.contains('World') $s.startsWith(' Hel') "
    "$s.endsWith('d ') "
    "$s.toLowerCase() $s.toUpperCase() [$s.trim()] $s.trim().equals('Hello World') $s.isEmpty() $s.substring(1, 6) "
    "$s.indexOf('o') $s.replace('o', '0') $s.replaceAll('(\\w+) (\\w+)', '$2 $1') $s.matches('\\s*Hello.*')",
    "parse-json": """#set($o = $util.parseJson($input.body))$o #set($p = $util.parseJson('[1, {"a": "/"}]'))"""
    """$p $p[1] $o.m.b""",
    "base64-and-url": "$util.base64Encode($input.body) $util.base64Decode($util.base64Encode($input.path('$.text'))) "
    "$util.urlEncode($input.path('$.text')) $util.urlDecode($util.urlEncode($input.path('$.text')))",
    "response-overrides": """#set($context.responseOverride.status = 402)"""
    """#set($context.responseOverride.header.X-Request-Id = "$context.requestId")"""
    """#set($context.responseOverride.header.Location = '/orgs/acme')ok""",
    "status-override-as-text": """#set($context.responseOverride.status = "409")"""
    """#set($context.responseOverride.header.X = $input.path('$.code'))ok""",
    "whitespace-around-directives": "#if(false)\na\n#else\nb\n#end\nc\n#set($a = 1)\nd #if(true) e #end f\n"
    "#if(false)g#{else}  \nh#end\n#if(true)\n  #set($b = 1)\n  i\n#end",
}

PROBE_TEXTS = [
    "emoji",
    "quotes",
    "backslashes",
    "control",
    "dollars",
    "hashes",
    "separators",
    "accents",
    "html",
    "slashes",
]


def _probe_cases() -> Iterator[Case]:
    for probe, template in PROBES.items():
        name = f"probe {probe}"
        for text_name in ["plain", *PROBE_TEXTS]:
            text = "Hello" if text_name == "plain" else HOSTILE_TEXTS[text_name]
            document = {
                "text": text,
                "code": 402,
                "ok": True,
                "m": {"a": None, "b": [1, "x", {"k": "/"}]},
                "l": [text, 1.5],
            }
            body = json.dumps(document, ensure_ascii=text_name == "control")
            case_id = f"{name} body={text_name}"
            request = _request("/orgs/{orgId}/usage", "POST", case_id, "acme", {"userId": text}, body)
            yield Case(case_id, "probe", name, template, request, body)


@cache
def corpus(template_path: Path | None = None) -> tuple[Case, ...]:
    stack = load_stack() if template_path is None else load_stack(template_path)
    distinct: dict[tuple[object, ...], Case] = {}
    for case in (*_request_cases(stack), *_response_cases(stack), *_gateway_cases(stack), *_probe_cases()):
        distinct.setdefault(case.inputs(), case)  # e.g. two bodies the same function refuses with the same words
    cases = tuple(distinct.values())
    assert len({case.id for case in cases}) == len(cases), "two corpus cases share an id"
    return cases
