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
ASL_FILES = sorted((ROOT / "statemachines").glob("*.asl.json"))


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


def test_a_function_times_out_no_later_than_the_task_that_waits_for_it() -> None:
    # Otherwise a task would give up on an invocation still running, and the worst case above would not hold.
    stack = load_stack()
    by_arn = {spec.arn: spec for spec in stack.functions.values()}
    too_slow = []
    for machine in stack.state_machines.values():
        for name, state in json.loads(machine.definition)["States"].items():
            if state["Type"] == "Task" and by_arn[state["Resource"]].timeout_seconds > state["TimeoutSeconds"]:
                too_slow.append(f"{machine.logical_id}.{name}")

    assert too_slow == []
