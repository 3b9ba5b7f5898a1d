"""docs/cli.md stays true: every `credits` command line it shows runs against the emulator (for an org of the test's
own, the options that choose the API and the credentials replaced by the emulator's endpoint), and each `console`
block answers what it shows, on the emulator's clock set to the block's month."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from cli.client import ExitCode
from tests.cli.conftest import Credits, run_credits
from tests.conftest import Api

CLI_PAGE = Path(__file__).resolve().parents[2] / "docs" / "cli.md"
EXAMPLE_ORG = "acme"
TARGET_OPTIONS = {"--endpoint", "--stack", "--env", "--profile", "--region"}
"""The root options that take a value; --sign and --no-sign take none."""
CONSOLE_CLOCK = "2026-11-10T12:00:00Z"
"""The month the page's sample answers show (2026-11)."""
REQUEST_ID = re.compile(r"\(requestId [0-9a-f-]+\)")


def _blocks(language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```$", CLI_PAGE.read_text(encoding="utf-8"), re.MULTILINE | re.DOTALL)


def _command(words: list[str]) -> list[str]:
    """A command line's words after `credits`, without the options that choose the API or the credentials."""
    rest = words[1:]
    while rest and rest[0].startswith("--"):
        rest = rest[2:] if rest[0] in TARGET_OPTIONS else rest[1:]
    return rest


def _ours(words: list[str], org_id: str) -> list[str]:
    """The example's orgs (acme, acme-...) as orgs of this test's own."""
    return [word.replace(EXAMPLE_ORG, org_id, 1) if word.startswith(EXAMPLE_ORG) else word for word in words]


def test_every_command_line_the_page_shows_runs(credits: Credits, org_id: str) -> None:
    # Given every `credits ...` line of the page's sh blocks
    lines = [line for block in _blocks("sh") for line in block.splitlines() if line.startswith("credits ")]
    assert len(lines) >= 10

    # When each runs against the emulator, in the page's order
    results = {line: credits(*_ours(_command(shlex.split(line, comments=True)), org_id)) for line in lines}

    # Then each was a valid command line that the API answered (some are denied: a cursor made up for the page)
    failed = {
        line: (result.exit_code, result.stderr)
        for line, result in results.items()
        if result.exit_code not in (ExitCode.OK, ExitCode.DENIED)
    }
    assert failed == {}


def test_the_pages_sample_answers_are_what_the_command_prints(api: Api, cloud: object, org_id: str) -> None:
    # Given the emulator's clock in the month the samples show
    assert api.freeze_clock(CONSOLE_CLOCK).status == 200
    blocks = _blocks("console")
    assert blocks

    for block in blocks:
        for session in re.split(r"^\$ ", block, flags=re.MULTILINE)[1:]:
            line, _, shown = session.partition("\n")

            # When the block's command runs (for orgs of this test's own)
            result = run_credits("--endpoint", api.url, *_ours(_command(shlex.split(line)), org_id))

            # Then it prints what the page shows, stdout then stderr, the request id aside
            printed = (result.stdout + result.stderr).replace(org_id, EXAMPLE_ORG)
            printed = REQUEST_ID.sub("(requestId ...)", printed)
            assert _lines(printed) == _lines(shown), line


def _lines(text: str) -> list[str]:
    return [line.rstrip() for line in text.rstrip().splitlines()]
