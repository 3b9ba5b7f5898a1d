"""What the bench counts as a decision's CloudWatch Logs (bench/logs.py): AWS's record formats and levels."""

from __future__ import annotations

import json
import sys

from bench.logs import (
    EVENT_OVERHEAD_BYTES,
    FunctionOutput,
    events_and_bytes,
    execution_records,
    express_execution_arn,
    platform_lines,
)
from emulator.cloud import LocalCloud
from functions.common.observability import logger
from tests.integration.workflows import Workflows

ARN = "arn:aws:states:eu-west-2:123456789012:express:UseCreditStateMachine:run-1:5e1e"
HISTORY = [
    {"id": 1, "previousEventId": 0, "type": "ExecutionStarted", "timestamp": "2026-12-07T06:04:55.342Z",
     "executionStartedEventDetails": {"input": '{"a": 1}', "inputDetails": {"truncated": False}, "roleArn": "r"}},
    {"id": 2, "previousEventId": 1, "type": "TaskStateEntered", "timestamp": "2026-12-07T06:04:55.343Z",
     "stateEnteredEventDetails": {"name": "ReserveOrgCredit", "input": '{"a": 1}'}},
    {"id": 3, "previousEventId": 2, "type": "LambdaFunctionFailed", "timestamp": "2026-12-07T06:04:55.400Z",
     "lambdaFunctionFailedEventDetails": {"error": "Sandbox.Timedout", "cause": "late"}},
    {"id": 4, "previousEventId": 3, "type": "ExecutionFailed", "timestamp": "2026-12-07T06:04:55.500Z",
     "executionFailedEventDetails": {"error": "ServiceUnavailable", "cause": "{}"}},
]  # fmt: skip


def test_at_level_all_every_history_event_is_one_record_of_the_documented_fields() -> None:
    records = [json.loads(record) for record in execution_records(ARN, HISTORY, "ALL", include_data=True)]

    assert [record["type"] for record in records] == [event["type"] for event in HISTORY]
    assert all(
        set(record)
        == {"id", "type", "details", "previous_event_id", "event_timestamp", "execution_arn", "redrive_count"}
        for record in records
    )
    assert records[0]["details"]["input"] == '{"a": 1}'
    assert (records[0]["event_timestamp"], records[0]["execution_arn"]) == ("1796623495342", ARN)


def test_at_level_error_only_failures_are_logged_and_at_fatal_only_the_executions_end() -> None:
    error = [json.loads(record)["type"] for record in execution_records(ARN, HISTORY, "ERROR", include_data=True)]
    fatal = [json.loads(record)["type"] for record in execution_records(ARN, HISTORY, "FATAL", include_data=True)]

    assert error == ["LambdaFunctionFailed", "ExecutionFailed"]
    assert fatal == ["ExecutionFailed"]
    assert execution_records(ARN, HISTORY, "OFF", include_data=True) == []


def test_without_execution_data_no_input_or_output_is_logged() -> None:
    records = [json.loads(record) for record in execution_records(ARN, HISTORY, "ALL", include_data=False)]

    assert records[0]["details"] == {"roleArn": "r"}
    assert records[1]["details"] == {"name": "ReserveOrgCredit"}


def test_each_event_costs_its_utf8_bytes_and_26_more() -> None:
    assert events_and_bytes(["abc", "é"]) == (2, 3 + 2 + 2 * EVENT_OVERHEAD_BYTES)


def test_an_invocation_adds_lambdas_start_end_and_report_lines() -> None:
    lines = platform_lines(5.41, 6, 512)

    assert [line.split(" ")[0] for line in lines] == ["START", "END", "REPORT"]
    assert "\tBilled Duration: 6 ms\tMemory Size: 512 MB\t" in lines[2]
    assert "\nXRAY TraceId: 1-" in lines[2]


def test_an_express_execution_is_named_as_aws_names_it() -> None:
    arn = express_execution_arn("arn:aws:states:eu-west-2:123456789012:stateMachine:UseCredit", "run-1")

    assert arn.startswith("arn:aws:states:eu-west-2:123456789012:express:UseCredit:run-1:")


def test_a_decisions_function_lines_are_captured_at_the_templates_level_with_its_metrics(
    cloud: LocalCloud, org_id: str
) -> None:
    # Given the emulator (which quietens the handlers to WARNING and turns their metrics off)
    workflows = Workflows(cloud)
    workflows.set_plan(org_id, "Basic")
    level, stdout = logger.log_level, sys.stdout

    # When a decision runs with its output captured at INFO, as the template's Globals set it
    output = FunctionOutput()
    with output.installed({"POWERTOOLS_LOG_LEVEL": "INFO"}):
        workflows.use(org_id, "enq-1")
        lines = output.take()

    # Then its INFO lines and its metrics' EMF documents were captured, one event a line, and all is put back
    documents = [json.loads(line) for line in lines]
    assert any(document.get("level") == "INFO" for document in documents)
    assert any("_aws" in document for document in documents)
    assert (logger.log_level, sys.stdout) == (level, stdout)
