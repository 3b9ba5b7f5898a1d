"""The measurements made over HTTP against the running emulator.

Every org is on Ultimate (1000 credits) and the clock is frozen in the middle of a month, so that no decision
comes near a limit or a forecast and each one takes the happy path: the notify step decides there is nothing
to send and touches neither DynamoDB nor SNS."""

from __future__ import annotations

import contextlib
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass

from bench.client import BenchError, Client
from bench.cost import Carried, TableShape
from bench.counting import DynamoDBRequests, Taken
from bench.stats import Latency

PLAN = "Ultimate"
STEADY_AT = "2026-11-20T12:00:00Z"
"""Two thirds into November: a forecast needs 650 charges of an org, more than any scenario makes."""
NEXT_MONTH_AT = "2026-12-01T00:00:00Z"
"""The first instant of the next month: every org's first decision of December."""


@dataclass(frozen=True)
class Charge:
    org_id: str
    enquiry_id: str
    user_id: str


@dataclass(frozen=True)
class Run:
    """Decisions made and how long they took, each and all together."""

    decisions: int
    seconds: float
    latency: Latency

    @property
    def per_second(self) -> float:
        return self.decisions / self.seconds


@dataclass(frozen=True)
class RequestCount:
    decisions: int
    counts: Counter[str]
    carried: tuple[Carried, ...] = ()
    """What each request carried, when the count recorded it."""

    @classmethod
    def of(cls, decisions: int, taken: Taken) -> RequestCount:
        return cls(decisions, taken.counts, taken.carried)


@dataclass(frozen=True)
class RequestCounts:
    happy_path: RequestCount
    first_of_month: RequestCount
    new_user: RequestCount


def sequential(
    client: Client, org_id: str, warmup: int, decisions: int, on_start: Callable[[], None] | None = None
) -> Run:
    """One client, one decision at a time, after `warmup` decisions that are not measured; `on_start` runs between
    the two, so what it resets sees the measured decisions only."""
    client.set_plan(org_id, PLAN)
    for number in range(warmup):
        client.charge(org_id, f"warmup-{number}", "user-1")
    if on_start is not None:
        on_start()
    started = time.perf_counter()
    samples = [client.charge(org_id, f"enquiry-{number}", "user-1") for number in range(decisions)]
    return Run(decisions, time.perf_counter() - started, Latency.of(samples))


def concurrent(
    host: str, port: int, work: Sequence[Sequence[Charge]], warmup: int, on_start: Callable[[], None] | None = None
) -> Run:
    """One thread and one connection per list of charges, all let go at once; each thread first makes `warmup`
    decisions of its own (not measured) so that connections and orgs are warm. `on_start` runs when every thread
    is ready and before any is let go, so what it resets sees the measured decisions only."""
    gate = threading.Barrier(len(work) + 1, action=on_start, timeout=60)

    def worker(index: int, charges: Sequence[Charge]) -> list[float]:
        client = Client(host, port)
        try:
            client.connect()
            first = charges[0]
            for number in range(warmup):
                client.charge(first.org_id, f"warmup-{index}-{number}", first.user_id)
            gate.wait()
            return [client.charge(charge.org_id, charge.enquiry_id, charge.user_id) for charge in charges]
        except BaseException:
            gate.abort()  # release the others rather than keep them waiting for a thread that will not come
            raise
        finally:
            client.close()

    with ThreadPoolExecutor(max_workers=len(work)) as pool:
        futures = [pool.submit(worker, index, charges) for index, charges in enumerate(work)]
        with contextlib.suppress(threading.BrokenBarrierError):  # a worker failed: its future says why
            gate.wait()
        started = time.perf_counter()
        wait(futures)
        elapsed = time.perf_counter() - started
    errors = [error for future in futures if (error := future.exception()) is not None]
    if errors:
        # The first thread to fail breaks the gate for the others: report what failed, not the broken gate.
        raise next((error for error in errors if not isinstance(error, threading.BrokenBarrierError)), errors[0])
    samples = [seconds for future in futures for seconds in future.result()]
    return Run(len(samples), elapsed, Latency.of(samples))


def spread_work(orgs: Sequence[str], per_org: int) -> list[list[Charge]]:
    """Each thread charges its own org: how the service scales when orgs do not compete."""
    return [[Charge(org, f"spread-{number}", "user-1") for number in range(per_org)] for org in orgs]


def contended_work(org_id: str, threads: int, per_thread: int) -> list[list[Charge]]:
    """Every thread charges the same org (a user each): every decision moves the same counter."""
    return [
        [Charge(org_id, f"contended-{thread}-{number}", f"user-{thread}") for number in range(per_thread)]
        for thread in range(threads)
    ]


def request_counts(
    client: Client, requests: DynamoDBRequests, table: TableShape, decisions: int, orgs: int, users: int
) -> RequestCounts:
    """DynamoDB requests per decision, and what each carried (sized on `table`'s items and indexes). Happy path:
    an org with a plan that has charged this month, the same user again. First of a month: orgs that charged last
    month, at the first instant of this one. New user: users never seen before, on an org that has charged this
    month. Moves the clock to the next month."""
    happy_org = "bench-requests"
    client.set_plan(happy_org, PLAN)
    client.charge(happy_org, "first", "user-1")
    month_orgs = [f"bench-month-{number}" for number in range(orgs)]
    for org in month_orgs:
        client.set_plan(org, PLAN)
        client.charge(org, "last-month", "user-1")

    with requests.installed(table):
        requests.take()
        for number in range(decisions):
            client.charge(happy_org, f"happy-{number}", "user-1")
        happy = RequestCount.of(decisions, requests.take())

        for number in range(users):
            client.charge(happy_org, f"new-user-{number}", f"new-user-{number}")
        new_user = RequestCount.of(users, requests.take())

        client.freeze_clock(NEXT_MONTH_AT)
        requests.take()  # the clock request itself sends nothing to DynamoDB, but be sure
        for org in month_orgs:
            client.charge(org, "this-month", "user-1")
        first_of_month = RequestCount.of(orgs, requests.take())
    return RequestCounts(happy, first_of_month, new_user)


def check_no_notifications(client: Client) -> None:
    """A notification would mean a decision left the happy path, and its requests were counted as if it had not."""
    sent = client.notifications()
    if sent:
        raise BenchError(f"the bench's orgs were meant to stay clear of their limits, yet {len(sent)} notified")
