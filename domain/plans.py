"""The plan catalogue: the single place that says which plans exist and what each allows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Final

from domain.errors import InvalidRequest


@dataclass(frozen=True)
class TrialTerms:
    credits: int
    length: timedelta


@dataclass(frozen=True)
class Plan:
    name: str
    monthly_credits: int
    trial: TrialTerms | None = None

    @property
    def is_trial(self) -> bool:
        return self.trial is not None


TRIAL: Final = Plan("Trial", monthly_credits=0, trial=TrialTerms(credits=10, length=timedelta(days=14)))

# Retiring a plan (Lite is being phased out) is deleting its line here.
CATALOGUE: Final[dict[str, Plan]] = {
    plan.name: plan
    for plan in (
        Plan("Ultimate", monthly_credits=1000),
        Plan("Enterprise", monthly_credits=500),
        Plan("Basic", monthly_credits=100),
        Plan("Lite", monthly_credits=20),
        TRIAL,
    )
}


def plan_named(name: str) -> Plan:
    try:
        return CATALOGUE[name]
    except KeyError:
        raise InvalidRequest("UNKNOWN_PLAN", f"plan must be one of {', '.join(CATALOGUE)}", field="plan") from None
