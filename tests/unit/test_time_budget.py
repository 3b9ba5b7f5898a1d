"""Every workflow decides, compensation included, inside API Gateway's 29 s integration timeout, whatever fails.

The worst case of a path is every task on it using all its attempts, each attempt running to its TimeoutSeconds,
with the longest delay between attempts. If it fitted only on average, a client could be told 504 while the
execution went on to charge."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from emulator.template import load_stack

API_GATEWAY_TIMEOUT_SECONDS = 29
MARGIN_SECONDS = 2
ROOT = Path(__file__).resolve().parents[2]
ASL_FILES = sorted(
    set((ROOT / "statemachines").glob("*.asl.json")) - {ROOT / "statemachines" / "audit_every_org.asl.json"}
)
"""The workflows the API starts (the daily audit's, scheduled, answers no client: tests/unit/test_template.py)."""


def _worst_task_seconds(task: dict[str, Any]) -> float:
    attempts_seconds = float(task["TimeoutSeconds"])
    total = attempts_seconds
    for retrier in task.get("Retry", []):
        interval = float(retrier.get("IntervalSeconds", 1))
        for attempt in range(int(retrier.get("MaxAttempts", 3))):
            delay = interval * float(retrier.get("BackoffRate", 2)) ** attempt
            total += min(delay, float(retrier.get("MaxDelaySeconds", delay))) + attempts_seconds
    return total


def _next_states(state: dict[str, Any]) -> list[str]:
    following = [state["Next"]] if "Next" in state else []
    following += [catcher["Next"] for catcher in state.get("Catch", [])]
    following += [choice["Next"] for choice in state.get("Choices", [])]
    following += [state["Default"]] if "Default" in state else []
    return following


def _worst_path(states: dict[str, Any], name: str, seen: tuple[str, ...] = ()) -> tuple[float, tuple[str, ...]]:
    assert name not in seen, f"a cycle through {name}: the worst case would be unbounded"
    state = states[name]
    own = _worst_task_seconds(state) if state["Type"] == "Task" else 0.0
    paths = [_worst_path(states, following, (*seen, name)) for following in _next_states(state)]
    longest, path = max(paths, default=(0.0, ()))
    return own + longest, (name, *path)


@pytest.mark.parametrize("path", ASL_FILES, ids=lambda path: path.name)
def test_the_slowest_possible_execution_ends_before_api_gateway_gives_up(path: Path) -> None:
    definition = json.loads(path.read_text(encoding="utf-8"))

    worst, states = _worst_path(definition["States"], definition["StartAt"])

    assert worst <= API_GATEWAY_TIMEOUT_SECONDS - MARGIN_SECONDS, f"{worst} s along {' -> '.join(states)}"


@pytest.mark.parametrize("path", ASL_FILES, ids=lambda path: path.name)
def test_the_execution_itself_times_out_before_api_gateway(path: Path) -> None:
    definition = json.loads(path.read_text(encoding="utf-8"))

    assert definition["TimeoutSeconds"] < API_GATEWAY_TIMEOUT_SECONDS


INVOCATION_SECONDS = 1
"""What a task gives an invocation beyond its function's Timeout: a cold start's Init, which Lambda does not count
against the Timeout ("The Init phase is limited to 10 seconds", "The function's timeout setting limits the duration
of the entire Invoke phase": Lambda execution environment lifecycle), but which the task's TimeoutSeconds does
count, from LambdaFunctionStarted. This stack's cold inits measure under half a second (docs/benchmark.md)."""


def test_every_task_waits_for_its_function_exactly_its_timeout_and_a_cold_start() -> None:
    # A task that gave up sooner would retry an invocation still running (two attempts of one step at once); one that
    # waited longer would only add to the worst case above.
    stack = load_stack()
    by_arn = {spec.arn: spec for spec in stack.functions.values()}
    disagree = {}
    for machine in stack.state_machines.values():
        for name, state in json.loads(machine.definition)["States"].items():
            if state["Type"] != "Task":
                continue
            function = by_arn[state["Resource"]]
            if state["TimeoutSeconds"] != function.timeout_seconds + INVOCATION_SECONDS:
                disagree[f"{machine.logical_id}.{name}"] = (state["TimeoutSeconds"], function.timeout_seconds)

    assert disagree == {}, "task TimeoutSeconds, function Timeout"
