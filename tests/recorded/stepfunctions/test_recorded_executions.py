"""Every recorded case of corpus.json, replayed through the emulator's interpreter, answers what AWS answered, or
differs exactly as differences.json says (so that a difference fixed, or a new one, is noticed)."""

from __future__ import annotations

from typing import Any

import pytest
from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl

from tests.recorded.stepfunctions.replay import CASES, KNOWN, StateMachines, compared, recorded_input_agrees, replay

MINIMUM_CASES = 150


class _NoWait:
    """A Retry's pause, not waited (the recorded histories keep no time): the cases would otherwise sleep 40 s."""

    def __init__(self) -> None:
        self.pauses: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.pauses.append(seconds)


@pytest.fixture(scope="module")
def machines(cloud):
    created = StateMachines(cloud.client("stepfunctions"))
    yield created
    created.delete_all()


def _param(case: dict[str, Any]) -> Any:
    marks = [pytest.mark.timed] if '"TimeoutSeconds": 5' in case["definition"] else []
    return pytest.param(case, id=case["id"].split("/v2/", 1)[1], marks=marks)


def test_the_corpus_holds_at_least_150_recorded_cases_and_each_listed_difference_says_what_it_could_hide():
    assert len(CASES) >= MINIMUM_CASES
    assert set(KNOWN) <= {case["id"] for case in CASES}, "a listed difference names no case"
    for case_id, known in KNOWN.items():
        assert known["what"], case_id
        assert known["could_hide"], case_id
        assert known["differences"], case_id


@pytest.mark.parametrize("case", [_param(case) for case in CASES])
def test_the_emulator_answers_as_aws_recorded(case, cloud, machines, monkeypatch, unmetered):
    # Given a recorded case
    if case["kind"] == "choice":
        assert recorded_input_agrees(case), "the transcribed input is not the recorded one"
    if "Retry" in case["definition"]:
        monkeypatch.setattr(retrier_decl, "time", _NoWait())

    # When the emulator runs it
    answer = replay(cloud, machines, case)

    # Then it answers what AWS answered, or differs exactly as listed
    found = compared(case, answer)
    expected = KNOWN.get(case["id"], {}).get("differences", [])
    assert found == expected
