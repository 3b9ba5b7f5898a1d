"""The metrics CloudWatch would hold for what the emulator ran, kept in moto's CloudWatch.

On AWS each service publishes its own metrics and the functions' EMF lines become metrics in CloudWatch Logs. Here
the emulator plays every service, so it records what each would publish, at the instant the emulator's clock says
(the one /_local/clock sets), into moto's CloudWatch backend: `aws cloudwatch get-metric-data --endpoint-url
http://127.0.0.1:4566` reads them, and emulator/alarms.py evaluates the template's alarms on them.

Who records what (each beside the code that plays the service):
- AWS/ApiGateway, by ApiName and Stage: Count, 4XXError, 5XXError, Latency, IntegrationLatency (emulator/gateway.py);
- AWS/States, by StateMachineArn: ExecutionsStarted, ExecutionsSucceeded/Failed/TimedOut/Aborted, ExecutionTime
  (emulator/cloud.py);
- AWS/Lambda, by FunctionName: Invocations, Errors (a timeout included), Throttles, Duration (emulator/cloud.py);
- AWS/DynamoDB, by TableName (and Operation): what the emulated table refuses or consumes (emulator/dynamodb.py);
- AWS/SNS, by TopicName: NumberOfMessagesPublished (emulator/interpreter.py's publish);
- the service's own metrics, from the EMF documents Powertools writes (`emf`, installed by emulator/patches.py).

What it costs matters: a decision records about forty points, and the console asks for the alarms every 2 s. So
each point goes into an index by metric, kept in time order (an alarm reads a few minutes of a metric by bisection,
not the whole history), and into moto's CloudWatch only when something reads moto's (`flushed_first`, installed
by emulator/patches.py on its get_all_metrics): then they are converted to moto's own points, stamped as moto
wants them (naive UTC). Points put through the AWS endpoint by a client are moto's alone: the alarms do not judge
them. A long session would hold every point for ever (CloudWatch keeps them 15 months): past MAX_POINTS each
metric keeps its newer half (docs/emulator.md, Differences from AWS).
"""

from __future__ import annotations

import bisect
import os
import threading
from array import array
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from moto.cloudwatch.models import MetricDatum, cloudwatch_backends

from emulator.template import ACCOUNT_ID, REGION

ENABLED_VARIABLE = "EMULATOR_METRICS"
MAX_POINTS = 400_000

SeriesKey = tuple[str, str, frozenset[tuple[str, str]]]
"""(namespace, metric name, its dimensions): what CloudWatch calls one metric."""


def enabled_from_environment() -> bool:
    raw = os.environ.get(ENABLED_VARIABLE, "on").strip().lower()
    if raw not in ("on", "off"):
        raise SystemExit(f"{ENABLED_VARIABLE} must be on or off, not {raw!r}")
    return raw == "on"


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def _micros(at: datetime) -> int:
    return (at - _EPOCH) // _MICROSECOND


def _instant(micros: int) -> datetime:
    return _EPOCH + micros * _MICROSECOND


