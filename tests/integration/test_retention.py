"""A long-running emulator holds what it serves, not what it once did (emulator/retention.py, emulator/metrics.py):
moto's model instances that nothing else holds are freed, and a metric's points take a few bytes each."""

from __future__ import annotations

import gc
import tracemalloc
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from moto.cloudwatch.models import cloudwatch_backends
from moto.dynamodb.models.dynamo_type import Item

from emulator.cloud import LocalCloud
from emulator.metrics import Metrics
from emulator.retention import LiveInstances
from emulator.template import ACCOUNT_ID, REGION


def _live_items() -> int:
    gc.collect()
    return len(Item.instances_tracked)  # type: ignore[attr-defined]


def test_reading_items_does_not_keep_the_copies_moto_makes(cloud: LocalCloud) -> None:
    db, table, pk = cloud.client("dynamodb"), cloud.stack.table_name, f"RETENTION#{uuid.uuid4().hex[:8]}"
    for number in range(20):
        db.put_item(TableName=table, Item={"pk": {"S": pk}, "sk": {"S": f"S{number:02d}"}})
    before = _live_items()
    for _ in range(50):  # each answers deep copies of the items it read: 1,000 items made
        db.query(TableName=table, KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": pk}})
        db.get_item(TableName=table, Key={"pk": {"S": pk}, "sk": {"S": "S00"}})
    assert _live_items() - before < 20
    # and what is alive is still listed, as moto's dashboard lists it
    assert any(item.hash_key.value == pk for item in Item.instances_tracked)  # type: ignore[attr-defined]


def test_live_instances_lists_the_living_in_the_order_they_were_made() -> None:
    class Model:
        pass

    class Slotted:
        __slots__ = ("n",)

    tracked = LiveInstances()
    first, second, third = Model(), Model(), Model()
    slotted = Slotted()
    for instance in (first, second, third, slotted):
        tracked.append(instance)
    assert list(tracked) == [first, second, third, slotted]
    del second
    gc.collect()
    assert list(tracked) == [first, third, slotted]  # one that cannot be referred to weakly is kept, as by moto
    assert len(tracked) == 3


def test_after_moto_resets_its_tracking_instances_are_tracked_weakly_again(cloud: LocalCloud) -> None:
    Item.instances_tracked = []  # type: ignore[attr-defined]  # what moto's reset_model_data does
    cloud.client("dynamodb").get_item(
        TableName=cloud.stack.table_name, Key={"pk": {"S": "RETENTION#none"}, "sk": {"S": "none"}}
    )
    Item(hash_key=None, range_key=None, attrs={"pk": {"S": "x"}})
    assert isinstance(Item.instances_tracked, LiveInstances)  # type: ignore[attr-defined]


START = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)


def _put(metrics: Metrics, seconds: float, value: float, namespace: str = "Retention") -> None:
    metrics.put(namespace, "Things", value, {"Kind": "a"}, at=START + timedelta(seconds=seconds))


def test_a_metric_reads_back_in_time_order_to_the_microsecond() -> None:
    metrics = Metrics()
    for seconds, value in ((10, 1), (70, 2), (5, 3), (59.999999, 4), (60, 5)):
        _put(metrics, seconds, value)
    first_minute = metrics.points("Retention", "Things", {"Kind": "a"}, START, START + timedelta(minutes=1))
    assert [value for _, value in first_minute] == [3, 1, 4]
    assert first_minute[-1][0] == START + timedelta(seconds=59.999999)
    assert [row["points"] for row in metrics.catalogue()] == [5]


def test_moto_is_handed_each_point_once(cloud: LocalCloud) -> None:
    metrics, namespace = Metrics(), f"Retention{uuid.uuid4().hex[:8]}"
    _put(metrics, 1, 1, namespace)
    _put(metrics, 0, 2, namespace)
    data: list[Any] = cloudwatch_backends[ACCOUNT_ID][REGION].metric_data

    def ours() -> list[float]:
        return sorted(datum.value for datum in data if datum.namespace == namespace)

    metrics.flush()
    metrics.flush()
    assert ours() == [1.0, 2.0]
    _put(metrics, 2, 3, namespace)
    metrics.flush()
    assert ours() == [1.0, 2.0, 3.0]


def test_a_point_takes_a_few_bytes() -> None:
    metrics = Metrics()
    for number in range(100):  # the metric exists: what is measured is its points
        _put(metrics, number, number)
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for number in range(20_000):
            _put(metrics, 100 + number / 1000, number)
        per_point = (tracemalloc.get_traced_memory()[0] - before) / 20_000
    finally:
        tracemalloc.stop()
    assert per_point < 48, per_point  # two arrays of 8-byte items, twice (recorded, not yet handed to moto)


def test_a_model_that_is_also_a_dict_is_made_as_moto_makes_it() -> None:
    """moto has such models (meteringmarketplace's UsageRecord): the instance comes from the class after BaseModel."""
    from moto.core.common_models import BaseModel

    class Record(BaseModel, dict):  # type: ignore[misc, type-arg]
        pass

    record = Record(a=1)
    assert record == {"a": 1}
    assert record in list(Record.instances_tracked)  # type: ignore[attr-defined]
