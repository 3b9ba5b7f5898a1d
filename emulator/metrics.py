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

moto stores naive UTC datetimes and compares them with the times a request gives, so every point is stamped that
way. A long session would hold every point for ever (CloudWatch keeps them 15 months): past MAX_POINTS the oldest
half by timestamp is dropped (README, Differences from AWS).
"""

from __future__ import annotations

import os
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
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


def _naive_utc(instant: datetime) -> datetime:
    return instant.astimezone(UTC).replace(tzinfo=None) if instant.tzinfo is not None else instant


class Metrics:
    """Records data points into moto's CloudWatch and reads them back by metric."""

    def __init__(self) -> None:
        self.enabled = enabled_from_environment()
        self.clock: Callable[[], datetime] = lambda: datetime.now(UTC)
        """The emulator's clock (LocalCloud sets its own at start)."""
        self._lock = threading.Lock()

    @staticmethod
    def _backend() -> Any:
        return cloudwatch_backends[ACCOUNT_ID][REGION]

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
        stamped = _naive_utc(at or self.clock())
        pairs = [{"Name": key, "Value": str(item)} for key, item in dimensions.items()]
        datum = MetricDatum(namespace, name, float(value), pairs, stamped, unit)
        with self._lock:
            data: list[Any] = self._backend().metric_data
            data.append(datum)
            if len(data) > MAX_POINTS:
                data.sort(key=lambda point: point.timestamp)
                del data[: len(data) // 2]

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

    def series(self) -> dict[SeriesKey, list[tuple[datetime, float]]]:
        """Every metric's points (aware UTC), oldest first: one pass over what is held."""
        with self._lock:
            held = list(self._backend().metric_data)
        found: dict[SeriesKey, list[tuple[datetime, float]]] = defaultdict(list)
        for point in held:
            if not isinstance(point, MetricDatum):
                continue  # statistic sets put through the AWS endpoint: not read here
            key = (point.namespace, point.name, frozenset((str(d.name), str(d.value)) for d in point.dimensions))
            found[key].append((point.timestamp.replace(tzinfo=UTC), point.value))
        for points in found.values():
            points.sort(key=lambda pair: pair[0])
        return dict(found)

    def clear(self) -> None:
        with self._lock:
            self._backend().metric_data.clear()


def points_reader(
    series: Mapping[SeriesKey, list[tuple[datetime, float]]],
) -> Callable[[str, str, Mapping[str, str], datetime, datetime], Iterable[tuple[datetime, float]]]:
    """emulator/alarms.py's `points` over one snapshot of the series."""

    def points(
        namespace: str, name: str, dimensions: Mapping[str, str], start: datetime, end: datetime
    ) -> Iterable[tuple[datetime, float]]:
        key = (namespace, name, frozenset((k, str(v)) for k, v in dimensions.items()))
        return [(at, value) for at, value in series.get(key, ()) if start <= at < end]

    return points


def catalogue(series: Mapping[SeriesKey, list[tuple[datetime, float]]]) -> list[dict[str, Any]]:
    """What /_local/metrics lists: each metric, how many points, their sum and when the last was stamped."""
    listed = [
        {
            "namespace": namespace,
            "metricName": name,
            "dimensions": dict(sorted(dimensions)),
            "points": len(points),
            "sum": sum(value for _, value in points),
            "last": points[-1][0].isoformat().replace("+00:00", "Z"),
        }
        for (namespace, name, dimensions), points in series.items()
    ]
    return sorted(listed, key=lambda row: (row["namespace"], row["metricName"], sorted(row["dimensions"].items())))


def captured_emf(original: Callable[..., None]) -> Callable[..., None]:
    """Powertools' AmazonCloudWatchEMFProvider.flush_metrics, handing each EMF document to the recorder as well: on
    Lambda, CloudWatch Logs turns the document printed to standard output into metrics; here nothing reads the
    output (the emulator sets POWERTOOLS_METRICS_DISABLED, so it is not printed either)."""

    def flush_metrics(provider: Any, raise_on_empty_metrics: bool = False) -> None:
        if provider.metric_set and provider.namespace:  # else no EMF (the original says why, or prints nothing)
            recorder.emf(provider.serialize_metric_set())
        original(provider, raise_on_empty_metrics)

    return flush_metrics


recorder = Metrics()
"""The emulated account's CloudWatch metrics (one account per process, as moto's backends)."""
