"""DynamoDB, emulated with moto, with DynamoDB's transaction isolation (moto has none of its own).

DynamoDB's rules, as its developer guide states them ("Transaction conflict handling in DynamoDB" and
"Isolation levels for DynamoDB transactions",
https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis.html):

- A TransactWriteItems is in flight for a while (its prepare and commit); meanwhile it holds every item it names.
  Here that while is EMULATOR_TRANSACTION_MS milliseconds (default 2), changeable at run time
  (`isolation.transaction_seconds`).
- Another TransactWriteItems naming a held item is cancelled: TransactionCanceledException whose
  CancellationReasons say `TransactionConflict` at that item's position and `None` elsewhere.
- PutItem, UpdateItem, DeleteItem (and so each write of a BatchWriteItem) on a held item fail with
  TransactionConflictException. A TransactGetItems naming a held item is cancelled with TransactionConflict.
- GetItem, BatchGetItem, Query and Scan read the last committed state and never wait. BatchGetItem, Query and
  Scan are read-committed as a unit, not serializable: here a transaction's writes are committed one item at a
  time, so a BatchGetItem can see some of a transaction's items before it and some after, as on DynamoDB.
- Nothing serialises the whole table: `isolation.mutex` is held only while moto's structures are read or
  changed (microseconds), never across a transaction's time in flight, so unrelated transactions overlap.

And its cost: moto copies every table a transaction touches (to roll back), which made a long emulator session
quadratic. Here only the items the transaction writes are kept for a rollback.

And its ceiling: every write is metered against its partition's write units (emulator/capacity.py), and refused as
DynamoDB refuses it once the partition is over them.
"""

from __future__ import annotations

import copy
import functools
import itertools
import os
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from moto.dynamodb.comparisons import get_filter_expression
from moto.dynamodb.exceptions import (
    DynamodbException,
    MockValidationException,
    MultipleTransactionsException,
    ProvidedKeyDoesNotExist,
    TooManyTransactionsException,
    TransactionCanceledException,
    TransactWriteSingleOpException,
)
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import Item
from moto.dynamodb.responses import DynamoHandler

from emulator.capacity import (
    THROTTLED_MESSAGE,
    THROTTLED_REASON,
    Partition,
    ThrottlingException,
    capacity,
    item_units,
    put_size,
    stored_size,
)
from emulator.metrics import recorder

TRANSACTION_MS_VARIABLE = "EMULATOR_TRANSACTION_MS"
DEFAULT_TRANSACTION_MS = 2.0
GATE_LIMIT_SECONDS = 10.0
"""The longest a transaction waits at a test's gate (`Isolation.held_open`): a gate left shut fails, never hangs."""
CONFLICT_MESSAGE = "Transaction is ongoing for the item"
"""The reason DynamoDB gives (TransactionConflictException's message, a CancellationReason's Message)."""

ItemRef = tuple[str, str]
"""(table, key) of one item."""


class TransactionConflictException(DynamodbException):
    """What DynamoDB answers a single-item write on an item that a transaction in flight holds (moto has none)."""

    error_type = "com.amazonaws.dynamodb.v20120810#TransactionConflictException"

    def __init__(self) -> None:
        super().__init__(self.error_type, message=CONFLICT_MESSAGE)


def transaction_seconds_from_environment() -> float:
    raw = os.environ.get(TRANSACTION_MS_VARIABLE, "")
    if not raw:
        return DEFAULT_TRANSACTION_MS / 1000
    try:
        value = float(raw)
    except ValueError:
        raise SystemExit(f"{TRANSACTION_MS_VARIABLE} must be a number of milliseconds, not {raw!r}") from None
    if not 0 <= value <= 1000:
        raise SystemExit(f"{TRANSACTION_MS_VARIABLE} must be between 0 and 1000 milliseconds, not {value}")
    return value / 1000


