"""Composition root of the Lambda functions: settings checked at cold start, clients created once per container,
the credit service wired to its adapters.

Cold start matters on the request path, so this imports only what every function needs (no pydantic, no X-Ray
SDK) and creates the SNS client only when a notice is first published."""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass

from adapters.clients import LazyClient, aws_session, client
from adapters.clock import clock_slot
from adapters.dynamodb import DynamoCreditStore
from adapters.sns import SnsNotifier
from domain.services import CreditService


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


@functools.cache
def settings() -> Settings:
    return Settings.from_environment()


@functools.cache
def credit_service() -> CreditService:
    config = settings()
    session = aws_session()
    store = DynamoCreditStore(client(session, "dynamodb"), config.table_name)
    notifier = SnsNotifier(LazyClient(session, "sns"), config.alerts_topic_arn)
    return CreditService(store, clock_slot, notifier)
