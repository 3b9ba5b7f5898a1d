"""The operations dashboard and the saved Logs Insights queries in template.yaml, written from the template itself
(generate/operations.py adds them beside the alarms): a series per function and per workflow it declares, a query over
the log groups it declares, and the service's own metrics as functions/common/observability.py emits them.

Sources:
- AWS::CloudWatch::Dashboard's body is a JSON string (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/
  aws-resource-cloudwatch-dashboard.html; https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/
  CloudWatch-Dashboard-Body-Structure.html): a metric widget needs `region`, its `period` is a multiple of 60, a
  metric is [Namespace, MetricName, DimensionName, DimensionValue, ..., {options: label, stat, id, visible}], an
  expression [{"expression", "label", "id"}] (an id starts with a lowercase letter). Older copies of the page allow
  100 metrics a widget (now 500): tests/unit/test_dashboard.py holds each widget to 100.
- Fn::Sub fills ${AWS::Region}, ${AWS::StackName}, ${Parameter}, ${Resource} (its Ref: a function's name, a state
  machine's ARN, the table's name) and ${Resource.Attribute} (its GetAtt), and nothing else.
- AWS::Logs::QueryDefinition: Name ("folder-name/query-name"), QueryString, LogGroupNames (https://docs.aws.amazon.com/
  AWSCloudFormation/latest/UserGuide/aws-resource-logs-querydefinition.html), at most 50 of them (StartQuery,
  https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_StartQuery.html); no time range is saved.
- Logs Insights QL (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/CWL_QuerySyntax.html) and the fields it
  discovers (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/CWL_AnalyzeLogData-discoverable-fields.html):
  @type, @requestId, @duration in Lambda logs, and every key of a JSON event, a nested one by dotted name.
What the logs hold (bench/logs.py writes the same records):
- a function's: Powertools' JSON lines (level, message, service, function_request_id, xray_trace_id, and the keys
  each step logs: orgId, userId, enquiryId, executionName...; a denial is answered, not logged), each data point's EMF
  document (its dimensions and metric as keys: outcome, reason, Decisions), the runtime's START/END/REPORT lines;
- a workflow's (Express): a JSON record per history event: id, type, details (error and cause of a failure; input and
  output as JSON text), previous_event_id, event_timestamp, execution_arn (...:express:<machine>:<name>:<id>),
  redrive_count (https://docs.aws.amazon.com/cdk/api/v2/python/aws_cdk.mixins_preview.aws_stepfunctions.mixins/
  CfnStateMachineExpressLogsRecordFields.html; https://docs.aws.amazon.com/step-functions/latest/apireference/
  API_HistoryEvent.html). A Task whose Resource is a function's ARN logs LambdaFunction* events;
- the API's access log: the JSON line of CreditApi's AccessLogSetting (requestId, extendedRequestId, status...).
"""

from __future__ import annotations

import json
from typing import Any

from domain.audit import DriftKind
from domain.errors import Conflict, CreditDenied, DomainError, NotRecorded
from domain.events import LimitNotice

SERVICE_NAMESPACE = "Xapien/Credits"
DECISIONS_WORKFLOW = "UseCreditStateMachine"
"""The workflow whose steps decide (and count) a charge: its functions' logs hold the decisions."""
TOP_UPS_WORKFLOW = "TopUpStateMachine"
AUDIT_WORKFLOW = "AuditEveryOrgStateMachine"
"""The daily audit of every org (its Drift metric beside it)."""
"""No step counts top-ups (functions/top_up emits no metric): the dashboard shows this workflow's executions."""
TABLE_OPERATIONS = ("TransactWriteItems", "PutItem", "UpdateItem", "DeleteItem",
                    "GetItem", "Query", "TransactGetItems", "BatchGetItem")  # fmt: skip
"""The operations the table alarms watch (generate/operations.py), each its own ThrottledRequests/SystemErrors."""
REFUSED_REFUNDS = (NotRecorded, Conflict)
"""The refusals functions/refund counts as Refunds REFUSED (refusals_counted there)."""
FAULT_EVENTS = ("TaskFailed", "TaskTimedOut", "LambdaFunctionFailed", "LambdaFunctionTimedOut",
                "LambdaFunctionStartFailed", "LambdaFunctionScheduleFailed", "ExecutionFailed", "ExecutionTimedOut",
                "ExecutionAborted")  # fmt: skip
