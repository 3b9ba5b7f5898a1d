"""What recording CloudWatch's metrics and judging the alarms costs the emulator: the same decisions with the
recorder on and off, interleaved finely, so that the machine's drift (which moves a run's p50 by a quarter from one
minute to the next on this machine) falls on both alike. Sequential: batches of BATCH decisions alternate between
on and off, and each setting's p50 is taken over all its decisions. Concurrent: short runs alternate, each
setting's throughput the median of its runs.

While it is on, a client asks for the alarms every 2 s, as the console does when it is open: the judging runs beside
the decisions it judges."""

from __future__ import annotations

import statistics
import threading
from dataclasses import dataclass

from bench import scenarios
from bench.client import Client
from bench.stats import Latency
from emulator.cloud import LocalCloud

ALARMS_EVERY_SECONDS = 2.0
"""How often the console asks for the alarms (emulator/console/console.js)."""
BATCH = 10
"""Sequential decisions in a row with one setting."""
THREADS = 8


@dataclass(frozen=True)
class Overhead:
    rounds: int
    """Concurrent runs per setting."""
    decisions: int
    """Sequential decisions per setting (and concurrent ones per run)."""
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
    """GET /_local/alarms every ALARMS_EVERY_SECONDS while the recorder is on, until stopped."""

    def __init__(self, cloud: LocalCloud, host: str, port: int) -> None:
        self._cloud = cloud
        self._client = Client(host, port)
        self._stop = threading.Event()
        self.reads = 0
        self._thread = threading.Thread(target=self._run, name="alarm-reader", daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(ALARMS_EVERY_SECONDS):
            if self._cloud.metrics.enabled:
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
    samples: dict[bool, list[float]] = {True: [], False: []}
    per_second: dict[bool, list[float]] = {True: [], False: []}
    org = "bench-overhead"
    client.set_plan(org, scenarios.PLAN)
    try:
        with _AlarmReader(cloud, host, port) as reader:
            for batch in range(2 * max(decisions // BATCH, 1)):
                enabled = batch % 2 == 0
                cloud.metrics.enabled = enabled
                samples[enabled] += [client.charge(org, f"sequential-{batch}-{n}", "user-1") for n in range(BATCH)]
            for round_number in range(2 * rounds):
                enabled = (round_number % 4) in (0, 3)  # on, off, off, on: each goes first as often
                cloud.metrics.enabled = enabled
                orgs = [f"{org}-{round_number}-{n}" for n in range(THREADS)]
                for each in orgs:
                    client.set_plan(each, scenarios.PLAN)
                run = scenarios.concurrent(host, port, scenarios.spread_work(orgs, max(decisions // THREADS, 1)), 2)
                per_second[enabled].append(run.per_second)
    finally:
        cloud.metrics.enabled = True
    return Overhead(
        rounds=rounds,
        decisions=len(samples[True]),
        p50_on_ms=Latency.of(samples[True]).p50,
        p50_off_ms=Latency.of(samples[False]).p50,
        per_second_on=statistics.median(per_second[True]),
        per_second_off=statistics.median(per_second[False]),
        alarm_reads=reader.reads,
    )
