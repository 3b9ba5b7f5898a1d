"""What the workflow tests share: running the real state machines through the emulated account, and faults
injected with `cloud.invocation_hooks` (called before each handler runs)."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from domain.errors import REJECTIONS
from emulator.cloud import ExecutionResult, LocalCloud
from functions.common.errors import ANSWERED


def b64(text: str) -> str:
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def execution_input(
    org_id: str,
    body: dict[str, Any] | None = None,
    user_id: str | None = None,
    params: dict[str, str] | None = None,
) -> str:
    """The execution input API Gateway's request template builds (api/source/start-execution.vtl); `params`: the
    request's other path and query parameters (enquiryId, period, limit, cursor)."""
    raw = {
        "orgId": b64(org_id),
        "userId": None if user_id is None else b64(user_id),
        "body": "" if body is None else b64(json.dumps(body)),
    }
    raw |= {name: b64(value) for name, value in (params or {}).items()}
    return json.dumps({"requestId": b64(str(uuid.uuid4())), "raw": raw})


@dataclass
class Workflows:
    """Starts the stack's state machines as API Gateway does (StartSyncExecution) and reads their history."""

    cloud: LocalCloud

    def run(
        self,
        machine: str,
        org_id: str,
        body: dict[str, Any] | None = None,
        user_id: str | None = None,
        params: dict[str, str] | None = None,
    ) -> ExecutionResult:
        arn = self.cloud.stack.state_machines[machine].arn
        return self.cloud.start_sync_execution(arn, execution_input(org_id, body, user_id, params))

    def succeeded(
        self,
        machine: str,
        org_id: str,
        body: dict[str, Any] | None = None,
        user_id: str | None = None,
        params: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        result = self.run(machine, org_id, body, user_id, params)
        assert result.status == "SUCCEEDED", result
        output: dict[str, Any] = json.loads(result.output or "")
        return output

    def set_plan(self, org_id: str, plan: str) -> None:
        self.succeeded("SetPlanStateMachine", org_id, {"plan": plan})

    def set_user_limit(self, org_id: str, limit: int | None) -> None:
        self.succeeded("SetUserLimitStateMachine", org_id, {"limit": limit})

    def top_up(self, org_id: str, credits: int) -> None:
        self.succeeded("TopUpStateMachine", org_id, {"credits": credits})

    def use(self, org_id: str, enquiry_id: str, user_id: str = "user-1") -> ExecutionResult:
        return self.run("UseCreditStateMachine", org_id, {"enquiryId": enquiry_id, "userId": user_id})

    def balance(self, org_id: str, user_id: str | None = None) -> dict[str, Any]:
        return self.succeeded("GetBalanceStateMachine", org_id, user_id=user_id)

    def states_entered(self, result: ExecutionResult) -> list[str]:
        return [
            event["stateEnteredEventDetails"]["name"]
            for event in self.cloud.execution_history(result.execution_arn)
            if event["type"].endswith("StateEntered")
        ]

    def lambda_failures(self, result: ExecutionResult) -> list[str]:
        return [
            event["lambdaFunctionFailedEventDetails"]["error"]
            for event in self.cloud.execution_history(result.execution_arn)
            if event["type"] == "LambdaFunctionFailed"
        ]


@dataclass
class Fault:
    """An invocation hook that records the calls of one function and fails those `fail_on` selects."""

    function: str
    error: Callable[[], Exception]
    fail_on: Callable[[int], bool]
    before_failing: Callable[[dict[str, Any]], object] | None = None
    calls: int = 0

    def __call__(self, function: str, event: dict[str, Any]) -> None:
        if function != self.function:
            return
        self.calls += 1
        if self.fail_on(self.calls):
            if self.before_failing is not None:
                self.before_failing(event)
            raise self.error()


def inject(cloud: LocalCloud, fault: Fault) -> Fault:
    cloud.invocation_hooks.append(fault)
    return fault


def always(_: int) -> bool:
    return True


def first_call_only(call: int) -> bool:
    return call == 1


def run_handler(cloud: LocalCloud, function: str, event: dict[str, Any]) -> object:
    """Run the function's real handler in its container (the one the workflow invokes): a first attempt whose answer
    is then lost, or a write that lands late."""
    return cloud.run_in_container(function, event)


REJECTION_NAMES = {error.code: error.__name__ for error in REJECTIONS}
"""Each business outcome's code, by the name of the domain error that answers it."""


def answered(result: ExecutionResult) -> dict[str, Any] | None:
    """The business outcome an execution answered (the client's error document), or None for anything else."""
    if result.status != "SUCCEEDED":
        return None
    output: dict[str, Any] = json.loads(result.output or "")
    return output if ANSWERED in output else None


def error_document(result: ExecutionResult) -> dict[str, Any]:
    """The error document an execution answers with: a business outcome (its output), or a fault's (the Fail
    state's Cause)."""
    document = answered(result)
    if document is not None:
        return document
    assert result.status == "FAILED", result
    assert result.cause is not None, result
    cause: dict[str, Any] = json.loads(result.cause)
    return cause


def outcome(result: ExecutionResult) -> str:
    """charged, replayed, the domain error's name of a business outcome (OrgLimitReached, InvalidRequest...), or the
    error a failed execution ended with (ServiceUnavailable)."""
    document = answered(result)
    if document is not None:
        return REJECTION_NAMES.get(document["code"], "InvalidRequest" if document[ANSWERED] == 400 else "?")
    if result.status == "SUCCEEDED":
        return "charged" if json.loads(result.output or "")["charged"] else "replayed"
    return str(result.error)


def notifications_for(cloud: LocalCloud, org_id: str, kind: str | None = None) -> list[dict[str, Any]]:
    """What the alerts topic was sent about the org (optionally of one kind), oldest first."""
    return [
        note
        for note in cloud.notifications()
        if note.get("orgId") == org_id and (kind is None or note.get("kind") == kind)
    ]


def swept_enquiries(cloud: LocalCloud, org_id: str) -> list[str]:
    """Run the scheduled sweep once; the enquiries of this org it gave back (other tests' orgs may be swept too)."""
    response = cloud.invoke("SweepReservationsFunction")
    assert "FunctionError" not in response, response
    return [item["enquiryId"] for item in response["Payload"]["reservations"] if item["orgId"] == org_id]
