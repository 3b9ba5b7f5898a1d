"""Every alarm fires on its fault and stays OK on every business outcome: the fault matrix, over HTTP, on the metrics
the emulator recorded as AWS would, with the template's alarms evaluated as CloudWatch evaluates them
(GET /_local/alarms, as of the emulator's clock).

Each test starts from a clean CloudWatch (`watched`): nothing running, no metric, the clock frozen half a minute into
START's minute, the sweep just run. What the test does happens in that minute; CloudWatch judges a period once it
has ended, so the alarms are read a few seconds into the next (`_judged`). A fault's alarms are those that must
fire; a slow fault may also fire the latency alarms of what it slowed, and every other alarm must stay OK."""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

import pytest
from botocore.awsrequest import AWSResponse

from emulator import dynamodb
from emulator.alarms import Alarm
from emulator.capacity import capacity
from emulator.template import parse_yaml
from generate.dashboard import widgets
from generate.operations import SERVICE_NAMESPACE, TEMPLATE
from tests.http import support as http
from tests.integration.faults import TIMEOUT_BEFORE_WRITE, fail_step
from tests.integration.workflows import Fault, always, first_call_only, inject

START = datetime.fromisoformat("2027-02-10T10:00:30+00:00")
"""Half a minute into a minute: what a test does at this frozen instant falls in one period."""
JUDGED = timedelta(seconds=35)
"""From START to a few seconds into the next minute: START's minute has ended, so CloudWatch has judged it."""
SWEEP = "SweepReservationsFunction"
NOT_STARTED = 30.0


def _at(instant: datetime) -> str:
    return instant.isoformat().replace("+00:00", "Z")


def _alarms(api) -> dict[str, dict[str, Any]]:
    reply = api.call("GET", "/_local/alarms")
    assert reply.status == 200, reply.body
    prefix = "credits-local-"
    return {alarm["name"].removeprefix(prefix): alarm for alarm in reply.body["alarms"]}


def _firing(api, judged_at: datetime | None = None) -> set[str]:
    """The alarms in ALARM as of `judged_at` (START's minute judged, unless given), the clock left there."""
    http.freeze_clock(api, _at(judged_at or START + JUDGED))
    alarms = _alarms(api)
    stuck = {name: alarm["reason"] for name, alarm in alarms.items() if alarm["state"] == "INSUFFICIENT_DATA"}
    assert not stuck, stuck
    return {name for name, alarm in alarms.items() if alarm["state"] == "ALARM"}


def _assert_fires(api, expected: set[str], may_also: set[str] = frozenset(), judged_at: datetime | None = None) -> None:
    firing = _firing(api, judged_at)
    assert expected <= firing, f"did not fire: {sorted(expected - firing)}"
    assert firing <= expected | may_also, f"fired for no reason: {sorted(firing - expected - may_also)}"


def _sweep(cloud) -> dict[str, Any]:
    response = cloud.invoke(SWEEP, {"source": "aws.events", "detail-type": "Scheduled Event"})
    assert "FunctionError" not in response, response
    return response["Payload"]


@pytest.fixture
def watched(api, cloud) -> datetime:
    """A clean account to watch: nothing running, no metric recorded, the clock at START, the sweep just run and the
    daily audit run an hour before (as their schedules would, so that their heartbeat alarms are satisfied)."""
    assert cloud.wait_until_idle(NOT_STARTED), "an earlier test left work running"
    # What an earlier test in this process left reserved on purpose (test_permissions abandons one) is given back
    # before the slate is cleaned: the first sweep at START would otherwise count it in this test's minute.
    http.freeze_clock(api, _at(START))
    _sweep(cloud)
    cloud.forget_metrics()
    # the daily audit ran an hour before (its heartbeat is judged by the hour), the sweep just now
    http.freeze_clock(api, _at(START - timedelta(hours=1)))
    assert cloud.run_workflow("AuditEveryOrgStateMachine", {}, timeout=60).status == "SUCCEEDED"
    http.freeze_clock(api, _at(START))
    _sweep(cloud)
    assert _firing(api) == set()
    http.freeze_clock(api, _at(START))
    return START


def _move_clock(api, cloud, to: datetime, sweep: bool = True) -> None:
    http.freeze_clock(api, _at(to))
    if sweep:
        _sweep(cloud)


# -- every business outcome: no alarm --------------------------------------------------------------------


