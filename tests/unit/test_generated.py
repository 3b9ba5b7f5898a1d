"""Each generated file is committed as its generator writes it from its one source, so that what is deployed
(api/openapi.yaml through AWS::Include, the one-task statemachines/*.asl.json through DefinitionUri) is what the
sources say. After editing api/source/ or statemachines/source/, run `make generate` (python -m generate)."""

from __future__ import annotations

from pathlib import Path

import pytest

from generate import outputs
from generate.placeholders import fill, names

GENERATED = outputs()


@pytest.mark.parametrize("path", sorted(GENERATED), ids=lambda path: f"{path.parent.name}/{path.name}")
def test_the_committed_file_is_what_the_generator_writes(path: Path) -> None:
    # Given the file as committed, and as the generator writes it from its source now
    committed = path.read_text(encoding="utf-8") if path.exists() else None

    # Then they are the same text
    assert committed == GENERATED[path], f"{path.name} is not as generated: edit its source, then run `make generate`"


def test_a_placeholder_takes_its_value_whole_or_spreads_it_in_a_list_or_a_mapping() -> None:
    # Given a template with a placeholder of each kind
    template = {
        "{{Step}}": {
            "Timeout": "{{Seconds}}",
            "Errors": ["First", "{{More}}"],
            "Parameters": {"a": 1, "{{Extra}}": None},
        },
        "Arn": "${{{Step}}FunctionArn}",
    }
    values = {"Step": "TopUp", "Seconds": 5, "More": ["Second", "Third"], "Extra": {"b": 2}}

    # When it is filled
    filled = fill(template, values)

    # Then each took its value as its place says, and CloudFormation's own ${...} is left as it is
    assert names(template) == set(values)
    assert filled == {
        "TopUp": {"Timeout": 5, "Errors": ["First", "Second", "Third"], "Parameters": {"a": 1, "b": 2}},
        "Arn": "${TopUpFunctionArn}",
    }


def test_a_placeholder_without_a_value_or_with_a_value_that_cannot_stand_in_text_is_refused() -> None:
    with pytest.raises(KeyError, match="Missing"):
        fill({"a": "{{Missing}}"}, {})
    with pytest.raises(TypeError, match="Seconds"):
        fill("after {{Seconds}} s", {"Seconds": 5})
