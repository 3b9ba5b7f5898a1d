"""CloudWatch metric alarms, evaluated as CloudWatch does from an alarm's template properties and the raw points.

Pure: the points and the time come in; the only state is each alarm's last evaluation (Evaluator). The user guide
pages were read as awsdocs/amazon-cloudwatch-user-guide last published them (May 2023).
- https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarm-evaluation.html: ALARM when DatapointsToAlarm
  (M, default N) of the last EvaluationPeriods (N) datapoints breach, in a row or not. "At the end of minute 5 the
  alarm evaluates based on data from minutes 1 to 5": a datapoint is a period that has ended, so the period holding
  `now` is not evaluated until it ends.
- https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarms-and-missing-data.html: the evaluation range
  is longer than N. With N real datapoints in it the newest N are evaluated; with fewer, all of them plus fills per
  TreatMissingData; with none: INSUFFICIENT_DATA (missing), the same state (ignore), ALARM (breaching), OK
  (notBreaching). Premature ALARM is avoided: with missing, real datapoints that all breach give ALARM once the
  oldest is M periods old and the state does not move before (the 2019 table: INSUFFICIENT_DATA, a new alarm's
  state, for `- - - - X`); ignore keeps the state. Its prose contradicts its tables (github.com/awsdocs/
  amazon-cloudwatch-user-guide/issues/129); the tables decide: no real datapoint in the range may be within it.
- https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Statistics-definitions.html: "p99 is the maximum
  value of the remaining 99%": the nearest rank ceil(p/100 * n), not interpolated. No values: missing, Sum too.
- https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/percentiles-with-low-samples.html: p in [0.5, 1)
  needs 10/(1-p) samples, p in (0, 0.5) 10/p; EvaluateLowSampleCountPercentile ignore keeps the state below that.
- https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/using-metric-math.html: between two series a value
  missing from one counts as 0 (m1+m2 is m2 where m1 has no point) and one missing from both stays missing; between
  a series and a number it stays missing; dividing by zero drops the datapoint; comparisons give 1 or 0; AVG of an
  array counts missing as 0; IF drops a datapoint whose condition, or chosen false branch, is missing and gives 0
  for a missing true branch. The alarm watches the ReturnData query (https://docs.aws.amazon.com/AWSCloudFormation/
  latest/UserGuide/aws-properties-cloudwatch-alarm-metricdataquery.html); its metrics share one period.

Differences from AWS:
- Periods are aligned to multiples of the period since the Unix epoch; CloudWatch evaluates every minute over a
  window ending then, so with periods over a minute it can see a datapoint up to Period - 60 s sooner.
- The range is N + 2 periods (the guide gives only N = 3 reading 5: "depends on the length of the alarm period").
- Unit selects no points; AWS/DynamoDB alarms treat missing data as configured (the PutMetricAlarm reference says
  they always ignore it); MIN and MAX of an array skip missing values (the guide does not say); the reason text
  follows CloudWatch's StateReason ("Threshold Crossed: 1 out of the last 1 datapoints [...]") but not to the letter.
- Refused with ValueError: anomaly detection, Metrics Insights, cross-account queries, statistics other than the
  five and percentiles, metric math beyond numbers, ids, [lists], + - * / ^, unary minus, comparisons, AND/OR
  (&& ||), METRICS(), SUM/AVG/MIN/MAX of an array, ABS, FILL with a value and IF.
"""

from __future__ import annotations

import ast
import functools
import math
import operator
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from fractions import Fraction
from typing import Any, NamedTuple

Points = Callable[[str, str, Mapping[str, str], datetime, datetime], Iterable[tuple[datetime, float]]]
"""points(namespace, metric_name, dimensions, start, end): the raw values recorded for the metric whose dimension
set is exactly `dimensions` (CloudWatch identifies a metric by namespace, name and its full set of dimensions),
with timestamps in [start, end)."""

