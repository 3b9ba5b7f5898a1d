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
class LimitReached(Event):
    """The org has used the last credit of its period (a month, or the trial window)."""

    plan: str
    period: str
    used: int
    limit: int