class Isolation:
    """The items held by transactions in flight, and how long a transaction stays in flight."""

    def __init__(self, transaction_seconds: float) -> None:
        self.mutex = threading.RLock()
        self.transaction_seconds = transaction_seconds
        self._held: dict[ItemRef, int] = {}
        self._tokens = itertools.count(1)
        self.conflicts = 0
        """How many requests were refused for a held item (for tests and the bench)."""
        self._gate: threading.Event | None = None

    def held_positions(self, refs: list[ItemRef]) -> list[bool]:
        return [ref in self._held for ref in refs]

    def holds(self) -> int:
        """How many items are held right now."""
        return len(self._held)

    def hold(self, refs: list[ItemRef]) -> int:
        token = next(self._tokens)
        for ref in refs:
            self._held[ref] = token
        return token

    def release(self, refs: list[ItemRef], token: int) -> None:
        for ref in refs:
            if self._held.get(ref) == token:
                del self._held[ref]

    @contextmanager
    def transaction_time(self, seconds: float) -> Iterator[None]:
        """Run the block with transactions in flight for `seconds` (tests: slow transactions, more conflicts)."""
        previous, self.transaction_seconds = self.transaction_seconds, seconds
        try:
            yield
        finally:
            self.transaction_seconds = previous

    @contextmanager
    def held_open(self) -> Iterator[threading.Event]:
        """Run the block with every transaction kept in flight until the event yielded is set (or GATE_LIMIT_SECONDS).

        For tests that act while items are held: a time in flight races the test's own requests on a loaded
        machine (a CI run saw a 0.4 s transaction commit before the DeleteItem meant to meet it), a gate does not.
        """
        gate = threading.Event()
        self._gate = gate
        try:
            yield gate
        finally:
            gate.set()
            self._gate = None

    def stay_in_flight(self) -> None:
        """Keep a transaction that holds its items in flight: until the gate opens if one is set, else its time."""
        gate = self._gate
        if gate is not None:
            gate.wait(GATE_LIMIT_SECONDS)
        elif self.transaction_seconds > 0:
            time.sleep(self.transaction_seconds)


isolation = Isolation(transaction_seconds_from_environment())

_ORIGINAL: dict[str, Callable[..., Any]] = {}
"""moto's own methods, handed over as emulator/patches.py replaces them; a transaction commits through them."""


def _item_key(backend: DynamoDBBackend, table_name: str, key_or_item: dict[str, Any]) -> dict[str, Any]:
    """The key attributes of a key or of a whole item (KeyError if one is missing)."""
    table = backend.get_table(table_name)
    names = [table.hash_key_attr] + ([table.range_key_attr] if table.range_key_attr is not None else [])
    return {name: key_or_item[name] for name in names}


def _transaction_key(backend: DynamoDBBackend, op_type: str, op: dict[str, Any]) -> dict[str, Any]:
    """The key of a transaction's item, or DynamoDB's ValidationException for the whole request when the item (a
    Put) or the key lacks a key attribute, in DynamoDB's words (as moto's PutItem gives them)."""
    try:
        return _item_key(backend, op["TableName"], op["Item"] if op_type == "Put" else op["Key"])
    except KeyError as missing:
        if op_type == "Put":
            raise MockValidationException(
                f"One or more parameter values were invalid: Missing the key {missing.args[0]} in the item"
            ) from None
        raise ProvidedKeyDoesNotExist() from None


_MALFORMED = (KeyError, AttributeError, TypeError, ValueError)
"""What working out a write's key and units raises for a request DynamoDB refuses as malformed (a key attribute
missing, a value of the wrong type, such as {"S": 123}): moto's own validation then answers it."""


def _ref(table_name: str, key: dict[str, Any]) -> ItemRef:
    return str(table_name), str(sorted(key.items()))


def _partition(backend: DynamoDBBackend, table_name: str, key: dict[str, Any]) -> Partition:
    return str(table_name), str(key[backend.get_table(table_name).hash_key_attr])


