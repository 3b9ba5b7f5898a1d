"""The composition root takes its dependencies as parameters: a handler is built from what it is given (no module
reload, no global to swap), and production's defaults are checked at cold start."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from adapters.clock import SettableClock
from adapters.runtime import Settings, SettingsError, bootstrap
from domain.services import CreditService
from functions.validate.app import handler as validate_handler
from tests.fakes import lambda_context

BEFORE = datetime(2025, 3, 14, 12, 30, tzinfo=UTC)
AFTER = datetime(2025, 4, 1, 0, 0, tzinfo=UTC)


def _frozen(instant: datetime) -> SettableClock:
    clock = SettableClock()
    clock.freeze(instant)
    return clock


def _charge_event() -> dict[str, Any]:
    def encoded(text: str) -> str:
        return base64.b64encode(text.encode()).decode()

    body = json.dumps({"enquiryId": "enq-1", "userId": "alice"})
    return {"raw": {"orgId": encoded("acme"), "userId": None, "body": encoded(body)}, "executionName": "r-1"}


def test_two_handlers_built_with_different_clocks_each_decide_at_their_own() -> None:
    # Given the Validate step built twice, each with a clock frozen at a different instant
    before, after = validate_handler(_frozen(BEFORE)), validate_handler(_frozen(AFTER))

    # When both validate the same request
    decided = [built(_charge_event(), lambda_context("ValidateFunction"))["decidedAt"] for built in (before, after)]

    # Then each decided at its own clock's time: nothing is shared between them
    assert decided == ["2025-03-14T12:30:00Z", "2025-04-01T00:00:00Z"]


def test_bootstrap_builds_the_service_on_the_clients_and_clock_it_is_given() -> None:
    # Given clients and a clock of the caller's own (no AWS session is needed for them)
    dynamodb, sns, clock = object(), object(), _frozen(BEFORE)

    # When the service is bootstrapped with them
    service = bootstrap(Settings("table", "arn:aws:sns:eu-west-2:123456789012:alerts"), dynamodb, sns, clock)

    # Then it is a credit service on that clock
    assert isinstance(service, CreditService)
    assert service.now() == BEFORE


def test_bootstrap_without_the_table_in_the_environment_fails_at_cold_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TABLE_NAME", raising=False)
    monkeypatch.setenv("ALERTS_TOPIC_ARN", "arn:aws:sns:eu-west-2:123456789012:alerts")

    with pytest.raises(SettingsError, match="TABLE_NAME"):
        bootstrap(dynamodb=object(), sns=object())
