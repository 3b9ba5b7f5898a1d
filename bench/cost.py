"""What a decision costs on AWS: the billing rules, as pure functions of what the bench counted and timed.

The rules and where each is stated:
- DynamoDB item size: attribute names plus values as "DynamoDB item sizes and formats" sizes them
  (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html).
- Reads: each item rounded up to 4 KB; half a read unit eventually consistent, one strongly consistent, two
  transactional; BatchGetItem as one GetItem per item; an item that is not there still costs the minimum
  ("DynamoDB read and write operations", read-write-operations.html).
- Writes: each item rounded up to 1 KB; an update is billed on the larger of the item before and after it.
  A transaction does every item twice (prepare and commit), so 2 write units per KB ("Capacity management for
  transactions", transaction-apis.html). A ConditionCheck writes nothing yet is billed as a transactional write
  of the item it checks: measured against DynamoDB in eu-west-2 by paritysuite/dynamodb-conformance (PR 67) and
  nubo-db/dynoxide (PR 188); DynamoDB's guide does not say.
- Global secondary index: an item put into the index or removed from it is one index write, a change of its index
  key two, a change of only its projected attributes one, an item outside the index before and after none
  ("Provisioned throughput considerations for global secondary indexes", GSI.html). An index write inside a
  transaction costs what it costs outside one (dynoxide PR 188, measured): 1 unit per KB of the index entry
  (table key, index key and projected attributes).
- Lambda: duration rounded up to the next 1 ms, times the function's memory (https://aws.amazon.com/lambda/pricing/).
- Express Workflows: duration rounded up to the next 100 ms; memory billed in 64 MB chunks, estimated as
  50 MB + the definition's size + the execution data's size times the Map or Parallel steps
  (https://aws.amazon.com/step-functions/pricing/, pricing examples 3 and 4).
- CloudWatch Logs: ingestion per GB (2^30 bytes) of log events as bench/logs.py sizes them, the workflows' at the
  vended-logs rate; storage per GB-month for as long as the log groups keep them (LogRetentionDays), priced on the
  bytes ingested although CloudWatch stores them compressed: an upper bound.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any, NamedTuple

from bench.logs import LogBytes
from bench.prices import Price, PriceList

KB = 1024
MB = 1024 * KB
GB = 1024 * MB
WRITE_UNIT_BYTES = KB
READ_UNIT_BYTES = 4 * KB
EXPRESS_BASE_MEMORY_BYTES = 50 * MB
EXPRESS_MEMORY_CHUNK_MB = 64
EXPRESS_DURATION_STEP_MS = 100


class Consistency(StrEnum):
    EVENTUAL = "eventually consistent"
    STRONG = "strongly consistent"
    TRANSACTIONAL = "transactional"


_READ_UNITS_PER_4KB = {Consistency.EVENTUAL: 0.5, Consistency.STRONG: 1.0, Consistency.TRANSACTIONAL: 2.0}


# -- DynamoDB item sizes ------------------------------------------------------------------------------------------


def _number_size(number: str) -> int:
    """About 1 byte per two significant digits, plus 1 (leading and trailing zeroes do not count)."""
    digits = Decimal(number).normalize().as_tuple().digits
    significant = "".join(str(digit) for digit in digits).strip("0")
    return math.ceil(len(significant) / 2) + 1


def value_size(value: Mapping[str, Any]) -> int:
    """The size of one attribute value in DynamoDB's JSON form ({"S": "abc"}), without its name."""
    ((kind, payload),) = value.items()
    if kind == "S":
        return len(str(payload).encode("utf-8"))
    if kind == "N":
        return _number_size(str(payload))
    if kind == "B":
        return len(payload)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(str(element).encode("utf-8")) for element in payload)
    if kind == "NS":
        return sum(_number_size(str(element)) for element in payload)
    if kind == "BS":
        return sum(len(element) for element in payload)
    if kind == "L":
        return 3 + sum(1 + value_size(element) for element in payload)
    if kind == "M":
        return 3 + sum(1 + len(name.encode("utf-8")) + value_size(element) for name, element in payload.items())
    raise ValueError(f"not a DynamoDB attribute value: {kind}")


def item_size(item: Mapping[str, Mapping[str, Any]] | None) -> int:
    """Bytes of an item (attribute names and values); 0 for an item that is not there."""
    if not item:
        return 0
    return sum(len(name.encode("utf-8")) + value_size(value) for name, value in item.items())


