"""A business outcome is data (functions/common/errors.py): whichever rejection a use case raises inside a step, the
step answers the client's error document, with the request's id; only a fault leaves it as an exception."""

from __future__ import annotations

import base64
import importlib
import json
from pathlib import Path
from typing import Any

import pytest

from domain.errors import (
    REJECTIONS,
    Conflict,
    CreditDenied,
    DomainError,
    InvalidRequest,
    NotRecorded,
    StoreUnavailable,
    WriteContended,
)
from functions.common.errors import ANSWERED
from tests.fakes import lambda_context

REQUEST_ID = "c0f8250e-c48c-4ac0-a03e-73b47f13b40b"


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


class _Raising:
    """A credit service whose every use case raises `error`."""

    def __init__(self, error: Exception) -> None:
        self.error = error

    def __getattr__(self, name: str) -> Any:
        def use_case(*_: object, **__: object) -> None:
            raise self.error

        return use_case


def _example(error: type[DomainError]) -> DomainError:
    if error is InvalidRequest:
        return InvalidRequest("INVALID_FIELD", "credits must be a whole number", "credits")
    return error("as the rule says")


def _every_subclass(family: type[DomainError]) -> list[type[DomainError]]:
    return [error for below in family.__subclasses__() for error in (below, *_every_subclass(below))]


WITH_A_STATUS = tuple(error for error in _every_subclass(DomainError) if error.http_status is not None)
"""Every error a use case may raise that has an HTTP status: the rejections and the families they belong to, which
a use case may raise as themselves (CreditDenied, NotRecorded, Conflict); a new one is covered without a change."""


EVENTS = Path(__file__).resolve().parents[2] / "events"
STEPS = {
    # a step a client's request starts (the command path of every one-task workflow), and the saga's contended steps:
    # each with the sample event the workflow gives it (events/, recorded from the emulator by `make events`)
    "GetBalance": "functions.get_balance.app",
    "ReserveOrgCredit": "functions.reserve_org_credit.app",
    "ReserveUserCredit": "functions.reserve_user_credit.app",
}


def _event(module: str) -> dict[str, Any]:
    recorded: dict[str, Any] = json.loads((EVENTS / f"{module.split('.')[1]}.json").read_text(encoding="utf-8"))
    return recorded | {"requestId": _b64(REQUEST_ID)}


def _factory(module: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The step's handler factory (its module builds production's handler at import, from the environment)."""
    variables = {
        "TABLE_NAME": "t",
        "ALERTS_TOPIC_ARN": "arn:aws:sns:eu-west-2:1:t",
        "POWERTOOLS_METRICS_DISABLED": "true",
    }
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-2")
    return importlib.import_module(module).handler


@pytest.mark.parametrize("step", sorted(STEPS))
@pytest.mark.parametrize("error", WITH_A_STATUS, ids=lambda error: error.__name__)
def test_every_rejection_raised_in_a_use_case_is_answered_not_raised(
    step: str, error: type[DomainError], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a step whose use case raises the rejection
    handler = _factory(STEPS[step], monkeypatch)(_Raising(_example(error)))

    # When the workflow invokes it with the request's id
    answered = handler(_event(STEPS[step]), lambda_context("AFunction"))

    # Then it answers the client's error document: its code, message, status and the request's id
    assert answered == {
        "code": _example(error).code,
        "message": "credits must be a whole number" if error is InvalidRequest else "as the rule says",
        ANSWERED: error.http_status,
        "requestId": REQUEST_ID,
    }
    json.dumps(answered)  # a workflow's data


def test_the_errors_answered_are_every_rejection_and_every_family_with_a_status() -> None:
    # The list the test above runs over is not only the leaves (REJECTIONS): a family raised as itself is answered too
    assert set(REJECTIONS) < set(WITH_A_STATUS)
    assert {CreditDenied, NotRecorded, Conflict} <= set(WITH_A_STATUS)
    assert {WriteContended, StoreUnavailable, DomainError}.isdisjoint(WITH_A_STATUS)


@pytest.mark.parametrize("fault", [WriteContended("lost every race"), StoreUnavailable("throttled"), KeyError("x")])
def test_a_fault_leaves_the_step_as_an_error_for_the_workflow_to_retry_or_fail_on(
    fault: Exception, monkeypatch: pytest.MonkeyPatch
) -> None:
    handler = _factory("functions.get_balance.app", monkeypatch)(_Raising(fault))

    with pytest.raises(type(fault)):
        handler(_event("functions.get_balance.app"), lambda_context("AFunction"))
