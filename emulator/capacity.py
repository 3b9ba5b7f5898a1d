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
from typing import Any

from moto.dynamodb.exceptions import DynamodbException
from moto.dynamodb.models.dynamo_type import DynamoType, Item

from emulator.buckets import TokenBuckets

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


_units = write_units_from_environment()
capacity: TokenBuckets[Partition] = TokenBuckets(_units, _units)
"""Each partition's write units: a second's worth at most, refilled at the same rate."""
