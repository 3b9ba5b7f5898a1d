"""Every workflow, as CloudFormation would deploy it, passes asl-validator: a judge of the ASL we did not write.

The definitions are taken with their DefinitionSubstitutions resolved (emulator.template resolves them as
CloudFormation does, to ARNs of the same shape), so the validator sees the Resource ARNs, not `${...}`.
asl-validator is pinned in tools/asl-validator/package-lock.json; `make judges` installs it under .venv/asl-validator.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from emulator.template import ROOT, load_stack

VALIDATOR = ROOT / ".venv" / "asl-validator" / "node_modules" / ".bin" / "asl-validator"
"""Installed by `make judges` from tools/asl-validator/package-lock.json into .venv/ (out of the Lambda packages)."""
STATE_MACHINES = load_stack().state_machines


def _validate(definition: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    if not VALIDATOR.exists():
        pytest.fail(f"asl-validator is not installed at {VALIDATOR}: run `make judges` (make test does)")
    path = tmp_path / "definition.asl.json"
    path.write_text(definition, encoding="utf-8")
    return subprocess.run(  # the pinned validator, on a file this test wrote
        [str(VALIDATOR), "--json-path", str(path)], capture_output=True, text=True, timeout=60, check=False
    )


@pytest.mark.parametrize("machine", sorted(STATE_MACHINES))
def test_every_workflow_with_its_substitutions_resolved_passes_asl_validator(machine: str, tmp_path: Path) -> None:
    # Given the definition as CloudFormation would resolve it
    definition = STATE_MACHINES[machine].definition
    assert "${" not in definition, f"{machine}: a DefinitionSubstitution is left unresolved"

    # When asl-validator judges it (ARN and path checks on)
    result = _validate(definition, tmp_path)

    # Then it finds nothing wrong
    assert result.returncode == 0, f"{machine}:\n{result.stdout}{result.stderr}"
    assert "is valid" in result.stdout


def _broken(definition: dict[str, Any]) -> dict[str, Any]:
    """The definition with its first Task's Next pointing nowhere."""
    broken = json.loads(json.dumps(definition))
    for state in broken["States"].values():
        if state["Type"] == "Task" and "Next" in state:
            state["Next"] = "NoSuchState"
            return broken
    raise AssertionError("no Task with a Next to break")


def test_asl_validator_refuses_a_workflow_whose_transition_leads_nowhere(tmp_path: Path) -> None:
    # Given the use-credit workflow with one transition to a state that does not exist
    definition = _broken(json.loads(STATE_MACHINES["UseCreditStateMachine"].definition))

    # When asl-validator judges it
    result = _validate(json.dumps(definition), tmp_path)

    # Then it refuses it, naming the missing target (the judge can say no)
    assert result.returncode != 0
    assert "NoSuchState" in result.stdout + result.stderr
