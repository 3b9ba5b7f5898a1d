"""The plan catalogue: which plans exist and what each allows."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.errors import InvalidRequest
from domain.plans import CATALOGUE, TRIAL, plan_named


@pytest.mark.parametrize(
    ("name", "monthly_credits"),
    [("Ultimate", 1000), ("Enterprise", 500), ("Basic", 100), ("Lite", 20)],
)
def test_each_paid_plan_gives_its_monthly_credits(name: str, monthly_credits: int) -> None:
    # When the plan is looked up by name
    plan = plan_named(name)
    # Then it is a paid plan with the catalogue's monthly credits
    assert plan.name == name
    assert plan.monthly_credits == monthly_credits
    assert not plan.is_trial
    assert plan.trial is None


def test_the_trial_gives_ten_credits_for_fourteen_days_and_nothing_monthly() -> None:
    plan = plan_named("Trial")
    assert plan is TRIAL
    assert plan.is_trial
    assert plan.trial is not None
    assert plan.trial.credits == 10
    assert plan.trial.length == timedelta(days=14)
    assert plan.monthly_credits == 0


def test_the_catalogue_holds_exactly_the_four_paid_plans_and_the_trial() -> None:
    assert set(CATALOGUE) == {"Ultimate", "Enterprise", "Basic", "Lite", "Trial"}


@pytest.mark.parametrize("name", ["Gold", "basic", "BASIC", " Basic", "", "trial"])
def test_an_unknown_plan_name_is_an_invalid_request(name: str) -> None:
    # When a name that is not in the catalogue (names are case-sensitive) is looked up
    with pytest.raises(InvalidRequest) as raised:
        plan_named(name)
    # Then the request is rejected with UNKNOWN_PLAN on the plan field
    assert raised.value.code == "UNKNOWN_PLAN"
    assert raised.value.field == "plan"
