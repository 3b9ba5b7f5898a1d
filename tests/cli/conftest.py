"""The `credits` command run in-process (Typer's CliRunner) against the emulator of this test process (the `api`
fixture's server), each test with orgs of its own."""

from __future__ import annotations

import json
import socketserver
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from typer.testing import CliRunner

from cli.commands import app
from emulator.cloud import LOCAL_ENVIRONMENT
from tests.conftest import Api

WIDE = {"COLUMNS": "200"}
"""Tables as wide as their rows, so that a value is on one line."""

CREDENTIALS = {name: LOCAL_ENVIRONMENT[name] for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")}
"""The emulator's placeholder credentials, which every run has unless its test says otherwise: a started emulator
puts them in the process's environment, and a test must not depend on whether one started before it (a stub API's
test run first would see none, and the command's UNSIGNED notice)."""


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
        app, list(args), env={**WIDE, **CREDENTIALS, **(env or {})}, catch_exceptions=False, prog_name="credits"
    )
    return Run(result.exit_code, result.stdout, result.stderr)


@pytest.fixture
def credits(api: Api) -> Credits:
    """`credits --endpoint <the emulator> ARGS`."""

    def run(*args: str, env: Mapping[str, str | None] | None = None) -> Run:
        return run_credits("--endpoint", api.url, *args, env=env)

    return run


@dataclass(frozen=True)
class Received:
    """A request as a stub API received it."""

    method: str
    path: str
    body: bytes

    @property
    def document(self) -> Any:
        return json.loads(self.body)


def http_answer(status: int, document: Any = None, headers: Mapping[str, str] | None = None) -> bytes:
    """An HTTP/1.1 answer's bytes, with a JSON body when given one."""
    body = b"" if document is None else json.dumps(document).encode()
    lines = [f"HTTP/1.1 {status} Status", f"Content-Length: {len(body)}", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    if document is not None:
        lines.append("Content-Type: application/json")
    return "\r\n".join(lines).encode() + b"\r\n\r\n" + body


@contextmanager
def stub_api(answer: Callable[[Received], bytes]) -> Iterator[tuple[str, list[Received]]]:
    """An API on a free port of 127.0.0.1 that answers each request with the bytes `answer` gives (HTTP or not),
    then closes the connection: its endpoint, and the requests it received."""
    received: list[Received] = []

    class Handler(socketserver.StreamRequestHandler):
        def handle(self) -> None:
            method, path, _ = self.rfile.readline().decode().split(" ", 2)
            length = 0
            while (line := self.rfile.readline().decode().strip()) != "":
                name, _, value = line.partition(":")
                if name.lower() == "content-length":
                    length = int(value)
            request = Received(method, path, self.rfile.read(length))
            received.append(request)
            self.wfile.write(answer(request))

    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", received
    finally:
        server.shutdown()
        server.server_close()