def _units(
    backend: DynamoDBBackend, table_name: str, current: Item | None, put: dict[str, Any] | None, named: Iterable[str]
) -> tuple[int, int]:
    """A write's units in its partition, for the item (the larger of what is stored and what is put) and for an entry
    in each local index whose sort key the item has or the write names (`named`: the attributes it may set)."""
    size = max(stored_size(current), put_size(put) if put is not None else 0)
    attributes = set(current.attrs if current is not None else ()) | set(put or ()) | set(named)
    indexed = [
        index for index in backend.get_table(table_name).indexes if index.schema[-1]["AttributeName"] in attributes
    ]
    return item_units(size), item_units(size) * len(indexed)


def _transaction_units(backend: DynamoDBBackend, op_type: str, op: dict[str, Any], current: Item | None) -> int:
    """A transaction does each item twice, prepare and commit, and its index entries once each, as outside one; a
    condition check is billed as a transactional write of the item it checks (docs/benchmark.md)."""
    if op_type == "ConditionCheck":
        return 2 * item_units(stored_size(current))
    put = op["Item"] if op_type == "Put" else None
    item, index = _units(backend, op["TableName"], current, put, _named(op) if op_type == "Update" else ())
    return 2 * item + index


def _named(op: dict[str, Any]) -> set[str]:
    """The attributes an update expression may set: its #names' values and the plain words it uses."""
    expression = str(op.get("UpdateExpression") or op.get("update_expression") or "")
    names = op.get("ExpressionAttributeNames") or op.get("expression_attribute_names") or {}
    return set(names.values()) | set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", expression))


def _throttled_reasons(partitions: list[Partition], hot: Partition) -> list[tuple[str | None, str | None, Any]]:
    first = partitions.index(hot)
    return [
        (THROTTLED_REASON, THROTTLED_MESSAGE, None) if n == first else (None, None, None)
        for n in range(len(partitions))
    ]


def _conflict_reasons(held: list[bool]) -> list[tuple[str | None, str | None, Any]]:
    return [("TransactionConflict", CONFLICT_MESSAGE, None) if is_held else (None, None, None) for is_held in held]


class InternalServerError(DynamodbException):
    """DynamoDB's own failure (HTTP 500), which it counts in SystemErrors and the SDK retries."""

    error_type = "com.amazonaws.dynamodb.v20120810#InternalServerError"
    code = 500

    def __init__(self) -> None:
        super().__init__(self.error_type, message="Internal server error")


class Failures:
    """Operations the table fails with InternalServerError while a test says so (`failing`): DynamoDB can fail, and
    the emulator must be able to, so that what watches for it is seen to fire."""

    def __init__(self) -> None:
        self.operations: set[str] = set()

    @contextmanager
    def failing(self, *operations: str) -> Iterator[None]:
        """Run the block with every request of `operations` (TransactWriteItems, PutItem, UpdateItem, DeleteItem)
        answered InternalServerError."""
        unknown = set(operations) - set(_WRITES)
        if unknown:
            raise ValueError(f"the emulator fails only {sorted(_WRITES)}, not {sorted(unknown)}")
        self.operations |= set(operations)
        try:
            yield
        finally:
            self.operations -= set(operations)

    def check(self, table_name: str, operation: str) -> None:
        if operation in self.operations:
            recorder.put("AWS/DynamoDB", "SystemErrors", 1, {"TableName": table_name, "Operation": operation})
            raise InternalServerError()


failures = Failures()
_WRITES = ("TransactWriteItems", "PutItem", "UpdateItem", "DeleteItem")
_OPERATIONS = {"item_attrs": "PutItem", "update_item": "UpdateItem", "delete_item": "DeleteItem"}


def _throttled(table_name: str, operation: str, items: int) -> None:
    """DynamoDB's metrics of a refused write: one throttled request, and a throttle event per item refused."""
    recorder.put("AWS/DynamoDB", "ThrottledRequests", 1, {"TableName": table_name, "Operation": operation})
    recorder.put("AWS/DynamoDB", "WriteThrottleEvents", items, {"TableName": table_name})


def _conflicted(table_name: str) -> None:
    recorder.put("AWS/DynamoDB", "TransactionConflict", 1, {"TableName": table_name})


def _consumed(table_name: str, units: float) -> None:
    recorder.put("AWS/DynamoDB", "ConsumedWriteCapacityUnits", units, {"TableName": table_name})