OK, ALARM, INSUFFICIENT_DATA = "OK", "ALARM", "INSUFFICIENT_DATA"
EXTRA_PERIODS = 2
"""How many periods the evaluation range reads beyond EvaluationPeriods."""
_COMPARISONS: dict[str, tuple[str, Callable[[float, float], bool]]] = {
    "GreaterThanThreshold": ("greater than", operator.gt),
    "GreaterThanOrEqualToThreshold": ("greater than or equal to", operator.ge),
    "LessThanThreshold": ("less than", operator.lt),
    "LessThanOrEqualToThreshold": ("less than or equal to", operator.le),
}
_ANOMALY = ("LessThanLowerOrGreaterThanUpperThreshold", "LessThanLowerThreshold", "GreaterThanUpperThreshold")
_STATISTICS: dict[str, Callable[[list[float]], float]] = {
    "SampleCount": len, "Sum": sum, "Minimum": min, "Maximum": max, "Average": lambda v: sum(v) / len(v)
}  # fmt: skip
_PERCENTILE = re.compile(r"p(\d{1,2}(?:\.\d{1,10})?|100)")
_TREATMENTS = ("missing", "notBreaching", "breaching", "ignore")

_Series = tuple[float | None, ...]
_Value = float | _Series | list[_Series]


@dataclass(frozen=True)
class MetricQuery:
    id: str
    namespace: str
    metric_name: str
    dimensions: tuple[tuple[str, str], ...]
    stat: str


@dataclass(frozen=True)
class ExpressionQuery:
    id: str
    expression: str
    tree: ast.expr = field(compare=False, repr=False)


@dataclass(frozen=True)
class Alarm:
    name: str
    comparison: str
    threshold: float
    evaluation_periods: int
    datapoints_to_alarm: int
    treat_missing_data: str
    period: int
    metric_queries: tuple[MetricQuery, ...]
    expressions: tuple[ExpressionQuery, ...]
    watched: str
    """The id of the query whose series is compared with the threshold."""
    evaluate_low_sample_count_percentile: str = "evaluate"
    description: str = ""
    actions_enabled: bool = True
    alarm_actions: tuple[str, ...] = ()
    ok_actions: tuple[str, ...] = ()
    insufficient_data_actions: tuple[str, ...] = ()

    @classmethod
    def from_properties(cls, properties: Mapping[str, Any]) -> Alarm:
        """An AWS::CloudWatch::Alarm's resolved Properties; numbers may be strings, as CloudFormation passes them."""
        p = properties
        if "AlarmName" not in p:
            raise ValueError("AlarmName is missing: name the alarm before evaluating it")
        if "ThresholdMetricId" in p or p.get("ComparisonOperator") in _ANOMALY:
            raise ValueError(f"alarm {p['AlarmName']}: anomaly detection (ThresholdMetricId, bands) is not supported")
        for key, allowed in (("ComparisonOperator", tuple(_COMPARISONS)), ("TreatMissingData", _TREATMENTS)):
            if p.get(key, "missing") not in allowed:
                raise ValueError(f"alarm {p['AlarmName']}: {key} {p.get(key)!r} is not one of {allowed}")
        if p.get("EvaluateLowSampleCountPercentile") not in (None, "", "evaluate", "ignore"):
            raise ValueError(f"EvaluateLowSampleCountPercentile {p['EvaluateLowSampleCountPercentile']!r} is unknown")
        metrics, expressions, watched, period = _queries(p) if "Metrics" in p else _single_metric(p)
        n = int(p["EvaluationPeriods"])
        m = int(p.get("DatapointsToAlarm", n))
        if not 1 <= m <= n:
            raise ValueError(f"alarm {p['AlarmName']}: DatapointsToAlarm {m} is not between 1 and {n}")
        alarm = cls(
            name=str(p["AlarmName"]),
            comparison=p["ComparisonOperator"],
            threshold=float(p["Threshold"]),
            evaluation_periods=n,
            datapoints_to_alarm=m,
            treat_missing_data=_treatment(p, metrics),
            period=period,
            metric_queries=metrics,
            expressions=expressions,
            watched=watched,
            evaluate_low_sample_count_percentile=p.get("EvaluateLowSampleCountPercentile") or "evaluate",
            description=str(p.get("AlarmDescription", "")),
            actions_enabled=str(p.get("ActionsEnabled", True)).lower() == "true",
            alarm_actions=tuple(p.get("AlarmActions", ())),
            ok_actions=tuple(p.get("OKActions", ())),
            insufficient_data_actions=tuple(p.get("InsufficientDataActions", ())),
        )
        dry_run = _Scope(alarm, {q.id: (None,) for q in metrics})  # refuses now what the math could not evaluate
        for query_id in [q.id for q in metrics] + [e.id for e in expressions]:
            dry_run.get(query_id)
        _as_series(dry_run.get(watched), f"the returned query {watched}")
        return alarm

    def metrics(self) -> list[tuple[str, str, dict[str, str]]]:
        """(namespace, name, dimensions) of each metric the alarm reads."""
        return [(q.namespace, q.metric_name, dict(q.dimensions)) for q in self.metric_queries]

    def breaches(self, value: float | None) -> bool:
        return value is not None and _COMPARISONS[self.comparison][1](value, self.threshold)

    def minimum_samples(self) -> float:
        """How many samples a period needs before this alarm trusts its percentile (0: it always does)."""
        stats = [q.stat for q in self.metric_queries if q.id == self.watched and q.stat not in _STATISTICS]
        if not stats or self.evaluate_low_sample_count_percentile != "ignore":
            return 0
        p = _percentile(stats[0]) / 100
        return float(10 / p) if 0 < p < Fraction(1, 2) else float(10 / (1 - p)) if Fraction(1, 2) <= p < 1 else 0

    def datapoints(self, points: Points, now: datetime) -> list[_Datapoint]:
        """Each period of the evaluation range, oldest first: complete periods only, ending at or before `now`."""
        count, end = self.evaluation_periods + EXTRA_PERIODS, int(now.timestamp()) // self.period * self.period
        starts = [datetime.fromtimestamp(end - (count - i) * self.period, UTC) for i in range(count)]
        series: dict[str, _Series] = {}
        samples = [0] * count
        for query in self.metric_queries:
            buckets: list[list[float]] = [[] for _ in starts]
            until = datetime.fromtimestamp(end, UTC)
            for at, value in points(query.namespace, query.metric_name, dict(query.dimensions), starts[0], until):
                index = int((at - starts[0]).total_seconds()) // self.period
                if 0 <= index < count:
                    buckets[index].append(float(value))
            series[query.id] = tuple(_statistic(query.stat, values) for values in buckets)
            if query.id == self.watched:
                samples = [len(values) for values in buckets]
        values = _as_series(_Scope(self, series).get(self.watched), self.watched)
        return [_Datapoint(*row) for row in zip(starts, values, samples, strict=True)]


