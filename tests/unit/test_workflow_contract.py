"""The workflows and the domain agree on error names.

A Lambda's error name in Step Functions is its exception's class name, so the names in Retry/Catch are the
domain's exception names (domain/errors.py). Here the ASL files are read as data, and which rejections each
handler can raise is read from the source: a function can raise what it constructs, and what the functions it
calls can raise (calls are resolved by name, which over- rather than under-approximates).
"""

from __future__ import annotations

import ast
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

ASL_FILES = sorted((ROOT / "statemachines").glob("*.asl.json"))
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

    @property
    def failed(self) -> bool:
        return self.state.get("Type") == "Fail"

    def reports(self, error: str) -> bool:
        """The Fail state answers with this error's own name (and the error document as the cause)."""
        return self.failed and (self.state.get("Error") == error or "ErrorPath" in self.state)


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
        if kind == "Choice":
            chosen = next(
                (
                    rule["Next"]
                    for rule in state["Choices"]
                    if rule.get("Variable") == "$.error.Error" and rule.get("StringEquals") == error
                ),
                None,
            )
            current = chosen or state["Default"]
        else:  # Task (compensation steps succeed on this path) and Pass
            current = state["Next"]
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


# -- what the handlers can raise ---------------------------------------------------------------------------


def _called_name(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


@cache
def _calls_by_function() -> dict[tuple[str, str], frozenset[str]]:
    """(module path, function name) -> names it calls (constructing an exception is calling its class), or hands to
    a call."""
    found: dict[tuple[str, str], frozenset[str]] = {}
    for directory in SOURCE_DIRECTORIES:
        for path in sorted((ROOT / directory).rglob("*.py")):
            module = str(path.relative_to(ROOT))
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    names = {_called_name(call) for call in ast.walk(node) if isinstance(call, ast.Call)}
                    # A function or class handed to a call is called (or raised) by it: functools.partial(parse, ...),
                    # an action's `refused=EnquiryAlreadyInLedger` that the transaction raises when it is refused.
                    names |= {
                        argument.id
                        for call in ast.walk(node)
                        if isinstance(call, ast.Call)
                        for argument in [*call.args, *(keyword.value for keyword in call.keywords)]
                        if isinstance(argument, ast.Name)
                    }
                    key = (module, node.name)
                    found[key] = found.get(key, frozenset()) | frozenset(name for name in names if name)
    return found


def _entry(module: str, handler: str) -> str:
    """The function that holds the handler's code: the handler itself, or the factory that builds it
    (`lambda_handler = handler(bootstrap())`), whose body holds the handler it returns."""
    for node in ast.parse((ROOT / module).read_text(encoding="utf-8")).body:
        if isinstance(node, ast.FunctionDef) and node.name == handler:
            return handler
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == handler for t in node.targets):
            assert isinstance(node.value, ast.Call), f"{module}: {handler} is not built by a call"
            built_by = _called_name(node.value)
            assert built_by is not None
            return built_by
    raise AssertionError(f"{module} defines no {handler}")


@cache
def _raisable(function: str) -> frozenset[str]:
    """The domain errors the function's handler can raise."""
    module_name, _, named = load_stack().functions[function].handler.rpartition(".")
    module = module_name.replace(".", "/") + ".py"
    handler = _entry(module, named)
    calls = _calls_by_function()
    by_name: dict[str, set[str]] = {}
    for (_, name), called in calls.items():
        by_name.setdefault(name, set()).update(called)
    reached: set[str] = set()
    pending = list(calls[(module, handler)])
    while pending:
        name = pending.pop()
        if name in reached or name == handler:
            continue
        reached.add(name)
        pending.extend(by_name.get(name, ()))
    return frozenset(reached & DOMAIN_ERROR_NAMES)


def _rejections_of(task: Task) -> list[str]:
    return sorted(_raisable(task.function) & REJECTION_NAMES)


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


def test_the_handler_analysis_sees_the_rejections_the_saga_relies_on() -> None:
    # Guards the analysis itself: if it found nothing, every test below would pass vacuously.
    assert "InvalidRequest" in _raisable("ValidateFunction")
    assert {"NoActivePlan", "TrialExpired", "OrgLimitReached", "EnquiryChargedToAnotherUser"} <= _raisable(
        "ReserveOrgCreditFunction"
    )
    assert {"UserLimitReached", TRANSIENT} <= _raisable("ReserveUserCreditFunction")
    assert {"TopUpIdReused", "TopUpNotAvailable"} <= _raisable("TopUpFunction")
    assert _raisable("ReleaseOrgCreditFunction").isdisjoint(REJECTION_NAMES)


def test_every_rejection_can_be_raised_by_some_handler() -> None:
    raisable = set().union(*(_raisable(task.function) for task in _tasks()))

    assert sorted(REJECTION_NAMES - raisable) == []


@pytest.mark.parametrize("task", _tasks(), ids=str)
def test_every_rejection_a_step_can_raise_reaches_the_client_under_its_own_name(task: Task) -> None:
    # A rejection that fell into the generic States.ALL catch would reach the client as a 503, not a 4xx.
    misrouted = {}
    for error in _rejections_of(task):
        ending = _route(task.definition["States"], task.state, error)
        if ending is None or not ending.reports(error):
            misrouted[error] = None if ending is None else " -> ".join(ending.path)

    assert misrouted == {}


@pytest.mark.parametrize("task", _tasks(), ids=str)
def test_no_step_retries_a_rejection(task: Task) -> None:
    retried = [error for error in _rejections_of(task) if task.retries(error)]

    assert retried == []


def _contended_tasks() -> list[Task]:
    return [task for task in _tasks() if TRANSIENT in _raisable(task.function)]


@pytest.mark.parametrize("task", _contended_tasks(), ids=str)
def test_every_step_that_can_be_contended_retries_the_contention(task: Task) -> None:
    assert task.retries(TRANSIENT)


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


def test_an_org_limit_denial_is_notified_then_rejected_under_its_own_name() -> None:
    use_credit = next(task.definition for task in _tasks() if task.machine == "UseCreditStateMachine")

    ending = _route(use_credit["States"], "ReserveOrgCredit", "OrgLimitReached")

    assert ending is not None
    assert ending.path == ("ReserveOrgCredit", "NotifyLimitReached", "Rejected", "Reject")
    assert ending.reports("OrgLimitReached")


@pytest.mark.parametrize("error", ["NoActivePlan", "TrialExpired", "EnquiryChargedToAnotherUser", "EnquiryInProgress"])
def test_other_refusals_of_the_org_step_are_not_notified(error: str) -> None:
    use_credit = next(task.definition for task in _tasks() if task.machine == "UseCreditStateMachine")

    ending = _route(use_credit["States"], "ReserveOrgCredit", error)

    assert ending is not None
    assert "NotifyLimitReached" not in ending.path