# -- DynamoDB request units ---------------------------------------------------------------------------------------


def write_units(size_bytes: int, transactional: bool = False) -> int:
    """Write request units for one item: 1 per KB started (at least 1), twice that in a transaction."""
    units = max(1, math.ceil(size_bytes / WRITE_UNIT_BYTES))
    return 2 * units if transactional else units


def read_units(size_bytes: int, consistency: Consistency) -> float:
    """Read request units for one item: per 4 KB started (at least one block), by consistency."""
    blocks = max(1, math.ceil(size_bytes / READ_UNIT_BYTES))
    return blocks * _READ_UNITS_PER_4KB[consistency]


@dataclass(frozen=True)
class Index:
    """A secondary index (global or local) as the template declares it. A write to a local index costs as a
    global index's does ("Local secondary indexes", DynamoDB developer guide, provisioned throughput
    considerations: the same write units per index entry put, changed or deleted)."""

    name: str
    keys: tuple[str, ...]
    projected: tuple[str, ...] | None
    """Non-key attributes projected; None for ALL."""


@dataclass(frozen=True)
class TableShape:
    keys: tuple[str, ...]
    indexes: tuple[Index, ...]

    @classmethod
    def of(cls, properties: Mapping[str, Any]) -> TableShape:
        """From the AWS::DynamoDB::Table's properties."""
        indexes = []
        for index in [*properties.get("GlobalSecondaryIndexes", []), *properties.get("LocalSecondaryIndexes", [])]:
            projection = index.get("Projection", {})
            kind = projection.get("ProjectionType", "KEYS_ONLY")
            projected = None if kind == "ALL" else tuple(projection.get("NonKeyAttributes", []))
            keys = tuple(element["AttributeName"] for element in index["KeySchema"])
            indexes.append(Index(index["IndexName"], keys, projected))
        return cls(tuple(element["AttributeName"] for element in properties["KeySchema"]), tuple(indexes))

    def key_of(self, item: Mapping[str, Any]) -> dict[str, Any]:
        return {name: item[name] for name in self.keys}


def index_entry(image: Mapping[str, Any] | None, table: TableShape, index: Index) -> dict[str, Any] | None:
    """What the index holds for an item (None when the item lacks an index key: the index is sparse)."""
    if image is None or not all(key in image for key in index.keys):
        return None
    if index.projected is None:
        return dict(image)
    names = [*table.keys, *index.keys, *index.projected]
    return {name: image[name] for name in names if name in image}


def index_write_sizes(
    before: Mapping[str, Any] | None, after: Mapping[str, Any] | None, index: Index
) -> tuple[int, ...]:
    """The size of each index write one table write causes, from the index entries before and after it."""
    if before is None and after is None:
        return ()
    if before is None:
        return (item_size(after),)
    if after is None:
        return (item_size(before),)
    if any(before[key] != after[key] for key in index.keys):
        return (item_size(before), item_size(after))
    if before != after:
        return (item_size(after),)
    return ()


class ItemRead(NamedTuple):
    """One item a request read."""

    size: int
    """Bytes; 0 for a key not found."""
    consistency: Consistency

    @property
    def units(self) -> float:
        """Read request units, as its consistency and size make them."""
        return read_units(self.size, self.consistency)


@dataclass(frozen=True)
class ItemWrite:
    """One item a request wrote, or checked in a transaction."""

    action: str
    """Put, Update, Delete or ConditionCheck."""
    size: int
    """The larger of the item before and after the request."""
    transactional: bool
    index_writes: tuple[int, ...] = ()
    """The size of each index entry written or removed because of it."""

    @property
    def units(self) -> int:
        return write_units(self.size, self.transactional)

    @property
    def index_units(self) -> int:
        """Index writes are standard writes, in a transaction too."""
        return sum(write_units(size) for size in self.index_writes)


@dataclass(frozen=True)
class Carried:
    """What one DynamoDB request carried, as it is billed."""

    operation: str
    reads: tuple[ItemRead, ...] = ()
    writes: tuple[ItemWrite, ...] = ()
    priced: bool = True
    """False for a request the bench cannot price: a refused one, or an operation it does not know."""


