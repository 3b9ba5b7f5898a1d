"""Composition root of the Lambda functions: settings checked at cold start, clients created once per container,
the credit service wired to its adapters.

Cold start matters on the request path, so this imports only what every function needs (no pydantic, no X-Ray
SDK) and creates the SNS client only when a notice is first published."""

from __future__ import annotations

import functools
import os
import threading
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.config import Config

from adapters.clock import clock_slot
from adapters.dynamodb import DynamoCreditStore
from adapters.sns import SnsNotifier
from domain.services import CreditService

# Short timeouts and one retry: a step must fail fast enough for the workflow to retry it, and compensate, within
# API Gateway's 29 s (functions time out after 1 to 5 s, template.yaml; see tests/unit/test_time_budget.py).
_CLIENT_CONFIG = Config(retries={"mode": "standard", "total_max_attempts": 2}, connect_timeout=1, read_timeout=1)


class SettingsError(RuntimeError):
    """The function's environment is incomplete: a deployment mistake, reported at cold start."""


@dataclass(frozen=True)
class Settings:
    table_name: str
    alerts_topic_arn: str

    @classmethod
    def from_environment(cls) -> Settings:
        missing = [name for name in ("TABLE_NAME", "ALERTS_TOPIC_ARN") if not os.environ.get(name)]
        if missing:
            raise SettingsError(f"environment variables not set: {', '.join(missing)}")
        return cls(os.environ["TABLE_NAME"], os.environ["ALERTS_TOPIC_ARN"])


class _LazyClient:
    """A boto3 client created at its first use, for clients most invocations never need."""

    def __init__(self, service: str) -> None:
        self._service = service
        self._client: Any = None
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        with self._lock:
            if self._client is None:
                self._client = boto3.client(self._service, config=_CLIENT_CONFIG)
        return getattr(self._client, name)


@functools.cache
def settings() -> Settings:
    return Settings.from_environment()


@functools.cache
def credit_service() -> CreditService:
    config = settings()
    store = DynamoCreditStore(boto3.client("dynamodb", config=_CLIENT_CONFIG), config.table_name)
    notifier = SnsNotifier(_LazyClient("sns"), config.alerts_topic_arn)
    return CreditService(store, clock_slot, notifier)
