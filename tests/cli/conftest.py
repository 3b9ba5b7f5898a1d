"""The `credits` command run in-process (Typer's CliRunner) against the emulator of this test process (the `api`
fixture's server), each test with orgs of its own."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import pytest
from typer.testing import CliRunner

from cli.commands import app
from tests.conftest import Api

WIDE = {"COLUMNS": "200"}
"""Tables as wide as their rows, so that a value is on one line."""


@dataclass(frozen=True)
class Run:
    exit_code: int
    stdout: str
    stderr: str

    @property
    def document(self) -> Any:
        return json.loads(self.stdout)


Credits = Callable[..., Run]


def run_credits(*args: str, env: Mapping[str, str | None] | None = None) -> Run:
    """`credits ARGS` in this process; an exception the command did not turn into an exit code is raised."""
    result = CliRunner().invoke(
        app, list(args), env={**WIDE, **(env or {})}, catch_exceptions=False, prog_name="credits"
    )
    return Run(result.exit_code, result.stdout, result.stderr)


def endpoint_of(api: Api) -> str:
    return f"http://{api.host}:{api.port}"


@pytest.fixture
def credits(api: Api) -> Credits:
    """`credits --endpoint <the emulator> ARGS`."""

    def run(*args: str, env: Mapping[str, str | None] | None = None) -> Run:
        return run_credits("--endpoint", endpoint_of(api), *args, env=env)

    return run
