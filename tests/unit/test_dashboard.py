"""The operations dashboard and the saved queries (generate/dashboard.py) graph and read what the stack really has:
a series for every function and workflow the template declares and for every metric an alarm watches, dimension
values that resolve to what is recorded when the workflows run, only metrics AWS documents or the code emits, and
queries over the template's own log groups that filter on the fields the steps really write."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import pytest

from bench.logs import FunctionOutput
from emulator.cloud import LocalCloud
from emulator.template import TEMPLATE_PATH, Resolver, load_yaml
from generate.dashboard import SERVICE_NAMESPACE, dashboard, denial_codes, log_groups, queries
from tests.integration.workflows import Workflows
from tests.unit.aws_metric_catalogue import AWS_METRICS

TEMPLATE: dict[str, Any] = load_yaml(TEMPLATE_PATH)
RESOURCES: dict[str, Any] = TEMPLATE["Resources"]
RESOLVER = Resolver(TEMPLATE)
BODY: str = dashboard(TEMPLATE)["OperationsDashboard"]["Properties"]["DashboardBody"]["Fn::Sub"]
WIDGETS: list[dict[str, Any]] = json.loads(RESOLVER.sub(BODY))["widgets"]
QUERIES: dict[str, dict[str, Any]] = queries(TEMPLATE)
PSEUDO_PARAMETERS = {"AWS::AccountId", "AWS::Partition", "AWS::Region", "AWS::StackName", "AWS::URLSuffix"}
MAX_METRICS_PER_WIDGET = 100
"""The safe reading of "Dashboard Body Structure and Syntax": older copies say 0-100 metrics a widget (now 500)."""
MAX_LOG_GROUPS = 50
"""StartQuery: "You can include up to 50 log groups"."""

Series = tuple[str, str, frozenset[tuple[str, str]]]
Ran = tuple[list[dict[str, Any]], set[Series], str]
"""What the `ran` scenario left: the functions' JSON log lines, the series recorded, the enquiry it refunded."""


def _of_type(kind: str) -> list[str]:
    return sorted(name for name, resource in RESOURCES.items() if resource["Type"] == kind)


def _series(row: list[Any]) -> Series:
    """A metric row of a widget as (namespace, metric name, its dimensions)."""
    namespace, name, *rest = [part for part in row if not isinstance(part, dict)]
    return namespace, name, frozenset(zip(rest[::2], rest[1::2], strict=True))


def _graphed() -> set[Series]:
    return {_series(row) for widget in WIDGETS for row in widget["properties"]["metrics"] if isinstance(row[0], str)}


def _alarmed(alarm: dict[str, Any]) -> list[Series]:
    """The metrics one alarm of the template watches, its dimensions resolved as the emulator resolves them."""
    properties = alarm["Properties"]
    metrics = [query["MetricStat"]["Metric"] for query in properties.get("Metrics", []) if "MetricStat" in query]
    metrics = metrics or [properties]
    return [
        (
            metric["Namespace"],
            metric["MetricName"],
            frozenset((item["Name"], str(RESOLVER.resolve(item["Value"]))) for item in metric.get("Dimensions", [])),
        )
        for metric in metrics
    ]


