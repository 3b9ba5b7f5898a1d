"""CloudWatch alarm evaluation (emulator/alarms.py) against the rules and tables of the CloudWatch user guide."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from emulator.alarms import ALARM, INSUFFICIENT_DATA, OK, Alarm, Evaluation, Evaluator

NOW = datetime(2026, 12, 7, 10, 45, 30, tzinfo=UTC)
"""Half way through the 10:45 minute: the last complete one-minute period is 10:44."""
RANGE_START = datetime(2026, 12, 7, 10, 40, tzinfo=UTC)
"""The oldest period of a three-period alarm's evaluation range at NOW (EvaluationPeriods + 2 periods)."""
NAMESPACE = "Credits"
DIMENSIONS = {"Service": "api"}


def minute(number: int, second: int = 0) -> datetime:
    return datetime(2026, 12, 7, 10, number, second, tzinfo=UTC)


class RecordedPoints:
    """An in-memory CloudWatch: the raw values put for each metric, read back as emulator/alarms.py's `points`."""

    def __init__(self) -> None:
        self._points: dict[tuple[str, str, frozenset[tuple[str, str]]], list[tuple[datetime, float]]] = {}
        self.reads: list[tuple[str, str, dict[str, str], datetime, datetime]] = []

    def put(self, name: str, value: float, at: datetime, dimensions: Mapping[str, str] = DIMENSIONS) -> None:
        self._points.setdefault((NAMESPACE, name, frozenset(dimensions.items())), []).append((at, value))

    def put_periods(self, name: str, values: Iterable[float | None], first: datetime = RANGE_START) -> None:
        """One value in each one-minute period from `first` on (None: nothing put in that period)."""
        for index, value in enumerate(values):
            if value is not None:
                self.put(name, value, first + timedelta(minutes=index, seconds=10))

    def __call__(
        self, namespace: str, name: str, dimensions: Mapping[str, str], start: datetime, end: datetime
    ) -> list[tuple[datetime, float]]:
        self.reads.append((namespace, name, dict(dimensions), start, end))
        found = self._points.get((namespace, name, frozenset(dimensions.items())), [])
        return [(at, value) for at, value in found if start <= at < end]


def metric_alarm(**overrides: Any) -> dict[str, Any]:
    """A single-metric alarm's Properties: Maximum of Errors over one minute above 0.5, once."""
    properties = {
        "AlarmName": "errors",
        "ComparisonOperator": "GreaterThanThreshold",
        "Threshold": 0.5,
        "EvaluationPeriods": 1,
        "Namespace": NAMESPACE,
        "MetricName": "Errors",
        "Dimensions": [{"Name": name, "Value": value} for name, value in DIMENSIONS.items()],
        "Statistic": "Maximum",
        "Period": 60,
    }
    properties.update(overrides)
    return {key: value for key, value in properties.items() if value is not None}


def metric_stat(query_id: str, name: str, stat: str = "Sum", period: int = 60) -> dict[str, Any]:
    metric = {"Namespace": NAMESPACE, "MetricName": name, "Dimensions": [{"Name": "Service", "Value": "api"}]}
    return {"Id": query_id, "ReturnData": False, "MetricStat": {"Metric": metric, "Period": period, "Stat": stat}}


