"""Composition root of the Lambda functions: `bootstrap` wires the credit service to its adapters.

Every dependency is a parameter whose default is production's: settings from the environment (checked at cold
start), clients from one botocore session (adapters/clients.py; the SNS client created only when a notice is first
published), the system clock. Each function's module calls it once, at cold start, so clients are created once per
container; the emulator and tests call it with their own clock (or clients), and build handlers from it.

Cold start matters on the request path, so this imports only what every function needs (no pydantic, no X-Ray
SDK)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from adapters.clients import container_clients
from adapters.clock import SystemClock
from adapters.dynamodb import DynamoCreditStore
from adapters.sns import SnsNotifier
from domain.ports import Clock
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


def bootstrap(
    settings: Settings | None = None, dynamodb: Any = None, sns: Any = None, clock: Clock | None = None
) -> CreditService:
    settings = settings or Settings.from_environment()
    if dynamodb is None or sns is None:
        default_dynamodb, default_sns = container_clients()
        dynamodb = dynamodb if dynamodb is not None else default_dynamodb
        sns = sns if sns is not None else default_sns
    store = DynamoCreditStore(dynamodb, settings.table_name)
    notifier = SnsNotifier(sns, settings.alerts_topic_arn)
    return CreditService(store, clock or SystemClock(), notifier)
