"""Every mapping template of the API renders in the emulator as Apache Velocity 1.7 renders it.

Velocity 1.7 is the engine API Gateway's mapping templates are built on; tools/vtl-reference/ renders each case of
tests/vtl_corpus.py with it (one JVM for the whole corpus), and each case is compared with what emulator/vtl.py
(airspeed) renders: the same text, the same $context.responseOverride status and headers, or an error from both.
Where both texts are JSON they are compared as JSON values (the whitespace between tokens means nothing to a JSON
client); any other text must be equal character for character.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import re
import subprocess
import time
from dataclasses import dataclass
from typing import Any

import pytest

from emulator.template import ROOT
from emulator.vtl import (
    TemplateError,
    context_variables,
    render_gateway_response_template,
    render_request_template,
    render_response_template,
)
from tests.vtl_corpus import Case, corpus

BUILD = ROOT / ".venv" / "vtl-reference"
SOURCE = ROOT / "tools" / "vtl-reference" / "VtlReference.java"
BUILD_HINT = "run `make vtl-reference` (it compiles tools/vtl-reference/VtlReference.java with javac)"
CASES = corpus()


def _build_problem() -> str | None:
    if not (BUILD / ".compiled").exists() or not (BUILD / "classpath.txt").exists():
        return f"the Velocity reference renderer is not built: {BUILD_HINT}"
    if (BUILD / ".compiled").stat().st_mtime < SOURCE.stat().st_mtime:
        return f"the Velocity reference renderer is older than its source: {BUILD_HINT}"
    return None


BUILD_PROBLEM = _build_problem()
"""Why Velocity cannot judge this run: then each test fails once with it (a missing judge is no pass, nor a skip)."""


@dataclass(frozen=True)
class Outcome:
    text: str | None
    status: int | str | None
    """The status override: an HTTP status, or (from Velocity) the text of a value that is not one."""
    headers: dict[str, str] | None
    error: str | None


def _reference_input(cases: tuple[Case, ...]) -> dict[str, Any]:
    templates = sorted({case.template for case in cases})
    index = {template: number for number, template in enumerate(templates)}
    return {
        "templates": templates,
        "cases": [
            {
                "id": case.id,
                "template": index[case.template],
                "body": case.body,
                "params": {
                    "path": dict(case.request.path_params),
                    "querystring": dict(case.request.query),
                    "header": dict(case.request.headers),
                },
                "context": context_variables(case.request, case.error),
                "stageVariables": {},
            }
            for case in cases
        ],
    }


def _reference_outcome(result: dict[str, Any]) -> Outcome:
    status = result["status"]
    if status is not None and re.fullmatch(r"[1-5][0-9][0-9]", status):
        status = int(status)
    return Outcome(result["text"], status, result["headers"], result["error"])


@pytest.fixture(scope="session")
def velocity(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Outcome]:
    """What Velocity 1.7 renders for every case, by case id (one JVM, one batch, once per test run: the first
    pytest-xdist worker to get here renders while the others wait for its answer, rather than each starting a JVM
    of its own beside the other tests)."""
    if BUILD_PROBLEM is not None:
        pytest.fail(BUILD_PROBLEM, pytrace=False)
    request = json.dumps(_reference_input(CASES)).encode("ascii")
    shared = tmp_path_factory.getbasetemp().parent  # the run's directory, above each worker's own
    answer = shared / f"velocity-{hashlib.sha256(request).hexdigest()[:16]}.json"
    with (shared / "velocity.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not answer.exists():
            answer.write_bytes(_render_with_velocity(request))
    results = json.loads(answer.read_bytes().decode("utf-8"))
    assert len(results) == len(CASES), "VtlReference answered a different number of cases"
    return {result["id"]: _reference_outcome(result) for result in results}


def _render_with_velocity(request: bytes) -> bytes:
    classpath_file = BUILD / "classpath.txt"
    started = time.monotonic()
    completed = subprocess.run(
        ["java", "-Xss16m", "-cp", classpath_file.read_text(encoding="utf-8").strip(), "VtlReference"],
        input=request,
        capture_output=True,
        timeout=300,
        check=False,
    )
    if completed.returncode != 0:
        pytest.fail(f"VtlReference failed ({BUILD_HINT}):\n{completed.stderr.decode(errors='replace')}", pytrace=False)
    print(f"Velocity rendered the corpus in {time.monotonic() - started:.1f} s")
    return completed.stdout


def _emulator_outcome(case: Case) -> Outcome:
    try:
        if case.kind in ("request", "probe"):
            rendered = render_request_template(case.template, case.request)
        elif case.kind == "response":
            rendered = render_response_template(case.template, case.request, case.body)
        else:
            assert case.error is not None
            rendered = render_gateway_response_template(case.template, case.request, case.error)
    except TemplateError as error:
        return Outcome(None, None, None, str(error))
    return Outcome(rendered.text, rendered.status_override, rendered.header_overrides, None)


def _typed(value: Any) -> Any:
    """A parsed JSON value in which true, 1 and 1.0 differ, as they do in JSON (Python has True == 1 == 1.0)."""
    if isinstance(value, tuple):  # an object, from _object
        return ("object", tuple((key, _typed(item)) for key, item in value[1]))
    if isinstance(value, list):
        return [_typed(item) for item in value]
    return (type(value).__name__, value)


def _object(pairs: list[tuple[str, Any]]) -> tuple[str, list[tuple[str, Any]]]:
    # Key order means nothing in a JSON object, but a duplicated key does: keep every pair, sorted by key.
    return ("object", sorted(pairs, key=lambda pair: pair[0]))


def _json(text: str) -> Any:
    try:
        return _typed(json.loads(text, object_pairs_hook=_object))
    except ValueError:
        return None


def _same_text(emulator: str, velocity: str) -> bool:
    if emulator == velocity:
        return True
    parsed = _json(emulator)
    return parsed is not None and parsed == _json(velocity)


def _clip(text: str | None, limit: int = 600) -> str:
    if text is None or len(text) <= limit:
        return repr(text)
    return f"{text[: limit // 2]!r} ... ({len(text)} characters) ... {text[-limit // 2 :]!r}"


def differences(emulator: Outcome, velocity: Outcome) -> list[str]:
    if velocity.error is not None or emulator.error is not None:
        # A status override Velocity set but which is no HTTP status: the emulator refuses it (a 500), on purpose.
        refused_status = isinstance(velocity.status, str) and emulator.error is not None
        if (velocity.error is None) != (emulator.error is None) and not refused_status:
            return [f"error: emulator {emulator.error!r}, Velocity {velocity.error!r}"]
        return []
    found = []
    assert emulator.text is not None
    assert velocity.text is not None
    if not _same_text(emulator.text, velocity.text):
        found.append(f"text:\n  emulator {_clip(emulator.text)}\n  Velocity {_clip(velocity.text)}")
    if emulator.status != velocity.status:
        found.append(f"status override: emulator {emulator.status!r}, Velocity {velocity.status!r}")
    if emulator.headers != velocity.headers:
        found.append(f"header overrides: emulator {emulator.headers!r}, Velocity {velocity.headers!r}")
    return found


def test_the_corpus_covers_every_template_with_at_least_500_distinct_cases() -> None:
    from emulator.template import load_stack

    stack = load_stack()
    templates = {response["responseTemplates"]["application/json"] for response in stack.gateway_responses.values()}
    for route in stack.routes:
        templates.add(route.integration["requestTemplates"]["application/json"])
        templates.update(r["responseTemplates"]["application/json"] for r in route.integration["responses"].values())

    api_cases = [case for case in CASES if case.kind != "probe"]
    assert len(api_cases) >= 500
    assert {case.template for case in api_cases} == templates
    names = " ".join(case.id for case in CASES)
    for kind in ("succeeded-charged", "already-charged", "top-up-replayed", "answered-rejected-", "failed-fail-state-",
                 "failed-no-cause", "failed-non-json-cause", "timed-out", "throttled", "too-long", "text-emoji",
                 "raw-5", "reason-long", "document-nested", "message="):  # fmt: skip
        assert kind in names, kind


def test_every_answer_velocity_renders_for_a_client_is_a_json_object(request: pytest.FixtureRequest) -> None:
    if BUILD_PROBLEM is not None:
        pytest.fail(BUILD_PROBLEM, pytrace=False)
    velocity: dict[str, Outcome] = request.getfixturevalue("velocity")
    # Given every response template and gateway response of the API, and what each maps
    answers = [case for case in CASES if case.kind in ("response", "gateway")]

    # When Velocity renders them (a template that fails makes API Gateway answer its own 500 instead)
    rendered = {case.id: velocity[case.id].text for case in answers if velocity[case.id].error is None}

    # Then each answer is a JSON object, as every answer of the API is (both engines agreeing is not enough)
    not_json = [f"{name}: {_clip(text, 300)}" for name, text in rendered.items() if not _is_json_object(text)]
    assert not not_json, f"{len(not_json)} answers are not JSON objects:\n" + "\n".join(not_json)


def _is_json_object(text: str | None) -> bool:
    try:
        return text is not None and isinstance(json.loads(text), dict)
    except ValueError:
        return False


@pytest.mark.parametrize(
    "case",
    CASES if BUILD_PROBLEM is None else [None],
    ids=[case.id for case in CASES] if BUILD_PROBLEM is None else ["velocity-reference-not-built"],
)
def test_the_emulator_renders_each_case_as_velocity_does(case: Case | None, request: pytest.FixtureRequest) -> None:
    if case is None:
        pytest.fail(str(BUILD_PROBLEM), pytrace=False)
    velocity: dict[str, Outcome] = request.getfixturevalue("velocity")
    # Given a template of the API and what it maps
    # When the emulator and Velocity 1.7 each render it
    emulator = _emulator_outcome(case)
    reference = velocity[case.id]

    # Then they agree on the text, the status and headers it overrides, or that it fails
    found = differences(emulator, reference)
    assert not found, f"{case.template_name}:\n" + "\n".join(found)
