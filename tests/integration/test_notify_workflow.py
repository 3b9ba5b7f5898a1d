"""Customer success hears about limits through the use-credit workflow as Step Functions runs it: the real ASL
in moto's interpreter, the real handlers, moto's DynamoDB and SNS (the alerts topic of template.yaml). Each kind
at most once per org and period, under concurrency and retries; at least once while SNS eventually accepts it;
never at the cost of a decision."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any
from unittest.mock import patch

import pytest
from moto.sns.exceptions import SNSInvalidParameter
from moto.sns.models import SNSBackend

from emulator.cloud import ExecutionResult, LocalCloud
from tests.integration.workflows import (
    Fault,
    Workflows,
    always,
    error_document,
    first_call_only,
    inject,
    notifications_for,
    outcome,
    run_handler,
)

pytestmark = pytest.mark.timed  # faults injected into steps with timeouts: mostly waiting (tests/conftest.py)

MARCH_25 = datetime(2025, 3, 25, 12, 0, tzinfo=UTC)
"""Three quarters of March gone: a forecast fires from 16 of Lite's 20 credits (16 / 0.78 >= 20)."""
PERIOD = "2025-03"
REACHED = "LimitReached"
FORECAST = "LimitForecast"


@pytest.fixture
def workflows(cloud: LocalCloud) -> Workflows:
    cloud.clock.freeze(MARCH_25)  # the autouse fixture thaws it
    return Workflows(cloud)


def charge(workflows: Workflows, org_id: str, enquiry_id: str) -> ExecutionResult:
    result = workflows.use(org_id, enquiry_id)
    assert result.status == "SUCCEEDED", result
    return result


def charge_many(workflows: Workflows, org_id: str, count: int, prefix: str = "enq") -> None:
    for number in range(count):
        charge(workflows, org_id, f"{prefix}-{number}")


def denied(workflows: Workflows, org_id: str, enquiry_id: str) -> ExecutionResult:
    result = workflows.use(org_id, enquiry_id)
    assert (result.status, outcome(result)) == ("SUCCEEDED", "OrgLimitReached"), result
    return result


@contextmanager
def sns_refusing_everything() -> Iterator[None]:
    """SNS answers every Publish with an error response (boto raises a ClientError)."""
    refusal = SNSInvalidParameter("the alerts topic is not taking messages")
    with patch.object(SNSBackend, "publish", side_effect=refusal):
        yield


class LambdaServiceException(Exception):
    """What Step Functions reports when the Lambda service itself fails an invocation: the error the Notify
    steps retry. (A Lambda's error name is its exception's class name, hence the dotted name.)"""


LambdaServiceException.__name__ = "Lambda.ServiceException"


# -- at most once ----------------------------------------------------------------------------------------


def test_sixteen_concurrent_charges_crossing_the_limit_send_each_notice_once(
    workflows: Workflows, org_id: str, cloud: LocalCloud
) -> None:
    # Given an org on Lite that has used 12 of its 20 credits (not yet on pace for 20)
    workflows.set_plan(org_id, "Lite")
    charge_many(workflows, org_id, 12)
    assert notifications_for(cloud, org_id) == []

    # When 16 enquiries arrive together: the pace crosses the limit (from the 16th credit) and the limit is used up
    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(lambda n: workflows.use(org_id, f"burst-{n}", f"user-{n % 4}"), range(16)))

    # Then 8 are charged and 8 refused, and each notice went out exactly once for the org and period
    assert Counter(outcome(result) for result in results) == {"charged": 8, "OrgLimitReached": 8}
    assert workflows.balance(org_id)["used"] == 20
    notices = notifications_for(cloud, org_id)
    assert Counter((note["kind"], note["period"]) for note in notices) == {(FORECAST, PERIOD): 1, (REACHED, PERIOD): 1}
    (reached,) = notifications_for(cloud, org_id, REACHED)
    assert (reached["plan"], reached["used"], reached["limit"]) == ("Lite", 20, 20)
    (forecast,) = notifications_for(cloud, org_id, FORECAST)
    assert 16 <= forecast["used"] < 20
    assert forecast["projected"] >= 20