def math_alarm(expression: str, *extra: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    """An alarm on `expression` over m1 (Sum of A) and m2 (Sum of B): above 0.5 in 1 of 3 periods."""
    watched = {"Id": "e1", "Expression": expression, "Label": "watched", "ReturnData": True}
    properties = {
        "AlarmName": "math",
        "ComparisonOperator": "GreaterThanThreshold",
        "Threshold": 0.5,
        "EvaluationPeriods": 3,
        "DatapointsToAlarm": 1,
        "Metrics": [metric_stat("m1", "A"), metric_stat("m2", "B"), *extra, watched],
    }
    return properties | overrides


def evaluate_once(properties: Mapping[str, Any], points: RecordedPoints, now: datetime = NOW) -> Evaluation:
    return Evaluator([Alarm.from_properties(properties)]).evaluate(points, now)[0]


def values_of(evaluation: Evaluation) -> list[float | None]:
    return [value for _, value in evaluation.datapoints]


RETAIN = "retain"
MISSING_DATA_TABLES = [
    # https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarms-and-missing-data.html: EvaluationPeriods 3
    # and an evaluation range of 5; the datapoints oldest first (0 within, X breaching, - missing), then the state for
    # TreatMissingData missing, ignore, breaching, notBreaching.
    (3, "0 - X - X", OK, OK, OK, OK),
    (3, "0 - - - -", OK, OK, OK, OK),
    (3, "- - - - -", INSUFFICIENT_DATA, RETAIN, ALARM, OK),
    (3, "0 X X - X", ALARM, ALARM, ALARM, ALARM),
    (3, "- - X - -", ALARM, RETAIN, ALARM, OK),
    (2, "0 - X - X", ALARM, ALARM, ALARM, ALARM),
    (2, "0 0 X 0 X", ALARM, ALARM, ALARM, ALARM),
    (2, "0 - X - -", OK, OK, ALARM, OK),
    (2, "- - - - 0", OK, OK, ALARM, OK),
    (2, "- - - X -", ALARM, RETAIN, ALARM, OK),
]
TABLE_CASES = [
    pytest.param(m, datapoints, treatment, expected, id=f"{m}-of-3 [{datapoints}] {treatment}")
    for m, datapoints, *states in MISSING_DATA_TABLES
    for treatment, expected in zip(("missing", "ignore", "breaching", "notBreaching"), states, strict=True)
]


@pytest.mark.parametrize(("datapoints_to_alarm", "datapoints", "treatment", "expected"), TABLE_CASES)
def test_missing_data_is_treated_as_the_user_guide_tables_say(
    datapoints_to_alarm: int, datapoints: str, treatment: str, expected: str
) -> None:
    # Given an alarm that was OK an hour ago, and the datapoints of the table's row in its evaluation range now
    points = RecordedPoints()
    properties = metric_alarm(EvaluationPeriods=3, DatapointsToAlarm=datapoints_to_alarm, TreatMissingData=treatment)
    evaluator = Evaluator([Alarm.from_properties(properties)])
    points.put_periods("Errors", [0.0] * 5, first=RANGE_START - timedelta(hours=1))
    assert evaluator.evaluate(points, NOW - timedelta(hours=1))[0].state == OK
    points.put_periods("Errors", [{"0": 0.0, "X": 1.0, "-": None}[mark] for mark in datapoints.split()])
    # When it is evaluated
    evaluation = evaluator.evaluate(points, NOW)[0]
    # Then its state is the table's
    assert evaluation.state == (OK if expected == RETAIN else expected)


def test_a_breaching_datapoint_is_reported_in_cloudwatchs_words() -> None:
    # Given one value above a threshold of 0 in the 10:41 minute
    points = RecordedPoints()
    points.put("Errors", 3.0, minute(41, 20))
    # When the alarm is evaluated in the next minute
    evaluation = evaluate_once(metric_alarm(Threshold=0), points, now=minute(42, 10))
    # Then it is in ALARM with CloudWatch's reason
    assert evaluation.state == ALARM
    assert evaluation.reason == (
        "Threshold Crossed: 1 out of the last 1 datapoints [3.0 (07/12/26 10:41:00)] was greater than the threshold "
        "(0.0) (minimum 1 datapoint for OK -> ALARM transition)."
    )


@pytest.mark.parametrize(
    ("values", "expected"),
    [([1.0, 0.0, 1.0], ALARM), ([0.0, 1.0, 1.0], ALARM), ([1.0, 0.0, 0.0], OK), ([0.0, 0.0, 0.0], OK)],
    ids=["apart", "in-a-row", "one-only", "none"],
)
def test_an_m_of_n_alarm_needs_m_breaching_datapoints_in_the_last_n_in_a_row_or_not(
    values: list[float], expected: str
) -> None:
    # Given a 2 out of 3 alarm and three real datapoints
    points = RecordedPoints()
    points.put_periods("Errors", values, first=minute(42))
    # When it is evaluated
    evaluation = evaluate_once(metric_alarm(EvaluationPeriods=3, DatapointsToAlarm=2), points)
    # Then it alarms only when two of them breach
    assert evaluation.state == expected


def test_an_ok_reason_lists_the_datapoints_within_the_threshold() -> None:
    points = RecordedPoints()
    points.put_periods("Errors", [1.0, 0.0, 0.25], first=minute(42))
    evaluation = evaluate_once(metric_alarm(EvaluationPeriods=3, DatapointsToAlarm=2), points)
    assert evaluation.reason == (
        "Threshold Crossed: 2 out of the last 3 datapoints [0.25 (07/12/26 10:44:00), 0.0 (07/12/26 10:43:00)] were "
        "not greater than the threshold (0.5) (minimum 2 datapoints for ALARM -> OK transition)."
    )


def test_periods_start_at_multiples_of_the_period_since_the_epoch() -> None:
    # Given a five-minute alarm evaluated at 10:47:30
    points = RecordedPoints()
    # When it is evaluated
    evaluation = evaluate_once(metric_alarm(Period=300), points, now=minute(47, 30))
    # Then its evaluation range is the three complete five-minute periods before, on the five-minute marks
    assert [start for start, _ in evaluation.datapoints] == [minute(30), minute(35), minute(40)]


def test_the_period_holding_now_is_evaluated_only_once_it_has_ended() -> None:
    # Given a breaching value in the 10:45 minute
    points = RecordedPoints()
    points.put("Errors", 1.0, minute(45, 5))
    properties = metric_alarm()
    # When the alarm is evaluated during that minute, then when it has ended
    during = evaluate_once(properties, points, now=minute(45, 59))
    after = evaluate_once(properties, points, now=minute(46))
    # Then the value counts only after
    assert during.state == INSUFFICIENT_DATA
    assert (after.state, after.datapoints[-1]) == (ALARM, (minute(45), 1.0))


def test_points_are_read_for_the_alarms_exact_dimensions_over_the_evaluation_range() -> None:
    # Given a point of the same metric with another dimension set
    points = RecordedPoints()
    points.put("Errors", 1.0, minute(44, 10), dimensions={"Service": "api", "Stage": "v1"})
    # When a three-period alarm is evaluated
    evaluation = evaluate_once(metric_alarm(EvaluationPeriods=3), points)
    # Then it read its own metric over the five complete periods, so the other one's point is not its
    assert points.reads == [(NAMESPACE, "Errors", DIMENSIONS, minute(40), minute(45))]
    assert evaluation.state == INSUFFICIENT_DATA


@pytest.mark.parametrize(
    ("statistic", "expected"),
    [("Sum", 9.0), ("Average", 3.0), ("Minimum", 1.0), ("Maximum", 6.0), ("SampleCount", 3.0)],
)
def test_a_statistic_is_taken_over_the_raw_values_of_a_period(statistic: str, expected: float) -> None:
    points = RecordedPoints()
    for second, value in ((1, 2.0), (20, 1.0), (59, 6.0)):
        points.put("Errors", value, minute(44, second))
    evaluation = evaluate_once(metric_alarm(Statistic=statistic), points)
    assert evaluation.datapoints[-1] == (minute(44), expected)


@pytest.mark.parametrize("statistic", ["Sum", "SampleCount"])
def test_a_period_without_values_is_missing_not_zero(statistic: str) -> None:
    # Given an alarm on fewer than 1 and no values at all
    points = RecordedPoints()
    # When it is evaluated
    evaluation = evaluate_once(metric_alarm(Statistic=statistic, ComparisonOperator="LessThanThreshold"), points)
    # Then its datapoints are missing, not zeros that would breach
    assert (evaluation.state, set(values_of(evaluation))) == (INSUFFICIENT_DATA, {None})


@pytest.mark.parametrize(
    ("percentile", "expected"), [("p10", 1.0), ("p50", 5.0), ("p90", 9.0), ("p95", 10.0), ("p99.9", 10.0)]
)
def test_a_percentile_is_the_nearest_rank_value_never_interpolated(percentile: str, expected: float) -> None:
    points = RecordedPoints()
    for value in range(1, 11):
        points.put("Latency", float(value), minute(44, value))
    alarm = metric_alarm(MetricName="Latency", Statistic=None, ExtendedStatistic=percentile)
    assert evaluate_once(alarm, points).datapoints[-1] == (minute(44), expected)


@pytest.mark.parametrize(
    ("percentile", "samples", "setting", "expected"),
    [
        ("p50", 19, "ignore", INSUFFICIENT_DATA),
        ("p50", 20, "ignore", ALARM),
        ("p10", 99, "ignore", INSUFFICIENT_DATA),
        ("p10", 100, "ignore", ALARM),
        ("p99", 10, "ignore", INSUFFICIENT_DATA),
        ("p99", 10, "evaluate", ALARM),
        ("p99", 10, None, ALARM),
    ],
)
def test_a_percentile_alarm_ignoring_low_samples_keeps_its_state_below_the_documented_count(
    percentile: str, samples: int, setting: str | None, expected: str
) -> None:
    # Given `samples` breaching latencies in one period (p >= 0.5 needs 10/(1-p) of them, p < 0.5 needs 10/p)
    points = RecordedPoints()
    for index in range(samples):
        points.put("Latency", 100.0, minute(44) + timedelta(milliseconds=index))
    alarm = metric_alarm(
        MetricName="Latency", Statistic=None, ExtendedStatistic=percentile, EvaluateLowSampleCountPercentile=setting
    )
    # When the alarm is evaluated
    evaluation = evaluate_once(alarm, points)
    # Then it keeps its first state while the samples are too few to trust, and evaluates from then on
    assert evaluation.state == expected


def test_adding_two_metrics_counts_a_value_missing_from_one_of_them_as_zero() -> None:
    points = RecordedPoints()
    points.put_periods("A", [None, None, None, 2.0, None])
    points.put_periods("B", [None, None, 1.0, 3.0, 4.0])
    evaluation = evaluate_once(math_alarm("m1 + m2"), points)
    assert values_of(evaluation) == [None, None, 1.0, 5.0, 4.0]


def test_a_number_and_a_missing_value_make_a_missing_value() -> None:
    points = RecordedPoints()
    points.put_periods("A", [None, None, None, 2.0, None])
    assert values_of(evaluate_once(math_alarm("10 * m1 - 1"), points)) == [None, None, None, 19.0, None]


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("SUM([m1, m2])", [None, 4.0, 3.0]),
        ("SUM(METRICS())", [None, 4.0, 3.0]),
        ("AVG([m1, m2])", [None, 2.0, 1.5]),
        ("MIN(METRICS())", [None, 4.0, 1.0]),
        ("MAX([m1, m2])", [None, 4.0, 2.0]),
    ],
)
def test_an_array_function_combines_the_metrics_datapoint_by_datapoint(
    expression: str, expected: list[float | None]
) -> None:
    # Given m1 missing in the 10:43 period and both missing at 10:42
    points = RecordedPoints()
    points.put_periods("A", [None, 1.0], first=minute(43))
    points.put_periods("B", [4.0, 2.0], first=minute(43))
    # Then SUM skips the missing value, AVG counts it as 0, MIN and MAX skip it
    assert values_of(evaluate_once(math_alarm(expression), points))[-3:] == expected