class _Datapoint(NamedTuple):
    start: datetime
    value: float | None
    samples: int
    """How many raw values the watched metric had in the period (0 when the alarm watches an expression)."""


@dataclass(frozen=True)
class Evaluation:
    name: str
    state: str
    reason: str
    datapoints: tuple[tuple[datetime, float | None], ...]
    """Each period of the evaluation range (N + 2 periods): its start and value (None: missing), oldest first."""
    changed_at: datetime
    """When the state last changed (the evaluation time of the first evaluation in this state)."""


class Evaluator:
    """Keeps each alarm's last state (needed for TreatMissingData=ignore and for changed_at)."""

    def __init__(self, alarms: Iterable[Alarm]) -> None:
        self._alarms = list(alarms)
        self._last: list[Evaluation | None] = [None] * len(self._alarms)

    def evaluate(self, points: Points, now: datetime) -> list[Evaluation]:
        """Every alarm, in the order given, at `now` (timezone-aware)."""
        if now.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        evaluations = []
        for index, alarm in enumerate(self._alarms):
            last = self._last[index]
            datapoints = alarm.datapoints(points, now)
            kept = (last.state, last.reason) if last else (INSUFFICIENT_DATA, "Unchecked: Initial alarm creation")
            state, reason = _judge(alarm, datapoints) or kept
            changed_at = last.changed_at if last and last.state == state else now
            values = tuple((point.start, point.value) for point in datapoints)
            evaluations.append(Evaluation(alarm.name, state, reason, values, changed_at))
            self._last[index] = evaluations[-1]
        return evaluations


