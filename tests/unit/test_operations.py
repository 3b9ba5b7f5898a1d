"""The template's alarms can fire: each reads a metric AWS documents in its namespace, with the dimensions AWS
publishes it with (tests/unit/aws_metric_catalogue.py, which cites its sources), or one the code emits (held to
what a run captured, tests/http/test_alarms.py); each notifies the operations topic; each is a valid CloudWatch
alarm as emulator/alarms.py reads one. A misspelt metric name (ExecutionsFailedCount, 5xxErrors) is accepted by
CloudWatch and cfn-lint alike, and makes an alarm that never fires."""

from __future__ import annotations

import re
from typing import Any

import pytest

from emulator.alarms import Alarm
from emulator.template import load_stack, load_yaml
from generate.operations import SERVICE_NAMESPACE, TEMPLATE
from tests.unit.aws_metric_catalogue import AWS_METRICS

STACK = load_stack()
ALARMS = {properties["AlarmName"]: properties for properties in STACK.alarms}
TEMPLATE_RESOURCES = load_yaml(TEMPLATE)["Resources"]


def _metrics(properties: dict[str, Any]) -> list[tuple[str, str, dict[str, str]]]:
    return Alarm.from_properties(properties).metrics()


@pytest.mark.parametrize("name", sorted(ALARMS))
def test_every_aws_metric_an_alarm_reads_is_one_aws_publishes_with_those_dimensions(name: str) -> None:
    for namespace, metric, dimensions in _metrics(ALARMS[name]):
        if namespace == SERVICE_NAMESPACE:
            continue  # the code's own: tests/http/test_alarms.py
        assert namespace in AWS_METRICS, f"{name}: no AWS namespace {namespace}"
        assert metric in AWS_METRICS[namespace], f"{name}: {namespace} publishes no {metric}"
        assert frozenset(dimensions) in AWS_METRICS[namespace][metric], (
            f"{name}: {namespace} {metric} is not published by {sorted(dimensions)}"
        )


def test_the_catalogue_refuses_the_misspellings_that_left_public_alarms_silent() -> None:
    # ExecutionsFailedCount (aws-solutions-library-samples/accelerated-intelligent-document-processing-on-aws#746)
    # and 5xxErrors are accepted by CloudWatch and never published
    assert "ExecutionsFailedCount" not in AWS_METRICS["AWS/States"]
    assert "5xxErrors" not in AWS_METRICS["AWS/ApiGateway"]
    assert "ExecutionsFailed" in AWS_METRICS["AWS/States"]


@pytest.mark.parametrize("name", sorted(ALARMS))
def test_every_alarm_notifies_the_operations_topic_when_it_fires_and_when_it_clears(name: str) -> None:
    topic = "arn:aws:sns:eu-west-2:123456789012:OperationsTopic"
    properties = ALARMS[name]
    assert properties["ActionsEnabled"] is True
    assert properties["AlarmActions"] == [topic]
    assert properties["OKActions"] == [topic]


@pytest.mark.parametrize("name", sorted(ALARMS))
def test_every_alarm_is_one_cloudwatch_accepts(name: str) -> None:
    properties = ALARMS[name]
    assert int(properties["DatapointsToAlarm"]) <= int(properties["EvaluationPeriods"])
    queries = properties.get("Metrics", [])
    if queries:
        # "up to 10 metrics" and exactly one ReturnData (PutMetricAlarm, MetricDataQuery)
        assert sum("MetricStat" in query for query in queries) <= 10
        assert [query.get("ReturnData", True) for query in queries].count(True) == 1
    Alarm.from_properties(properties)  # raises on anything it would not evaluate as CloudWatch does


def test_alarm_names_are_stable_and_unique_per_stack() -> None:
    names = list(ALARMS)
    assert len(set(names)) == len(names)
    assert all(name.startswith(f"{STACK.api_name}-") for name in names)


def test_every_function_and_workflow_has_its_alarms() -> None:
    suffixes = {name.removeprefix(f"{STACK.api_name}-") for name in ALARMS}
    for function in STACK.functions:
        short = function.removesuffix("Function")
        assert {f"{short}-errors", f"{short}-throttles", f"{short}-near-timeout"} <= suffixes
    for workflow in STACK.state_machines:
        assert f"{workflow.removesuffix('StateMachine')}-workflow-faults" in suffixes


