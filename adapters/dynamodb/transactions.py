"""A unit of work: actions queued under labels, committed as one TransactWriteItems.

Each action may say what the failure of its condition means (`refused`: the domain's error to raise). When
DynamoDB cancels the transaction, each CancellationReason is mapped back to its action by label, never by
position, and the cancellation becomes a domain error:

- a refused action whose refusal has a meaning: that error (the first such action queued, when several were);
- throttled (ThrottlingError, "returned when writes get throttled on an On-Demand table", or
  ProvisionedThroughputExceeded: TransactionCanceledException in DynamoDB's API reference): StoreUnavailable,
  as a throttled single request is, for the workflow to retry later rather than the step at once;
- only TransactionConflict (writes in flight on its items; no condition failed): WriteConflict, the same
  decision may be tried again;
- anything else (a condition without a meaning of its own failed: what was read has moved): StaleRead.

(The aws-samples hexagonal sample's unit of work, dynamodb_base.py, with the translation at the boundary.)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from adapters.dynamodb.items import values
from adapters.dynamodb.keys import Item
from domain.errors import StoreUnavailable
from domain.ports import StaleRead, WriteConflict

CONDITION_FAILED = "ConditionalCheckFailed"
CONFLICT = "TransactionConflict"
THROTTLED = frozenset({"ThrottlingError", "ProvisionedThroughputExceeded"})
NO_REASON = "None"
"""CancellationReason codes: DynamoDB gives one per action, "None" for an action that was not the cause."""


def error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


Refusal = Callable[[], Exception] | None
"""What the failure of an action's condition means: the domain error to raise (None: a stale read)."""
Names = dict[str, str] | None
"""ExpressionAttributeNames (#placeholders)."""


@dataclass(frozen=True)
class _Action:
    label: str
    request: Item
    refused: Refusal


class Transaction:
    """Queue actions with put / update / delete / check, then commit() them together: all or none."""

    def __init__(self, db: Any, table: str, what: str) -> None:
        self._db = db
        self._table = table
        self._what = what
        self._actions: list[_Action] = []

    def put(self, label: str, item: Item, condition: str | None = None, refused: Refusal = None, **bound: Any) -> None:
        self._queue(label, {"Put": self._operation({"Item": item}, condition, None, bound)}, refused)

    def update(
        self, label: str, key: Item, update: str, condition: str | None = None, names: Names = None, **bound: Any
    ) -> None:
        """(No refusal of its own: a counter or an entry that moved is a stale read.)"""
        operation = {"Key": key, "UpdateExpression": update}
        self._queue(label, {"Update": self._operation(operation, condition, names, bound)}, None)

    def delete(self, label: str, key: Item, condition: str, names: Names = None, **bound: Any) -> None:
        self._queue(label, {"Delete": self._operation({"Key": key}, condition, names, bound)}, None)

    def check(self, label: str, key: Item, condition: str, refused: Refusal = None, **bound: Any) -> None:
        """A condition on an item the transaction does not write (ConditionCheck)."""
        self._queue(label, {"ConditionCheck": self._operation({"Key": key}, condition, None, bound)}, refused)

    def _operation(self, operation: Item, condition: str | None, names: Names, bound: dict[str, Any]) -> Item:
        """One action's request; `bound`: the values of the expressions' :placeholders."""
        request: Item = {"TableName": self._table, **operation}
        if condition is not None:
            request["ConditionExpression"] = condition
        if names:
            request["ExpressionAttributeNames"] = names
        if bound:
            request["ExpressionAttributeValues"] = values(**bound)
        return request

    def _queue(self, label: str, request: Item, refused: Refusal) -> None:
        assert all(action.label != label for action in self._actions), f"{self._what}: two actions named {label}"
        self._actions.append(_Action(label, request, refused))

    def commit(self) -> None:
        """Write every queued action, or none of them and raise the domain error its cancellation means."""
        try:
            self._db.transact_write_items(TransactItems=[action.request for action in self._actions])
        except ClientError as error:
            if error_code(error) != "TransactionCanceledException":
                raise
            raise self._cancelled(error) from None

    def _cancelled(self, error: ClientError) -> Exception:
        codes = [str(reason.get("Code", NO_REASON)) for reason in error.response.get("CancellationReasons", [])]
        # One reason per action, in the order they were sent. A cancellation that does not give one each (the
        # emulator failing while it applies the writes, say) is laid at no action's door.
        by_label = (
            dict(zip((a.label for a in self._actions), codes, strict=True)) if len(codes) == len(self._actions) else {}
        )
        for action in self._actions:
            if action.refused is not None and by_label.get(action.label) == CONDITION_FAILED:
                return action.refused()
        causes = {code for code in codes if code != NO_REASON}
        named = ", ".join(f"{label} {code}" for label, code in by_label.items() if code != NO_REASON)
        message = f"{self._what}: {named or ','.join(codes)}"
        if causes & THROTTLED:
            return StoreUnavailable(message)
        if causes == {CONFLICT}:
            return WriteConflict(message)
        return StaleRead(message)