@pytest.mark.exclusive  # its burst must not be starved by other tests: Validate-near-timeout fired beside them
def test_every_kind_of_denial_a_burst_a_refund_and_a_top_up_leave_every_alarm_ok(api, cloud, watched, org_id):
    # Given orgs on Lite, a trial used up, and no plan at all
    http.set_plan(api, org_id, "Lite")
    http.set_user_limit(api, org_id, 3)
    no_plan, trial = f"{org_id}-none", f"{org_id}-trial"
    http.set_plan(api, trial, "Trial")
    http.charge(api, trial, 10, prefix="trial")

    # When every kind of denial is answered
    for n in range(3):
        assert api.use(org_id, f"mine-{n}", "alice").status == 201
    http.assert_rejected(api.use(org_id, "mine-3", "alice"), 402, "USER_LIMIT_REACHED")
    http.assert_rejected(api.use(org_id, "mine-0", "bob"), 409, "ENQUIRY_CHARGED_TO_ANOTHER_USER")
    http.assert_rejected(api.use(no_plan, "enq-1"), 402, "NO_ACTIVE_PLAN")
    http.assert_rejected(api.use(trial, "trial-10"), 402, "ORG_LIMIT_REACHED")
    http.assert_rejected(api.set_plan(org_id, "Trial"), 409, "TRIAL_NOT_AVAILABLE")
    http.assert_error_document(api.call("POST", f"/orgs/{org_id}/usage", {"userId": "alice"}), 400)
    http.assert_error_document(api.call("POST", f"/orgs/{org_id}/usage", raw="{not json"), 400)
    http.assert_error_document(api.set_plan(org_id, "Platinum"), 400)
    http.assert_error_document(api.get_charge(org_id, "never-ran"), 404)
    http.assert_error_document(api.call("GET", "/no/such/route"), 403)
    assert api.use(org_id, "mine-0", "alice").status == 200  # a replay

    # and a burst of 150 enquiries on 100 credits, with a refund and a top-up in the middle
    http.set_plan(api, org_id, "Basic")
    http.set_user_limit(api, org_id, None)
    with ThreadPoolExecutor(max_workers=8) as pool:
        first = list(pool.map(lambda n: api.use(org_id, f"burst-{n}", f"user-{n % 7}").status, range(75)))
        assert api.refund(org_id, "burst-0", "duplicate").status == 201
        assert api.top_up(org_id, 5).status == 201
        second = list(pool.map(lambda n: api.use(org_id, f"burst-{n}", f"user-{n % 7}").status, range(75, 150)))
    statuses = first + second
    assert statuses.count(201) == 100 - 3 + 1 + 5  # the 3 before, the refunded one given back, the top-up
    assert set(statuses) == {201, 402}

    # Then no alarm fired
    assert _firing(api) == set()
    # and the recorded metrics saw the denials as outcomes, not faults
    decisions = _decisions(api)
    assert decisions[("DENIED", "ORG_LIMIT_REACHED")] >= 150 - 103
    assert decisions[("DENIED", "USER_LIMIT_REACHED")] == 1


def _decisions(api) -> dict[tuple[str, str], float]:
    reply = api.call("GET", "/_local/metrics")
    assert reply.status == 200, reply.body
    return {
        (row["dimensions"]["outcome"], row["dimensions"]["reason"]): row["sum"]
        for row in reply.body["metrics"]
        if row["namespace"] == "Xapien/Credits" and row["metricName"] == "Decisions"
    }


# -- each fault: its alarms, and no other --------------------------------------------------------------------


def _unavailable(reply) -> None:
    http.assert_rejected(reply, 503, "SERVICE_UNAVAILABLE")


def test_a_dynamodb_system_error_fires_the_tables_the_steps_the_workflows_and_the_apis_alarms(
    api, cloud, watched, org_id
):
    http.set_plan(api, org_id, "Basic")
    with dynamodb.failures.failing("TransactWriteItems"):
        _unavailable(api.use(org_id, "enq-1"))
    _assert_fires(
        api,
        {
            "table-system-errors",
            "ReserveOrgCredit-errors",
            "ReleaseOrgCredit-errors",
            "UseCredit-workflow-faults",
            "api-5xx-rate",
        },
        may_also={"api-latency-p99", "ReserveOrgCredit-near-timeout", "ReleaseOrgCredit-near-timeout"},
    )
    # and every alarm clears once the minute of the fault has left the range CloudWatch reads: the table's alarms
    # too, although alarms on AWS/DynamoDB metrics ignore missing data, because they read FILL(..., 0) of them
    assert api.use(org_id, "enq-2").status == 201
    assert _firing(api, watched + timedelta(minutes=4) + JUDGED) == set()


def test_throttling_beyond_the_retries_fires_the_tables_throttle_alarm(api, cloud, watched, org_id):
    http.set_plan(api, org_id, "Basic")
    with capacity.limited_to(0.001, size=1):  # every partition's write units used up, for as long as it lasts
        for n in range(6):
            _unavailable(api.use(org_id, f"enq-{n}"))
    _assert_fires(
        api,
        {
            "table-throttles",
            "ReserveOrgCredit-errors",
            "ReleaseOrgCredit-errors",
            "UseCredit-workflow-faults",
            "api-5xx-rate",
        },
        may_also={"api-latency-p99", "ReserveOrgCredit-near-timeout", "ReleaseOrgCredit-near-timeout"},
    )


