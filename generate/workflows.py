"""The workflows that run one function (statemachines/source/one_task.yaml names them) from one definition,
statemachines/source/one_task.json, each filled with what sets it apart."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from generate.placeholders import fill, names

STATEMACHINES = Path(__file__).resolve().parent.parent / "statemachines"
SOURCE = STATEMACHINES / "source"


def definitions() -> dict[str, dict[str, Any]]:
    """Each one-task workflow's definition by its name (statemachines/<name>.asl.json)."""
    template = json.loads((SOURCE / "one_task.json").read_text(encoding="utf-8"))
    workflows: dict[str, dict[str, Any]] = yaml.safe_load((SOURCE / "one_task.yaml").read_text(encoding="utf-8"))
    found: dict[str, dict[str, Any]] = {}
    for name, values in workflows.items():
        if set(values) != names(template):
            raise KeyError(f"{name} gives {sorted(values)}; one_task.json asks for {sorted(names(template))}")
        found[name] = fill(template, values)
    return found


def outputs() -> dict[Path, str]:
    return {
        STATEMACHINES / f"{name}.asl.json": json.dumps(definition, indent=2) + "\n"
        for name, definition in definitions().items()
    }
