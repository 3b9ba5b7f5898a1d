"""The curl tours stay true (README's short tour, and every route on docs/api.md): their commands, run as they are
written (bash and real curl, top to bottom) against the emulator, answer the statuses the page says they do (each
command's trailing `# → NNN`)."""

from __future__ import annotations

import re
import subprocess
import uuid
from dataclasses import dataclass

import pytest

from emulator.template import ROOT
from tests.conftest import Api

TOURS = {"README.md": "## A short tour", "docs/api.md": "## Every route with curl"}
"""Each page with a tour, and the heading of the section whose one sh block it is."""
EXPECTED = re.compile(r"#\s*→\s*(\d{3})\b")
SEPARATOR = "@@answered@@"


@dataclass(frozen=True)
class Step:
    command: str
    status: int


def tour(page: str, heading: str = TOURS["README.md"]) -> tuple[list[str], list[Step]]:
    """The tour's set-up lines (variables) and its curl commands with the status each is said to answer: the one sh
    block under the page's `heading`."""
    section = page.split(f"\n{heading}\n", 1)[1].split("\n## ", 1)[0]
    (block,) = re.findall(r"```sh\n(.*?)```", section, re.S)
    setup: list[str] = []
    steps: list[Step] = []
    for line in block.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.startswith("curl "):
            expected = EXPECTED.search(stripped)
            assert expected is not None, f"README's tour does not say what this answers: {stripped}"
            steps.append(Step(stripped, int(expected.group(1))))
        else:
            assert not steps, f"README's tour sets something up after its first curl: {stripped}"
            setup.append(stripped)
    return setup, steps


def test_the_tour_is_read_as_its_commands_and_their_statuses() -> None:
    # Given a block in the tour's form
    readme = (
        "intro\n## A short tour\n\n```sh\nAPI=http://127.0.0.1:3000\n# a comment\n"
        "curl -s $API/orgs/acme/balance   # → 200\ncurl -s -X PUT $API/x -d '{}'  # → 400 bad\n```\n## Next\n"
    )

    setup, steps = tour(readme)

    assert setup == ["API=http://127.0.0.1:3000"]
    assert steps == [
        Step("curl -s $API/orgs/acme/balance   # → 200", 200),
        Step("curl -s -X PUT $API/x -d '{}'  # → 400 bad", 400),
    ]


@pytest.mark.parametrize(("page", "heading"), TOURS.items(), ids=list(TOURS))
def test_every_curl_of_the_tour_answers_the_status_its_page_gives(api: Api, page: str, heading: str) -> None:
    # Given the page's tour, pointed at this process's emulator, for an org of its own (the tour names one org, and
    # other tests share this emulator)
    setup, steps = tour((ROOT / page).read_text(encoding="utf-8"), heading)
    assert len(steps) >= 10, "the tour shows the API's main routes"
    org_id = f"tour-{uuid.uuid4().hex[:12]}"
    named = {match for step in steps for match in re.findall(r"/orgs/([^/?\"' ]+)", step.command)}
    assert len(named) == 1, f"the tour follows one org, not {sorted(named)}"
    (readme_org,) = named
    commands = [
        # each command as written, with curl told to print the status after the answer
        step.command.replace(f"/orgs/{readme_org}/", f"/orgs/{org_id}/").replace(
            "curl ", "curl -w '\\n%{http_code}\\n' ", 1
        )
        + f"\necho {SEPARATOR}"
        for step in steps
    ]
    script = "\n".join([*setup, f"API=http://127.0.0.1:{api.port}", *commands])

    # When bash runs it, top to bottom
    ran = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=120, check=True)

    # Then each command answered the status README gives for it
    answers = ran.stdout.split(SEPARATOR)[:-1]
    assert len(answers) == len(steps)
    statuses = [int(answer.strip().splitlines()[-1]) for answer in answers]
    answered = list(zip([step.command for step in steps], statuses, strict=True))
    assert answered == [(step.command, step.status) for step in steps], ran.stdout
    api.balance(org_id)  # the HTTP suite audits the books of the orgs its requests named