def test_the_first_denial_after_a_downgrade_below_usage_sends_limit_reached_once(
    workflows: Workflows, org_id: str, cloud: LocalCloud
) -> None:
    # Given an org that used 21 credits on Basic (far from Basic's pace), then was moved to Lite (20)
    workflows.set_plan(org_id, "Basic")
    charge_many(workflows, org_id, 21)
    workflows.set_plan(org_id, "Lite")
    assert notifications_for(cloud, org_id) == []

    # When its next enquiry is refused
    first = denied(workflows, org_id, "after-1")

    # Then the refusal is answered as before, and customer success hears the limit is reached, with the real count
    assert workflows.states_entered(first)[-3:] == ["IsOrgLimitReached", "NotifyLimitReached", "OrgDenied"]
    assert error_document(first)["code"] == "ORG_LIMIT_REACHED"
    (reached,) = notifications_for(cloud, org_id)
    assert (reached["kind"], reached["plan"], reached["period"], reached["used"], reached["limit"]) == (
        REACHED,
        "Lite",
        PERIOD,
        21,
        20,
    )
    assert reached["attributes"]["kind"]["Value"] == REACHED

    # When the next enquiry is refused too, Then nothing more is sent
    denied(workflows, org_id, "after-2")
    assert len(notifications_for(cloud, org_id)) == 1


def test_a_denial_while_another_denial_is_sending_limit_reached_sends_nothing(
    workflows: Workflows, org_id: str, cloud: LocalCloud
) -> None:
    # Given an org downgraded below its usage
    workflows.set_plan(org_id, "Basic")
    charge_many(workflows, org_id, 21)
    workflows.set_plan(org_id, "Lite")
    # and an SNS that, while it takes the first message, lets a second refused enquiry run to its end
    publish = SNSBackend.publish
    publishes: list[str] = []
    meanwhile: list[ExecutionResult] = []

    def slow_publish(backend: SNSBackend, *args: Any, **kwargs: Any) -> str:
        publishes.append(str(kwargs.get("subject")))
        if len(publishes) == 1:
            meanwhile.append(denied(workflows, org_id, "meanwhile"))
        return publish(backend, *args, **kwargs)

    # When an enquiry is refused and its notify step is publishing
    with patch.object(SNSBackend, "publish", slow_publish):
        first = denied(workflows, org_id, "first")

    # Then the other refusal, which ran while the first held the claim, sent nothing: LimitReached went out once
    assert len(meanwhile) == 1
    assert len(publishes) == 1
    assert workflows.states_entered(meanwhile[0])[-3:] == ["IsOrgLimitReached", "NotifyLimitReached", "OrgDenied"]
    assert error_document(first)["code"] == "ORG_LIMIT_REACHED"
    assert len(notifications_for(cloud, org_id, REACHED)) == 1


@pytest.mark.parametrize(
    "answer_lost",
    [False, True],
    ids=["failed-before-it-ran", "ran-then-its-answer-was-lost"],
)
def test_a_retried_notify_step_sends_limit_reached_once(
    workflows: Workflows, org_id: str, cloud: LocalCloud, answer_lost: bool
) -> None:
    # Given an org on Lite with one credit left, and a Notify step whose first invocation fails in the Lambda
    # service (either before the handler ran, or after it ran and sent, its answer lost)
    workflows.set_plan(org_id, "Lite")
    charge_many(workflows, org_id, 19)

    def send_first(event: dict[str, Any]) -> object:
        return run_handler(cloud, "NotifyFunction", event)

    fault = inject(
        cloud,
        Fault("NotifyFunction", LambdaServiceException, first_call_only, send_first if answer_lost else None),
    )

    # When the last credit is charged
    result = charge(workflows, org_id, "last")

    # Then the workflow retried the step, and LimitReached went out once
    assert fault.calls == 2
    assert workflows.lambda_failures(result) == ["Lambda.ServiceException"]
    assert json.loads(result.output or "")["charged"] is True
    assert len(notifications_for(cloud, org_id, REACHED)) == 1


def test_a_retried_notify_step_of_a_denial_sends_once_and_keeps_the_refusal(
    workflows: Workflows, org_id: str, cloud: LocalCloud
) -> None:
    # Given an org downgraded below its usage, whose denial's notify step sends and then loses its answer
    workflows.set_plan(org_id, "Basic")
    charge_many(workflows, org_id, 21)
    workflows.set_plan(org_id, "Lite")

    def send_first(event: dict[str, Any]) -> object:
        return run_handler(cloud, "NotifyFunction", event)

    fault = inject(cloud, Fault("NotifyFunction", LambdaServiceException, first_call_only, send_first))

    # When its next enquiry is refused
    result = denied(workflows, org_id, "after")

    # Then the step was retried, LimitReached went out once, and the client still gets the 402
    assert fault.calls == 2
    assert len(notifications_for(cloud, org_id, REACHED)) == 1
    assert (error_document(result)["code"], error_document(result)["httpStatus"]) == ("ORG_LIMIT_REACHED", 402)


# -- at least once, never at the cost of a decision --------------------------------------------------------


