"""Domain events, named in the past tense: what customer success hears about (domain/notices.py decides them, the
Notifier port publishes them)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Event:
    org_id: str
    occurred_at: datetime


@dataclass(frozen=True)
class LimitNotice(Event):
    """Something customer success hears about: at most once per kind, org and window."""

    plan: str
    window: str
    """The usage window it is about: a calendar month "YYYY-MM", or "TRIAL" for a trial's 14 days. Published
    as the message's "period" (the subscribers' contract)."""
    used: int
    limit: int

    @property
    def kind(self) -> str:
        return type(self).__name__


@dataclass(frozen=True)
class LimitReached(LimitNotice):
    """The org has used the last credit of its window (a month, or the trial's)."""


@dataclass(frozen=True)
class LimitForecast(LimitNotice):
    """At the pace so far, the org will use all its credits before the window ends (a chance to sell an uplift)."""

    projected: float