"""The workflow history events that are faults: a step that failed or timed out, an execution that ended so."""

Row = list[Any]


def _codes(*families: type[DomainError]) -> list[str]:
    """The codes the leaves of `families` carry, sorted: what a refusal of theirs is counted with as its reason."""

    def leaves(family: type[DomainError]) -> list[type[DomainError]]:
        below = family.__subclasses__()
        return [leaf for error in below for leaf in leaves(error)] if below else [family]

    return sorted({leaf.code for family in families for leaf in leaves(family)})


def denial_codes() -> list[str]:
    """Every reason a DENIED decision can carry (functions/common/observability.py denials_counted)."""
    return _codes(CreditDenied, Conflict)


def _of_type(template: dict[str, Any], kind: str) -> list[str]:
    return [name for name, resource in template["Resources"].items() if resource["Type"] == kind]


def _placeholder(value: Any) -> str:
    """A template value as Fn::Sub writes it: a Ref as ${Name}, a GetAtt as ${Name.Attribute}, text as itself."""
    if isinstance(value, dict) and "Ref" in value:
        return f"${{{value['Ref']}}}"
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        return "${" + ".".join(value["Fn::GetAtt"]) + "}"
    return str(value)


def _target(value: dict[str, Any]) -> str:
    """The logical id a Ref or a GetAtt names."""
    return str(value["Ref"]) if "Ref" in value else str(value["Fn::GetAtt"][0])


def _metric(namespace: str, name: str, dimensions: dict[str, str], **options: Any) -> Row:
    row: Row = [namespace, name, *[part for pair in dimensions.items() for part in pair]]
    return [*row, options] if options else row


def _short(name: str) -> str:
    return name.removesuffix("Function").removesuffix("StateMachine")


