"""events/ holds the events each function is handed, for `sam local invoke <Function> -e events/<file>.json`: they
are what the workflows send (a scenario on a fresh emulator records them again and must find the files unchanged),
every function has one, and each function runs with each of its events (tests/integration/sample_events.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from functools import cache
from typing import Any

import pytest

from emulator.template import load_stack
from tests.integration.sample_events import EVENTS, ROOT, written

pytestmark = pytest.mark.slow


@cache
def _checked() -> dict[str, Any]:
    """The scenario run again in an emulator of its own (a process of its own: the org ids are the files')."""
    done = subprocess.run(
        [sys.executable, "-m", "tests.integration.sample_events", "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def test_the_sample_events_are_what_the_workflows_send() -> None:
    differences = _checked()["differences"]

    assert differences == {}, "events/ is stale: run `make events`\n" + json.dumps(differences, indent=1)[:3000]


def test_every_function_has_a_sample_event() -> None:
    modules = {spec.handler.split(".")[1] for spec in load_stack().functions.values()}

    assert {stem.split("-", 1)[0] for stem in written()} == modules
    assert all((ROOT / "functions" / module / "app.py").exists() for module in modules)


def test_each_function_runs_with_each_of_its_sample_events() -> None:
    invocations = _checked()["invocations"]

    assert set(invocations) == {path.stem for path in EVENTS.glob("*.json")}
    # Every function's steps are safe to repeat (the workflows retry them): run again once the scenario is over,
    # each answers as it did, and none fails
    assert {stem: outcome for stem, outcome in invocations.items() if outcome != "ok"} == {}
