"""A period is a calendar month in UTC: the window of a paid plan's credits, top-ups and per-user limits."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

_KEY = re.compile(r"^(\d{4})-(\d{2})$")


def require_utc(instant: datetime) -> datetime:
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError("datetimes in the domain are timezone-aware")
    return instant.astimezone(UTC)


def elapsed_fraction(starts_at: datetime, ends_at: datetime, now: datetime) -> float:
    """How much of the window [starts_at, ends_at) has passed at `now`, from 0.0 to 1.0."""
    span = (ends_at - starts_at).total_seconds()
    done = (require_utc(now) - starts_at).total_seconds()
    return min(max(done / span, 0.0), 1.0)


@dataclass(frozen=True, order=True)
class Period:
    year: int
    month: int

    def __post_init__(self) -> None:
        if not 1 <= self.month <= 12:
            raise ValueError(f"month out of range: {self.month}")

    @classmethod
    def containing(cls, instant: datetime) -> Period:
        utc = require_utc(instant)
        return cls(utc.year, utc.month)

    @classmethod
    def parse(cls, key: str) -> Period:
        match = _KEY.match(key)
        if match is None:
            raise ValueError(f"not a period key: {key!r}")
        return cls(int(match.group(1)), int(match.group(2)))

    @property
    def key(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def starts_at(self) -> datetime:
        return datetime(self.year, self.month, 1, tzinfo=UTC)

    @property
    def ends_at(self) -> datetime:
        """The first instant of the next period (exclusive end)."""
        return self.next().starts_at

    def next(self) -> Period:
        return Period(self.year + self.month // 12, self.month % 12 + 1)

    def elapsed_fraction(self, instant: datetime) -> float:
        return elapsed_fraction(self.starts_at, self.ends_at, instant)

    def __str__(self) -> str:
        return self.key