def test_fill_gives_missing_datapoints_its_value() -> None:
    # Given no Errors at all
    points = RecordedPoints()
    # When an alarm on FILL(m1, 0) is evaluated
    evaluation = evaluate_once(math_alarm("FILL(m1, 0)"), points)
    # Then every datapoint is 0, so the alarm is OK rather than short of data
    assert (evaluation.state, values_of(evaluation)) == (OK, [0.0] * 5)


def test_if_takes_each_datapoint_from_the_branch_its_condition_picks() -> None:
    # Given the user guide's IF example: metric1 [1, 1, 0, 0, -], metric2 [30, -, 0, 0, 30], metric3 [0, 0, 20, -, 20]
    points = RecordedPoints()
    points.put_periods("A", [1.0, 1.0, 0.0, 0.0, None])
    points.put_periods("B", [30.0, None, 0.0, 0.0, 30.0])
    points.put_periods("C", [0.0, 0.0, 20.0, None, 20.0])
    third = metric_stat("m3", "C")
    # When IF chooses between metric2 and metric3, then between metric2 and 5
    by_series = evaluate_once(math_alarm("IF(m1, m2, m3)", third), points)
    by_number = evaluate_once(math_alarm("IF(m1, m2, 5)", third), points)
    # Then a missing true branch gives 0, and a missing condition or false branch drops the datapoint
    assert values_of(by_series) == [30.0, 0.0, 20.0, None, None]
    assert values_of(by_number) == [30.0, 0.0, 5.0, 5.0, None]


