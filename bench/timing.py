"""Times what AWS bills by duration, through LocalCloud's public surface: each Lambda invocation (its handler, from
the invocation hook to the result hook, in the invocation's own thread) and each Express execution (the whole
StartSyncExecution, wrapped on the instance)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from emulator.cloud import ExecutionResult, LocalCloud


@dataclass(frozen=True)
class Timed:
    name: str
    """The function's logical id, or the state machine's ARN."""
    seconds: float
    input_bytes: int = 0


class _Timings:
    """What was timed, from any thread, until taken."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._timed: list[Timed] = []

    def _record(self, timed: Timed) -> None:
        with self._lock:
            self._timed.append(timed)

    def take(self) -> list[Timed]:
        with self._lock:
            timed, self._timed = self._timed, []
        return timed


class Invocations(_Timings):
    """How long each handler ran, by function."""

    def __init__(self) -> None:
        super().__init__()
        self._started = threading.local()

    def _before(self, function_name: str, event: dict[str, Any]) -> None:
        self._started.at = time.perf_counter()

    def _after(self, function_name: str, result: Any) -> Any:
        self._record(Timed(function_name, time.perf_counter() - self._started.at))
        return result

    @contextmanager
    def installed(self, cloud: LocalCloud) -> Iterator[Invocations]:
        """Time inside the block. A handler that raises reaches no result hook: it is not timed (the bench's
        decisions all succeed, and fails the bench otherwise)."""
        cloud.invocation_hooks.append(self._before)
        cloud.result_hooks.append(self._after)
        try:
            yield self
        finally:
            cloud.invocation_hooks.remove(self._before)
            cloud.result_hooks.remove(self._after)


class Executions(_Timings):
    """How long each StartSyncExecution took, with its input's size."""

    @contextmanager
    def installed(self, cloud: LocalCloud) -> Iterator[Executions]:
        """Time inside the block: the instance's start_sync_execution is wrapped (the gateway calls it through
        the instance), and the class's own is back in reach afterwards."""
        original = cloud.start_sync_execution

        def timed(state_machine_arn: str, execution_input: str, *args: Any, **kwargs: Any) -> ExecutionResult:
            started = time.perf_counter()
            try:
                return original(state_machine_arn, execution_input, *args, **kwargs)
            finally:
                elapsed = time.perf_counter() - started
                self._record(Timed(state_machine_arn, elapsed, len(execution_input.encode("utf-8"))))

        cloud.start_sync_execution = timed  # type: ignore[method-assign]
        try:
            yield self
        finally:
            del cloud.start_sync_execution
