"""Counts the DynamoDB requests the functions send, by instrumenting botocore in this process (the emulator runs
the handlers in-process, so every request they make goes through BaseClient._make_api_call here); given the
table's shape, it also records what each request carries, as DynamoDB bills it (bench/cost.py)."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from botocore.client import BaseClient
from botocore.exceptions import ClientError

from bench.cost import (
    Carried,
    Consistency,
    ItemRead,
    ItemWrite,
    TableShape,
    index_entry,
    index_write_sizes,
    item_size,
)
from bench.report import number

Item = dict[str, Any]
Send = Callable[[BaseClient, str, dict[str, Any]], Any]

_SINGLE_WRITES = {"PutItem": "Put", "UpdateItem": "Update", "DeleteItem": "Delete"}


def _retries(response: Mapping[str, Any]) -> int:
    """The client's own retries of one call (standard retry mode): each is one more request on the wire."""
    return int(response.get("ResponseMetadata", {}).get("RetryAttempts", 0))


@dataclass(frozen=True)
class Taken:
    counts: Counter[str]
    carried: tuple[Carried, ...]


class DynamoDBRequests:
    """Requests sent to DynamoDB, by operation, from any thread (the emulator runs each workflow in its own)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()
        self._carried: list[Carried] = []

    def record(self, operation: str, requests: int = 1, carried: Carried | None = None) -> None:
        with self._lock:
            self._counts[operation] += requests
            if carried is not None:
                self._carried.append(carried)

    def take(self) -> Taken:
        """What was counted since the last take, and start again from zero."""
        with self._lock:
            taken = Taken(self._counts, tuple(self._carried))
            self._counts, self._carried = Counter(), []
        return taken

    def reset(self) -> None:
        self.take()

    @contextmanager
    def installed(self, table: TableShape | None = None) -> Iterator[DynamoDBRequests]:
        """Count while inside the block. The class's method is replaced, so clients created before (the
        handlers' clients are created at import) are counted too. With `table`, also record what each request
        carries: for a write, that means reading each item it names before and after it (uncounted requests that
        slow the block down, so not for a timed one)."""
        original: Send = BaseClient._make_api_call

        def counted(client: BaseClient, operation_name: str, api_params: dict[str, Any]) -> Any:
            if client.meta.service_model.service_name != "dynamodb":
                return original(client, operation_name, api_params)
            requests = 1
            carried: Carried | None = None
            measure = None if table is None else _Measure(original, client, table, operation_name, api_params)
            try:
                response = original(client, operation_name, api_params)
                requests += _retries(response)
                if measure is not None:
                    carried = measure.carried(response)
                return response
            except ClientError as error:  # a refused condition is a request too, and may have been retried
                requests += _retries(error.response)
                if measure is not None:
                    carried = Carried(operation_name, priced=False)
                raise
            finally:
                self.record(operation_name, requests, carried)

        setattr(BaseClient, "_make_api_call", counted)  # noqa: B010  # replacing botocore's method
        try:
            yield self
        finally:
            setattr(BaseClient, "_make_api_call", original)  # noqa: B010


class _Measure:
    """What one request carries: its writes' items as they were before it (read now) and after it (read once it
    has answered), and its reads' items as it answered them."""

    def __init__(
        self, send: Send, client: BaseClient, table: TableShape, operation: str, params: dict[str, Any]
    ) -> None:
        self._send, self._client, self._table = send, client, table
        self._operation, self._params = operation, params
        self._targets = self._write_targets()
        self._before = [self._image(name, key) for _, name, key in self._targets]

    def _write_targets(self) -> list[tuple[str, str, Item]]:
        """(action, table name, key) of each item the request writes or checks."""
        params = self._params
        if self._operation == "TransactWriteItems":
            targets = []
            for element in params["TransactItems"]:
                ((action, body),) = element.items()
                key = self._table.key_of(body["Item"]) if action == "Put" else body["Key"]
                targets.append((action, body["TableName"], key))
            return targets
        if self._operation in _SINGLE_WRITES:
            key = self._table.key_of(params["Item"]) if self._operation == "PutItem" else params["Key"]
            return [(_SINGLE_WRITES[self._operation], params["TableName"], key)]
        return []

    def _image(self, table_name: str, key: Item) -> Item | None:
        found = self._send(self._client, "GetItem", {"TableName": table_name, "Key": key, "ConsistentRead": True})
        item: Item | None = found.get("Item")
        return item

    def carried(self, response: Mapping[str, Any]) -> Carried:
        operation = self._operation
        if self._targets:
            transactional = operation == "TransactWriteItems"
            writes = []
            for (action, name, key), before in zip(self._targets, self._before, strict=True):
                after = self._image(name, key)
                index_writes = tuple(
                    size
                    for index in self._table.indexes
                    for size in index_write_sizes(
                        index_entry(before, self._table, index), index_entry(after, self._table, index), index
                    )
                )
                size = max(item_size(before), item_size(after))
                writes.append(ItemWrite(action, size, transactional, index_writes))
            return Carried(operation, writes=tuple(writes))
        reads = _reads(operation, self._params, response)
        return Carried(operation, reads=reads) if reads is not None else Carried(operation, priced=False)


def _consistency(params: Mapping[str, Any]) -> Consistency:
    return Consistency.STRONG if params.get("ConsistentRead") else Consistency.EVENTUAL


def _reads(operation: str, params: Mapping[str, Any], response: Mapping[str, Any]) -> tuple[ItemRead, ...] | None:
    """The items a read returned, each as it is billed; None for an operation this does not price."""
    if operation == "GetItem":
        return (ItemRead(item_size(response.get("Item")), _consistency(params)),)
    if operation == "BatchGetItem":
        reads = []
        for table_name, asked in params["RequestItems"].items():
            found = response.get("Responses", {}).get(table_name, [])
            unprocessed = response.get("UnprocessedKeys", {}).get(table_name, {}).get("Keys", [])
            # DynamoDB reads each key as one GetItem; a key not found still costs the minimum.
            missing = len(asked["Keys"]) - len(unprocessed) - len(found)
            sizes = [item_size(item) for item in found] + [0] * missing
            reads += [ItemRead(size, _consistency(asked)) for size in sizes]
        return tuple(reads)
    if operation in ("Query", "Scan"):
        # One read of all the items returned together (a query's sizes are summed before rounding).
        total = sum(item_size(item) for item in response.get("Items", []))
        return (ItemRead(total, _consistency(params)),)
    if operation == "TransactGetItems":
        return tuple(
            ItemRead(item_size(answer.get("Item")), Consistency.TRANSACTIONAL) for answer in response["Responses"]
        )
    return None


def describe(counts: Mapping[str, int], decisions: int) -> str:
    """Per decision, by operation: 'BatchGetItem 1, TransactWriteItems 2'."""
    return ", ".join(f"{operation} {number(count / decisions)}" for operation, count in sorted(counts.items()))


def per_decision(counts: Mapping[str, int], decisions: int) -> float:
    return sum(counts.values()) / decisions
