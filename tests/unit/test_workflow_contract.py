"""The workflows and the domain agree: a business outcome is data, a fault is an error.

A step answers every business outcome (functions/common/errors.py), so the workflows route on answers with Choice
states and end SUCCEEDED; what they name in Retry and Catch are faults only: the Lambda service's and Step
Functions' errors and the domain's transient ones (a Lambda's error name in Step Functions is its exception's class
name). Here the ASL files are read as data; what the handlers do is tests/unit/test_answers.py's, run.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import pytest

import domain.errors
from domain.errors import REJECTIONS, DomainError, WriteContended
from emulator.template import ROOT, load_stack
from functions.common.errors import ANSWERED

ASL_FILES = sorted(
    set((ROOT / "statemachines").glob("*.asl.json")) - {ROOT / "statemachines" / "audit_every_org.asl.json"}
)
"""The workflows the API starts (the daily audit's, scheduled, answers no client: tests/unit/test_template.py)."""
SOURCE_DIRECTORIES = ("domain", "functions", "adapters")
DOMAIN_ERROR_NAMES = frozenset(
    name
    for name, value in vars(domain.errors).items()
    if inspect.isclass(value) and issubclass(value, Exception) and value.__module__ == domain.errors.__name__
)
REJECTION_NAMES = frozenset(error.__name__ for error in REJECTIONS)
TRANSIENT = WriteContended.__name__


# -- the workflows as data ---------------------------------------------------------------------------------


def _states(document: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every state, including those nested in Parallel branches and Map iterators."""
    for name, state in document.get("States", {}).items():
        yield name, state
        for branch in state.get("Branches", []):
            yield from _states(branch)
        for key in ("Iterator", "ItemProcessor"):
            if key in state:
                yield from _states(state[key])


def _named_errors(path: Path) -> list[tuple[str, str, str]]:
    """(state, Retry|Catch, error name) for every ErrorEquals entry of the workflow."""
    document = json.loads(path.read_text(encoding="utf-8"))
    return [
        (state_name, kind, error)
        for state_name, state in _states(document)
        for kind in ("Retry", "Catch")
        for rule in state.get(kind, [])
        for error in rule["ErrorEquals"]
    ]


def _matches(error_equals: list[str], error: str) -> bool:
    return (
        error in error_equals
        or "States.ALL" in error_equals
        or ("States.TaskFailed" in error_equals and not error.startswith("States."))
    )


@dataclass(frozen=True)
class Ending:
    path: tuple[str, ...]
    state: dict[str, Any]


def _route(states: dict[str, Any], task: str, error: str) -> Ending | None:
    """Where an error raised by `task` leads once retries are spent; None when no Catch handles it."""
    catcher = next((rule for rule in states[task].get("Catch", []) if _matches(rule["ErrorEquals"], error)), None)
    if catcher is None:
        return None
    path, current = [task], catcher["Next"]
    for _ in range(len(states) + 1):
        path.append(current)
        state = states[current]
        kind = state["Type"]
        if kind in ("Fail", "Succeed") or state.get("End"):
            return Ending(tuple(path), state)
        # A fault leaves no answer for a Choice to route on (its Default); a Task or a Pass goes on to its Next
        current = state["Default"] if kind == "Choice" else state["Next"]
    raise AssertionError(f"the route of {error} from {task} loops: {path}")


@dataclass(frozen=True)
class Task:
    machine: str
    state: str
    function: str
    definition: dict[str, Any] = field(compare=False, repr=False)

    @property
    def spec(self) -> dict[str, Any]:
        state: dict[str, Any] = self.definition["States"][self.state]
        return state

    def retries(self, error: str) -> bool:
        return any(_matches(rule["ErrorEquals"], error) for rule in self.spec.get("Retry", []))

    def __str__(self) -> str:
        return f"{self.machine}.{self.state}"


@cache
def _tasks() -> tuple[Task, ...]:
    stack = load_stack()
    function_by_arn = {spec.arn: name for name, spec in stack.functions.items()}
    tasks = []
    for machine, spec in stack.state_machines.items():
        definition = json.loads(spec.definition)
        for state_name, state in definition["States"].items():
            if state["Type"] == "Task":
                tasks.append(Task(machine, state_name, function_by_arn[state["Resource"]], definition))
    return tuple(tasks)


# -- the contract ------------------------------------------------------------------------------------------


def test_the_domain_errors_are_domain_error_classes() -> None:
    assert {error.__name__ for error in REJECTIONS} <= DOMAIN_ERROR_NAMES
    assert all(issubclass(getattr(domain.errors, name), DomainError) for name in DOMAIN_ERROR_NAMES)


def test_the_rejections_are_exactly_the_errors_answered_with_a_4xx() -> None:
    # REJECTIONS is what the rest of this contract checks; an error missing from it would go unchecked.
    leaves = {name for name in DOMAIN_ERROR_NAMES if not getattr(domain.errors, name).__subclasses__()}
    answered_4xx = {name for name in leaves if 400 <= (getattr(domain.errors, name).http_status or 0) < 500}

    assert answered_4xx == REJECTION_NAMES
    assert leaves - REJECTION_NAMES == {TRANSIENT, "StoreUnavailable"}  # retried, then a 503 from the workflow


def test_each_rejection_answers_the_status_of_its_rule() -> None:
    by_status: dict[int | None, set[str]] = {}
    for error in REJECTIONS:
        by_status.setdefault(error.http_status, set()).add(error.__name__)

    assert by_status == {
        400: {"InvalidRequest"},
        402: {"NoActivePlan", "TrialExpired", "OrgLimitReached", "UserLimitReached"},
        404: {"EnquiryNotFound"},
        409: {
            "WindowClosed",
            "EnquiryRefunded",
            "TrialNotAvailable",
            "EnquiryChargedToAnotherUser",
            "EnquiryInProgress",
            "TopUpNotAvailable",
            "TopUpIdReused",
        },
    }


@pytest.mark.parametrize("path", ASL_FILES, ids=lambda path: path.name)
def test_every_error_a_workflow_names_is_a_step_functions_error_or_a_domain_error(path: Path) -> None:
    named = _named_errors(path)

    unknown = [
        f"{state}.{kind}: {error}"
        for state, kind, error in named
        if not error.startswith(("States.", "Lambda.", "Sandbox.")) and error not in DOMAIN_ERROR_NAMES
    ]

    assert named, f"{path.name} names no errors at all"
    assert unknown == [], f"not an exception class of domain/errors.py (renamed?): {unknown}"


def test_an_unexpected_error_in_the_saga_ends_as_service_unavailable_after_compensating() -> None:
    use_credit = next(task.definition for task in _tasks() if task.machine == "UseCreditStateMachine")
    states = use_credit["States"]

    for step in ("ReserveOrgCredit", "ReserveUserCredit"):
        ending = _route(states, step, "RuntimeError")
        assert ending is not None, step
        assert "ReleaseOrgCredit" in ending.path, ending.path
        assert ending.state.get("Error") == "ServiceUnavailable", ending.path
        assert json.loads(ending.state["Cause"])["httpStatus"] == 503


# -- notifications never change a decision -----------------------------------------------------------------


def _notify_tasks() -> list[Task]:
    return [task for task in _tasks() if task.function == "NotifyFunction"]


def test_the_use_credit_workflow_notifies_after_a_charge_and_after_an_org_limit_denial() -> None:
    assert sorted(str(task) for task in _notify_tasks()) == [
        "UseCreditStateMachine.Notify",
        "UseCreditStateMachine.NotifyLimitReached",
    ]


@pytest.mark.parametrize("task", _notify_tasks(), ids=str)
def test_a_failing_notify_step_carries_on_to_where_its_success_leads_with_the_decision_untouched(task: Task) -> None:
    # A notification that cannot be sent must not turn a charge into a 503 or change a refusal's error document.
    (catcher,) = task.spec["Catch"]

    assert catcher["ErrorEquals"] == ["States.ALL"]
    assert catcher["Next"] == task.spec["Next"]
    assert catcher["ResultPath"] not in ("$", "$.error", "$.charge", "$.org", "$.user")
    assert task.spec["ResultPath"] not in ("$", "$.error", "$.charge", "$.org", "$.user")


@pytest.mark.parametrize("task", _notify_tasks(), ids=str)
def test_a_notify_step_is_retried_only_for_failures_of_the_lambda_service(task: Task) -> None:
    # The step sends at most once per claim; a retry is for an invocation that may not have run at all.
    retried = {error for rule in task.spec.get("Retry", []) for error in rule["ErrorEquals"]}

    assert retried
    assert all(error.startswith("Lambda.") for error in retried), retried


TRANSIENT_ERRORS = frozenset(
    {
        "Lambda.ServiceException",
        "Lambda.AWSLambdaException",
        "Lambda.SdkClientException",
        "Lambda.TooManyRequestsException",
        "Lambda.ClientExecutionTimeoutException",
        "Lambda.Unknown",
        "Sandbox.Timedout",
        "States.Timeout",
        "WriteContended",
        "StoreUnavailable",
    }
)
"""What a step may be retried for: the Lambda service failing or refusing the invocation, a timeout, a lost race out
of time, a store that did not answer. Never a business outcome, nor a blanket States.ALL that would take one."""


@pytest.mark.parametrize("task", _tasks(), ids=str)
def test_a_retry_names_only_transient_errors(task: Task) -> None:
    retried = {error for rule in task.spec.get("Retry", []) for error in rule["ErrorEquals"]}

    assert retried <= TRANSIENT_ERRORS, sorted(retried - TRANSIENT_ERRORS)
    assert not retried & REJECTION_NAMES


@pytest.mark.parametrize("task", _tasks(), ids=str)
def test_a_catch_takes_every_fault_and_never_names_a_business_outcome(task: Task) -> None:
    caught = [rule["ErrorEquals"] for rule in task.spec.get("Catch", [])]

    assert caught == [["States.ALL"]], caught


@pytest.mark.parametrize("path", ASL_FILES, ids=lambda path: path.name)
def test_a_workflow_fails_only_as_service_unavailable_and_routes_on_answers(path: Path) -> None:
    document = json.loads(path.read_text(encoding="utf-8"))
    fails = [state for _, state in _states(document) if state["Type"] == "Fail"]
    tested = [rule.get("Variable") for _, state in _states(document) for rule in state.get("Choices", [])]

    # A Fail state is a fault the client is answered 503 for (api/source/execution-result.vtl reads this name)
    assert [state.get("Error") for state in fails] == ["ServiceUnavailable"]
    # A Choice routes on a step's answer (its httpStatus, its code) or its result, never on an error's name
    assert not [variable for variable in tested if str(variable).endswith((".Error", ".Cause"))]


def test_the_saga_routes_on_the_field_that_makes_a_result_an_answer() -> None:
    # The one field the edge writes into every answer (functions/common/errors.py) is the one the Choice states test
    # and the response template reads (api/source/execution-result.vtl): written once, read by name in ASL and VTL.
    use_credit = next(task.definition for task in _tasks() if task.machine == "UseCreditStateMachine")
    present = {
        rule["Variable"]
        for _, state in _states(use_credit)
        for rule in state.get("Choices", [])
        if rule.get("IsPresent") is True
    }
    template = (ROOT / "api" / "source" / "execution-result.vtl").read_text(encoding="utf-8")

    assert present == {f"$.{step}.{ANSWERED}" for step in ("charge", "org", "user")}
    assert f"$out.{ANSWERED}" in template
