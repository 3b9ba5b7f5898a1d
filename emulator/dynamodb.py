"""DynamoDB, emulated with moto, made as atomic and as cheap as the real thing for this service's traffic.

- One lock serialises every request, so a transaction and its conditions apply as one step (moto does no
  locking of its own; DynamoDB guarantees this isolation).
- TransactWriteItems: moto copies every table the transaction touches before running it (to roll back), which
  makes each transaction cost as much as the whole table and turns a long emulator session quadratic. Here the
  conditions are checked first against the current state (as DynamoDB does, all before any write), and only
  the items the transaction writes are kept for a rollback.
"""

from __future__ import annotations

import copy
import functools
import threading
from collections.abc import Callable
from typing import Any

from moto.dynamodb.comparisons import get_filter_expression
from moto.dynamodb.exceptions import (
    MultipleTransactionsException,
    TooManyTransactionsException,
    TransactionCanceledException,
    TransactWriteSingleOpException,
)
from moto.dynamodb.models import DynamoDBBackend

_OPERATIONS = (
    "get_item", "put_item", "update_item", "delete_item", "batch_get_item", "batch_write_item", "query", "scan",
    "transact_write_items", "transact_get_items",
)  # fmt: skip
_lock = threading.RLock()


def _key_of(backend: DynamoDBBackend, op_type: str, op: dict[str, Any]) -> dict[str, Any]:
    if op_type != "Put":
        return dict(op["Key"])
    table = backend.get_table(op["TableName"])
    key = {table.hash_key_attr: op["Item"][table.hash_key_attr]}
    if table.range_key_attr is not None:
        key[table.range_key_attr] = op["Item"][table.range_key_attr]
    return key


def transact_write_items(backend: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
    if len(transact_items) > 100:
        raise TooManyTransactionsException()
    operations: list[tuple[str, dict[str, Any], dict[str, Any]]] = []
    targets: set[tuple[str, str]] = set()
    errors: list[tuple[str | None, str | None, Any]] = []
    for item in transact_items:
        if len(item) != 1:
            raise TransactWriteSingleOpException
        op_type, op = next(iter(item.items()))
        key = _key_of(backend, op_type, op)
        target = (str(op["TableName"]), str(sorted(key.items())))
        if target in targets:
            raise MultipleTransactionsException()
        targets.add(target)
        operations.append((op_type, op, key))
        condition = op.get("ConditionExpression")
        current = backend.get_item(op["TableName"], key)
        if condition is not None:
            check = get_filter_expression(
                condition, op.get("ExpressionAttributeNames"), op.get("ExpressionAttributeValues")
            )
            if not check.expr(current):
                old = current.to_json()["Attributes"] if current and op.get(
                    "ReturnValuesOnConditionCheckFailure") == "ALL_OLD" else None  # fmt: skip
                errors.append(("ConditionalCheckFailed", "The conditional request failed", old))
                continue
        errors.append((None, None, None))
    if any(code is not None for code, _, _ in errors):
        raise TransactionCanceledException(errors)

    originals = [
        (op["TableName"], key, copy.deepcopy(backend.get_item(op["TableName"], key)))
        for op_type, op, key in operations
        if op_type != "ConditionCheck"
    ]
    try:
        for op_type, op, key in operations:
            names, values = op.get("ExpressionAttributeNames"), op.get("ExpressionAttributeValues")
            if op_type == "Put":
                backend.put_item(op["TableName"], op["Item"])
            elif op_type == "Delete":
                backend.delete_item(op["TableName"], key)
            elif op_type == "Update":
                backend.update_item(
                    op["TableName"], key, update_expression=op["UpdateExpression"],
                    expression_attribute_names=names or {}, expression_attribute_values=values or {},
                )  # fmt: skip
    except Exception as error:
        for table_name, key, original in originals:
            if original is None:
                backend.delete_item(table_name, key)
            else:
                backend.put_item(table_name, original.to_json()["Attributes"])
        raise TransactionCanceledException([(type(error).__name__, str(error), None)]) from error


def _serialised(operation: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(operation)
    def locked(*args: Any, **kwargs: Any) -> Any:
        with _lock:
            return operation(*args, **kwargs)

    locked.__emulator_locked__ = True  # type: ignore[attr-defined]
    return locked


def install() -> None:
    """Patch moto's DynamoDB backend (once per process)."""
    if getattr(DynamoDBBackend.transact_write_items, "__emulator_locked__", False):
        return
    setattr(DynamoDBBackend, "transact_write_items", transact_write_items)  # noqa: B010  # replacing moto's method
    for name in _OPERATIONS:
        setattr(DynamoDBBackend, name, _serialised(getattr(DynamoDBBackend, name)))