@dataclass(frozen=True)
class DynamoDBUnits:
    transactional_write: float = 0
    standard_write: float = 0
    index_write: float = 0
    strong_read: float = 0
    eventual_read: float = 0
    transactional_read: float = 0
    unpriced_requests: int = 0

    def per(self, decisions: int) -> DynamoDBUnits:
        return DynamoDBUnits(
            self.transactional_write / decisions,
            self.standard_write / decisions,
            self.index_write / decisions,
            self.strong_read / decisions,
            self.eventual_read / decisions,
            self.transactional_read / decisions,
            self.unpriced_requests,
        )


def dynamodb_units(calls: Iterable[Carried]) -> DynamoDBUnits:
    transactional = standard = index = 0
    reads = dict.fromkeys(Consistency, 0.0)
    unpriced = 0
    for call in calls:
        if not call.priced:
            unpriced += 1
            continue
        for write in call.writes:
            if write.transactional:
                transactional += write.units
            else:
                standard += write.units
            index += write.index_units
        for read in call.reads:
            reads[read.consistency] += read.units
    return DynamoDBUnits(
        transactional,
        standard,
        index,
        reads[Consistency.STRONG],
        reads[Consistency.EVENTUAL],
        reads[Consistency.TRANSACTIONAL],
        unpriced,
    )


# -- Lambda and Step Functions durations --------------------------------------------------------------------------


def _milliseconds(seconds: float) -> float:
    # Rounded to the nanosecond first, so that 0.012 s (12.000000000000002 ms in binary) bills as 12 ms, not 13.
    return round(seconds * 1000, 6)


def lambda_billed_ms(seconds: float) -> int:
    """Lambda bills duration rounded up to the next millisecond."""
    return max(1, math.ceil(_milliseconds(seconds)))


def express_billed_ms(seconds: float) -> int:
    """Express Workflows bill duration rounded up to the next 100 ms."""
    steps = max(1, math.ceil(_milliseconds(seconds) / EXPRESS_DURATION_STEP_MS))
    return steps * EXPRESS_DURATION_STEP_MS


def express_billed_mb(definition_bytes: int, data_bytes: int, branch_steps: int = 0) -> int:
    """Memory an Express execution is billed for, in 64 MB chunks: 50 MB + the definition + the execution data
    times the Map or Parallel steps. With no such step, the data is counted once (an assumption: the pricing page's
    formula would count it zero times; either way it is far below a chunk)."""
    used = EXPRESS_BASE_MEMORY_BYTES + definition_bytes + data_bytes * max(1, branch_steps)
    chunk = EXPRESS_MEMORY_CHUNK_MB * MB
    return math.ceil(used / chunk) * EXPRESS_MEMORY_CHUNK_MB


def branch_states(definition: str) -> int:
    """Map and Parallel states of an ASL definition, nested ones included."""

    def count(node: Any) -> int:
        if isinstance(node, dict):
            own = 1 if node.get("Type") in ("Map", "Parallel") else 0
            return own + sum(count(value) for value in node.values())
        if isinstance(node, list):
            return sum(count(value) for value in node)
        return 0

    return count(json.loads(definition))


def gb_seconds(memory_mb: int, billed_ms: int) -> float:
    return memory_mb / 1024 * billed_ms / 1000


@dataclass(frozen=True)
class LambdaSettings:
    memory_mb: int
    architecture: str


def lambda_settings(template: Mapping[str, Any]) -> dict[str, LambdaSettings]:
    """Each function's memory and architecture as deployed: its own, else the template's Globals."""
    defaults = template.get("Globals", {}).get("Function", {})
    settings = {}
    for name, resource in template["Resources"].items():
        if resource["Type"] != "AWS::Serverless::Function":
            continue
        properties = resource.get("Properties", {})
        memory = int(properties.get("MemorySize", defaults.get("MemorySize", 128)))
        architectures = properties.get("Architectures", defaults.get("Architectures", ["x86_64"]))
        settings[name] = LambdaSettings(memory, str(architectures[0]))
    return settings


# -- the bill -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Duration:
    """One Express execution or Lambda invocation: how long it ran, at the memory it is billed for."""

    seconds: float
    memory_mb: int

    def gb_seconds(self, billed_ms: Callable[[float], int]) -> float:
        """GB-seconds billed, with the duration rounded as the service rounds it."""
        return gb_seconds(self.memory_mb, billed_ms(self.seconds))


