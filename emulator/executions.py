"""The executions the emulator ran, for /_local/executions: the last N of them, newest first, each with the request
that started it (when API Gateway did) and its steps, read from the interpreter's execution history as the Step
Functions console reads an execution's events."""

from __future__ import annotations

import json
import os
import threading
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

KEPT_VARIABLE = "EMULATOR_EXECUTIONS_KEPT"
DEFAULT_KEPT = 200


def kept_from_environment() -> int:
    text = os.environ.get(KEPT_VARIABLE) or str(DEFAULT_KEPT)
    if not text.isdigit() or int(text) < 1:
        raise SystemExit(f"{KEPT_VARIABLE} must be a whole number of executions, at least 1, not {text!r}")
    return int(text)


@dataclass
class Answered:
    """What API Gateway made of the execution: the request's ids and what it answered."""

    request_id: str
    http_status: int
    code: str | None
    """The error document's code, when the answer was an error."""
    body: Any
    """What the client was answered (the JSON document, or the text when it is not JSON)."""
    org_id: str | None
    enquiry_id: str | None
    user_id: str | None


@dataclass
class Execution:
    name: str
    state_machine: str
    """The state machine's logical id in template.yaml."""
    arn: str
    started_at: datetime
    status: str = "RUNNING"
    stopped_at: datetime | None = None
    output: str | None = None
    error: str | None = None
    cause: str | None = None
    answered: Answered | None = None
    history: Callable[[], Iterable[Mapping[str, Any]]] = field(default=lambda: [], repr=False)
    """The interpreter's history events of the execution, read when asked for."""
    definition: str = field(default="{}", repr=False)
    """The state machine's definition (ASL, its substitutions made) the execution ran."""

    @property
    def duration_ms(self) -> float | None:
        if self.stopped_at is None:
            return None
        return round((self.stopped_at - self.started_at).total_seconds() * 1000, 1)

    def summary(self) -> dict[str, Any]:
        answered = self.answered
        return {
            "name": self.name,
            "stateMachine": self.state_machine,
            "status": self.status,
            "startedAt": _iso(self.started_at),
            "durationMs": self.duration_ms,
            "requestId": None if answered is None else answered.request_id,
            "orgId": None if answered is None else answered.org_id,
            "enquiryId": None if answered is None else answered.enquiry_id,
            "userId": None if answered is None else answered.user_id,
            "httpStatus": None if answered is None else answered.http_status,
            "code": None if answered is None else answered.code,
        }

    def details(self) -> dict[str, Any]:
        return self.summary() | {
            "executionArn": self.arn,
            "stoppedAt": _iso(self.stopped_at),
            "error": self.error,
            "cause": self.cause,
            "output": self.output,
            "answer": None if self.answered is None else self.answered.body,
            "definition": json.loads(self.definition),
            "steps": steps(self.history()),
        }


def _iso(instant: datetime | None) -> str | None:
    """Always to the microsecond: one width, so that the instants sort as text (isoformat drops a zero fraction, and
    "...:01Z" sorted after "...:01.001000Z")."""
    return None if instant is None else instant.isoformat(timespec="microseconds").replace("+00:00", "Z")


class ExecutionJournal:
    """The last `kept` executions, by name; the memory they hold is bounded by `kept`."""

    def __init__(self, kept: int) -> None:
        self.kept = kept
        self._executions: deque[Execution] = deque(maxlen=kept)
        self._lock = threading.Lock()

    def started(self, execution: Execution) -> None:
        with self._lock:
            self._executions.append(execution)

    def answered(self, name: str, answer: Answered) -> None:
        found = self.find(name)
        if found is not None:
            found.answered = answer

    def find(self, name_or_request_id: str) -> Execution | None:
        """The newest execution of that name, or the one that answered the request of that id."""
        with self._lock:
            executions = list(self._executions)
        for execution in reversed(executions):
            if execution.name == name_or_request_id:
                return execution
            if execution.answered is not None and execution.answered.request_id == name_or_request_id:
                return execution
        return None

    def newest_first(
        self,
        org_id: str | None = None,
        state_machine: str | None = None,
        status: str | None = None,
        limit: int | None = None,
    ) -> list[Execution]:
        with self._lock:
            executions = list(self._executions)
        found = [
            execution
            for execution in reversed(executions)
            if (org_id is None or (execution.answered is not None and execution.answered.org_id == org_id))
            and (state_machine is None or execution.state_machine == state_machine)
            and (status is None or execution.status == status)
        ]
        return found if limit is None else found[:limit]


# -- the steps of an execution, from its history events ------------------------------------------------------

_ATTEMPT_STARTS = ("LambdaFunctionScheduled", "TaskScheduled")
_FAILURES = (
    "LambdaFunctionFailed",
    "LambdaFunctionTimedOut",
    "LambdaFunctionScheduleFailed",
    "LambdaFunctionStartFailed",
    "TaskFailed",
    "TaskTimedOut",
)


def _details(event: Mapping[str, Any]) -> Mapping[str, Any]:
    """An event's details (its one ...EventDetails member), or nothing."""
    return next((value for key, value in event.items() if key.endswith("EventDetails")), {})


def _text(value: Any) -> str:
    """An event's type as its name (the interpreter's are enums; the API's, strings)."""
    return str(getattr(value, "value", value) or "")


def _time(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    return None if value is None else datetime.fromisoformat(str(value))


def _parsed(text: Any) -> Any:
    """A step's input or output: the JSON it holds, or the text as it is."""
    if not isinstance(text, str):
        return text
    try:
        return json.loads(text)
    except ValueError:
        return text


def steps(history: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Each state the execution entered, in the order it entered them: its type, when it was entered and exited,
    how long it took, its input and output, how many times its task was tried (retries: all but the first), the
    failures of its attempts, and whether a failure was caught (the state exited all the same, to its Catch)."""
    found: list[dict[str, Any]] = []
    current: dict[str, Any] | None = None
    for event in history:
        kind = _text(event.get("type"))
        details = _details(event)
        at = _time(event.get("timestamp"))
        if kind.endswith("StateEntered"):
            current = {
                "name": details.get("name"),
                "type": kind.removesuffix("StateEntered"),
                "enteredAt": _iso(at),
                "exitedAt": None,
                "durationMs": None,
                "input": _parsed(details.get("input")),
                "output": None,
                "attempts": 0,
                "retries": 0,
                "failures": [],
                "caught": False,
                "_entered": at,
            }
            found.append(current)
        elif current is None:
            continue
        elif kind in _ATTEMPT_STARTS:
            current["attempts"] += 1
            current["retries"] = max(current["attempts"] - 1, 0)
        elif kind in _FAILURES:
            current["failures"].append({"error": details.get("error"), "cause": _parsed(details.get("cause"))})
        elif kind.endswith("StateExited") and details.get("name") == current["name"]:
            current["exitedAt"] = _iso(at)
            current["output"] = _parsed(details.get("output"))
            entered = current["_entered"]
            if at is not None and entered is not None:
                current["durationMs"] = round((at - entered).total_seconds() * 1000, 1)
            # A task whose last attempt failed and that exited all the same was caught: its Catch chose the next state
            current["caught"] = bool(current["failures"]) and current["attempts"] == len(current["failures"])
        elif kind in ("ExecutionFailed", "ExecutionTimedOut") and current["exitedAt"] is None:
            current["failures"].append({"error": details.get("error"), "cause": _parsed(details.get("cause"))})
    for step in found:
        del step["_entered"]
    return found