def widgets(template: dict[str, Any]) -> list[dict[str, Any]]:
    """The dashboard's metric widgets, in reading order, two a row."""
    resources = template["Resources"]
    functions = _of_type(template, "AWS::Serverless::Function")
    workflows = _of_type(template, "AWS::Serverless::StateMachine")
    (api,) = [resources[name]["Properties"] for name in _of_type(template, "AWS::Serverless::Api")]
    stage = {"ApiName": _placeholder(api["Name"]), "Stage": _placeholder(api["StageName"])}
    (table,) = _of_type(template, "AWS::DynamoDB::Table")
    environment = template["Globals"]["Function"]["Environment"]["Variables"]
    service = {"service": str(environment["POWERTOOLS_SERVICE_NAME"])}
    topic = {"TopicName": f"${{{_target(environment['ALERTS_TOPIC_ARN'])}.TopicName}}"}
    (sweep,) = [
        name
        for name in functions
        for event in resources[name]["Properties"].get("Events", {}).values()
        if event["Type"] == "Schedule"
    ]

    def ours(name: str, dimensions: dict[str, str], **options: Any) -> Row:
        return _metric(SERVICE_NAMESPACE, name, dimensions | service, **options)

    def each(namespace: str, name: str, key: str, names: list[str], what: str = "", **options: Any) -> list[Row]:
        return [_metric(namespace, name, {key: f"${{{item}}}"}, label=_short(item) + what, **options) for item in names]

    def decision(outcome: str, reason: str = "NONE", **options: Any) -> Row:
        return ours("Decisions", {"outcome": outcome, "reason": reason}, **options)

    denials = denial_codes()
    hidden = [decision("DENIED", code, id=f"deny{n}", visible=False) for n, code in enumerate(denials)]
    denied = {"expression": f"SUM([{', '.join(row[-1]['id'] for row in hidden)}])", "label": "DENIED", "id": "denied"}
    outcomes = [decision("CHARGED", label="CHARGED"), decision("REPLAYED", label="REPLAYED"), *hidden, [denied]]
    api_answers = [_metric("AWS/ApiGateway", name, stage, label=name) for name in ("Count", "4XXError", "5XXError")]
    latency = [_metric("AWS/ApiGateway", "Latency", stage, stat=stat, label=stat) for stat in ("p50", "p99")]
    durations = [
        row
        for p in ("p50", "p99")
        for row in each("AWS/States", "ExecutionTime", "StateMachineArn", workflows, f" {p}", stat=p)
    ]
    faults = [
        row
        for name, what in [("Failed", " failed"), ("TimedOut", " timed out"), ("Aborted", " aborted")]
        for row in each("AWS/States", f"Executions{name}", "StateMachineArn", workflows, what)
    ] + each("AWS/States", "ExecutionThrottled", "StateMachineArn", workflows, " throttled")
    capacity = [
        _metric("AWS/DynamoDB", name, {"TableName": f"${{{table}}}"}, label=name)
        for name in ("ConsumedWriteCapacityUnits", "ConsumedReadCapacityUnits", "TransactionConflict")
    ]
    by_operation = {
        name: [
            _metric("AWS/DynamoDB", name, {"TableName": f"${{{table}}}", "Operation": operation}, label=operation)
            for operation in TABLE_OPERATIONS
        ]
        for name in ("ThrottledRequests", "SystemErrors")
    }
    notifications = [
        ours("Notifications", {"kind": kind, "outcome": outcome}, label=f"{kind} {outcome}")
        for kind in sorted(notice.__name__ for notice in LimitNotice.__subclasses__())
        for outcome in ("SENT", "FAILED")
    ] + [
        _metric("AWS/SNS", "NumberOfMessagesPublished", topic, label="published to the alerts topic"),
        _metric("AWS/SNS", "NumberOfNotificationsFailed", topic, label="not delivered to a subscriber"),
    ]
    refunds = [
        ours("Refunds", {"outcome": outcome, "reason": reason}, label=f"{outcome} {reason}".removesuffix(" NONE"))
        for outcome, reason in [("REFUNDED", "NONE"), ("REPLAYED", "NONE")]
        + [("REFUSED", code) for code in _codes(*REFUSED_REFUNDS)]
    ]
    top_ups_and_sweep = [
        *each("AWS/States", "ExecutionsSucceeded", "StateMachineArn", [TOP_UPS_WORKFLOW], " answered (2xx or 4xx)"),
        ours("ReservationsSwept", {}, label="abandoned reservations released"),
        *each("AWS/Lambda", "Invocations", "FunctionName", [sweep], " runs"),
    ]
    audits = [
        *[ours("Drift", {"kind": str(kind)}, label=f"drift {kind}") for kind in DriftKind],
        *each("AWS/States", "ExecutionsSucceeded", "StateMachineArn", [AUDIT_WORKFLOW], " completed"),
    ]
    panels: list[tuple[str, list[Row], str]] = [
        ("Decisions by outcome (per minute)", outcomes, "Sum"),
        ("Denials by reason (per minute)", [decision("DENIED", code, label=code) for code in denials], "Sum"),
        ("API latency (ms)", latency, "p99"),
        ("API answers: requests, 4xx, 5xx", api_answers, "Sum"),
        ("Function errors (crashes and timeouts)", each("AWS/Lambda", "Errors", "FunctionName", functions), "Sum"),
        ("Function throttles", each("AWS/Lambda", "Throttles", "FunctionName", functions), "Sum"),
        ("Function duration, slowest (ms)", each("AWS/Lambda", "Duration", "FunctionName", functions), "Maximum"),
        ("Workflow duration p50 / p99 (ms)", durations, "p99"),
        ("Workflow faults: failed, timed out, aborted, throttled", faults, "Sum"),
        ("Table capacity and transaction conflicts", capacity, "Sum"),
        ("Table throttled requests", by_operation["ThrottledRequests"], "Sum"),
        ("Table system errors", by_operation["SystemErrors"], "Sum"),
        ("Notifications to customer success", notifications, "Sum"),
        ("Refunds", refunds, "Sum"),
        ("Top-ups and the sweep", top_ups_and_sweep, "Sum"),
        ("The books audited: drift by kind, daily audits completed", audits, "Sum"),
    ]
    properties = {"region": "${AWS::Region}", "period": 60, "view": "timeSeries"}
    return [
        {
            "type": "metric",
            **{"x": 12 * (index % 2), "y": 6 * (index // 2), "width": 12, "height": 6},
            "properties": {"title": title, **properties, "stat": stat, "metrics": metrics},
        }
        for index, (title, metrics, stat) in enumerate(panels)
    ]


def dashboard(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The operations dashboard's logical id and resource."""
    body = json.dumps({"widgets": widgets(template)}, separators=(",", ":"))
    properties = {"DashboardName": {"Fn::Sub": "${AWS::StackName}-operations"}, "DashboardBody": {"Fn::Sub": body}}
    return {"OperationsDashboard": {"Type": "AWS::CloudWatch::Dashboard", "Properties": properties}}


def log_groups(template: dict[str, Any]) -> dict[str, str]:
    """Each function's, workflow's and API's logical id, and the logical id of the log group it writes to."""
    found = {}
    for name, resource in template["Resources"].items():
        properties = resource.get("Properties", {})
        if resource["Type"] == "AWS::Serverless::Function":
            found[name] = _target(properties["LoggingConfig"]["LogGroup"])
        elif resource["Type"] == "AWS::Serverless::StateMachine":
            (destination,) = properties["Logging"]["Destinations"]
            found[name] = _target(destination["CloudWatchLogsLogGroup"]["LogGroupArn"])
        elif resource["Type"] == "AWS::Serverless::Api":
            found[name] = _target(properties["AccessLogSetting"]["DestinationArn"])
    return found


FIND_DECISION = r"""# One decision (or any request): replace the placeholder you have and leave the others. <execution-name> is the
# answer's x-amz-apigw-id header without its trailing "=", or the executionName of the enquiry's ledger entry.
fields @timestamp, @log, coalesce(message, type) as event, orgId, userId, enquiryId, executionName, status, details.error, details.output
| filter enquiryId = "<enquiry-id>" or refund.enquiryId = "<enquiry-id>" or executionName = "<execution-name>" or execution_arn like ":<execution-name>:" or extendedRequestId like "<execution-name>" or @message like "<request-id>"
| sort @timestamp asc
| limit 1000"""  # noqa: E501
DENIALS = """# Decisions denied in the time range chosen above (1h: the last hour), by the denial's code: the Decisions
# metric's EMF documents, as the steps that decide write them.
filter outcome = "DENIED" and ispresent(Decisions)
| fields reason as code
| stats count(*) as denials by code
| sort denials desc"""
FAULTS = rf"""# Faults in the time range chosen above (1h: the last hour), newest first: a function's error lines and timeouts
# (lambdaRequestId), a workflow step or execution that failed or timed out (execution_arn ends :<execution name>:<id>),
# and each 5xx the API answered (requestId, as its answer's x-amzn-RequestId).
fields @timestamp, @log, coalesce(function_request_id, @requestId) as lambdaRequestId, requestId, execution_arn, type, level, message, details.error, details.cause, status
| filter level = "ERROR" or @message like /Task timed out/ or @message like /\[ERROR\]/ or type =~ /^({"|".join(FAULT_EVENTS)})$/ or status like /^5\d\d$/
| sort @timestamp desc
| limit 1000"""  # noqa: E501
SLOWEST = """# Each function's invocations in the chosen time range, slowest first (its REPORT lines: @duration in ms).
filter @type = "REPORT"
| stats count(*) as invocations, avg(@duration) as avgMs, pct(@duration, 99) as p99Ms, max(@duration) as maxMs by @log
| sort maxMs desc
| limit 50"""


def queries(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The saved Logs Insights queries' logical ids and resources."""
    writes_to = log_groups(template)
    functions = _of_type(template, "AWS::Serverless::Function")
    workflows = _of_type(template, "AWS::Serverless::StateMachine")
    (api,) = _of_type(template, "AWS::Serverless::Api")
    substitutions = template["Resources"][DECISIONS_WORKFLOW]["Properties"]["DefinitionSubstitutions"]
    deciders = [name for name in functions if {"Fn::GetAtt": [name, "Arn"]} in substitutions.values()]
    every = [*functions, *workflows, api]
    found = {}
    for name, query, sources in [
        ("find-decision", FIND_DECISION, every),
        ("denials-by-reason", DENIALS, deciders),
        ("faults", FAULTS, every),
        ("slowest-steps", SLOWEST, functions),
    ]:
        logical_id = "".join(part.capitalize() for part in name.split("-")) + "Query"
        properties = {
            "Name": {"Fn::Sub": f"${{AWS::StackName}}/{name}"},
            "LogGroupNames": [{"Ref": writes_to[source]} for source in sources],
            "QueryString": query,
        }
        found[logical_id] = {"Type": "AWS::Logs::QueryDefinition", "Properties": properties}
    return found
