"""The table as the rest of the package sees it: a DynamoDB client whose throttling, connection failures and
single-item conflicts come out as the domain's errors, consistent reads, conditional single-item writes that say
whether their condition held, and units of work (transactions.py)."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from adapters.dynamodb.items import plain
from adapters.dynamodb.keys import PK, SK, Item
from adapters.dynamodb.transactions import Transaction, error_code
from domain.errors import StoreUnavailable
from domain.ports import WriteConflict
from domain.retry import Retry

TRANSIENT_ERROR_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "InternalServerError",
        "ServiceUnavailable",
        "TransactionInProgressException",
    }
)
"""DynamoDB answers worth retrying (after the client's own retries): the step fails with StoreUnavailable, which
the workflow retries, and nothing was written."""

UNPROCESSED_KEYS_ATTEMPTS = 5
"""Times a read asks again for keys BatchGetItem left unprocessed (throttled) before the step gives up."""
_UNPROCESSED_KEYS_BACKOFF = Retry()


class _Guarded:
    """The DynamoDB client, with throttling and connection failures translated into the domain's StoreUnavailable."""

    def __init__(self, client: Any) -> None:
        self._client = client

    def __getattr__(self, name: str) -> Callable[..., Any]:
        operation = getattr(self._client, name)

        @functools.wraps(operation)
        def guarded(**kwargs: Any) -> Any:
            try:
                return operation(**kwargs)
            except ClientError as error:
                code = error_code(error)
                if code in TRANSIENT_ERROR_CODES:
                    raise StoreUnavailable(f"DynamoDB {name}: {code}") from error
                if code == "TransactionConflictException":
                    # A single-item write on an item that a transaction in flight holds: nothing was written.
                    raise WriteConflict(f"DynamoDB {name}: {code}") from error
                raise
            except BotoCoreError as error:
                raise StoreUnavailable(f"DynamoDB {name}: {type(error).__name__}") from error

        return guarded


class Table:
    """One DynamoDB table, named once; its requests all go through self._db."""

    def __init__(self, client: Any, name: str) -> None:
        self._db = _Guarded(client)
        self.name = name

    # -- reads (strongly consistent) ---------------------------------------------------------------------

    def get(self, key: Item) -> dict[str, Any] | None:
        response = self._db.get_item(TableName=self.name, Key=key, ConsistentRead=True)
        return plain(response.get("Item"))

    def get_many(self, keys: Sequence[Item]) -> list[dict[str, Any] | None]:
        """One BatchGetItem, in the order of `keys` (None where there is no item). Unprocessed keys are asked for
        again after a jittered, growing pause, as DynamoDB asks ("we strongly recommend that you use an exponential
        backoff algorithm"), a bounded number of times."""
        pending = list(keys)
        found: dict[tuple[str, str], dict[str, Any]] = {}
        for attempt in range(UNPROCESSED_KEYS_ATTEMPTS + 1):
            if not pending:
                break
            if attempt:
                _UNPROCESSED_KEYS_BACKOFF.backoff(attempt)
            response = self._db.batch_get_item(RequestItems={self.name: {"Keys": pending, "ConsistentRead": True}})
            for item in response.get("Responses", {}).get(self.name, []):
                read = plain(item)
                assert read is not None
                found[(read[PK], read[SK])] = read
            pending = response.get("UnprocessedKeys", {}).get(self.name, {}).get("Keys", [])
        if pending:
            raise StoreUnavailable(f"DynamoDB batch_get_item: {len(pending)} keys still unprocessed")
        return [found.get((key[PK]["S"], key[SK]["S"])) for key in keys]

    def query(self, limit: int, **arguments: Any) -> list[dict[str, Any]]:
        """Up to `limit` items that a Query with these arguments finds, page after page."""
        found: list[dict[str, Any]] = []
        arguments["TableName"] = self.name
        while len(found) < limit:
            page = self._db.query(**arguments)
            found.extend(plain(item) or {} for item in page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                break
            arguments["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        return found

    def query_page(self, **arguments: Any) -> tuple[list[dict[str, Any]], Item | None]:
        """One page of a Query: its items, and the key the next page starts after (None: no more)."""
        page = self._db.query(TableName=self.name, **arguments)
        return [plain(item) or {} for item in page.get("Items", [])], page.get("LastEvaluatedKey")

    # -- writes ------------------------------------------------------------------------------------------

    def transaction(self, what: str) -> Transaction:
        """A unit of work on this table; `what` names it in the errors it raises."""
        return Transaction(self._db, self.name, what)

    def put_if(self, item: Item, condition: str, **expression: Any) -> bool:
        """PutItem under a condition: False (nothing written) when the condition did not hold."""
        return _held(
            lambda: self._db.put_item(TableName=self.name, Item=item, ConditionExpression=condition, **expression)
        )

    def update_if(self, key: Item, update: str, condition: str, **expression: Any) -> bool:
        """UpdateItem under a condition: False (nothing written) when the condition did not hold."""
        return _held(
            lambda: self._db.update_item(
                TableName=self.name, Key=key, UpdateExpression=update, ConditionExpression=condition, **expression
            )
        )

    def delete_if(self, key: Item, condition: str, **expression: Any) -> bool:
        """DeleteItem under a condition: False (nothing deleted) when the condition did not hold."""
        return _held(
            lambda: self._db.delete_item(TableName=self.name, Key=key, ConditionExpression=condition, **expression)
        )


def _held(write: Callable[[], object]) -> bool:
    """Whether a conditional single-item write's condition held (it was applied); ConditionalCheckFailedException
    becomes False here, so that no caller ever sees it."""
    try:
        write()
    except ClientError as error:
        if error_code(error) == "ConditionalCheckFailedException":
            return False
        raise
    return True