def test_a_step_that_crashes_fires_its_functions_the_workflows_and_the_apis_alarms(api, cloud, watched, org_id):
    http.set_plan(api, org_id, "Basic")
    inject(cloud, Fault("ReserveUserCreditFunction", lambda: RuntimeError("a bug"), always))
    _unavailable(api.use(org_id, "enq-1"))
    _assert_fires(api, {"ReserveUserCredit-errors", "UseCredit-workflow-faults", "api-5xx-rate"})


@pytest.mark.parametrize("timeout_error", ["Sandbox.Timedout", "Lambda.Unknown"])
def test_a_step_that_times_out_once_fires_its_errors_and_near_timeout_alarms_and_the_latency_alarm(
    api, cloud, watched, org_id, timeout_error
):
    # Given a user step that times out once, reported to the workflow as `timeout_error`; the retry succeeds
    http.set_plan(api, org_id, "Basic")
    cloud.timeout_error = timeout_error
    fail_step(cloud, "ReserveUserCreditFunction", TIMEOUT_BEFORE_WRITE, first_call_only)

    assert api.use(org_id, "enq-1").status == 201

    # Then the client was charged, slowly: no 5xx, no failed execution
    _assert_fires(api, {"ReserveUserCredit-errors", "ReserveUserCredit-near-timeout", "api-latency-p99"})


def test_lambda_refusing_a_step_fires_its_throttle_alarm(api, cloud, watched, org_id):
    http.set_plan(api, org_id, "Basic")
    with cloud.throttled("ValidateFunction"):
        _unavailable(api.use(org_id, "enq-1"))
    _assert_fires(api, {"Validate-throttles", "UseCredit-workflow-faults", "api-5xx-rate"})


class _RefusedPublish:
    """What SNS answers every Publish of the notify step's client: a 500, as long as the block lasts."""

    def __call__(self, **_: Any) -> tuple[AWSResponse, dict[str, Any]]:
        raw = AWSResponse("https://sns.eu-west-2.amazonaws.com/", 500, {}, None)
        return raw, {"Error": {"Code": "InternalError", "Message": "SNS is failing"}, "ResponseMetadata": {}}


@contextmanager
def _sns_failing(cloud) -> Iterator[None]:
    client = cloud.function_client("NotifyFunction", "sns")
    refused = _RefusedPublish()
    client.meta.events.register_first("before-call.sns.Publish", refused)
    try:
        yield
    finally:
        client.meta.events.unregister("before-call.sns.Publish", refused)


def test_an_sns_publish_that_keeps_failing_fires_the_notifications_alarm_alone(api, cloud, watched, org_id):
    # Given an org on Lite whose notices SNS keeps refusing
    http.set_plan(api, org_id, "Lite")
    with _sns_failing(cloud):
        # When it runs past its limit (the forecast, then the limit reached, are due)
        for n in range(20):
            assert api.use(org_id, f"enq-{n}").status == 201
        http.assert_rejected(api.use(org_id, "enq-20"), 402, "ORG_LIMIT_REACHED")

    # Then only the notifications alarm fired: the decisions were all answered
    _assert_fires(api, {"notifications-failed"})
    assert http.notices(api, org_id, "LimitReached") == []


def test_a_compensation_that_fails_fires_at_once_and_the_sweep_finding_its_reservation_fires_later(
    api, cloud, watched, org_id
):
    # Given a user step and its compensation that both crash
    http.set_plan(api, org_id, "Basic")
    inject(cloud, Fault("ReserveUserCreditFunction", lambda: RuntimeError("a bug"), always))
    inject(cloud, Fault("ReleaseOrgCreditFunction", lambda: RuntimeError("another bug"), always))

    # When an enquiry is run: 503, its org credit left reserved
    _unavailable(api.use(org_id, "enq-1"))
    assert http.balance(api, org_id)["used"] == 1

    # Then the crashes fire at once
    _assert_fires(
        api, {"ReserveUserCredit-errors", "ReleaseOrgCredit-errors", "UseCredit-workflow-faults", "api-5xx-rate"}
    )

    # and once the sweep gives the credit back, six minutes later, its alarm fires and the crashes' have cleared
    cloud.invocation_hooks.clear()
    _move_clock(api, cloud, watched + timedelta(minutes=6))
    assert http.balance(api, org_id)["used"] == 0
    _assert_fires(api, {"abandoned-reservations"}, judged_at=watched + timedelta(minutes=6) + JUDGED)