def _judge(alarm: Alarm, datapoints: list[_Datapoint]) -> tuple[str, str] | None:
    """The state and reason the datapoints call for, or None to keep the current state."""
    n, m, treat = alarm.evaluation_periods, alarm.datapoints_to_alarm, alarm.treat_missing_data
    # the real datapoints evaluated, newest first, each with its age in periods (the newest is 1 period old)
    real = [(age, point) for age, point in enumerate(reversed(datapoints), 1) if point.value is not None][:n]
    if not real:
        if treat == "ignore":
            return None
        if treat == "missing":
            return INSUFFICIENT_DATA, f"Insufficient Data: {_count(n, 'datapoint')} {_was(n)} unknown."
        state, label = (ALARM, "Breaching") if treat == "breaching" else (OK, "NonBreaching")
        received = f"no datapoints were received for {_count(n, 'period')}"
        return (
            state,
            f"Threshold Crossed: {received} and {_count(n, 'missing datapoint')} {_was(n)} treated as [{label}].",
        )
    if any(point.samples < alarm.minimum_samples() for _, point in real):
        return None  # too few samples for the percentile to mean anything
    fills = n - len(real)
    breaching = [point for _, point in real if alarm.breaches(point.value)]
    count = len(breaching) + (fills if treat == "breaching" else 0)
    if count >= m:
        return ALARM, _crossed(alarm, ALARM, count, breaching)
    if fills and treat in ("missing", "ignore") and len(breaching) == len(real):
        if treat == "missing" and real[-1][0] >= m:  # the oldest breaching datapoint is M periods old
            return ALARM, _crossed(alarm, ALARM, count, breaching)
        return None  # no premature ALARM: the next datapoint may be within the threshold
    within = [point for _, point in real if not alarm.breaches(point.value)]
    return OK, _crossed(alarm, OK, n - count, within)


def _crossed(alarm: Alarm, state: str, count: int, listed: list[_Datapoint]) -> str:
    n, m = alarm.evaluation_periods, alarm.datapoints_to_alarm
    minimum, transition = (m, "OK -> ALARM") if state == ALARM else (n - m + 1, "ALARM -> OK")
    shown = ", ".join(f"{point.value!r} ({point.start:%d/%m/%y %H:%M:%S})" for point in listed)
    relation = ("" if state == ALARM else "not ") + _COMPARISONS[alarm.comparison][0]
    return (
        f"Threshold Crossed: {count} out of the last {n} datapoints [{shown}] {_was(count)} {relation} the threshold "
        f"({alarm.threshold!r}) (minimum {_count(minimum, 'datapoint')} for {transition} transition)."
    )


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _was(number: int) -> str:
    return "was" if number == 1 else "were"


def _statistic(stat: str, values: list[float]) -> float | None:
    if not values:
        return None
    if stat in _STATISTICS:
        return float(_STATISTICS[stat](values))
    ordered = sorted(values)
    return ordered[max(math.ceil(_percentile(stat) * len(ordered) / 100), 1) - 1]


def _percentile(stat: str) -> Fraction:
    match = _PERCENTILE.fullmatch(stat)
    if not match:
        raise ValueError(f"statistic {stat!r} is not supported (only {', '.join(_STATISTICS)} and pNN.NN)")
    return Fraction(match.group(1))


def _treatment(p: Mapping[str, Any], metrics: tuple[MetricQuery, ...]) -> str:
    """TreatMissingData, except that "alarms that evaluate metrics in the AWS/DynamoDB namespace always ignore
    missing data even if you choose a different option" (PutMetricAlarm API reference, TreatMissingData): a
    DynamoDB metric published only when not zero keeps its alarm in ALARM until a datapoint within the threshold."""
    if any(query.namespace == "AWS/DynamoDB" for query in metrics):
        return "ignore"
    return str(p.get("TreatMissingData", "missing"))


def _metric(query_id: str, metric: Mapping[str, Any], stat: str) -> MetricQuery:
    if stat not in _STATISTICS:
        _percentile(stat)
    dimensions = tuple(sorted((str(d["Name"]), str(d["Value"])) for d in metric.get("Dimensions") or ()))
    return MetricQuery(query_id, metric["Namespace"], metric["MetricName"], dimensions, stat)


_Queries = tuple[tuple[MetricQuery, ...], tuple[ExpressionQuery, ...], str, int]


