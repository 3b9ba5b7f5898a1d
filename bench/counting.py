"""Counts the DynamoDB requests the functions send, by instrumenting botocore in this process (the emulator runs
the handlers in-process, so every request they make goes through BaseClient._make_api_call here)."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from botocore.client import BaseClient
from botocore.exceptions import ClientError

from bench.report import number


def _retries(response: Mapping[str, Any]) -> int:
    """The client's own retries of one call (standard retry mode): each is one more request on the wire."""
    return int(response.get("ResponseMetadata", {}).get("RetryAttempts", 0))


class DynamoDBRequests:
    """Requests sent to DynamoDB, by operation, from any thread (the emulator runs each workflow in its own)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()

    def record(self, operation: str, requests: int = 1) -> None:
        with self._lock:
            self._counts[operation] += requests

    def take(self) -> Counter[str]:
        """What was counted since the last take, and start again from zero."""
        with self._lock:
            counts, self._counts = self._counts, Counter()
        return counts

    def reset(self) -> None:
        self.take()

    @contextmanager
    def installed(self) -> Iterator[DynamoDBRequests]:
        """Count while inside the block. The class's method is replaced, so clients created before (the
        handlers' clients are created at import) are counted too."""
        original = BaseClient._make_api_call

        def counted(client: BaseClient, operation_name: str, api_params: dict[str, Any]) -> Any:
            if client.meta.service_model.service_name != "dynamodb":
                return original(client, operation_name, api_params)
            requests = 1
            try:
                response = original(client, operation_name, api_params)
                requests += _retries(response)
                return response
            except ClientError as error:  # a refused condition is a request too, and may have been retried
                requests += _retries(error.response)
                raise
            finally:
                self.record(operation_name, requests)

        setattr(BaseClient, "_make_api_call", counted)  # noqa: B010  # replacing botocore's method
        try:
            yield self
        finally:
            setattr(BaseClient, "_make_api_call", original)  # noqa: B010


def describe(counts: Mapping[str, int], decisions: int) -> str:
    """Per decision, by operation: 'BatchGetItem 1, TransactWriteItems 2'."""
    return ", ".join(f"{operation} {number(count / decisions)}" for operation, count in sorted(counts.items()))


def per_decision(counts: Mapping[str, int], decisions: int) -> float:
    return sum(counts.values()) / decisions