def test_an_error_rate_with_no_requests_is_zero_and_with_no_traffic_at_all_missing() -> None:
    # Given requests in two periods, errors in one, and neither afterwards
    points = RecordedPoints()
    points.put_periods("A", [None, None, 1.0, None, None])
    points.put_periods("B", [None, 0.0, 4.0, 4.0, None])
    # When the template's 5xx-rate expression is evaluated
    evaluation = evaluate_once(math_alarm("IF(m2 > 0, 100 * m1 / m2, 0)"), points)
    # Then a period without errors is 0 %, and one without requests has no datapoint
    assert values_of(evaluation) == [None, 0.0, 25.0, 0.0, None]


def test_dividing_by_zero_drops_the_datapoint() -> None:
    points = RecordedPoints()
    points.put_periods("A", [None, None, 1.0, 1.0, 1.0])
    points.put_periods("B", [None, None, 0.0, 2.0, 0.0])
    assert values_of(evaluate_once(math_alarm("m1 / m2"), points)) == [None, None, None, 0.5, None]


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("m1 < m2", [0.0, 0.0, 1.0, 0.0]),
        ("m1 >= 30", [1.0, 0.0, 0.0, 0.0]),
        ("m1 > 15 AND m2 > 15", [1.0, 0.0, 0.0, 0.0]),
        ("m1 > 15 && m2 > 15", [1.0, 0.0, 0.0, 0.0]),
        ("m1 > 25 OR m2 > 15", [1.0, 0.0, 1.0, 0.0]),
        ("m1 == 0 || m2 != 20", [0.0, 0.0, 1.0, 1.0]),
        ("ABS(-m1) ^ 2 / 100", [9.0, 4.0, 0.0, 0.0]),
    ],
)
def test_comparisons_and_logic_give_one_or_zero(expression: str, expected: list[float]) -> None:
    # Given the user guide's example: metric1 [30, 20, 0, 0], metric2 [20, -, 20, -]
    points = RecordedPoints()
    points.put_periods("A", [30.0, 20.0, 0.0, 0.0], first=minute(41))
    points.put_periods("B", [20.0, None, 20.0, None], first=minute(41))
    assert values_of(evaluate_once(math_alarm(expression), points))[1:] == expected


