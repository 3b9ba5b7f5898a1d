"""Where the DynamoDB store keeps things: the table's keys as template.yaml declares them, and each item type at the
key keys.py builds for it (moto's DynamoDB, created by the `cloud` fixture)."""

from __future__ import annotations

from typing import Any

import pytest

from adapters.dynamodb import DynamoCreditStore
from adapters.dynamodb.keys import (
    ACTIVE_INDEX,
    ACTIVE_SHARD,
    HISTORY_INDEX,
    HISTORY_SK,
    PK,
    RESERVED_INDEX,
    SK,
    USER_HISTORY_INDEX,
    USER_HISTORY_SK,
    reserved_shard,
)
from domain.ports import TopUpRecord
from emulator.cloud import LocalCloud
from emulator.template import load_stack
from tests.integration.stores import NOW, PERIOD, charge, org_on_basic, reserve_org


@pytest.fixture
def store(cloud: LocalCloud) -> DynamoCreditStore:
    return DynamoCreditStore(cloud.client("dynamodb"), cloud.stack.table_name)


def test_the_table_in_template_yaml_is_keyed_as_the_adapter_expects() -> None:
    table = load_stack().table

    key_schema = {key["KeyType"]: key["AttributeName"] for key in table["KeySchema"]}
    attribute_types = {
        attribute["AttributeName"]: attribute["AttributeType"] for attribute in table["AttributeDefinitions"]
    }

    active, reserved = table["GlobalSecondaryIndexes"]
    index_keys = {key["KeyType"]: key["AttributeName"] for key in reserved["KeySchema"]}

    assert key_schema == {"HASH": PK, "RANGE": SK}
    assert reserved["IndexName"] == RESERVED_INDEX
    assert index_keys == {"HASH": "reservedShard", "RANGE": "reservedAt"}
    assert "executionName" in reserved["Projection"]["NonKeyAttributes"]
    assert active["IndexName"] == ACTIVE_INDEX
    assert {key["KeyType"]: key["AttributeName"] for key in active["KeySchema"]} == {"HASH": ACTIVE_SHARD, "RANGE": PK}
    assert active["Projection"] == {"ProjectionType": "KEYS_ONLY"}
    local = {
        index["IndexName"]: ({key["KeyType"]: key["AttributeName"] for key in index["KeySchema"]}, index["Projection"])
        for index in table["LocalSecondaryIndexes"]
    }
    assert local == {
        HISTORY_INDEX: ({"HASH": PK, "RANGE": HISTORY_SK}, {"ProjectionType": "ALL"}),
        USER_HISTORY_INDEX: ({"HASH": PK, "RANGE": USER_HISTORY_SK}, {"ProjectionType": "ALL"}),
    }
    assert attribute_types == {
        PK: "S",
        SK: "S",
        "reservedShard": "S",
        "reservedAt": "S",
        HISTORY_SK: "S",
        USER_HISTORY_SK: "S",
        ACTIVE_SHARD: "S",
    }


def test_the_emulated_table_has_the_key_schema_of_the_template(cloud: LocalCloud) -> None:
    described = cloud.client("dynamodb").describe_table(TableName=cloud.stack.table_name)["Table"]

    assert {key["KeyType"]: key["AttributeName"] for key in described["KeySchema"]} == {"HASH": PK, "RANGE": SK}


def _sort_keys(cloud: LocalCloud, org_id: str) -> dict[str, dict[str, Any]]:
    """Every item of the org, by sort key."""
    found = cloud.client("dynamodb").query(
        TableName=cloud.stack.table_name,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": f"ORG#{org_id}"}},
        ConsistentRead=True,
    )["Items"]
    return {item[SK]["S"]: item for item in found}


def test_an_orgs_items_sit_in_its_partition_under_one_sort_key_each(
    cloud: LocalCloud, store: DynamoCreditStore, org_id: str
) -> None:
    # Given an org with a profile, one enquiry charged to a user and one only reserved, a top-up, a fence, a notice
    profile = org_on_basic(store, org_id)
    charge(store, org_id, "enq-1", user_id="alice")
    reserve_org(store, org_id, "enq-2", user_id="alice")
    store.record_top_up(org_id, profile.version, TopUpRecord("z-1", 5, PERIOD, None, NOW))
    store.release(org_id, "enq-3", "run-gone", NOW)
    store.claim_notice(org_id, "LimitReached", PERIOD, "exec-1", NOW)

    # Then each is where the data model says
    items = _sort_keys(cloud, org_id)
    assert sorted(items) == sorted(
        [
            "PROFILE",
            "USER_LIMIT",
            f"USAGE#{PERIOD}",
            f"USER#alice#{PERIOD}",
            "ENQUIRY#enq-1",
            "ENQUIRY#enq-2",
            "TOPUP#z-1",
            "FENCE#run-gone",
            f"NOTICE#LimitReached#{PERIOD}",
        ]
    )
    # and only the reserved entry is in the sweep's index, on the org's shard
    assert items["ENQUIRY#enq-2"]["reservedShard"] == {"S": reserved_shard(org_id)}
    assert "reservedShard" not in items["ENQUIRY#enq-1"]
    # and only the charged entry and the top-up are in the history indexes, at the instants they were made
    stamp = NOW.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    assert items["ENQUIRY#enq-1"][HISTORY_SK] == {"S": f"CHARGE#{PERIOD}#{stamp}#enq-1"}
    assert items["ENQUIRY#enq-1"][USER_HISTORY_SK] == {"S": f"CHARGE#alice#{PERIOD}#{stamp}#enq-1"}
    assert items["TOPUP#z-1"][HISTORY_SK] == {"S": f"TOPUP#{PERIOD}#{stamp}#z-1"}
    in_history = {key for key, item in items.items() if HISTORY_SK in item or USER_HISTORY_SK in item}
    assert in_history == {"ENQUIRY#enq-1", "TOPUP#z-1"}
