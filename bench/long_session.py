"""A long session, as a new user would run one: `python -m emulator` (what `make run` starts) in a process of its
own, 200 orgs, 8 clients sending mixed traffic (70% charges, then balances, ledger pages, refunds and top-ups).

What it shows is whether the emulator's cost per request grows with what it holds: the throughput of the first and
of the last 10,000 requests, and the emulator's resident memory (VmRSS) when each stretch ends. So that what each
request answers is the same size from the first request to the last, every org is charged SEEDED times before the
session (not counted) and a ledger page asks for SEEDED entries: without it a page grew from a few entries to a full
one as orgs were charged, and the session slowed for what it answered, not for what it held. Run alone:
`python -m bench.long_session [--requests N]`; `make bench` runs it last.
"""

from __future__ import annotations

import argparse
import os
import random
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from bench.client import BenchError, Client
from emulator.server import free_port

HOST = "127.0.0.1"
ORGS = 200
CLIENTS = 8
STRETCH = 10_000
"""The requests whose throughput is compared: the first STRETCH and the last STRETCH."""
PLANS = ("Ultimate", "Enterprise")
USERS_PER_ORG = 5
SEEDED = 10
"""Charges made for each org before the session, and the size of its ledger pages."""
RETRY_LATER = 503
"""Answered when a step ran out of time on a machine this busy: counted, and the client goes on (nothing charged)."""
MIX = (("charge", 70), ("balance", 12), ("ledger", 8), ("refund", 6), ("top-up", 4))
"""What each request is, in percent of the session."""
EXPECTED = {
    "charge": {201, 402},  # 402 once an org or a user has used its month
    "balance": {200},
    "ledger": {200},
    "refund": {201},
    "top-up": {201},
}


def cpu_seconds(pid: int) -> float:
    """The CPU time the process has used, user and system (/proc/<pid>/stat utime and stime): unlike the
    throughput, not lengthened by what else the machine runs or by time a virtual machine's CPU is stolen."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def steal_seconds() -> float:
    """The CPU time this (virtual) machine's hypervisor gave to others, all CPUs (/proc/stat's steal)."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()
    return int(fields[8]) / os.sysconf("SC_CLK_TCK")


def rss_bytes(pid: int) -> int:
    """The process's resident set (VmRSS, /proc/<pid>/status)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise BenchError(f"no VmRSS for process {pid}")


@contextmanager
def emulator_process() -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    """`python -m emulator` as make run starts it, on free ports, its log discarded; stopped at the end."""
    port, aws_port = free_port(HOST), free_port(HOST)
    process = subprocess.Popen(  # noqa: S603  # this interpreter, fixed arguments
        [sys.executable, "-m", "emulator", "--host", HOST, "--port", str(port), "--aws-port", str(aws_port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=os.environ | {"EMULATOR_API_AUTH": "NONE", "MALLOC_ARENA_MAX": os.environ.get("MALLOC_ARENA_MAX", "2")},
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise BenchError(f"the emulator stopped at start (exit {process.returncode})")
            try:
                with socket.create_connection((HOST, port), timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise BenchError("the emulator did not listen within 60 s") from None
                time.sleep(0.2)
        yield process, port
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass
class _Org:
    org_id: str
    charged: list[str] = field(default_factory=list)
    refunded: set[str] = field(default_factory=set)


class _Traffic:
    """Each client's next request, drawn from MIX with its own random generator over the orgs it is given."""

    def __init__(self, number: int, orgs: list[_Org], page: int = SEEDED) -> None:
        self._draw = random.Random(20261207 + number)  # noqa: S311  # traffic, not secrets
        self._orgs = orgs
        self._kinds = [kind for kind, percent in MIX for _ in range(percent)]
        self._count = 0
        self._client_number = number
        self._pending = (orgs[0], "")
        self._page = page

    def next(self) -> tuple[str, str, str, object]:
        self._count += 1
        org = self._draw.choice(self._orgs)
        kind = self._draw.choice(self._kinds)
        if kind == "refund":
            unrefunded = [enquiry for enquiry in org.charged[-20:] if enquiry not in org.refunded]
            if not unrefunded:
                kind = "charge"
            else:
                enquiry = self._draw.choice(unrefunded)
                org.refunded.add(enquiry)
                return kind, "POST", f"/orgs/{org.org_id}/refunds", {"enquiryId": enquiry, "reason": "bench"}
        if kind == "charge":
            enquiry = f"e{self._client_number}-{self._count}"
            self._pending = (org, enquiry)
            user = f"u{self._draw.randrange(USERS_PER_ORG)}"
            return kind, "POST", f"/orgs/{org.org_id}/usage", {"enquiryId": enquiry, "userId": user}
        if kind == "balance":
            return kind, "GET", f"/orgs/{org.org_id}/balance", None
        if kind == "ledger":
            return kind, "GET", f"/orgs/{org.org_id}/usage?limit={self._page}", None
        return kind, "POST", f"/orgs/{org.org_id}/top-ups", {"credits": 5, "reason": "bench"}

    def answered(self, kind: str, status: int) -> None:
        """A charge answered 201 may be refunded later."""
        if kind == "charge" and status == 201:
            org, enquiry = self._pending
            org.charged.append(enquiry)


@dataclass(frozen=True)
class LongSession:
    requests: int
    seconds: float
    first: float
    """Requests a second over the first STRETCH requests answered."""
    last: float
    """Requests a second over the last STRETCH requests answered."""
    rss_start: int
    rss_first: int
    """The emulator's RSS once the first STRETCH requests were answered."""
    rss_last: int
    """... and once the last were."""
    statuses: Counter[str]
    cpu_first: float = 0.0
    """The emulator's CPU milliseconds a request over the first stretch."""
    cpu_last: float = 0.0
    steal_first: float = 0.0
    """The machine's stolen CPU seconds a second of the first stretch (0: none)."""
    steal_last: float = 0.0
    stretch: int = STRETCH
    orgs: int = ORGS
    seeded: int = SEEDED

    @property
    def speed_kept(self) -> float:
        return self.last / self.first

    @property
    def rss_growth(self) -> int:
        return self.rss_last - self.rss_first


