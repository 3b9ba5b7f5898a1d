"""The sample events of events/, one or more per function: the SAM convention for `sam local invoke <Function> -e
events/<file>.json`. Each is what the function is handed in the scenario below, recorded from the workflows
themselves on a fresh emulator (named executions, a frozen clock), so it is the event the deployed workflow sends;
tests/integration/test_sample_events.py runs the scenario again and fails while a file differs, then invokes each
function with each of its events. `make events` (python -m tests.integration.sample_events) writes them again.

File names: events/<function's module>.json, and events/<function's module>-<case>.json for another case of the
same function (functions/<module>/app.py is the function's code).
"""

from __future__ import annotations

import json
import sys
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from emulator.cloud import LocalCloud
from emulator.vtl import HttpRequest, render_request_template

ROOT = Path(__file__).resolve().parents[2]
EVENTS = ROOT / "events"
AT = datetime(2026, 11, 10, 12, 0, tzinfo=UTC)
"""The scenario's instant: the clock stands still at it."""

SCHEDULED_EVENT = {
    # What EventBridge hands a function on a schedule (`sam local generate-event cloudwatch scheduled-event`, and
    # "Amazon EventBridge events", EventBridge user guide): the sweep reads none of it.
    "version": "0",
    "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
    "detail-type": "Scheduled Event",
    "source": "aws.events",
    "account": "123456789012",
    "time": "2026-11-10T12:00:00Z",
    "region": "eu-west-2",
    "resources": ["arn:aws:events:eu-west-2:123456789012:rule/SweepReservationsSchedule"],
    "detail": {},
}


@dataclass(frozen=True)
class Step:
    """One request of the scenario, through the API's own request template, under an execution name of its own."""

    method: str
    path: str
    name: str
    body: dict[str, Any] | None = None
    query: dict[str, str] | None = None
    case: str | None = None
    """The events this step records are the functions' <case> ones; None: their first."""
    recorded: frozenset[str] | None = None
    """The functions whose events it records (None: every function it invokes)."""
    side_by_side: bool = False
    """Its invocations run side by side (a Map): the least of its events is recorded, not the first."""


def _charge(enquiry_id: str, name: str, org_id: str = "acme", **options: Any) -> Step:
    return Step("POST", f"/orgs/{org_id}/usage", name, {"enquiryId": enquiry_id, "userId": "alice"}, **options)


SCENARIO: list[Step] = [
    Step("PUT", "/orgs/acme/plan", "events-set-plan", {"plan": "Basic"}),
    Step("PUT", "/orgs/acme/user-limit", "events-set-user-limit", {"limit": 1}),
    Step("POST", "/orgs/acme/top-ups", "events-top-up", {"credits": 50, "topUpId": "zendesk-4711", "reason": "uplift"}),
    _charge("enq-1", "events-charge"),  # validate, the org's and the user's reservations, notify
    _charge("enq-2", "events-user-limit", case="user-limit", recorded=frozenset({"ReleaseOrgCreditFunction"})),
    Step("POST", "/orgs/acme/refunds", "events-refund", {"enquiryId": "enq-1", "reason": "report failed to deliver"}),
    Step("GET", "/orgs/acme/balance", "events-balance", query={"userId": "alice"}),
    Step("GET", "/orgs/acme/usage", "events-usage", query={"period": "2026-11", "limit": "50"}),
    Step("GET", "/orgs/acme/usage/enq-1", "events-usage-entry"),
    Step("GET", "/orgs/acme/top-ups", "events-top-ups", query={"period": "2026-11"}),
    Step("GET", "/orgs/acme/audit", "events-audit", query={"period": "2026-11"}),
    # Lite's 20 credits used, then one more: the notice of the limit reached goes out with the denial
    Step("PUT", "/orgs/acme-lite/plan", "events-lite-plan", {"plan": "Lite"}, recorded=frozenset()),
    *(_charge(f"lite-{n}", f"events-lite-{n}", "acme-lite", recorded=frozenset()) for n in range(20)),
    _charge("lite-20", "events-org-limit", "acme-lite", case="limit-reached", recorded=frozenset({"NotifyFunction"})),
]