def test_the_sweep_stopped_fires_its_heartbeat_alarm_alone(api, cloud, watched):
    # Given the sweep ran at the start, then stopped (the clock moves on, nothing sweeps)
    # Then its alarm holds while the 15 minutes judged include the minute it ran, and fires once the minute it ran
    # has left the range CloudWatch reads (a little longer than the 15: emulator/alarms.py)
    assert _firing(api, watched + timedelta(minutes=14) + JUDGED) == set()
    _assert_fires(api, {"sweep-not-running"}, judged_at=watched + timedelta(minutes=20) + JUDGED)

    # and it clears once a minute in which the sweep ran again has been judged
    _move_clock(api, cloud, watched + timedelta(minutes=21))
    assert _firing(api, watched + timedelta(minutes=21) + JUDGED) == set()


def test_the_alarms_answer_json_as_of_the_emulators_clock(api, watched):
    http.freeze_clock(api, _at(watched + JUDGED))
    reply = api.call("GET", "/_local/alarms")
    assert reply.body["evaluatedAt"] == _at(watched + JUDGED)
    heartbeat = next(alarm for alarm in reply.body["alarms"] if alarm["name"].endswith("sweep-not-running"))
    assert heartbeat["state"] == "OK"
    assert [point["value"] for point in heartbeat["datapoints"]][-1] == 1
    assert json.dumps(reply.body)


# -- what the alarms read is what the code emits ---------------------------------------------------------


@pytest.mark.books_disagree  # a counter is changed by hand, for the daily audit to find
def test_every_service_metric_an_alarm_reads_is_one_the_code_emits(api, cloud, watched, org_id):
    # Given a run that makes the service emit each of its metrics: charges, a replay, a denial, a refund, notices
    # sent and notices SNS refused, and a reservation abandoned and swept
    refused, sent = f"{org_id}-refused", f"{org_id}-sent"
    for org in (refused, sent):
        http.set_plan(api, org, "Lite")
    with _sns_failing(cloud):
        http.charge(api, refused, 20)
        http.assert_rejected(api.use(refused, "enq-20"), 402, "ORG_LIMIT_REACHED")
    http.charge(api, sent, 20)
    http.assert_rejected(api.use(sent, "enq-20"), 402, "ORG_LIMIT_REACHED")
    assert api.use(sent, "enq-0").status == 200
    assert api.refund(sent, "enq-1").status == 201
    http.set_plan(api, org_id, "Basic")
    inject(cloud, Fault("ReserveUserCreditFunction", lambda: RuntimeError("a bug"), always))
    inject(cloud, Fault("ReleaseOrgCreditFunction", lambda: RuntimeError("another bug"), always))
    _unavailable(api.use(org_id, "abandoned"))
    cloud.invocation_hooks.clear()
    _move_clock(api, cloud, watched + timedelta(minutes=6))
    # and an org whose counter was changed by hand, which the daily audit finds
    http.set_counter(cloud.client("dynamodb"), sent, f"USAGE#{watched:%Y-%m}", 99, cloud.stack.table_name)
    assert cloud.run_workflow("AuditEveryOrgStateMachine", {}, timeout=120).status == "SUCCEEDED"

    # When the metrics CloudWatch holds are listed (the EMF documents the functions wrote, as CloudWatch Logs
    # turns them into metrics)
    reply = api.call("GET", "/_local/metrics")
    emitted = {
        (row["metricName"], frozenset(row["dimensions"].items()))
        for row in reply.body["metrics"]
        if row["namespace"] == SERVICE_NAMESPACE
    }

    # Then every metric of the service's that an alarm reads is among them, with the same dimensions
    read = {
        (name, frozenset(dimensions.items()))
        for properties in cloud.stack.alarms
        for namespace, name, dimensions in Alarm.from_properties(properties).metrics()
        if namespace == SERVICE_NAMESPACE
    }
    assert read, "no alarm reads the service's own metrics"
    # the same dimension values, but for the kinds of drift, each its own series, of which the run made one
    exact = {(name, dimensions) for name, dimensions in read if name != "Drift"}
    assert exact <= emitted, sorted(exact - emitted)
    names = {(name, frozenset(key for key, _ in dimensions)) for name, dimensions in emitted}
    assert {(name, frozenset(key for key, _ in dimensions)) for name, dimensions in read} <= names
    # and every one the dashboard graphs has a name and dimensions the code emits (its values vary: each denial code)
    graphed = {
        (row[1], frozenset(row[2:-1:2]))
        for widget in widgets(parse_yaml(TEMPLATE.read_text(encoding="utf-8")))
        for row in widget["properties"]["metrics"]
        if isinstance(row[0], str) and row[0] == SERVICE_NAMESPACE
    }
    assert graphed, "the dashboard graphs none of the service's own metrics"
    assert graphed <= {(name, frozenset(key for key, _ in dimensions)) for name, dimensions in emitted}
