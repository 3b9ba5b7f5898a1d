"""The emulator's answers normalised as LocalStack's snapshots normalised AWS's, so that the two compare.

What the recording did to AWS's answer (localstack-snapshot's SnapshotSession, the `snapshot` and `sfn_snapshot`
fixtures of localstack/localstack, and each test's own replacements), in its order:
1. Every string value of a dict that starts with "{" and parses as JSON is replaced by what it parses to (once: a
   JSON string inside it stays a string; list items are looked into only when they are dicts).
2. In place: each test's keys replaced wherever they are ($..StartTime -> "start-time"); datetimes -> "datetime";
   any value under a key containing "timestamp" -> "timestamp".
3. On the serialised text, in turn: each JSON document quoted in a "cause" ('{...}') -> <json-input:N> wherever
   it occurs; the test's concrete names (functions, role, state machine, execution) -> their placeholders, and the
   test's own regular expressions; the account -> 111111111111, the region -> <region>, "arn:aws:" ->
   "arn:<partition>:"; each UUID found as the value of a key ending in "id" -> <uuid:N> wherever it occurs; ISO
   8601 instants -> "date".

Both sides then get the same two canonical steps, which hide only what differs by where the code ran: a stack
frame's file and line number (`File "<file>", line <line>`), and the numbering of <uuid:N> and <json-input:N>
(renumbered in order of first appearance).
"""

from __future__ import annotations

import contextlib
import copy
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

RECORDED_ACCOUNT = "111111111111"
UUID = re.compile(r"[a-fA-F0-9]{8}-[a-fA-F0-9]{4}-[a-fA-F0-9]{4}-[a-fA-F0-9]{4}-[a-fA-F0-9]{12}")
ISO_INSTANT = re.compile(r"[1-9]\d{3}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-][01]\d:?(?:[0-5]\d)?)")
QUOTED_JSON_CAUSE = re.compile(r".*'({.*})'")
STACK_FRAME = re.compile(r'File (\\*)"[^"\\]*\1", line \d+')
NUMBERED = re.compile(r"<(uuid|json-input):\d+>")


@dataclass
class Names:
    """The concrete values of one run, and the placeholder the recording has for each."""

    replacements: list[tuple[str, str]] = field(default_factory=list)
    account: str = ""
    region: str = ""
    paths: dict[str, str] = field(default_factory=dict)
    regex: list[tuple[str, str]] = field(default_factory=list)


def _parse_json_strings(document: dict[str, Any]) -> None:
    for key, value in document.items():
        if isinstance(value, list):
            for item in value:
                if isinstance(item, dict):
                    _parse_json_strings(item)
        if isinstance(value, dict):
            _parse_json_strings(value)
        if isinstance(value, str) and value.startswith("{"):
            with contextlib.suppress(ValueError):
                document[key] = json.loads(value)


def _dicts(value: Any) -> Iterator[dict[str, Any]]:
    """Every dict reached through dicts and lists of dicts (where the recording's key transformers looked)."""
    if isinstance(value, dict):
        yield value
        for item in list(value.values()):
            if isinstance(item, dict):
                yield from _dicts(item)
            elif isinstance(item, list):
                for element in item:
                    if isinstance(element, dict):
                        yield from _dicts(element)


def _replace_in_place(document: dict[str, Any], paths: dict[str, str]) -> None:
    for mapping in _dicts(document):
        for key, value in mapping.items():
            if key in paths:
                mapping[key] = paths[key]
            elif isinstance(value, datetime):
                mapping[key] = "datetime"
    for mapping in _dicts(document):
        for key, value in mapping.items():
            if "timestamp" in key.lower() and not ISO_INSTANT.match(str(value)):
                mapping[key] = "timestamp"


def _references(document: dict[str, Any]) -> list[tuple[str, str]]:
    """(value, kind): the UUIDs under keys ending in "id", the JSON documents quoted in causes."""
    found: list[tuple[str, str]] = []
    for mapping in _dicts(document):
        for key, value in mapping.items():
            if not isinstance(value, str):
                continue
            if key == "cause" and (quoted := QUOTED_JSON_CAUSE.match(value)):
                try:
                    json.loads(quoted.group(1))
                except ValueError:
                    continue
                found.append((quoted.group(1), "json-input"))
            elif key.lower().endswith("id") and UUID.match(value):
                found.append((value, "uuid"))
    return found


def canonical(value: Any) -> Any:
    """What is left to compare once where the code ran is hidden: stack frames' files and lines, and the numbering
    of references."""
    text = json.dumps(value, sort_keys=True)
    text = STACK_FRAME.sub(lambda m: f'File {m.group(1)}"<file>{m.group(1)}", line <line>', text)
    numbers: dict[str, str] = {}

    def renumber(match: re.Match[str]) -> str:
        kind = match.group(1)
        if match.group(0) not in numbers:
            numbers[match.group(0)] = f"<{kind}:{sum(1 for key in numbers if key.startswith(f'<{kind}:')) + 1}>"
        return numbers[match.group(0)]

    return json.loads(NUMBERED.sub(renumber, text))


def normalise(answer: Any, names: Names) -> Any:
    """The emulator's answer (a dict, or a list of history events) as the recording would have kept it."""
    document = {"answer": copy.deepcopy(answer)}
    _parse_json_strings(document)
    _replace_in_place(document, names.paths)
    references = _references(document)
    text = json.dumps(document, default=str)
    counters: dict[str, int] = {}

    def refer(kind: str) -> None:
        nonlocal text
        for value, found in references:
            if found == kind:
                counters[kind] = counters.get(kind, 0) + 1
                text = text.replace(value.replace('"', '\\"'), f"<{kind}:{counters[kind]}>")

    refer("json-input")
    for concrete, placeholder in names.replacements:
        text = text.replace(concrete, placeholder)
    for pattern, replacement in names.regex:
        text = re.sub(pattern, replacement, text)
    text = text.replace(names.account, RECORDED_ACCOUNT).replace(names.region, "<region>")
    text = text.replace("arn:aws:", "arn:<partition>:")
    refer("uuid")
    text = ISO_INSTANT.sub("date", text)
    return json.loads(text)["answer"]


@dataclass(frozen=True)
class Difference:
    path: str
    recorded: Any
    emulator: Any

    def as_json(self) -> dict[str, Any]:
        return {"path": self.path, "recorded": self.recorded, "emulator": self.emulator}


ABSENT = "(absent)"


def differences(recorded: Any, emulator: Any, path: str = "$") -> list[Difference]:
    """Where the two differ, as JSON paths with both values (ABSENT where one has nothing)."""
    if isinstance(recorded, dict) and isinstance(emulator, dict):
        found: list[Difference] = []
        for key in [*recorded, *(key for key in emulator if key not in recorded)]:
            found += differences(recorded.get(key, ABSENT), emulator.get(key, ABSENT), f"{path}.{key}")
        return found
    if isinstance(recorded, list) and isinstance(emulator, list):
        found = []
        for index in range(max(len(recorded), len(emulator))):
            left = recorded[index] if index < len(recorded) else ABSENT
            right = emulator[index] if index < len(emulator) else ABSENT
            found += differences(left, right, f"{path}[{index}]")
        return found
    if recorded == emulator and type(recorded) is type(emulator):
        return []
    return [Difference(path, recorded, emulator)]