def _single_metric(p: Mapping[str, Any]) -> _Queries:
    if ("Statistic" in p) == ("ExtendedStatistic" in p):
        raise ValueError(f"alarm {p['AlarmName']}: give one of Statistic and ExtendedStatistic")
    return (_metric("m1", p, p.get("Statistic") or p["ExtendedStatistic"]),), (), "m1", int(p["Period"])


def _queries(p: Mapping[str, Any]) -> _Queries:
    metrics, expressions, returned, periods = [], [], [], set()
    for q in p["Metrics"]:
        if q.get("AccountId"):
            raise ValueError(f"query {q['Id']}: cross-account metrics (AccountId) are not supported")
        if str(q.get("ReturnData", True)).lower() == "true":
            returned.append(q["Id"])
        if "MetricStat" in q:
            metrics.append(_metric(q["Id"], q["MetricStat"]["Metric"], q["MetricStat"]["Stat"]))
            periods.add(int(q["MetricStat"]["Period"]))
        elif q["Expression"].lstrip().upper().startswith("SELECT"):
            raise ValueError(f"query {q['Id']}: Metrics Insights queries (SELECT) are not supported")
        else:
            expressions.append(ExpressionQuery(q["Id"], q["Expression"], _parse(q["Expression"])))
    if len(periods) != 1:
        raise ValueError(f"alarm {p['AlarmName']}: its metrics need one period between them, not {sorted(periods)}")
    # PutMetricAlarm wants ReturnData false on all but one query; when it is left out, the single expression
    watched = returned if len(returned) == 1 else [i for i in returned if i in {e.id for e in expressions}]
    if len(watched) != 1:
        raise ValueError(f"alarm {p['AlarmName']}: exactly one query must have ReturnData true, not {returned}")
    return tuple(metrics), tuple(expressions), watched[0], periods.pop()


class _Scope:
    """What each query id stands for in one evaluation; an expression is worked out when first asked for."""

    def __init__(self, alarm: Alarm, series: dict[str, _Series]) -> None:
        self._alarm = alarm
        self._values: dict[str, _Value] = dict(series)
        self._busy: set[str] = set()

    def get(self, query_id: str) -> _Value:
        if query_id not in self._values:
            found = [e for e in self._alarm.expressions if e.id == query_id]
            if not found or query_id in self._busy:
                raise ValueError(f"metric math: {query_id!r} is {'circular' if found else 'not a query id'}")
            self._busy.add(query_id)
            self._values[query_id] = _evaluate(found[0].tree, self)
        return self._values[query_id]

    def metrics(self) -> list[_Series]:
        return [_as_series(self.get(q.id), q.id) for q in self._alarm.metric_queries]


# Metric math's grammar is Python's once AND, OR and ^ are spelled the Python way, so ast parses it; _evaluate then
# refuses every node that is not metric math.
_SPELLINGS = ((re.compile(r"&&|\bAND\b"), " and "), (re.compile(r"\|\||\bOR\b"), " or "), (re.compile(r"\^"), "**"))
_OPERATORS: dict[type, Callable[[float, float], float | bool]] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
    ast.Pow: math.pow, ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le,
    ast.Gt: operator.gt, ast.GtE: operator.ge, ast.And: lambda a, b: bool(a and b), ast.Or: lambda a, b: bool(a or b),
}  # fmt: skip


def _parse(text: str) -> ast.expr:
    python = text
    for pattern, spelling in _SPELLINGS:
        python = pattern.sub(spelling, python)
    try:
        return ast.parse(python.strip(), mode="eval").body
    except SyntaxError as error:
        raise ValueError(f"metric math {text!r} does not parse: {error.msg}") from None