def test_an_expression_can_use_another_expression() -> None:
    points = RecordedPoints()
    points.put_periods("A", [None, None, None, None, 3.0])
    total = {"Id": "total", "Expression": "m1 + 1", "ReturnData": False}
    assert values_of(evaluate_once(math_alarm("total * 2", total), points))[-1] == 8.0


def test_ignore_keeps_the_previous_state_while_every_datapoint_is_missing() -> None:
    # Given an alarm that went to ALARM on a breaching datapoint
    points = RecordedPoints()
    points.put("Errors", 1.0, minute(44, 10))
    evaluator = Evaluator([Alarm.from_properties(metric_alarm(TreatMissingData="ignore"))])
    first = evaluator.evaluate(points, NOW)[0]
    # When it is evaluated an hour later, with no data since
    later = evaluator.evaluate(points, NOW + timedelta(hours=1))[0]
    # Then it is still in ALARM, for the same reason, since the same time
    assert (later.state, later.reason, later.changed_at) == (ALARM, first.reason, NOW)


def test_an_alarm_on_a_dynamodb_metric_ignores_missing_data_whatever_it_says() -> None:
    # Given an alarm on a DynamoDB metric that says missing data is not breaching, in ALARM on a throttled minute
    points = RecordedPoints()
    dynamodb = {"Namespace": "AWS/DynamoDB", "TreatMissingData": "notBreaching"}
    points._points[("AWS/DynamoDB", "Errors", frozenset(DIMENSIONS.items()))] = [(minute(44, 10), 1.0)]
    evaluator = Evaluator([Alarm.from_properties(metric_alarm(**dynamodb))])
    assert evaluator.evaluate(points, NOW)[0].state == ALARM
    # When DynamoDB publishes nothing more (its error metrics are published only when not zero)
    later = evaluator.evaluate(points, NOW + timedelta(hours=1))[0]
    # Then it stays in ALARM: such alarms "always ignore missing data" (PutMetricAlarm, TreatMissingData)
    assert later.state == ALARM


