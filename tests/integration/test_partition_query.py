"""A Query reads the partition it names (emulator/motofast.py partition_query), and answers exactly what moto's own
Query answers, which reads the whole table: on the table, a local index and a global index, forwards and backwards,
paged, with key conditions, filters and projections, over a table of many partitions."""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from moto.dynamodb.models.table import Table

from emulator.cloud import LocalCloud

PARTITIONS = 12
ITEMS = 240


@contextmanager
def _counting_whole_table_reads() -> Iterator[list[int]]:
    """Count the calls of moto's Table.all_items (every item of the table, sorted) while the block runs."""
    original = Table.all_items
    calls = [0]

    def all_items(table: Any) -> Any:
        calls[0] += 1
        return original(table)

    Table.all_items = all_items  # type: ignore[method-assign]
    try:
        yield calls
    finally:
        Table.all_items = original  # type: ignore[method-assign]


@contextmanager
def _moto_query() -> Iterator[None]:
    """moto's own Table.query, as it is without the emulator's patch, while the block runs."""
    patched = Table.query
    Table.query = patched.__wrapped__  # type: ignore[attr-defined, method-assign]
    try:
        yield
    finally:
        Table.query = patched  # type: ignore[method-assign]


@pytest.fixture(scope="module")
def table(cloud: LocalCloud) -> Iterator[str]:
    name = f"partition-query-{uuid.uuid4().hex[:8]}"
    dynamodb = cloud.client("dynamodb")
    strings = ["pk", "sk", "lsk", "gpk", "gsk"]
    dynamodb.create_table(
        TableName=name,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": key, "AttributeType": "S"} for key in strings],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        LocalSecondaryIndexes=[
            {
                "IndexName": "Local",
                "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "lsk", "KeyType": "RANGE"}],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "Global",
                "KeySchema": [
                    {"AttributeName": "gpk", "KeyType": "HASH"},
                    {"AttributeName": "gsk", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["n"]},
            },
            {
                "IndexName": "GlobalHashOnly",
                "KeySchema": [{"AttributeName": "gpk", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "KEYS_ONLY"},
            },
        ],
    )
    draw = random.Random(20261207)
    for number in range(ITEMS):
        item = {
            "pk": {"S": f"P{draw.randrange(PARTITIONS)}"},
            "sk": {"S": f"S{number:04d}"},
            "n": {"N": str(draw.randrange(100))},
        }
        if draw.random() < 0.7:  # sparse local index, with equal index keys across items
            item["lsk"] = {"S": f"L{draw.randrange(20):02d}"}
        if draw.random() < 0.5:  # sparse global index, partitions spanning the table's
            item["gpk"] = {"S": f"G{draw.randrange(3)}"}
            item["gsk"] = {"S": f"K{draw.randrange(10)}"}
        dynamodb.put_item(TableName=name, Item=item)
    yield name
    dynamodb.delete_table(TableName=name)


def _queries() -> list[dict[str, Any]]:
    queries: list[dict[str, Any]] = []
    for forward in (True, False):
        for limit in (None, 1, 7):
            paging = {"ScanIndexForward": forward} | ({"Limit": limit} if limit else {})
            queries += [
                {"KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "P3"}}} | paging,
                {
                    "KeyConditionExpression": "pk = :p AND sk BETWEEN :a AND :b",
                    "ExpressionAttributeValues": {":p": {"S": "P5"}, ":a": {"S": "S0050"}, ":b": {"S": "S0180"}},
                }
                | paging,
                {"KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "NOPE"}}} | paging,
                {
                    "IndexName": "Local",
                    "KeyConditionExpression": "pk = :p AND begins_with(lsk, :l)",
                    "ExpressionAttributeValues": {":p": {"S": "P1"}, ":l": {"S": "L1"}},
                    "ConsistentRead": True,
                }
                | paging,
                {
                    "IndexName": "Local",
                    "KeyConditionExpression": "pk = :p",
                    "FilterExpression": "n > :n",
                    "ExpressionAttributeValues": {":p": {"S": "P7"}, ":n": {"N": "40"}},
                }
                | paging,
                {
                    "IndexName": "Global",
                    "KeyConditionExpression": "gpk = :g",
                    "ExpressionAttributeValues": {":g": {"S": "G1"}},
                }
                | paging,
                {
                    "IndexName": "Global",
                    "KeyConditionExpression": "gpk = :g AND gsk >= :k",
                    "ExpressionAttributeValues": {":g": {"S": "G2"}, ":k": {"S": "K5"}},
                    "ProjectionExpression": "pk, sk",
                }
                | paging,
                {
                    "IndexName": "GlobalHashOnly",
                    "KeyConditionExpression": "gpk = :g",
                    "ExpressionAttributeValues": {":g": {"S": "G0"}},
                }
                | paging,
            ]
    return queries


def _every_page(client: Any, table: str, query: dict[str, Any]) -> list[dict[str, Any]]:
    pages = [client.query(TableName=table, **query)]
    while "LastEvaluatedKey" in pages[-1] and len(pages) < 200:
        pages.append(client.query(TableName=table, ExclusiveStartKey=pages[-1]["LastEvaluatedKey"], **query))
    for page in pages:
        page.pop("ResponseMetadata", None)
    return pages


@pytest.mark.parametrize("query", _queries(), ids=lambda query: "-".join(str(v) for v in query.values())[:80])
def test_a_query_answers_as_moto_does_without_reading_the_table(cloud: LocalCloud, table: str, query: Any) -> None:
    client = cloud.client("dynamodb")
    with _moto_query():
        expected = _every_page(client, table, query)
    with _counting_whole_table_reads() as whole_table_reads:
        answered = _every_page(client, table, query)
    assert answered == expected
    assert sum(page["Count"] for page in answered) == sum(len(page["Items"]) for page in answered)
    assert whole_table_reads[0] == 0


def test_the_queries_find_items(cloud: LocalCloud, table: str) -> None:
    """The comparison above is not between two empty answers."""
    client = cloud.client("dynamodb")
    found = [sum(page["Count"] for page in _every_page(client, table, query)) for query in _queries()]
    assert sum(1 for count in found if count > 0) >= len(found) * 3 // 4