def _evaluate(node: ast.expr, scope: _Scope) -> _Value:
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float) and not isinstance(node.value, bool):
        return float(node.value)
    if isinstance(node, ast.Name) and node.id[:1].islower():
        return scope.get(node.id)
    if isinstance(node, ast.List):
        items = [_evaluate(item, scope) for item in node.elts]
        return [s for item in items for s in (item if isinstance(item, list) else [_as_series(item, "[...]")])]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return _each(_combine, operator.sub, 0.0, _evaluate(node.operand, scope))
    if isinstance(node, ast.BinOp | ast.BoolOp) or (isinstance(node, ast.Compare) and len(node.ops) == 1):
        op, operands = (
            (node.ops[0], [node.left, *node.comparators])
            if isinstance(node, ast.Compare)
            else ((node.op, [node.left, node.right]) if isinstance(node, ast.BinOp) else (node.op, node.values))
        )
        if type(op) in _OPERATORS:
            values = [_evaluate(operand, scope) for operand in operands]
            return functools.reduce(lambda a, b: _each(_combine, _OPERATORS[type(op)], a, b), values)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not node.keywords:
        if node.func.id == "METRICS" and not node.args:
            return list(scope.metrics())
        return _function(node.func.id, [_evaluate(arg, scope) for arg in node.args])
    raise ValueError(f"metric math: {ast.unparse(node)!r} is not supported")


def _function(name: str, args: list[_Value]) -> _Value:
    if name in ("SUM", "AVG", "MIN", "MAX") and len(args) == 1 and isinstance(args[0], list):
        return _aggregate(name, args[0])
    if name == "ABS" and len(args) == 1:
        return _each(lambda v: tuple(None if x is None else abs(x) for x in _as_series(v, "ABS's argument")), *args)
    if name == "FILL" and len(args) == 2:
        return _each(_fill, *args)
    if name == "IF" and len(args) in (2, 3):
        return _each(_if, *args)
    shape = ", ".join(type(arg).__name__.replace("tuple", "series").replace("list", "array") for arg in args)
    raise ValueError(f"metric math: {name}({shape}) is not supported")


def _each(function: Callable[..., _Value], *args: Any) -> _Value:
    """An array of series where a series is expected: the function series by series (METRICS()/100)."""
    for index, arg in enumerate(args):
        if isinstance(arg, list):
            return [_as_series(_each(function, *args[:index], s, *args[index + 1 :]), "each") for s in arg]
    return function(*args)


def _combine(op: Callable[[float, float], float | bool], left: _Value, right: _Value) -> _Value:
    if isinstance(left, float) and isinstance(right, float):
        return float(op(left, right))
    both = isinstance(left, tuple) and isinstance(right, tuple)
    size = len(left) if isinstance(left, tuple) else len(_as_series(right, "an operand"))
    results: list[float | None] = []
    for a, b in zip(_points(left, size), _points(right, size), strict=True):
        missing = (a is None and b is None) if both else (a is None or b is None)
        try:
            results.append(None if missing else float(op(a or 0.0, b or 0.0)))
        except (ZeroDivisionError, ValueError, OverflowError):
            results.append(None)  # the guide: a datapoint that would divide by zero is dropped
    return tuple(results)


def _aggregate(name: str, array: list[_Series]) -> _Series:
    totals: list[float | None] = []
    for column in zip(*array, strict=True):
        present = [v for v in column if v is not None]
        if not present:
            totals.append(None)
        elif name in ("SUM", "AVG"):
            totals.append(sum(present) / (len(column) if name == "AVG" else 1))
        else:
            totals.append(min(present) if name == "MIN" else max(present))
    return tuple(totals)


def _if(condition: _Value, then: _Value, otherwise: _Value | None = None) -> _Value:
    size = next((len(a) for a in (condition, then, otherwise) if isinstance(a, tuple)), None)
    if size is None:
        raise ValueError("metric math: IF needs a time series among its arguments")
    if isinstance(condition, float):
        return _points(then if condition else otherwise, size)
    branches = zip(condition, _points(then, size), _points(otherwise, size), strict=True)
    return tuple(None if c is None else ((y or 0.0) if c else n) for c, y, n in branches)


def _fill(value: _Value, filler: _Value) -> _Series:
    series = _as_series(value, "FILL's first argument")
    return tuple(f if v is None else v for v, f in zip(series, _points(filler, len(series)), strict=True))


def _points(value: _Value | None, size: int) -> _Series:
    """A series as it is, a number (or nothing) as a series of that value."""
    if isinstance(value, list):
        raise ValueError("metric math: an array of series is not supported here")
    return value if isinstance(value, tuple) else (value,) * size


def _as_series(value: _Value, what: str) -> _Series:
    if not isinstance(value, tuple):
        raise ValueError(f"metric math: {what} must be a single time series, not {type(value).__name__}")
    return value
