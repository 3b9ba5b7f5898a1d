"""The emulator's pool of reusable threads (emulator/workers.py)."""

from __future__ import annotations

import threading

from emulator.workers import PooledThread, WorkerPool


def test_tasks_one_after_another_reuse_one_thread_and_run_under_the_name_given() -> None:
    # Given a new pool
    pool = WorkerPool("test")

    # When five tasks run one after another
    names = [pool.submit(lambda: threading.current_thread().name, f"task-{n}").result(5) for n in range(5)]

    # Then each ran under its own name, on the one thread the pool started
    assert names == [f"task-{n}" for n in range(5)]
    assert pool.started == 1


def test_a_task_that_is_still_running_makes_the_pool_start_another_thread() -> None:
    # Given a pool whose only worker is busy
    pool = WorkerPool("test")
    release = threading.Event()
    busy = pool.submit(release.wait, "busy")

    # When another task arrives, then it runs at once on a second thread
    assert pool.submit(lambda: "done", "second").result(5) == "done"
    assert pool.started == 2
    release.set()
    busy.result(5)


def test_a_pooled_thread_joined_with_a_timeout_is_still_alive_while_its_target_runs() -> None:
    # Given a pooled thread whose target runs until the test releases it
    release = threading.Event()
    thread = PooledThread(target=release.wait, args=(10,))
    thread.start()

    # When it is joined with a timeout, then it is alive; released and joined without a timeout, it ends
    thread.join(timeout=0.01)
    assert thread.is_alive()
    release.set()
    thread.join()
    assert not thread.is_alive()