@dataclass(frozen=True)
class DecisionUsage:
    """What the bench measured, with each sample's own number of decisions."""

    api_requests: float
    """Per decision."""
    executions: Sequence[Duration]
    execution_decisions: int
    invocations: Sequence[Duration]
    invocation_decisions: int
    dynamodb: DynamoDBUnits
    dynamodb_decisions: int
    logs: LogBytes
    log_retention_months: float
    """How long the log groups keep what they are sent (LogRetentionDays / 30)."""


@dataclass(frozen=True)
class LineItem:
    service: str
    unit: str
    quantity: float
    """Per decision."""
    price: Price

    @property
    def per_million(self) -> float:
        """USD per million decisions."""
        return self.quantity * self.price.usd * 1_000_000


def line_items(usage: DecisionUsage, prices: PriceList) -> list[LineItem]:
    express_ms = [express_billed_ms(execution.seconds) for execution in usage.executions]
    express_gbs = sum(execution.gb_seconds(express_billed_ms) for execution in usage.executions)
    memories = sorted({execution.memory_mb for execution in usage.executions})
    lambda_ms = [lambda_billed_ms(invocation.seconds) for invocation in usage.invocations]
    lambda_gbs = sum(invocation.gb_seconds(lambda_billed_ms) for invocation in usage.invocations)
    lambda_memories = sorted({invocation.memory_mb for invocation in usage.invocations})
    units = usage.dynamodb.per(usage.dynamodb_decisions)
    executions, invocations = usage.execution_decisions, usage.invocation_decisions
    items = [
        LineItem("API Gateway REST", "request", usage.api_requests, prices.api_rest_request),
        LineItem("Step Functions Express", "request", len(usage.executions) / executions, prices.express_request),
        LineItem(
            "Step Functions Express",
            f"GB-second ({_mb(memories)}, mean billed {_mean(express_ms):.0f} ms)",
            express_gbs / executions,
            prices.express_gb_second,
        ),
        LineItem("Lambda arm64", "request", len(usage.invocations) / invocations, prices.lambda_arm_request),
        LineItem(
            "Lambda arm64",
            f"GB-second ({_mb(lambda_memories)}, mean billed {_mean(lambda_ms):.1f} ms)",
            lambda_gbs / invocations,
            prices.lambda_arm_gb_second,
        ),
    ]
    dynamodb = [
        ("WRU, transactional writes (2 per KB per item)", units.transactional_write, prices.dynamodb_write_unit),
        ("WRU, standard writes", units.standard_write, prices.dynamodb_write_unit),
        ("WRU, index writes", units.index_write, prices.dynamodb_write_unit),
        ("RRU, strongly consistent reads", units.strong_read, prices.dynamodb_read_unit),
        ("RRU, eventually consistent reads", units.eventual_read, prices.dynamodb_read_unit),
        ("RRU, transactional reads", units.transactional_read, prices.dynamodb_read_unit),
    ]
    items += [LineItem("DynamoDB on-demand", unit, quantity, price) for unit, quantity, price in dynamodb if quantity]
    logs = usage.logs
    workflow_gb = logs.workflow_bytes / GB / logs.decisions
    function_gb = logs.function_bytes / GB / logs.decisions
    events = f"{logs.workflow_events / logs.decisions:.0f} events, {logs.workflow_bytes / logs.decisions / KB:.1f} KB"
    lines = f"{logs.function_events / logs.decisions:.0f} lines, {logs.function_bytes / logs.decisions / KB:.1f} KB"
    items += [
        LineItem("CloudWatch Logs", f"GB ingested, workflows ({events})", workflow_gb, prices.logs_vended_gb),
        LineItem("CloudWatch Logs", f"GB ingested, functions ({lines})", function_gb, prices.logs_standard_gb),
        LineItem(
            "CloudWatch Logs",
            f"GB-month stored ({usage.log_retention_months:g} months, uncompressed)",
            (workflow_gb + function_gb) * usage.log_retention_months,
            prices.logs_stored_gb_month,
        ),
    ]
    return items


def total_per_million(items: Sequence[LineItem]) -> float:
    return sum(item.per_million for item in items)


def _mean(values: Sequence[int]) -> float:
    return sum(values) / len(values) if values else 0.0


def _mb(memories: Sequence[int]) -> str:
    return "/".join(f"{memory} MB" for memory in memories) or "no samples"