def transact_write_items(backend: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
    if len(transact_items) > 100:
        raise TooManyTransactionsException()
    table_names = sorted({str(next(iter(item.values())).get("TableName")) for item in transact_items if item})
    for table_name in table_names:
        failures.check(table_name, "TransactWriteItems")
    operations: list[tuple[str, dict[str, Any], dict[str, Any]]] = []
    refs: list[ItemRef] = []
    with isolation.mutex:
        for item in transact_items:
            if len(item) != 1:
                raise TransactWriteSingleOpException
            op_type, op = next(iter(item.items()))
            key = _transaction_key(backend, op_type, op)
            ref = _ref(op["TableName"], key)
            if ref in refs:
                raise MultipleTransactionsException()
            refs.append(ref)
            operations.append((op_type, op, key))
        held = isolation.held_positions(refs)
        if any(held):
            isolation.conflicts += 1
            for (_, op, _), is_held in zip(operations, held, strict=True):
                if is_held:
                    _conflicted(op["TableName"])
            raise TransactionCanceledException(_conflict_reasons(held))
        # Each item as it stands, read once: what the write costs, whether its condition holds, what a rollback restores
        currents = [_ORIGINAL["get_item"](backend, op["TableName"], key) for _, op, key in operations]
        partitions = [_partition(backend, op["TableName"], key) for _, op, key in operations]
        wanted = [
            (partition, _transaction_units(backend, op_type, op, current))
            for (op_type, op, _), partition, current in zip(operations, partitions, currents, strict=True)
        ]
        # Taken before the conditions are checked: a write whose condition fails still consumes its write units
        # (DynamoDB developer guide, read and write operations; a lost race costs capacity on AWS too).
        hot = capacity.take(wanted)
        if hot is not None:
            for table_name in table_names:
                refused = sum(1 for partition in partitions if partition[0] == table_name)
                _throttled(table_name, "TransactWriteItems", refused)
            raise TransactionCanceledException(_throttled_reasons(partitions, hot))
        for table_name in table_names:
            _consumed(table_name, sum(units for (table, _), units in wanted if table == table_name))
        errors = [_condition_failure(op, current) for (_, op, _), current in zip(operations, currents, strict=True)]
        if any(code is not None for code, _, _ in errors):
            raise TransactionCanceledException(errors)
        token = isolation.hold(refs)
        originals = [
            (op["TableName"], key, copy.deepcopy(current))
            for (op_type, op, key), current in zip(operations, currents, strict=True)
            if op_type != "ConditionCheck"
        ]
    try:
        isolation.stay_in_flight()  # the items stay held, the table does not
        for op_type, op, key in operations:
            with isolation.mutex:  # one item at a time: a BatchGetItem may read between them, as on DynamoDB
                _apply(backend, op_type, op, key)
    except Exception as error:
        with isolation.mutex:
            for table_name, key, original in originals:
                if original is None:
                    _ORIGINAL["delete_item"](backend, table_name, key)
                else:
                    _ORIGINAL["put_item"](backend, table_name, original.to_json()["Attributes"])
        if isinstance(error, MockValidationException):
            # An update DynamoDB refuses as invalid (two SET clauses, say) fails the whole request with a
            # ValidationException, not a cancellation: moto's aws_verified
            # test_transact_write_items__update_with_multiple_set_clauses records AWS's answer. DynamoDB refuses it
            # before writing anything; here the items written before it were put back, under the hold.
            raise error
        raise TransactionCanceledException([(type(error).__name__, str(error), None)]) from error
    finally:
        with isolation.mutex:
            isolation.release(refs, token)


def _condition_failure(op: dict[str, Any], current: Item | None) -> tuple[str | None, str | None, Any]:
    condition = op.get("ConditionExpression")
    if condition is None:
        return None, None, None
    check = get_filter_expression(condition, op.get("ExpressionAttributeNames"), op.get("ExpressionAttributeValues"))
    if check.expr(current):
        return None, None, None
    wants_old = op.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD"
    old = current.to_json()["Attributes"] if current and wants_old else None
    return "ConditionalCheckFailed", "The conditional request failed", old


def _apply(backend: DynamoDBBackend, op_type: str, op: dict[str, Any], key: dict[str, Any]) -> None:
    names, values = op.get("ExpressionAttributeNames"), op.get("ExpressionAttributeValues")
    if op_type == "Put":
        _ORIGINAL["put_item"](backend, op["TableName"], op["Item"])
    elif op_type == "Delete":
        _ORIGINAL["delete_item"](backend, op["TableName"], key)
    elif op_type == "Update":
        _ORIGINAL["update_item"](
            backend, op["TableName"], key, update_expression=op["UpdateExpression"],
            expression_attribute_names=names or {}, expression_attribute_values=values or {},
        )  # fmt: skip


def _remember(original: Callable[..., Any]) -> Callable[..., Any]:
    _ORIGINAL[original.__name__] = original
    return original


def single_write(original: Callable[..., Any], item_parameter: str) -> Callable[..., Any]:
    """PutItem / UpdateItem / DeleteItem: refused while a transaction holds the item or its partition is over its
    write units, else applied at once."""
    _remember(original)

    operation = _OPERATIONS[item_parameter if item_parameter == "item_attrs" else original.__name__]

    @functools.wraps(original)
    def write(backend: DynamoDBBackend, table_name: str, *args: Any, **kwargs: Any) -> Any:
        failures.check(table_name, operation)
        key_or_item = args[0] if args else kwargs[item_parameter]
        with isolation.mutex:
            try:
                key = _item_key(backend, table_name, key_or_item)
                current = _ORIGINAL["get_item"](backend, table_name, key)
                put = key_or_item if item_parameter == "item_attrs" else None
                units = sum(_units(backend, table_name, current, put, _named(kwargs)))
            except _MALFORMED:
                # DynamoDB validates a request before it meets a transaction or a throttle (moto's own tests of a
                # missing key or a value of the wrong type, test_dynamodb.py and test_dynamodb_exceptions.py)
                return original(backend, table_name, *args, **kwargs)
            if isolation.held_positions([_ref(table_name, key)])[0]:
                isolation.conflicts += 1
                _conflicted(table_name)
                raise TransactionConflictException()
            if capacity.take([(_partition(backend, table_name, key), units)]) is not None:
                _throttled(table_name, operation, 1)
                raise ThrottlingException()
            _consumed(table_name, units)
            return copy.deepcopy(original(backend, table_name, *args, **kwargs))

    return write


def committed_read(original: Callable[..., Any]) -> Callable[..., Any]:
    """GetItem / Query / Scan: the last committed state, copied, so that a later in-place update by moto cannot
    change what is being answered. Never waits for a transaction in flight."""
    _remember(original)

    @functools.wraps(original)
    def read(*args: Any, **kwargs: Any) -> Any:
        with isolation.mutex:
            return copy.deepcopy(original(*args, **kwargs))

    return read


def transact_get_items(original: Callable[[DynamoHandler], Any]) -> Callable[[DynamoHandler], Any]:
    """TransactGetItems: cancelled when a transaction in flight holds one of its items, else one consistent read."""

    def transact_get(handler: DynamoHandler) -> Any:
        gets = [item.get("Get", {}) for item in handler.body.get("TransactItems", [])]
        with isolation.mutex:
            try:
                refs = [
                    _ref(get["TableName"], _item_key(handler.dynamodb_backend, get["TableName"], get["Key"]))
                    for get in gets
                ]
            except (KeyError, TypeError):
                refs = []  # malformed: moto's own validation answers it
            held = isolation.held_positions(refs)
            if any(held):
                isolation.conflicts += 1
                raise TransactionCanceledException(_conflict_reasons(held))
            return original(handler)

    return transact_get


def originals_captured() -> None:
    """The moto methods a transaction commits through were all handed over (emulator/patches.py)."""
    missing = {"get_item", "put_item", "update_item", "delete_item"} - set(_ORIGINAL)
    if missing:
        raise RuntimeError(f"emulator/dynamodb.py did not receive moto's {sorted(missing)}")
