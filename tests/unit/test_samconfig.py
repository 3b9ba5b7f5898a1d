"""samconfig.toml's environments (`sam deploy --config-env dev|prod`) deploy stacks the template accepts."""

from __future__ import annotations

import shlex
import tomllib

import pytest

from emulator.template import ROOT, load_stack

CONFIG = tomllib.loads((ROOT / "samconfig.toml").read_text(encoding="utf-8"))
ENVIRONMENTS = ("default", "dev", "prod")


def _overrides(environment: str) -> dict[str, str]:
    text = CONFIG[environment]["deploy"]["parameters"].get("parameter_overrides", "")
    return dict(pair.split("=", 1) for pair in shlex.split(text))


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_each_environment_deploys_a_stack_the_template_accepts(environment: str) -> None:
    deploy = CONFIG[environment]["deploy"]["parameters"]

    # Every override is a parameter the template declares, with an allowed value (load_stack refuses otherwise)
    load_stack(parameters=_overrides(environment))
    assert deploy["region"] == "eu-west-2"
    assert deploy["capabilities"] == "CAPABILITY_IAM"


def test_the_environments_are_separate_stacks_and_prod_is_guarded() -> None:
    names = [CONFIG[environment]["global"]["parameters"]["stack_name"] for environment in ENVIRONMENTS]

    assert len(set(names)) == len(names)
    # prod shows its change set before applying it, and requires signed calls whatever the template's default
    assert CONFIG["prod"]["deploy"]["parameters"]["confirm_changeset"] is True
    assert _overrides("prod")["ApiAuth"] == "AWS_IAM"