class _Series:
    """One metric's points, in time order (the emulator's clock can be moved back: such a point is inserted), and
    those moto's CloudWatch has not had yet. Instants are whole microseconds since the epoch and values floats, in
    arrays: 16 bytes a point, where a datetime and a float object in lists took about 100 (a long session records
    about forty points a decision)."""

    __slots__ = ("key", "pending_times", "pending_values", "times", "unit", "values")

    def __init__(self, key: SeriesKey, unit: str) -> None:
        self.key = key
        self.unit = unit
        self.times = array("q")
        self.values = array("d")
        self.pending_times = array("q")
        self.pending_values = array("d")

    def add(self, at: datetime, value: float) -> None:
        micros = _micros(at)
        if not self.times or micros >= self.times[-1]:
            self.times.append(micros)
            self.values.append(value)
        else:
            index = bisect.bisect_right(self.times, micros)
            self.times.insert(index, micros)
            self.values.insert(index, value)
        self.pending_times.append(micros)
        self.pending_values.append(value)

    def between(self, start: datetime, end: datetime) -> list[tuple[datetime, float]]:
        low, high = bisect.bisect_left(self.times, _micros(start)), bisect.bisect_left(self.times, _micros(end))
        return [(_instant(at), value) for at, value in zip(self.times[low:high], self.values[low:high], strict=True)]

    def last(self) -> datetime:
        return _instant(self.times[-1])

    def take_pending(self) -> list[tuple[datetime, float]]:
        pending = [(_instant(at), value) for at, value in zip(self.pending_times, self.pending_values, strict=True)]
        del self.pending_times[:], self.pending_values[:]
        return pending

    def keep_newer_half(self) -> None:
        half = len(self.times) // 2
        del self.times[:half], self.values[:half]
        del self.pending_times[: len(self.pending_times) // 2], self.pending_values[: len(self.pending_values) // 2]


class Metrics:
    """Records data points, reads them back by metric, and hands them to moto's CloudWatch when it is read."""

    def __init__(self) -> None:
        self.enabled = enabled_from_environment()
        self.clock: Callable[[], datetime] = lambda: datetime.now(UTC)
        """The emulator's clock (LocalCloud sets its own at start)."""
        self._lock = threading.Lock()
        self._series: dict[SeriesKey, _Series] = {}
        self._held = 0

    def put(
        self,
        namespace: str,
        name: str,
        value: float,
        dimensions: Mapping[str, str],
        unit: str = "Count",
        at: datetime | None = None,
    ) -> None:
        """One data point, now on the emulator's clock unless `at` says when."""
        if not self.enabled:
            return
        stamped = (at or self.clock()).astimezone(UTC)
        key = (namespace, name, frozenset((k, str(v)) for k, v in dimensions.items()))
        with self._lock:
            series = self._series.get(key)
            if series is None:
                series = self._series[key] = _Series(key, unit)
            series.add(stamped, float(value))
            self._held += 1
            if self._held > MAX_POINTS:
                for kept in self._series.values():
                    kept.keep_newer_half()
                self._held = sum(len(kept.times) for kept in self._series.values())

    def emf(self, document: Mapping[str, Any]) -> None:
        """The data points of one EMF document ("Embedded metric format specification"): each metric of each
        directive, once per dimension set, its value at the top level (a list: one point each)."""
        if not self.enabled:
            return
        metadata = document["_aws"]
        # Not metadata["Timestamp"]: Powertools stamps the machine's time, and the emulated time is the clock's
        for directive in metadata["CloudWatchMetrics"]:
            for dimension_set in directive["Dimensions"] or [[]]:
                dimensions = {name: str(document[name]) for name in dimension_set}
                for metric in directive["Metrics"]:
                    values = document[metric["Name"]]
                    unit = metric.get("Unit", "None")
                    for value in values if isinstance(values, list) else [values]:
                        self.put(directive["Namespace"], metric["Name"], value, dimensions, unit)

    def points(
        self, namespace: str, name: str, dimensions: Mapping[str, str], start: datetime, end: datetime
    ) -> Iterable[tuple[datetime, float]]:
        """emulator/alarms.py's `points`: the metric's values in [start, end)."""
        key = (namespace, name, frozenset((k, str(v)) for k, v in dimensions.items()))
        with self._lock:
            series = self._series.get(key)
            return [] if series is None else series.between(start, end)

    def catalogue(self) -> list[dict[str, Any]]:
        """What /_local/metrics lists: each metric, how many points, their sum and when the last was stamped."""
        with self._lock:
            listed = [
                {
                    "namespace": namespace,
                    "metricName": name,
                    "dimensions": dict(sorted(dimensions)),
                    "points": len(series.times),
                    "sum": sum(series.values),
                    "last": series.last().isoformat().replace("+00:00", "Z"),
                }
                for (namespace, name, dimensions), series in self._series.items()
                if series.times
            ]
        return sorted(listed, key=lambda row: (row["namespace"], row["metricName"], sorted(row["dimensions"].items())))

    def flush(self) -> None:
        """Hand moto's CloudWatch the points it has not had yet, as its own (naive UTC) points."""
        with self._lock:
            unflushed = [(series, series.take_pending()) for series in self._series.values()]
        data: list[Any] = cloudwatch_backends[ACCOUNT_ID][REGION].metric_data
        for series, points in unflushed:
            namespace, name, dimensions = series.key
            pairs = [{"Name": key, "Value": item} for key, item in sorted(dimensions)]
            for at, value in points:
                data.append(MetricDatum(namespace, name, value, pairs, at.replace(tzinfo=None), series.unit))

    def clear(self) -> None:
        with self._lock:
            self._series.clear()
            self._held = 0
            cloudwatch_backends[ACCOUNT_ID][REGION].metric_data.clear()


def captured_emf(original: Callable[..., None]) -> Callable[..., None]:
    """Powertools' AmazonCloudWatchEMFProvider.flush_metrics, handing each EMF document to the recorder as well: on
    Lambda, CloudWatch Logs turns the document printed to standard output into metrics; here nothing reads the
    output (the emulator sets POWERTOOLS_METRICS_DISABLED, so it is not printed either)."""

    def flush_metrics(provider: Any, raise_on_empty_metrics: bool = False) -> None:
        if provider.metric_set and provider.namespace:  # else no EMF (the original says why, or prints nothing)
            recorder.emf(provider.serialize_metric_set())
        original(provider, raise_on_empty_metrics)

    return flush_metrics


def flushed_first(original: Callable[[Any], list[Any]]) -> Callable[[Any], list[Any]]:
    """moto's CloudWatchBackend.get_all_metrics (what GetMetricData, GetMetricStatistics and ListMetrics read), after
    the recorder has handed it its points."""

    def get_all_metrics(backend: Any) -> list[Any]:
        recorder.flush()
        return original(backend)

    return get_all_metrics


recorder = Metrics()
"""The emulated account's CloudWatch metrics (one account per process, as moto's backends)."""
