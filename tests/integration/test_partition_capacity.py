"""DynamoDB's write ceiling per partition, as the emulator enforces it (emulator/capacity.py): a hot org is refused
as on AWS, in DynamoDB's words, and the service answers 503 with nothing charged."""

from __future__ import annotations

import itertools
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from emulator.buckets import TokenBuckets
from emulator.capacity import capacity
from emulator.cloud import LocalCloud
from emulator.template import REGION
from tests.integration.workflows import Workflows, outcome

FROZEN = 0.0


def test_a_bucket_refuses_past_its_units_refills_with_time_and_is_its_partitions_alone() -> None:
    now = [0.0]
    meter: TokenBuckets[tuple[str, str]] = TokenBuckets(10, 10, clock=lambda: now[0])
    org_a, org_b = ("t", "ORG#a"), ("t", "ORG#b")

    assert meter.take([(org_a, 6), (org_a, 4)]) is None  # a second's worth, at once
    assert meter.take([(org_a, 1)]) == org_a
    assert meter.take([(org_b, 10)]) is None  # another partition has its own
    now[0] = 0.5
    assert meter.take([(org_a, 6)]) == org_a  # half a second gave back 5
    assert meter.take([(org_b, 1), (org_a, 5)]) is None
    now[0] = 100.0
    assert meter.take([(org_a, 11)]) == org_a  # it never holds more than a second's worth
    assert meter.refused == 3


def test_all_or_nothing_a_refused_request_consumes_nothing() -> None:
    meter: TokenBuckets[tuple[str, str]] = TokenBuckets(10, 10, clock=lambda: FROZEN)
    org_a, org_b = ("t", "ORG#a"), ("t", "ORG#b")

    assert meter.take([(org_a, 5), (org_b, 11)]) == org_b
    assert meter.take([(org_a, 10)]) is None


def _item(org: str, sort_key: str) -> dict[str, dict[str, str]]:
    return {"pk": {"S": f"ORG#{org}"}, "sk": {"S": sort_key}}


def _items_of(dynamodb: Any, table: str, *orgs: str) -> int:
    """How many items the orgs have (the session's table holds other tests' orgs too)."""
    return sum(
        dynamodb.query(
            TableName=table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": f"ORG#{org}"}},
            ConsistentRead=True,
        )["Count"]
        for org in orgs
    )


def test_a_transaction_over_its_partitions_units_is_cancelled_as_dynamodb_cancels_it(
    cloud: LocalCloud, org_id: str
) -> None:
    dynamodb = cloud.client("dynamodb")
    table = cloud.stack.table_name
    puts = [{"Put": {"TableName": table, "Item": _item(org_id, f"X#{n}")}} for n in range(3)]

    # Given a partition of 5 write units a second, When a transaction of three small items (6 units) is sent
    with capacity.limited_to(5, clock=lambda: FROZEN), pytest.raises(ClientError) as raised:
        dynamodb.transact_write_items(TransactItems=puts)

    # Then it is cancelled with the reason ThrottlingError at its first item, and nothing is written
    error = raised.value.response
    assert error["Error"]["Code"] == "TransactionCanceledException"
    assert [reason["Code"] for reason in error["CancellationReasons"]] == ["ThrottlingError", "None", "None"]
    assert _items_of(dynamodb, table, org_id) == 0


def test_a_single_write_over_its_partitions_units_is_throttled_and_another_org_is_not(
    cloud: LocalCloud, org_id: str
) -> None:
    dynamodb = boto3.client("dynamodb", region_name=REGION, config=Config(retries={"total_max_attempts": 1}))
    table = cloud.stack.table_name
    hot, cool = org_id, f"{org_id}-cool"

    with capacity.limited_to(2, clock=lambda: FROZEN):
        for n in range(2):
            dynamodb.put_item(TableName=table, Item=_item(hot, f"X#{n}"))
        with pytest.raises(ClientError) as raised:
            dynamodb.put_item(TableName=table, Item=_item(hot, "X#2"))
        dynamodb.put_item(TableName=table, Item=_item(cool, "X#0"))

    assert raised.value.response["Error"]["Code"] == "ThrottlingException"
    assert (_items_of(dynamodb, table, hot), _items_of(dynamodb, table, cool)) == (2, 1)


@pytest.mark.parametrize(("units", "expected"), [(16, "charged"), (15, "ServiceUnavailable")])
def test_a_charge_writes_16_units_in_its_orgs_partition(
    cloud: LocalCloud, org_id: str, units: int, expected: str
) -> None:
    # Given an org on Basic whose partition, with time standing still, holds `units` write units
    workflows = Workflows(cloud)
    workflows.set_plan(org_id, "Basic")
    ticks = itertools.repeat(FROZEN)

    # When one of its users runs an enquiry
    with capacity.limited_to(units, clock=lambda: next(ticks)):
        result = workflows.use(org_id, "enq-1")
    cloud.wait_for_invocations(10)

    # Then 16 units charge it (docs/design.md, "One org's ceiling": 14 transactional, 2 history index entries); with 15,
    # the step is throttled, the client told 503, and nothing is charged
    assert outcome(result) == expected
    assert workflows.balance(org_id)["used"] == (1 if expected == "charged" else 0)