def _paths(document: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """A JSON log event's fields as Logs Insights names them: nested keys by dotted path."""
    found: dict[str, Any] = {}
    for key, item in document.items():
        found |= _paths(item, f"{prefix}{key}.") if isinstance(item, dict) else {f"{prefix}{key}": item}
    return found


def _compared_with(query: str, placeholder: str) -> set[str]:
    """The fields a query's filter compares with `placeholder` (= or like), @-fields of CloudWatch's own left out."""
    return set(re.findall(rf'(?<![@\w.])([A-Za-z_][\w.]*) (?:=|like) "[^"]*{re.escape(placeholder)}', query))


# -- the dashboard ------------------------------------------------------------------------------------------


def test_the_body_is_json_once_its_placeholders_are_filled() -> None:
    assert WIDGETS
    assert "${" not in RESOLVER.sub(BODY)


def test_every_placeholder_names_a_parameter_a_pseudo_parameter_or_a_resource() -> None:
    placeholders = set(re.findall(r"\$\{([^}]+)\}", BODY))

    for placeholder in placeholders:
        name, _, attribute = placeholder.partition(".")
        assert name in PSEUDO_PARAMETERS | set(TEMPLATE["Parameters"]) | set(RESOURCES), placeholder
        if attribute:
            assert (RESOURCES[name]["Type"], attribute) == ("AWS::SNS::Topic", "TopicName"), placeholder
    assert "AWS::Region" in placeholders


def test_every_widget_is_a_titled_per_minute_graph_in_the_stacks_region_of_at_most_100_metrics() -> None:
    for widget in WIDGETS:
        properties = widget["properties"]
        assert widget["type"] == "metric"
        assert properties["title"]
        assert (properties["period"], properties["view"]) == (60, "timeSeries"), properties["title"]
        assert properties["region"] == RESOLVER.ref("AWS::Region")
        assert 0 < len(properties["metrics"]) <= MAX_METRICS_PER_WIDGET, properties["title"]


def test_every_function_and_workflow_of_the_template_has_its_series() -> None:
    graphed = _graphed()

    for function in _of_type("AWS::Serverless::Function"):
        name = frozenset({("FunctionName", RESOLVER.ref(function))})
        for metric in ("Errors", "Throttles", "Duration"):
            assert ("AWS/Lambda", metric, name) in graphed, (function, metric)
    for workflow in _of_type("AWS::Serverless::StateMachine"):
        arn = frozenset({("StateMachineArn", RESOLVER.ref(workflow))})
        for metric in ("ExecutionTime", "ExecutionsFailed", "ExecutionsTimedOut"):
            assert ("AWS/States", metric, arn) in graphed, (workflow, metric)


def test_every_metric_an_alarm_watches_is_graphed() -> None:
    alarms = [resource for resource in RESOURCES.values() if resource["Type"] == "AWS::CloudWatch::Alarm"]
    assert alarms

    missing = [series for alarm in alarms for series in _alarmed(alarm) if series not in _graphed()]

    assert not missing


def test_every_aws_metric_graphed_is_one_aws_documents_with_its_dimensions() -> None:
    for namespace, name, dimensions in _graphed():
        if namespace == SERVICE_NAMESPACE:
            continue
        assert name in AWS_METRICS[namespace], (namespace, name)
        assert frozenset(key for key, _ in dimensions) in AWS_METRICS[namespace][name], (namespace, name, dimensions)


def test_denials_are_graphed_by_every_code_a_denial_carries_and_summed_as_one_outcome() -> None:
    (by_outcome,) = [w["properties"] for w in WIDGETS if w["properties"]["title"].startswith("Decisions by outcome")]
    (by_reason,) = [w["properties"] for w in WIDGETS if w["properties"]["title"].startswith("Denials by reason")]
    reasons = [dict(_series(row)[2])["reason"] for row in by_reason["metrics"]]
    hidden = [row[-1]["id"] for row in by_outcome["metrics"] if isinstance(row[0], str) and "id" in row[-1]]
    (expression,) = [row[0]["expression"] for row in by_outcome["metrics"] if isinstance(row[0], dict)]

    assert reasons == denial_codes()
    assert {"NO_ACTIVE_PLAN", "TRIAL_EXPIRED", "ORG_LIMIT_REACHED", "USER_LIMIT_REACHED"} <= set(reasons)
    assert expression == f"SUM([{', '.join(hidden)}])"
    assert len(hidden) == len(reasons)


# -- the saved queries --------------------------------------------------------------------------------------


def test_every_query_is_named_for_the_stack_and_reads_log_groups_the_template_declares() -> None:
    names = [query["Properties"]["Name"]["Fn::Sub"] for query in QUERIES.values()]
    assert len(set(names)) == len(names) == 4

    for query in QUERIES.values():
        properties = query["Properties"]
        assert properties["Name"]["Fn::Sub"].startswith("${AWS::StackName}/")
        assert properties["QueryString"].strip()
        groups = [group["Ref"] for group in properties["LogGroupNames"]]
        assert 0 < len(groups) <= MAX_LOG_GROUPS
        assert all(RESOURCES[group]["Type"] == "AWS::Logs::LogGroup" for group in groups), groups


def test_the_fault_query_reads_every_functions_and_workflows_log_and_the_api_access_log() -> None:
    writers = _of_type("AWS::Serverless::Function") + _of_type("AWS::Serverless::StateMachine")
    read = {group["Ref"] for group in QUERIES["FaultsQuery"]["Properties"]["LogGroupNames"]}

    assert read == set(log_groups(TEMPLATE).values())
    assert {log_groups(TEMPLATE)[writer] for writer in writers} < read
    assert "ApiAccessLogs" in read


# -- against what the workflows really record and log -----------------------------------------------------


@pytest.fixture(scope="module")
def ran(cloud: LocalCloud) -> Ran:
    """Every business outcome the steps count (a charge, a replay, denials, a notice, refunds, a refusal), run on the
    emulator with the functions' output captured as Lambda would send it to CloudWatch Logs."""
    workflows = Workflows(cloud)
    org, lite, enquiry = f"org-{uuid.uuid4().hex[:12]}", f"org-{uuid.uuid4().hex[:12]}", f"enq-{uuid.uuid4().hex[:8]}"
    output = FunctionOutput()
    # only what this run records: an earlier test in the process may have counted what no step emits (test_answers
    # raises the rejections' parent classes, CONFLICT and CREDIT_DENIED, inside handlers)
    cloud.forget_metrics()
    with output.installed({"POWERTOOLS_LOG_LEVEL": "INFO"}):
        workflows.set_plan(org, "Basic")
        workflows.set_user_limit(org, 1)
        for enquiry_id in (enquiry, enquiry, "over-the-user-limit"):
            workflows.use(org, enquiry_id)
        workflows.use(f"no-plan-{org}", "enq-1")
        workflows.set_plan(lite, "Lite")
        for n in range(21):
            workflows.use(lite, f"enq-{n}", user_id=f"user-{n}")
        for enquiry_id in (enquiry, enquiry, "never-charged"):
            workflows.run("RefundStateMachine", org, {"enquiryId": enquiry_id})
        lines = [json.loads(line) for line in output.take() if line.startswith("{")]
    recorded = {
        (row["namespace"], row["metricName"], frozenset(row["dimensions"].items())) for row in cloud.metrics.catalogue()
    }
    return lines, recorded, enquiry


def test_every_service_metric_the_steps_emit_is_graphed(ran: Ran) -> None:
    _, recorded, _ = ran
    ours = {series for series in recorded if series[0] == SERVICE_NAMESPACE}
    reasons = {dict(series[2]).get("reason") for series in ours if series[1] == "Decisions"}
    assert {"NONE", "USER_LIMIT_REACHED", "NO_ACTIVE_PLAN", "ORG_LIMIT_REACHED"} <= reasons
    assert {series[1] for series in ours} >= {"Decisions", "Refunds", "Notifications"}

    assert ours - _graphed() == set()


def test_the_dashboards_dimension_values_are_those_recorded_per_function_workflow_and_table(
    ran: Ran,
) -> None:
    _, recorded, _ = ran
    graphed = _graphed()
    per_resource = {("AWS/Lambda", "Errors"), ("AWS/Lambda", "Duration"), ("AWS/States", "ExecutionTime")}
    per_resource |= {("AWS/DynamoDB", "ConsumedWriteCapacityUnits")}
    shapes = {(namespace, name, frozenset(key for key, _ in dims)) for namespace, name, dims in graphed}
    checked = [
        series
        for series in recorded
        if series[:2] in per_resource and (*series[:2], frozenset(key for key, _ in series[2])) in shapes
    ]
    assert {series[:2] for series in checked} == per_resource

    assert [series for series in checked if series not in graphed] == []


def test_the_queries_filter_on_fields_the_steps_really_write(ran: Ran) -> None:
    lines, _, enquiry = ran
    fields = [_paths(line) for line in lines]
    find = QUERIES["FindDecisionQuery"]["Properties"]["QueryString"]
    denials = QUERIES["DenialsByReasonQuery"]["Properties"]["QueryString"]
    by_enquiry = _compared_with(find, "<enquiry-id>")
    assert by_enquiry >= {"enquiryId", "refund.enquiryId"}
    assert "executionName" in _compared_with(find, "<execution-name>")

    for field in by_enquiry:
        assert any(line.get(field) == enquiry for line in fields), field
    assert any(line.get("enquiryId") == enquiry and line.get("executionName") for line in fields)
    assert any(line.get("outcome") == "DENIED" and "reason" in line and "Decisions" in line for line in fields)
    assert 'outcome = "DENIED"' in denials
    assert "ispresent(Decisions)" in denials