def test_a_function_is_near_its_timeout_at_four_fifths_of_it() -> None:
    for function, spec in STACK.functions.items():
        alarm = ALARMS[f"{STACK.api_name}-{function.removesuffix('Function')}-near-timeout"]
        assert float(alarm["Threshold"]) == round(spec.timeout_seconds * 800)
        assert alarm["Statistic"] == "Maximum"


def test_only_the_heartbeat_treats_silence_as_a_fault() -> None:
    breaching = {name for name, properties in ALARMS.items() if properties["TreatMissingData"] == "breaching"}
    assert breaching == {f"{STACK.api_name}-sweep-not-running", f"{STACK.api_name}-audit-not-running"}
    assert {properties["TreatMissingData"] for properties in ALARMS.values()} == {"breaching", "notBreaching"}


def test_the_operations_topic_is_apart_from_customer_successs_and_cloudwatch_may_publish_to_it() -> None:
    topic = TEMPLATE_RESOURCES["OperationsTopic"]["Properties"]
    assert topic["KmsMasterKeyId"] == {"Ref": "OperationsKey"}  # not alias/aws/sns: CloudWatch could not use it
    statements = TEMPLATE_RESOURCES["OperationsKey"]["Properties"]["KeyPolicy"]["Statement"]
    cloudwatch = [s for s in statements if s["Principal"] == {"Service": "cloudwatch.amazonaws.com"}]
    assert cloudwatch
    assert set(cloudwatch[0]["Action"]) == {"kms:Decrypt", "kms:GenerateDataKey*"}
    published = TEMPLATE_RESOURCES["OperationsTopicPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    assert [s["Action"] for s in published if s["Principal"] == {"Service": "cloudwatch.amazonaws.com"}] == [
        "sns:Publish"
    ]
    assert "OperationsTopic" not in str(TEMPLATE_RESOURCES["NotifyFunction"])  # customer success's is AlertsTopic


RUNBOOK = TEMPLATE.parent / "docs" / "operations.md"
DOCS = [TEMPLATE.parent / "README.md", *sorted((TEMPLATE.parent / "docs").glob("*.md"))]


def _suffixes() -> set[str]:
    return {name.removeprefix(f"{STACK.api_name}-") for name in ALARMS}


def test_the_runbook_has_a_section_for_every_alarm_and_names_none_the_template_lacks() -> None:
    text = RUNBOOK.read_text(encoding="utf-8")
    per_step = {
        f"{f.removesuffix('Function')}-{kind}"
        for f in STACK.functions
        for kind in ("errors", "throttles", "near-timeout")
    }
    per_workflow = {f"{w.removesuffix('StateMachine')}-workflow-faults" for w in STACK.state_machines}
    assert per_step | per_workflow <= _suffixes()
    # the service's own alarms, each under a heading of its own
    headed = set(re.findall(r"^### `<stack>-([a-z0-9-]+)`$", text, flags=re.MULTILINE))
    assert headed == _suffixes() - per_step - per_workflow
    # the per-workflow and per-function ones in a section each, every workflow and function by name
    assert "### `<stack>-<Workflow>-workflow-faults`" in text
    assert "### Per function: `<stack>-<Function>-errors`, `-throttles`, `-near-timeout`" in text
    for workflow in STACK.state_machines:
        assert f"`{workflow.removesuffix('StateMachine')}`" in text, workflow
    table = text[text.index("| Function | Runs in |") :]
    for function in STACK.functions:
        assert f"`{function.removesuffix('Function')}`" in table, function


ALARM_NAME = re.compile(
    r"`(?:<stack>-|xapien-credits-(?:dev-|prod-)?|credits-local-)?"
    r"([A-Za-z][A-Za-z0-9]*(?:-[a-z0-9]+)*-(?:rate|p99|errors|throttles|failed|reservations|running))`"
)
"""A name in backquotes that ends as an alarm's does, with or without a stack's name before it."""


def test_every_alarm_named_in_the_docs_exists() -> None:
    assert ALARM_NAME.findall(RUNBOOK.read_text(encoding="utf-8"))
    for path in DOCS:
        text = path.read_text(encoding="utf-8")
        named = set(ALARM_NAME.findall(text))
        assert named <= _suffixes(), f"{path.name} names alarms the template lacks: {sorted(named - _suffixes())}"