def test_an_sns_failure_on_the_last_credit_keeps_the_charge_and_the_next_denial_sends_limit_reached(
    workflows: Workflows, org_id: str, cloud: LocalCloud
) -> None:
    # Given an org on Lite with one credit left
    workflows.set_plan(org_id, "Lite")
    charge_many(workflows, org_id, 19)

    # When the last credit is charged while SNS refuses every message
    with sns_refusing_everything():
        result = workflows.use(org_id, "last")

    # Then the charge stands: granted, counted, and the workflow did not even see a failure
    assert result.status == "SUCCEEDED", result
    assert json.loads(result.output or "")["charged"] is True
    assert workflows.states_entered(result)[-2:] == ["Notify", "Charged"]
    assert workflows.lambda_failures(result) == []
    assert workflows.balance(org_id)["used"] == 20
    # and LimitReached is not recorded as sent
    assert notifications_for(cloud, org_id, REACHED) == []

    # When SNS works again and the next enquiry is refused for the org's limit
    first = denied(workflows, org_id, "after-1")

    # Then that refusal sends LimitReached, once
    assert error_document(first)["httpStatus"] == 402
    (reached,) = notifications_for(cloud, org_id, REACHED)
    assert (reached["used"], reached["limit"], reached["period"]) == (20, 20, PERIOD)
    denied(workflows, org_id, "after-2")
    assert len(notifications_for(cloud, org_id, REACHED)) == 1


def test_an_sns_failure_on_a_denial_does_not_change_the_refusal(
    workflows: Workflows, org_id: str, cloud: LocalCloud
) -> None:
    # Given an org downgraded below its usage
    workflows.set_plan(org_id, "Basic")
    charge_many(workflows, org_id, 21)
    workflows.set_plan(org_id, "Lite")

    # When its enquiry is refused while SNS refuses every message
    with sns_refusing_everything():
        result = workflows.use(org_id, "after")

    # Then the client gets the same 402 as ever, and nothing is recorded as sent
    assert (result.status, outcome(result)) == ("SUCCEEDED", "OrgLimitReached")
    assert error_document(result)["code"] == "ORG_LIMIT_REACHED"
    assert notifications_for(cloud, org_id) == []


def test_a_crashing_notify_step_of_a_denial_does_not_change_the_refusal(
    workflows: Workflows, org_id: str, cloud: LocalCloud
) -> None:
    workflows.set_plan(org_id, "Lite")
    charge_many(workflows, org_id, 20)
    fault = inject(cloud, Fault("NotifyFunction", lambda: RuntimeError("boom"), always))

    result = denied(workflows, org_id, "after")

    assert fault.calls == 1
    assert workflows.states_entered(result)[-3:] == ["IsOrgLimitReached", "NotifyLimitReached", "OrgDenied"]
    assert (error_document(result)["code"], error_document(result)["httpStatus"]) == ("ORG_LIMIT_REACHED", 402)


# -- the forecast through the workflow ---------------------------------------------------------------------


def test_the_forecast_follows_the_clock_of_the_decision(workflows: Workflows, org_id: str, cloud: LocalCloud) -> None:
    # Given an org on Lite
    workflows.set_plan(org_id, "Lite")

    # When it uses 2 credits in the first minutes of April (pace measured over a tenth of the month: 20)
    cloud.clock.freeze(datetime(2025, 4, 1, 0, 5, tzinfo=UTC))
    charge_many(workflows, org_id, 2, prefix="april")

    # Then April's forecast went out with the pace it saw
    (forecast,) = notifications_for(cloud, org_id)
    assert (forecast["kind"], forecast["period"], forecast["used"], forecast["projected"]) == (
        FORECAST,
        "2025-04",
        2,
        20.0,
    )
    assert forecast["occurredAt"] == "2025-04-01T00:05:00Z"


# -- metrics -----------------------------------------------------------------------------------------------


def emf_documents(text: str) -> list[dict[str, Any]]:
    """The CloudWatch embedded-metric documents among the lines printed."""
    documents = []
    for line in text.splitlines():
        try:
            document = json.loads(line)
        except ValueError:
            continue
        if isinstance(document, dict) and "_aws" in document:
            documents.append(document)
    return documents


def data_points(text: str, metric: str) -> list[dict[str, Any]]:
    """Each data point of `metric`, as its dimensions (the metric's namespace included)."""
    points = []
    for document in emf_documents(text):
        for directive in document["_aws"]["CloudWatchMetrics"]:
            if metric in {definition["Name"] for definition in directive["Metrics"]}:
                names = {name for dimension_set in directive["Dimensions"] for name in dimension_set}
                points.append({name: document[name] for name in sorted(names)} | {"namespace": directive["Namespace"]})
    return points


