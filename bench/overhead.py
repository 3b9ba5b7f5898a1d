"""What recording CloudWatch's metrics and judging the alarms costs the emulator: the same decisions with the
recorder on and off, in alternating rounds (so that the machine's drift falls on both alike), the medians compared.

While it is on, a client asks for the alarms every 2 s, as the console does when it is open: the judging runs beside
the decisions it judges."""

from __future__ import annotations

import statistics
import threading
from dataclasses import dataclass

from bench import scenarios
from bench.client import Client
from emulator.cloud import LocalCloud

ALARMS_EVERY_SECONDS = 2.0
"""How often the console asks for the alarms (emulator/console/console.js)."""


@dataclass(frozen=True)
class Overhead:
    rounds: int
    decisions: int
    """Sequential decisions per round and setting (and as many concurrent ones)."""
    p50_on_ms: float
    p50_off_ms: float
    per_second_on: float
    per_second_off: float
    alarm_reads: int

    @property
    def latency_change(self) -> float:
        return self.p50_on_ms / self.p50_off_ms - 1

    @property
    def throughput_change(self) -> float:
        return self.per_second_on / self.per_second_off - 1


class _AlarmReader:
    """GET /_local/alarms every ALARMS_EVERY_SECONDS until stopped."""

    def __init__(self, host: str, port: int) -> None:
        self._client = Client(host, port)
        self._stop = threading.Event()
        self.reads = 0
        self._thread = threading.Thread(target=self._run, name="alarm-reader", daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(ALARMS_EVERY_SECONDS):
            self._client.expect(200, "GET", "/_local/alarms")
            self.reads += 1

    def __enter__(self) -> _AlarmReader:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(timeout=30)
        self._client.close()


def measure(cloud: LocalCloud, client: Client, host: str, port: int, rounds: int, decisions: int) -> Overhead:
    p50: dict[bool, list[float]] = {True: [], False: []}
    per_second: dict[bool, list[float]] = {True: [], False: []}
    reads = 0
    threads = 8
    try:
        for round_number in range(rounds):
            for enabled in (round_number % 2 == 0, round_number % 2 != 0):  # who goes first alternates
                cloud.metrics.enabled = enabled
                label = f"bench-overhead-{'on' if enabled else 'off'}-{round_number}"
                orgs = [f"{label}-{n}" for n in range(threads)]
                for org in orgs:
                    client.set_plan(org, scenarios.PLAN)
                reader = _AlarmReader(host, port) if enabled else None
                if reader is not None:
                    reader.__enter__()
                try:
                    run = scenarios.sequential(client, label, warmup=5, decisions=decisions)
                    spread = scenarios.concurrent(
                        host, port, scenarios.spread_work(orgs, max(decisions // threads, 1)), warmup=2
                    )
                finally:
                    if reader is not None:
                        reader.__exit__()
                        reads += reader.reads
                p50[enabled].append(run.latency.p50)
                per_second[enabled].append(spread.per_second)
    finally:
        cloud.metrics.enabled = True
    return Overhead(
        rounds=rounds,
        decisions=decisions,
        p50_on_ms=statistics.median(p50[True]),
        p50_off_ms=statistics.median(p50[False]),
        per_second_on=statistics.median(per_second[True]),
        per_second_off=statistics.median(per_second[False]),
        alarm_reads=reads,
    )
