"""DynamoDB's write ceiling per partition, which the emulator enforces so that a hot org is refused as on AWS.

"Each individual partition is limited to 1,000 write units per second" (DynamoDB developer guide, warm throughput),
on-demand tables too, and with local secondary indexes "the table and index data for each item collection is stored
in a single partition" ("Local secondary indexes"): an org's items can never spread. Here each partition key (table
and hash key value) has a token bucket of EMULATOR_PARTITION_WRITE_UNITS write units a second (default 1,000,
DynamoDB's), holding one second's worth. A write costs what DynamoDB bills: 1 unit per KB of the item started (the
larger of before and after, as far as the request shows it), twice in a transaction, and 1 more per local index
entry it writes. Global indexes live in partitions of their own and are not metered here; nor are reads (3,000
units a second, far above this service's).

Past the ceiling:
- a single write fails with ThrottlingException, the answer of an on-demand table's hot key (aws/aws-sdk-java#2222),
  which botocore retries;
- a transaction is cancelled: TransactionCanceledException with the reason ThrottlingError at the first item of the
  partition ("returned when writes get throttled on an On-Demand table", TransactWriteItems API reference),
  None elsewhere; nothing is written, and nothing is consumed.
"""

from __future__ import annotations

import math
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from moto.dynamodb.exceptions import DynamodbException
from moto.dynamodb.models.dynamo_type import DynamoType, Item

WRITE_UNITS_VARIABLE = "EMULATOR_PARTITION_WRITE_UNITS"
DEFAULT_WRITE_UNITS = 1000.0
THROTTLED_MESSAGE = (
    "Throughput exceeds the current capacity of your table or index. DynamoDB is automatically scaling your table or"
    " index so please try again shortly."
)
THROTTLED_REASON = "ThrottlingError"

Partition = tuple[str, str]
"""(table, hash key value)."""


class ThrottlingException(DynamodbException):
    """What an on-demand table answers a single write over its partition's ceiling (moto has no such answer)."""

    error_type = "com.amazonaws.dynamodb.v20120810#ThrottlingException"

    def __init__(self) -> None:
        super().__init__(self.error_type, message=THROTTLED_MESSAGE)


def write_units_from_environment() -> float:
    raw = os.environ.get(WRITE_UNITS_VARIABLE, "")
    if not raw:
        return DEFAULT_WRITE_UNITS
    try:
        value = float(raw)
    except ValueError:
        raise SystemExit(f"{WRITE_UNITS_VARIABLE} must be write units a second, not {raw!r}") from None
    if value <= 0:
        raise SystemExit(f"{WRITE_UNITS_VARIABLE} must be above 0, not {value}")
    return value


def item_units(size_bytes: int) -> int:
    """Write units of one item write: 1 per KB started, at least 1."""
    return max(1, math.ceil(size_bytes / 1024))


def put_size(attributes: dict[str, Any]) -> int:
    """The size of an item given in DynamoDB's JSON form, as DynamoDB (and moto's Item.size) counts it."""
    return sum(len(name.encode("utf-8")) + DynamoType(value).size() for name, value in attributes.items())


def stored_size(item: Item | None) -> int:
    return 0 if item is None else int(item.size())


@dataclass
class _Bucket:
    tokens: float
    at: float


@dataclass
class PartitionCapacity:
    """Write units left in each partition's bucket; thread-safe."""

    units_per_second: float
    clock: Callable[[], float] = time.monotonic
    _buckets: dict[Partition, _Bucket] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    throttled: int = 0
    """Writes refused for capacity (for tests)."""

    def take(self, wanted: Iterable[tuple[Partition, int]]) -> Partition | None:
        """Consume the units each partition is asked for, all or none: None, or the first partition short of them."""
        totals: dict[Partition, int] = {}
        for partition, units in wanted:
            totals[partition] = totals.get(partition, 0) + units
        with self._lock:
            now = self.clock()
            for partition, units in totals.items():
                bucket = self._refilled(partition, now)
                if bucket.tokens < units:
                    self.throttled += 1
                    return partition
            for partition, units in totals.items():
                self._buckets[partition].tokens -= units
        return None

    def _refilled(self, partition: Partition, now: float) -> _Bucket:
        bucket = self._buckets.get(partition)
        if bucket is None:
            bucket = self._buckets[partition] = _Bucket(self.units_per_second, now)
        bucket.tokens = min(self.units_per_second, bucket.tokens + (now - bucket.at) * self.units_per_second)
        bucket.at = now
        return bucket

    @contextmanager
    def limited_to(
        self, units_per_second: float, clock: Callable[[], float] | None = None
    ) -> Iterator[PartitionCapacity]:
        """Run the block with another ceiling (and clock), every bucket starting full (tests: a hot partition)."""
        with self._lock:
            previous = self.units_per_second, self.clock
            self.units_per_second, self.clock = units_per_second, clock or self.clock
            self._buckets.clear()
        try:
            yield self
        finally:
            with self._lock:
                self.units_per_second, self.clock = previous
                self._buckets.clear()


capacity = PartitionCapacity(write_units_from_environment())