def test_a_single_recent_breach_after_missing_data_does_not_alarm_yet() -> None:
    # Given a 3 out of 3 alarm whose only datapoint is the newest, and breaching (`- - - - X`)
    points = RecordedPoints()
    points.put("Errors", 1.0, minute(44, 10))
    # When it is evaluated, treating missing data as missing
    evaluation = evaluate_once(metric_alarm(EvaluationPeriods=3), points)
    # Then it waits for the next datapoints rather than alarming prematurely
    assert evaluation.state == INSUFFICIENT_DATA


def test_changed_at_is_when_the_alarm_first_evaluated_to_its_state() -> None:
    # Given an alarm evaluated first with no data, then twice on a breach, then on a calm minute
    points = RecordedPoints()
    points.put("Errors", 1.0, minute(44, 10))
    points.put("Errors", 0.0, minute(46, 10))
    evaluator = Evaluator([Alarm.from_properties(metric_alarm())])
    # When it is evaluated at each of those times
    states = [evaluator.evaluate(points, at)[0] for at in (minute(44, 30), minute(45), minute(46), minute(47))]
    # Then changed_at moves only when the state does
    assert [(e.state, e.changed_at) for e in states] == [
        (INSUFFICIENT_DATA, minute(44, 30)),
        (ALARM, minute(45)),
        (ALARM, minute(45)),
        (OK, minute(47)),
    ]


@pytest.mark.parametrize(
    ("comparison", "expected"),
    [
        ("GreaterThanThreshold", OK),
        ("GreaterThanOrEqualToThreshold", ALARM),
        ("LessThanThreshold", OK),
        ("LessThanOrEqualToThreshold", ALARM),
    ],
)
def test_a_value_equal_to_the_threshold_breaches_only_an_or_equal_comparison(comparison: str, expected: str) -> None:
    points = RecordedPoints()
    points.put("Errors", 0.5, minute(44, 10))
    assert evaluate_once(metric_alarm(ComparisonOperator=comparison), points).state == expected


