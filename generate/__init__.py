"""Writes the files that are generated from one source: api/openapi.yaml, the one-task workflows and the
functions' commands (functions/common/commands.py and command_schemas.json, from domain/commands.py), and
the caller policies in template.yaml (from api/source/openapi.yaml's x-callers), and its alarms (from its own
functions and workflows, generate/operations.py).

`make generate` (python -m generate) writes them; tests/unit/test_generated.py fails while a committed file is not
what the generator writes from its source. Each output is a pure function of the files in the repository.
"""

from __future__ import annotations

from pathlib import Path

from generate import api, callers, commands, operations, workflows


def outputs() -> dict[Path, str]:
    """Every generated file and the text it should have."""
    template = {callers.TEMPLATE: operations.template_text(callers.template_text())}
    return api.outputs() | template | commands.outputs() | workflows.outputs()
