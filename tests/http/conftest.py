"""What holds over the whole HTTP suite (in each test process, at the end of its session)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from emulator.cloud import LocalCloud
from emulator.executions import Answered, Execution

GATEWAY_TIMEOUT = 504
"""API Gateway stopped waiting: the execution may still succeed or fail after the client was answered."""


def _mismatch(execution: Execution) -> str | None:
    assert execution.answered is not None
    status = execution.answered.http_status or 0
    fault = execution.status in ("FAILED", "TIMED_OUT", "ABORTED")
    if fault and not 500 <= status < 600:
        return f"{execution.name} {execution.status}, answered {status}"
    if 500 <= status < 600 and not fault and status != GATEWAY_TIMEOUT:
        return f"{execution.name} {execution.status}, answered {status}"
    return None


@pytest.fixture(scope="session", autouse=True)
def _a_failed_execution_is_a_5xx_and_a_5xx_a_failed_execution(cloud: LocalCloud) -> Iterator[list[Execution]]:
    """Every execution an HTTP answer came from: FAILED (or timed out) exactly when the client was answered 5xx. A
    denial is the service working (a SUCCEEDED execution, answered 4xx), so the cloud's own signals (AWS/States
    ExecutionsFailed, a red execution in the console) mean something broke."""
    seen: list[Execution] = []
    journal = cloud.executions
    original = journal.answered

    def answered(name: str, answer: Answered) -> None:
        original(name, answer)
        found = journal.find(name)
        if found is not None:
            seen.append(found)

    journal.answered = answered  # type: ignore[method-assign]
    yield seen
    del journal.answered
    cloud.wait_until_idle(30)  # an execution API Gateway stopped waiting for ends
    assert [problem for execution in seen if (problem := _mismatch(execution)) is not None] == []
