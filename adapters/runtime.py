"""Composition root of the Lambda functions: settings validated at cold start, clients created once per
container, the credit service wired to its adapters."""

from __future__ import annotations

import functools
import os
from datetime import datetime

import boto3
from botocore.config import Config
from pydantic import BaseModel, ConfigDict, Field

from adapters.clock import SystemClock
from adapters.dynamodb import DynamoCreditStore
from adapters.sns import SnsNotifier
from domain.ports import Clock
from domain.services import CreditService


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    table_name: str = Field(min_length=3, validation_alias="TABLE_NAME")
    alerts_topic_arn: str = Field(min_length=1, validation_alias="ALERTS_TOPIC_ARN")


class _ClockSlot:
    """The clock every service reads; the system clock unless the local emulator installs its own."""

    def __init__(self) -> None:
        self.clock: Clock = SystemClock()

    def now(self) -> datetime:
        return self.clock.now()


clock_slot = _ClockSlot()

# Short timeouts and one retry: a step must fail fast enough for the workflow to retry it, and compensate, within
# API Gateway's 29 s (functions time out after 2 s; see tests/unit/test_time_budget.py).
_CLIENT_CONFIG = Config(retries={"mode": "standard", "max_attempts": 2}, connect_timeout=1, read_timeout=1)


@functools.cache
def settings() -> Settings:
    return Settings.model_validate(dict(os.environ))


@functools.cache
def credit_service() -> CreditService:
    config = settings()
    store = DynamoCreditStore(boto3.client("dynamodb", config=_CLIENT_CONFIG), config.table_name)
    notifier = SnsNotifier(boto3.client("sns", config=_CLIENT_CONFIG), config.alerts_topic_arn)
    return CreditService(store, clock_slot, notifier)
