"""Domain events, named in the past tense. The aggregate records them; adapters publish them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Event:
    org_id: str
    occurred_at: datetime


@dataclass(frozen=True)
class PlanChanged(Event):
    plan: str
    previous_plan: str | None


@dataclass(frozen=True)
class UserLimitChanged(Event):
    limit: int | None


@dataclass(frozen=True)
class CreditsToppedUp(Event):
    period: str
    credits: int
    top_up_id: str


@dataclass(frozen=True)
class CreditCharged(Event):
    enquiry_id: str
    user_id: str
    period: str
    used: int
    limit: int


@dataclass(frozen=True)
class LimitNotice(Event):
    """Something customer success hears about: at most once per kind, org and period."""

    plan: str
    period: str
    """The window: a calendar month "YYYY-MM", or "TRIAL" for a trial's 14 days."""
    used: int
    limit: int

    @property
    def kind(self) -> str:
        return type(self).__name__


@dataclass(frozen=True)
class LimitReached(LimitNotice):
    """The org has used the last credit of its period (a month, or the trial window)."""


@dataclass(frozen=True)
class LimitForecast(LimitNotice):
    """At the pace so far, the org will use all its credits before the period ends (a chance to sell an uplift)."""

    projected: float
