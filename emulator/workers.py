"""Reusable daemon threads for the emulator's executions, states and Lambda invocations.

moto's interpreter starts a thread per execution, per workflow and per task state (to enforce TimeoutSeconds),
and the emulator one per Lambda invocation (to enforce the function's Timeout): nine threads per decision, each
started and torn down. Starting one costs a handoff of the interpreter lock and a stack; here an idle worker
takes the next task instead, and a new one starts only when every worker is busy, so the pool is as wide as
the emulator's concurrency (a stalled invocation keeps its worker, as a timed-out Lambda keeps running).
Workers are daemons: a stalled invocation never holds up the end of the process.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

IDLE_SECONDS = 60.0
"""A worker with nothing to do for this long ends (the pool shrinks after a burst)."""

_Task = tuple[Callable[[], Any], "Future[Any]", str]


class _Worker:
    def __init__(self, pool: WorkerPool) -> None:
        self._pool = pool
        self.tasks: queue.SimpleQueue[_Task] = queue.SimpleQueue()
        self.thread = threading.Thread(target=self._loop, name=f"{pool.name}-idle", daemon=True)

    def _loop(self) -> None:
        while True:
            try:
                task, future, name = self.tasks.get(timeout=IDLE_SECONDS)
            except queue.Empty:
                if self._pool.retire(self):
                    return
                continue
            self.thread.name = name  # tests tell the functions' requests apart by their thread's name
            result: Any = None
            failure: BaseException | None = None
            running = future.set_running_or_notify_cancel()
            if running:
                try:
                    result = task()
                except BaseException as error:  # noqa: BLE001  # handed to whoever waits on the future
                    failure = error
            self.thread.name = f"{self._pool.name}-idle"
            # Idle before the answer is out: whoever waited for it and submits the next task finds this worker.
            self._pool.idle(self)
            if running:
                if failure is None:
                    future.set_result(result)
                else:
                    future.set_exception(failure)
            del task, future, result, failure  # nothing of a finished task outlives it in an idle worker


class WorkerPool:
    """`submit(task, name)` runs task on an idle worker (or a new one) under the thread name given."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._lock = threading.Lock()
        self._idle: list[_Worker] = []
        self.started = 0
        """How many worker threads were ever started (tests: reuse)."""

    def submit(self, task: Callable[[], Any], name: str) -> Future[Any]:
        future: Future[Any] = Future()
        with self._lock:
            worker = self._idle.pop() if self._idle else None
            if worker is None:
                self.started += 1
        if worker is None:
            worker = _Worker(self)
            worker.tasks.put((task, future, name))
            worker.thread.start()
        else:
            worker.tasks.put((task, future, name))
        return future

    def idle(self, worker: _Worker) -> None:
        with self._lock:
            self._idle.append(worker)

    def retire(self, worker: _Worker) -> bool:
        """Whether an idle worker may end (it may not if a task was handed to it meanwhile)."""
        with self._lock:
            if worker in self._idle and worker.tasks.empty():
                self._idle.remove(worker)
                return True
            return False


pool = WorkerPool("emulator")
"""The one pool of the process (moto's interpreter is process-wide too)."""


class PooledThread:
    """What moto's interpreter uses of threading.Thread (start, join, is_alive), run on the pool."""

    def __init__(
        self,
        group: None = None,
        target: Callable[..., Any] | None = None,
        name: str | None = None,
        args: tuple[Any, ...] = (),
        kwargs: dict[str, Any] | None = None,
        *,
        daemon: bool | None = None,
    ) -> None:
        self._task = (target, args, kwargs or {})
        self._name = name or "interpreter"
        self._future: Future[Any] | None = None
        self.daemon = True

    def start(self) -> None:
        target, args, kwargs = self._task
        if target is None:
            raise RuntimeError("PooledThread needs a target")
        self._future = pool.submit(lambda: target(*args, **kwargs), self._name)

    def join(self, timeout: float | None = None) -> None:
        if self._future is None:
            raise RuntimeError("cannot join a thread before it is started")
        try:
            self._future.exception(timeout)
        except TimeoutError:
            return

    def is_alive(self) -> bool:
        return self._future is not None and not self._future.done()