def _start(cloud: LocalCloud, step: Step) -> None:
    """Start the step's workflow as API Gateway does: its route's request template rendered for the request (the
    execution named after the extended request id, here the step's name), then StartSyncExecution."""
    route, params = next(
        (route, found)
        for route in cloud.stack.routes
        if route.method == step.method and (found := route.pattern.match(step.path)) is not None
    )
    request = HttpRequest(
        method=step.method,
        path=step.path,
        path_params={name: unquote(value) for name, value in params.groupdict().items()},
        query=step.query or {},
        headers={"Content-Type": "application/json"},
        body="" if step.body is None else json.dumps(step.body),
        request_id=str(uuid.uuid5(uuid.NAMESPACE_URL, step.name)),
        resource_path=route.path,
        extended_request_id=f"{step.name}=",
    )
    call = json.loads(render_request_template(route.integration["requestTemplates"]["application/json"], request).text)
    assert call["name"] == step.name, call
    cloud.start_sync_execution(call["stateMachineArn"], call["input"], name=call["name"])


def module_of(cloud: LocalCloud, function: str) -> str:
    """The function's module under functions/ (its Handler is functions.<module>.app.lambda_handler)."""
    return cloud.stack.functions[function].handler.split(".")[1]


def function_of(cloud: LocalCloud, file_stem: str) -> str:
    module = file_stem.split("-", 1)[0]
    (function,) = [name for name in cloud.stack.functions if module_of(cloud, name) == module]
    return function


def run_scenario(cloud: LocalCloud) -> dict[str, dict[str, Any]]:
    """Run the scenario on `cloud` (a fresh one: the orgs are acme and acme-lite) and answer the events it recorded,
    by file stem; the scheduled event of each scheduled function among them."""
    recorded: dict[str, dict[str, Any]] = {}
    current: list[Step] = []

    def record(function: str, event: dict[str, Any]) -> None:
        step = current[-1]
        if step.recorded is not None and function not in step.recorded:
            return
        stem = module_of(cloud, function) + ("" if step.case is None else f"-{step.case}")
        copied = json.loads(json.dumps(event))
        # the first a step sent, or (a Map's items, sent side by side in no fixed order) the least of them
        recorded[stem] = (
            min(recorded.get(stem, copied), copied, key=json.dumps) if step.side_by_side else recorded.get(stem, copied)
        )

    hook: Callable[[str, dict[str, Any]], None] = record
    cloud.invocation_hooks.append(hook)
    cloud.clock.freeze(AT)
    try:
        for step in SCENARIO:
            current.append(step)
            _start(cloud, step)
        # The daily audit, as its schedule starts it: its function's event is a shard's first page
        audit = Step(
            "SCHEDULE", "", "events-audit-every-org", recorded=frozenset({"AuditEveryOrgFunction"}), side_by_side=True
        )
        current.append(audit)
        cloud.run_workflow("AuditEveryOrgStateMachine", SCHEDULED_EVENT, timeout=60)
    finally:
        cloud.invocation_hooks.remove(hook)
        cloud.clock.thaw()
    for function, spec in cloud.stack.functions.items():
        if spec.schedule_seconds is not None:
            recorded[module_of(cloud, function)] = SCHEDULED_EVENT
    return recorded


def written() -> dict[str, dict[str, Any]]:
    """The events in events/, by file stem."""
    return {path.stem: json.loads(path.read_text(encoding="utf-8")) for path in sorted(EVENTS.glob("*.json"))}


def write(events: dict[str, dict[str, Any]]) -> None:
    EVENTS.mkdir(exist_ok=True)
    for stale in EVENTS.glob("*.json"):
        stale.unlink()
    for stem, event in sorted(events.items()):
        (EVENTS / f"{stem}.json").write_text(json.dumps(event, indent=2) + "\n", encoding="utf-8")


def check(cloud: LocalCloud) -> dict[str, Any]:
    """Run the scenario on `cloud` (a fresh one), then invoke each function with each of its events in events/, as
    `sam local invoke` does: what differs between the files and the scenario's events, and how each invocation
    ended ("ok", or the error type Lambda reports)."""
    recorded = run_scenario(cloud)
    files = written()
    differences = {
        stem: {"file": files.get(stem), "scenario": recorded.get(stem)}
        for stem in sorted(set(files) | set(recorded))
        if files.get(stem) != recorded.get(stem)
    }
    invocations: dict[str, str] = {}
    for stem, event in files.items():
        answer = cloud.invoke(function_of(cloud, stem), event)
        invocations[stem] = str(answer["Payload"].get("errorType")) if "FunctionError" in answer else "ok"
    return {"differences": differences, "invocations": invocations, "functions": sorted(cloud.stack.functions)}


if __name__ == "__main__":
    from emulator import patches

    patches.apply()
    with LocalCloud() as fresh:
        if sys.argv[1:] == ["--check"]:
            print(json.dumps(check(fresh)))
        else:
            write(run_scenario(fresh))
            print(f"wrote {len(list(EVENTS.glob('*.json')))} events to {EVENTS.relative_to(ROOT)}/", file=sys.stderr)
