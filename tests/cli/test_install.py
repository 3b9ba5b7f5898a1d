"""`pip install .` (or pipx) from a checkout gives a working `credits`: pyproject.toml declares what the command
imports when it runs, in ranges that hold the versions requirements*.txt pin (which make installs, then the project
with --no-deps)."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path
from typing import Any

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
PINS = ("requirements.txt", "requirements-dev.txt")

# Runs `credits` once (a balance from a port where nothing listens: every import a request needs), and prints the
# top-level modules it imported beyond what the interpreter had at start.
IMPORTS = """
import json, sys
before = set(sys.modules)
sys.argv = ["credits", "--endpoint", "http://127.0.0.1:9", "balance", "acme"]
from cli.__main__ import main
try:
    main()
except SystemExit:
    pass
print(json.dumps(sorted({name.partition(".")[0] for name in set(sys.modules) - before})))
"""


def _project() -> dict[str, Any]:
    project: dict[str, Any] = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return project


def _declared() -> list[Requirement]:
    return [Requirement(line) for line in _project().get("dependencies", [])]


def _installed_with(requirements: list[Requirement]) -> set[str]:
    """The distributions that installing `requirements` brings: them and what they require, in this environment."""
    found: set[str] = set()
    waiting = list(requirements)
    while waiting:
        requirement = waiting.pop()
        name = canonicalize_name(requirement.name)
        if name in found or (requirement.marker is not None and not requirement.marker.evaluate({"extra": ""})):
            continue
        found.add(name)
        waiting += [Requirement(line) for line in metadata.requires(requirement.name) or []]
    return found


OPTIONAL = {"certifi": "botocore's CA bundle when it is installed, else botocore's own (botocore.httpsession)"}
"""Distributions the command imports when they are there, and runs without."""


def _stdlib(module: str) -> bool:
    return module in sys.stdlib_module_names or module.startswith("_sysconfigdata")


def test_every_distribution_credits_imports_is_declared() -> None:
    # Given the top-level modules a run of `credits` imports, and the distributions they come from
    run = subprocess.run([sys.executable, "-c", IMPORTS], cwd=ROOT, capture_output=True, text=True, check=True)
    modules = [module for module in json.loads(run.stdout.splitlines()[-1]) if not _stdlib(module)]
    owners = metadata.packages_distributions()
    imported = {canonicalize_name(owner) for module in modules for owner in owners.get(module, [])}
    assert {"botocore", "typer", "rich"} <= imported

    # Then pip install . brings each of them, and the command imports nothing else of the checkout than cli
    assert imported - _installed_with(_declared()) - set(OPTIONAL) - {_project()["name"]} == set()
    assert [module for module in modules if module not in owners and module != "cli"] == []


def test_the_pinned_versions_are_within_the_declared_ranges() -> None:
    pinned = {}
    for name in PINS:
        for line in (ROOT / name).read_text(encoding="utf-8").splitlines():
            requirement = line.partition("#")[0].strip()
            if "==" in requirement:
                package, _, version = requirement.partition("==")
                pinned[canonicalize_name(package.partition("[")[0])] = version.strip()

    declared = _declared()
    assert declared
    outside = {
        str(requirement): pinned.get(canonicalize_name(requirement.name))
        for requirement in declared
        if pinned.get(canonicalize_name(requirement.name)) not in requirement.specifier
    }
    assert outside == {}
