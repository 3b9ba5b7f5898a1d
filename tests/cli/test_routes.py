"""`credits` reaches every route of the API (`load_stack().routes`, from api/openapi.yaml), and each command's
--help shows examples that work: every example of every command is run against the emulator, and the requests
they sent are matched to the stack's routes."""

from __future__ import annotations

import shlex
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
import typer.main
from botocore.awsrequest import AWSPreparedRequest
from botocore.httpsession import URLLib3Session

import cli.client
from cli.client import Answer, ExitCode
from cli.commands import app
from emulator.template import load_stack
from tests.cli.conftest import Credits

EXAMPLE_ORG = "acme"


def _commands(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    """Every command a user can run (the leaves of the command tree), with the words that name it."""
    children = getattr(command, "commands", None)
    if children is None:
        yield path, command
        return
    for name, child in children.items():
        yield from _commands(child, (*path, name))


def _examples(command: Any) -> list[list[str]]:
    """The command lines its --help shows as examples."""
    lines = (line.strip() for line in (command.epilog or "").splitlines())
    return [shlex.split(line, comments=True)[1:] for line in lines if line.startswith("credits ")]


COMMANDS = dict(_commands(typer.main.get_command(app)))


@pytest.mark.parametrize("words", list(COMMANDS), ids=[" ".join(words) for words in COMMANDS])
def test_every_command_shows_examples_of_itself(words: tuple[str, ...]) -> None:
    examples = _examples(COMMANDS[words])

    assert examples, f"credits {' '.join(words)} --help shows no example"
    assert all(example[: len(words)] == list(words) for example in examples)


def test_the_examples_of_every_command_reach_every_route_of_the_api(
    credits: Credits, org_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given every request the command sends, recorded
    sent: list[tuple[str, str]] = []
    send = cli.client.send

    def recording(http: URLLib3Session, request: AWSPreparedRequest) -> Answer:
        sent.append((request.method, urlsplit(request.url).path))
        return send(http, request)

    monkeypatch.setattr(cli.client, "send", recording)

    # When every example of every command runs, in the command tree's order, for an org of this test's own
    results = {
        shlex.join(example): credits(*(org_id if word == EXAMPLE_ORG else word for word in example))
        for command in COMMANDS.values()
        for example in _examples(command)
    }

    # Then each was a valid command line that the API answered (some are denied: a refund of an enquiry the examples
    # did not charge, a plan an org cannot go back to), and together they reached every route
    failed = {
        line: (result.exit_code, result.stderr)
        for line, result in results.items()
        if result.exit_code not in (ExitCode.OK, ExitCode.DENIED)
    }
    assert failed == {}
    unreached = [
        f"{route.method} {route.path}"
        for route in load_stack().routes
        if not any(route.match(method, path) is not None for method, path in sent)
    ]
    assert unreached == []
