"""What `make run` starts (python -m emulator): the REST API, and beside it the emulated account's AWS APIs, which
read the same in-memory state: the table the API writes, the executions that answered, the alerts topic."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
import pytest

from emulator.server import free_port
from tests.conftest import Api
from tests.http.support import set_counter

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def running() -> Iterator[tuple[Api, str]]:
    """The emulator as make run starts it, on free ports of 127.0.0.1: a client of its API, and its AWS endpoint."""
    port, aws_port = free_port(), free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "emulator", "--host", "127.0.0.1", "--port", str(port), "--aws-port", str(aws_port)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    api = Api("127.0.0.1", port)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if api.call("GET", "/_local/clock").status == 200:
                    break
            except OSError:
                pass
            assert process.poll() is None, process.stderr.read() if process.stderr else ""
            assert time.monotonic() < deadline, "the emulator did not start within 60 s"
            time.sleep(0.2)
        yield api, f"http://127.0.0.1:{aws_port}"
    finally:
        process.terminate()
        process.wait(timeout=30)


def _client(service: str, endpoint: str):
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name="eu-west-2",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )


def test_the_aws_endpoint_reads_what_the_api_wrote(running, org_id):
    api, endpoint = running
    # Given a charge made through the API
    assert api.set_plan(org_id, "Basic").status == 200
    charged = api.use(org_id, "enq-1", "alice")
    assert charged.status == 201, charged.body

    # When the table, the executions and the topics are read through the AWS endpoint, as the AWS CLI reads them
    dynamodb = _client("dynamodb", endpoint)
    (table,) = dynamodb.list_tables()["TableNames"]
    items = dynamodb.query(
        TableName=table,
        KeyConditionExpression="pk = :org",
        ExpressionAttributeValues={":org": {"S": f"ORG#{org_id}"}},
    )["Items"]
    stepfunctions = _client("stepfunctions", endpoint)
    (use_credit,) = [
        machine["stateMachineArn"]
        for machine in stepfunctions.list_state_machines()["stateMachines"]
        if machine["name"] == "UseCreditStateMachine"
    ]
    names = [execution["name"] for execution in stepfunctions.list_executions(stateMachineArn=use_credit)["executions"]]
    topics = [topic["TopicArn"] for topic in _client("sns", endpoint).list_topics()["Topics"]]
    now = datetime.now(UTC)
    decisions = _client("cloudwatch", endpoint).get_metric_data(
        MetricDataQueries=[
            {
                "Id": "charged",
                "MetricStat": {
                    "Metric": {
                        "Namespace": "Xapien/Credits",
                        "MetricName": "Decisions",
                        "Dimensions": [
                            {"Name": "outcome", "Value": "CHARGED"},
                            {"Name": "reason", "Value": "NONE"},
                            {"Name": "service", "Value": "credits"},
                        ],
                    },
                    "Period": 60,
                    "Stat": "Sum",
                },
            }
        ],
        StartTime=now - timedelta(minutes=10),
        EndTime=now + timedelta(minutes=1),
    )["MetricDataResults"]

    # Then they are the ones the API used: the enquiry's ledger entry, the execution that charged it, the topic
    entry = next(item for item in items if item["sk"]["S"] == "ENQUIRY#enq-1")
    assert (entry["state"]["S"], entry["userId"]["S"]) == ("CHARGED", "alice")
    assert charged.headers["x-amz-apigw-id"].rstrip("=") in names
    assert sorted(topic.rsplit(":", 1)[1] for topic in topics) == ["AlertsTopic", "OperationsTopic"]
    # and CloudWatch holds the decision the function's EMF reported, stamped with the emulator's clock
    assert sum(decisions[0]["Values"]) >= 1


def test_a_counter_changed_through_the_aws_endpoint_is_reported_by_the_audit(running, org_id):
    # Given an org charged twice through the API of `make run`
    api, endpoint = running
    assert api.set_plan(org_id, "Basic").status == 200
    for enquiry_id in ("enq-1", "enq-2"):
        assert api.use(org_id, enquiry_id, "alice").status == 201
    window = api.call("GET", f"/orgs/{org_id}/audit").body["period"]

    # When its counter is changed by hand, with UpdateItem on the emulated account's DynamoDB (the AWS endpoint)
    set_counter(_client("dynamodb", endpoint), org_id, f"USAGE#{window}", 5)

    # Then the audit reports it exactly: what the counter says, what the ledger adds up to, the entries
    (drift,) = api.call("GET", f"/orgs/{org_id}/audit").body["drift"]
    assert drift == {"kind": "ORG_USED", "subject": "org", "counter": 5, "ledger": 2, "entries": ["enq-1", "enq-2"]}