def test_numbers_and_flags_may_arrive_as_strings_from_cloudformation() -> None:
    properties = metric_alarm(
        Threshold="0.5", EvaluationPeriods="3", DatapointsToAlarm="2", Period="60", ActionsEnabled="false"
    )
    alarm = Alarm.from_properties(properties)
    assert (alarm.threshold, alarm.evaluation_periods, alarm.datapoints_to_alarm, alarm.period) == (0.5, 3, 2, 60)
    assert alarm.actions_enabled is False


def test_an_alarm_lists_the_metrics_it_reads() -> None:
    alarm = Alarm.from_properties(math_alarm("m1 + m2"))
    assert alarm.metrics() == [(NAMESPACE, "A", DIMENSIONS), (NAMESPACE, "B", DIMENSIONS)]


def test_every_alarm_is_evaluated_in_the_order_given() -> None:
    points = RecordedPoints()
    points.put("Errors", 1.0, minute(44, 10))
    alarms = [Alarm.from_properties(metric_alarm(AlarmName=name)) for name in ("b", "a", "c")]
    evaluations = Evaluator(alarms).evaluate(points, NOW)
    assert [(e.name, e.state) for e in evaluations] == [("b", ALARM), ("a", ALARM), ("c", ALARM)]


def test_a_naive_evaluation_time_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        Evaluator([]).evaluate(RecordedPoints(), NOW.replace(tzinfo=None))


@pytest.mark.parametrize(
    ("properties", "refusal"),
    [
        (metric_alarm(ComparisonOperator="GreaterThanUpperThreshold"), "anomaly detection"),
        (math_alarm("m1", ThresholdMetricId="band"), "anomaly detection"),
        (metric_alarm(Statistic="tm99"), "statistic 'tm99'"),
        (metric_alarm(Statistic="IQM"), "statistic 'IQM'"),
        (math_alarm("SELECT AVG(Errors) FROM Credits"), "Metrics Insights"),
        (math_alarm("RATE(m1)"), r"RATE\(series\)"),
        (math_alarm("ANOMALY_DETECTION_BAND(m1, 2)"), "ANOMALY_DETECTION_BAND"),
        (math_alarm("FILL(m1, REPEAT)"), "'REPEAT'"),
        (math_alarm("FILL(m1, LINEAR)"), "'LINEAR'"),
        (math_alarm('SUM(METRICS("errors"))'), "'errors'"),
        (math_alarm("SUM(m1)"), r"SUM\(series\)"),
        (math_alarm("AVG(m1) + 1"), r"AVG\(series\)"),
        (math_alarm("5"), "single time series"),
        (math_alarm("METRICS()"), "single time series"),
        (math_alarm("m1 % 2"), "'m1 % 2'"),
        (math_alarm("m9 + 1"), "'m9' is not a query id"),
        (math_alarm("e1 + 1"), "'e1' is circular"),
        (math_alarm("m1 +"), "does not parse"),
        (math_alarm("m1", {**metric_stat("x", "C"), "AccountId": "123456789012"}), "cross-account"),
        (math_alarm("m1", metric_stat("m3", "C", period=300)), "one period"),
        (math_alarm("m1", {"Id": "e2", "Expression": "m2", "ReturnData": True}), "ReturnData"),
        (metric_alarm(ExtendedStatistic="p99"), "one of Statistic and ExtendedStatistic"),
        (metric_alarm(TreatMissingData="sometimes"), "TreatMissingData"),
        (metric_alarm(EvaluationPeriods=2, DatapointsToAlarm=3), "DatapointsToAlarm"),
        (metric_alarm(AlarmName=None), "AlarmName"),
    ],
)
def test_what_the_evaluator_does_not_support_is_refused_by_name(properties: dict[str, Any], refusal: str) -> None:
    with pytest.raises(ValueError, match=refusal):
        Alarm.from_properties(properties)
