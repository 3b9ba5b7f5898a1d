"""The migration path docs/deploy.md gives for replacing the table (python -m adapters.dynamodb.copy): a copy of
every item, indexes rebuilt from their attributes, on the emulator's DynamoDB with the table as template.yaml defines
it."""

from __future__ import annotations

from typing import Any

import pytest

from adapters.dynamodb.copy import copy_table
from emulator.cloud import LocalCloud
from tests.integration.workflows import Workflows

TARGET = "credits-copy"


def _org_items(client: Any, table: str, org_id: str, **arguments: Any) -> list[dict[str, Any]]:
    """Every item of the org (or of its index entries), page by page, strongly consistent."""
    arguments |= {
        "TableName": table,
        "ConsistentRead": True,
        "KeyConditionExpression": "pk = :pk",
        "ExpressionAttributeValues": {":pk": {"S": f"ORG#{org_id}"}},
    }
    page = client.query(**arguments)
    items = page["Items"]
    while "LastEvaluatedKey" in page:
        page = client.query(ExclusiveStartKey=page["LastEvaluatedKey"], **arguments)
        items += page["Items"]
    return sorted(items, key=lambda item: (item["pk"]["S"], item["sk"]["S"]))


class _Stingy:
    """A DynamoDB client that scans 7 items a page and leaves the last item of every batch write unprocessed once,
    as DynamoDB does when throttled."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self.unprocessed = 0

    def scan(self, **arguments: Any) -> Any:
        return self._client.scan(Limit=7, **arguments)

    def batch_write_item(self, RequestItems: dict[str, Any]) -> Any:  # boto3's name
        ((table, requests),) = RequestItems.items()
        if len(requests) > 1:
            self.unprocessed += 1
            self._client.batch_write_item(RequestItems={table: requests[:-1]})
            return {"UnprocessedItems": {table: requests[-1:]}}
        return self._client.batch_write_item(RequestItems=RequestItems)


@pytest.fixture
def copy_target(cloud: LocalCloud) -> str:
    table = cloud.stack.table
    dynamodb = cloud.client("dynamodb")
    dynamodb.create_table(
        TableName=TARGET,
        AttributeDefinitions=table["AttributeDefinitions"],
        KeySchema=table["KeySchema"],
        BillingMode="PAY_PER_REQUEST",
        LocalSecondaryIndexes=table["LocalSecondaryIndexes"],
        GlobalSecondaryIndexes=table["GlobalSecondaryIndexes"],
    )
    return TARGET


def test_a_copy_holds_every_item_and_answers_the_same_ledger_reads(
    cloud: LocalCloud, copy_target: str, org_id: str
) -> None:
    # Given an org with a plan, a top-up, charges by two users and a per-user limit
    workflows = Workflows(cloud)
    workflows.set_plan(org_id, "Basic")
    workflows.top_up(org_id, 5)
    for number in range(30):
        workflows.use(org_id, f"enq-{number}", f"user-{number % 2}")
    workflows.set_user_limit(org_id, 40)
    cloud.wait_for_invocations(10)
    dynamodb = cloud.client("dynamodb")
    source = cloud.stack.table_name
    original = _org_items(dynamodb, source, org_id)

    # When the table (the session's, other tests' orgs included) is copied page by page, through a client that
    # DynamoDB throttles
    stingy = _Stingy(dynamodb)
    copied = copy_table(stingy, source, copy_target, pause=lambda seconds: None)

    # Then every item of the org is in the copy, as it was, and the history index answers the same pages
    assert copied >= len(original) > 30
    assert stingy.unprocessed > 0
    assert _org_items(dynamodb, copy_target, org_id) == original
    history = {"IndexName": "HistoryIndex"}
    assert _org_items(dynamodb, copy_target, org_id, **history) == _org_items(dynamodb, source, org_id, **history)


def test_a_copy_onto_its_own_table_is_refused(cloud: LocalCloud) -> None:
    with pytest.raises(ValueError, match="same table"):
        copy_table(cloud.client("dynamodb"), cloud.stack.table_name, cloud.stack.table_name)
