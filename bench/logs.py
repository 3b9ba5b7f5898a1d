"""What a decision writes to CloudWatch Logs on AWS, built from what the emulator ran, in AWS's formats.

- Step Functions, Express, as the template's LoggingConfiguration says (Level, IncludeExecutionData): one log event
  per history event the level admits ("Log levels", Step Functions developer guide: ALL logs every event type,
  ERROR only the failure types below). Each is a JSON record of the fields AWS documents for Express logs (AWS CDK's
  CfnStateMachineExpressLogsRecordFields: id, type, details, previous_event_id, event_timestamp, execution_arn,
  redrive_count), its details as GetExecutionHistory gives them (input and output left out without
  IncludeExecutionData), for an Express execution's ARN.
- Lambda: each line the handlers wrote to standard output, at the template's POWERTOOLS_LOG_LEVEL (Powertools'
  JSON log lines and the metrics' EMF documents), and the runtime's START, END and REPORT lines with the X-Ray line
  of an actively traced function, in the text format of "Lambda function logging in Python".
- A log event counts its message in UTF-8 plus 26 bytes ("the sum of all event messages in UTF-8, plus 26 bytes for
  each log event", CloudWatch Logs PutLogEvents), which is taken here as what ingestion bills.
"""

from __future__ import annotations

import io
import json
import os
import sys
import threading
import uuid
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from functions.common.observability import logger

EVENT_OVERHEAD_BYTES = 26
ERROR_LEVEL_EVENTS = frozenset(
    {
        "ExecutionAborted",
        "ExecutionFailed",
        "ExecutionTimedOut",
        "FailStateEntered",
        "LambdaFunctionFailed",
        "LambdaFunctionScheduleFailed",
        "LambdaFunctionStartFailed",
        "LambdaFunctionTimedOut",
        "MapStateAborted",
        "MapStateFailed",
        "MapIterationAborted",
        "MapIterationFailed",
        "MapRunAborted",
        "MapRunFailed",
        "ParallelStateAborted",
        "ParallelStateFailed",
        "TaskFailed",
        "TaskStartFailed",
        "TaskStateAborted",
        "TaskSubmitFailed",
        "TaskTimedOut",
        "WaitStateAborted",
    }
)
"""The event types Step Functions logs at level ERROR ("Log levels"); FATAL logs only the three Execution ones."""
_DATA_FIELDS = ("input", "output", "inputDetails", "outputDetails")


@dataclass(frozen=True)
class LogBytes:
    """What some decisions wrote, in log events and their billed bytes."""

    workflow_events: int
    workflow_bytes: int
    function_events: int
    function_bytes: int
    decisions: int


def _event_bytes(message: str) -> int:
    return len(message.encode("utf-8")) + EVENT_OVERHEAD_BYTES


def _kind(event: Mapping[str, Any]) -> str:
    kind = event.get("type")
    return str(getattr(kind, "value", kind))


def _millis(value: Any) -> str:
    instant = value if isinstance(value, datetime) else datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return str(int(instant.timestamp() * 1000))


def execution_records(
    execution_arn: str, history: Iterable[Mapping[str, Any]], level: str, include_data: bool
) -> list[str]:
    """The log events Step Functions writes for one Express execution's history at `level`."""
    if level == "OFF":
        return []
    records = []
    for event in history:
        kind = _kind(event)
        if level != "ALL" and kind not in ERROR_LEVEL_EVENTS:
            continue
        if level == "FATAL" and not kind.startswith("Execution"):
            continue
        details: Mapping[str, Any] = next((value for key, value in event.items() if key.endswith("EventDetails")), {})
        if not include_data:
            details = {key: value for key, value in details.items() if key not in _DATA_FIELDS}
        record = {
            "id": str(event["id"]),
            "type": kind,
            "details": details,
            "previous_event_id": str(event.get("previousEventId", 0)),
            "event_timestamp": _millis(event["timestamp"]),
            "execution_arn": execution_arn,
            "redrive_count": "0",
        }
        records.append(json.dumps(record, separators=(",", ":"), default=str))
    return records


def express_execution_arn(state_machine_arn: str, name: str) -> str:
    """An Express execution's ARN: arn:aws:states:<region>:<account>:express:<state machine>:<name>:<id>."""
    prefix, _, machine = state_machine_arn.rpartition(":stateMachine:")
    return f"{prefix}:express:{machine}:{name}:{uuid.uuid4()}"


def platform_lines(duration_ms: float, billed_ms: int, memory_mb: int) -> list[str]:
    """The Lambda runtime's own log events for one invocation of an actively traced function (text format)."""
    request = uuid.uuid4()
    trace = f"1-{uuid.uuid4().hex[:8]}-{uuid.uuid4().hex[:24]}"
    return [
        f"START RequestId: {request} Version: $LATEST",
        f"END RequestId: {request}",
        f"REPORT RequestId: {request}\tDuration: {duration_ms:.2f} ms\tBilled Duration: {billed_ms} ms\t"
        f"Memory Size: {memory_mb} MB\tMax Memory Used: 80 MB\t\n"
        f"XRAY TraceId: {trace}\tSegmentId: {uuid.uuid4().hex[:16]}\tSampled: true\t",
    ]


def events_and_bytes(messages: Iterable[str]) -> tuple[int, int]:
    listed = list(messages)
    return len(listed), sum(_event_bytes(message) for message in listed)


class _Lines(io.TextIOBase):
    """A stream that keeps the lines written to it (a line being one log event), from any thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._partial = ""
        self.lines: list[str] = []

    def write(self, text: str) -> int:
        with self._lock:
            *complete, self._partial = (self._partial + text).split("\n")
            self.lines += [line for line in complete if line]
        return len(text)

    def take(self) -> list[str]:
        with self._lock:
            taken, self.lines = self.lines, []
        return taken


class FunctionOutput:
    """The lines the handlers write to standard output, as Lambda would send them to CloudWatch Logs: the shared
    Powertools logger at the template's level (the emulator quietens it to WARNING), and the metrics' EMF
    documents (the emulator turns them off)."""

    def __init__(self) -> None:
        self._lines = _Lines()

    def take(self) -> list[str]:
        return self._lines.take()

    @contextmanager
    def installed(self, environment: Mapping[str, str]) -> Iterator[FunctionOutput]:
        handler = logger.registered_handler
        if not hasattr(handler, "setStream"):
            raise RuntimeError("Powertools' Logger no longer registers a StreamHandler: bench/logs.py needs one")
        level, stream, stdout = logger.log_level, handler.setStream(self._lines), sys.stdout
        metrics_disabled = os.environ.get("POWERTOOLS_METRICS_DISABLED")
        logger.setLevel(environment.get("POWERTOOLS_LOG_LEVEL", "INFO"))
        os.environ["POWERTOOLS_METRICS_DISABLED"] = "false"
        sys.stdout = self._lines
        try:
            yield self
        finally:
            sys.stdout = stdout
            handler.setStream(stream)
            logger.setLevel(level)
            if metrics_disabled is None:
                os.environ.pop("POWERTOOLS_METRICS_DISABLED", None)
            else:
                os.environ["POWERTOOLS_METRICS_DISABLED"] = metrics_disabled