@pytest.fixture
def metrics_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "false")


def an_org_on_lite_that_ran(workflows: Workflows, org_id: str, count: int, capsys: pytest.CaptureFixture[str]) -> None:
    """The org on Lite with `count` enquiries charged (enq-0, enq-1, ...), and what that printed put aside."""
    workflows.set_plan(org_id, "Lite")
    charge_many(workflows, org_id, count)
    capsys.readouterr()


def test_decisions_and_notifications_are_counted_as_metrics(
    workflows: Workflows, org_id: str, cloud: LocalCloud, metrics_on: None, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given an org on Lite with one credit left
    an_org_on_lite_that_ran(workflows, org_id, 19, capsys)

    # When the last credit is charged
    charge(workflows, org_id, "last")
    printed = capsys.readouterr().out

    # Then one charged decision and one sent LimitReached are counted
    assert data_points(printed, "Decisions") == [
        {"outcome": "CHARGED", "reason": "NONE", "service": "credits", "namespace": "Xapien/Credits"}
    ]
    assert data_points(printed, "Notifications") == [
        {"kind": REACHED, "outcome": "SENT", "service": "credits", "namespace": "Xapien/Credits"}
    ]

    # When the next enquiry is refused, and the charged one is asked for again
    denied(workflows, org_id, "refused")
    workflows.use(org_id, "last")
    printed = capsys.readouterr().out

    # Then a denial with its reason, and a replay, are counted; nothing more is notified
    assert [(point["outcome"], point["reason"]) for point in data_points(printed, "Decisions")] == [
        ("DENIED", "ORG_LIMIT_REACHED"),
        ("REPLAYED", "NONE"),
    ]
    assert data_points(printed, "Notifications") == []


def test_refunds_are_counted_as_metrics(
    workflows: Workflows, org_id: str, cloud: LocalCloud, metrics_on: None, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given an org on Lite that ran two enquiries
    an_org_on_lite_that_ran(workflows, org_id, 2, capsys)

    # When one is refunded twice, and an enquiry it never ran is refunded
    for enquiry in ("enq-0", "enq-0", "never-ran"):
        workflows.run("RefundStateMachine", org_id, {"enquiryId": enquiry})
    printed = capsys.readouterr().out

    # Then the refund, its replay and the refusal are counted, with the refusal's reason
    assert data_points(printed, "Refunds") == [
        {"outcome": outcome, "reason": reason, "service": "credits", "namespace": "Xapien/Credits"}
        for outcome, reason in [("REFUNDED", "NONE"), ("REPLAYED", "NONE"), ("REFUSED", "ENQUIRY_NOT_FOUND")]
    ]


def test_a_notification_sns_refused_is_counted_as_failed(
    workflows: Workflows, org_id: str, cloud: LocalCloud, metrics_on: None, capsys: pytest.CaptureFixture[str]
) -> None:
    an_org_on_lite_that_ran(workflows, org_id, 19, capsys)

    with sns_refusing_everything():
        charge(workflows, org_id, "last")
    printed = capsys.readouterr().out

    assert [(point["kind"], point["outcome"]) for point in data_points(printed, "Notifications")] == [
        (REACHED, "FAILED")
    ]
    assert [point["outcome"] for point in data_points(printed, "Decisions")] == ["CHARGED"]


def test_metrics_stay_off_where_the_emulator_turns_them_off(
    workflows: Workflows, org_id: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # The emulator sets POWERTOOLS_METRICS_DISABLED, so a local run prints no metric documents.
    workflows.set_plan(org_id, "Lite")
    capsys.readouterr()

    charge(workflows, org_id, "enq-1")

    assert emf_documents(capsys.readouterr().out) == []


def test_a_retried_user_step_counts_its_charge_once(
    workflows: Workflows, org_id: str, cloud: LocalCloud, metrics_on: None, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a user step whose first run commits the charge but whose answer is lost
    workflows.set_plan(org_id, "Basic")

    def commit(event: dict[str, Any]) -> object:
        return run_handler(cloud, "ReserveUserCreditFunction", event)

    fault = inject(cloud, Fault("ReserveUserCreditFunction", LambdaServiceException, first_call_only, commit))
    capsys.readouterr()

    # When a user runs an enquiry (the workflow retries the user step)
    result = charge(workflows, org_id, "enq-1")
    printed = capsys.readouterr().out

    # Then one charge is one CHARGED decision
    assert fault.calls == 2
    assert json.loads(result.output or "")["user"]["used"] == 1
    assert [point["outcome"] for point in data_points(printed, "Decisions")] == ["CHARGED"]