def run(
    requests: int = 50_000, progress: bool = True, stretch: int = STRETCH, orgs: int = ORGS, seeded: int = SEEDED
) -> LongSession:
    """`requests` mixed requests over `orgs` orgs, each charged `seeded` times first; the throughput and RSS of the
    first and the last `stretch` of them."""
    if requests < 2 * stretch:
        raise BenchError(f"a long session needs at least {2 * stretch} requests, not {requests}")
    with emulator_process() as (process, port):
        setup = Client(HOST, port)
        clients_orgs = [_Org(f"long-{number}") for number in range(orgs)]
        for number, org in enumerate(clients_orgs):
            setup.set_plan(org.org_id, PLANS[number % len(PLANS)])
            for seed in range(seeded):
                enquiry = f"seed-{seed}"
                setup.expect(201, "POST", f"/orgs/{org.org_id}/usage", {"enquiryId": enquiry, "userId": "u0"})
                org.charged.append(enquiry)
        setup.close()
        rss_start = rss_bytes(process.pid)

        lock = threading.Lock()
        answered_at: list[float] = []
        statuses: Counter[str] = Counter()
        rss_marks: dict[int, int] = {}
        cpu_marks: dict[int, float] = {}
        steal_marks: dict[int, float] = {}
        marks = {stretch, requests}
        issued = [0]
        failure: list[BaseException] = []

        def client(number: int) -> None:
            # each org has one client, which knows its history
            traffic = _Traffic(number, clients_orgs[number::CLIENTS], seeded)
            connection = Client(HOST, port, timeout=60)
            try:
                while True:
                    with lock:
                        if issued[0] >= requests or failure:
                            return
                        issued[0] += 1
                    kind, method, path, body = traffic.next()
                    status, text = connection.call(method, path, body)
                    if status not in EXPECTED[kind] and status != RETRY_LATER:
                        raise BenchError(f"{kind} {method} {path} answered {status}: {text}")
                    traffic.answered(kind, status)
                    with lock:
                        answered_at.append(time.perf_counter())
                        statuses[f"{kind} {status}"] += 1
                        done = len(answered_at)
                        if done in marks:
                            rss_marks[done] = rss_bytes(process.pid)
                        if done in cpu_points:
                            cpu_marks[done] = cpu_seconds(process.pid)
                            steal_marks[done] = steal_seconds()
                        if progress and done % 5000 == 0:
                            print(f"bench: long session, {done} requests", file=sys.stderr, flush=True)
            except BaseException as error:  # noqa: BLE001  # reported by the main thread
                with lock:
                    failure.append(error)
            finally:
                connection.close()

        at_last = requests - stretch + 1  # the request the last stretch's CPU time is counted from
        cpu_points = {stretch, at_last, requests}
        cpu_marks[0], steal_marks[0] = cpu_seconds(process.pid), steal_seconds()
        started = time.perf_counter()
        threads = [threading.Thread(target=client, args=(number,)) for number in range(CLIENTS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if failure:
            raise BenchError(f"the long session stopped: {failure[0]}") from failure[0]
        answered_at.sort()
        first_seconds = answered_at[stretch - 1] - started
        last_seconds = answered_at[-1] - answered_at[-stretch]
        return LongSession(
            requests=len(answered_at),
            seconds=answered_at[-1] - started,
            first=stretch / first_seconds,
            last=(stretch - 1) / last_seconds,
            rss_start=rss_start,
            rss_first=rss_marks[stretch],
            rss_last=rss_marks[requests],
            statuses=statuses,
            cpu_first=(cpu_marks[stretch] - cpu_marks[0]) * 1000 / stretch,
            cpu_last=(cpu_marks[requests] - cpu_marks[at_last]) * 1000 / (stretch - 1),
            steal_first=(steal_marks[stretch] - steal_marks[0]) / first_seconds,
            steal_last=(steal_marks[requests] - steal_marks[at_last]) / last_seconds,
            stretch=stretch,
            orgs=orgs,
            seeded=seeded,
        )


def render(session: LongSession) -> str:
    mb = 1024 * 1024
    return "\n".join(
        [
            f"Long session: {session.requests:,} mixed requests from {CLIENTS} clients over {session.orgs} orgs, each "
            f"charged {session.seeded} times first, ledger pages of {session.seeded} (python -m emulator in its own "
            f"process), {session.seconds:.0f} s",
            f"  first {session.stretch:,}: {session.first:.1f} requests/s, {session.cpu_first:.1f} ms of emulator "
            f"CPU a request, {session.steal_first:.2f} CPU-s/s stolen, RSS {session.rss_first / mb:.0f} MB "
            f"(at start {session.rss_start / mb:.0f} MB)",
            f"  last {session.stretch:,}: {session.last:.1f} requests/s ({session.speed_kept:.0%} of the first), "
            f"{session.cpu_last:.1f} ms of CPU a request, {session.steal_last:.2f} CPU-s/s stolen, "
            f"RSS {session.rss_last / mb:.0f} MB ({session.rss_growth / mb:+.0f} MB)",
            "  answers: " + ", ".join(f"{key} x{count}" for key, count in sorted(session.statuses.items())),
        ]
    )


def main(arguments: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.long_session", description=__doc__)
    parser.add_argument("--requests", type=int, default=50_000)
    options = parser.parse_args(arguments)
    print(render(run(options.requests)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
