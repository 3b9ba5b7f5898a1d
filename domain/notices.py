"""When customer success hears about an org: it has used its last credit (LimitReached), or it is on pace to
use them all before its period ends (LimitForecast). Each kind at most once per org and period; the adapters
make that hold under concurrency."""

from __future__ import annotations

from datetime import datetime

from domain.account import Allowance, OrgReservation
from domain.events import LimitForecast, LimitNotice, LimitReached
from domain.periods import elapsed_fraction, require_utc

EARLIEST_FORECAST_FRACTION = 0.1
"""The pace is measured over at least a tenth of the period, so two reports on the 1st do not look like a flood."""


def projected_usage(used: int, starts_at: datetime, ends_at: datetime, now: datetime) -> float:
    """Usage at the end of the period if the pace so far holds: used / max(elapsed fraction, 0.1)."""
    return used / max(elapsed_fraction(starts_at, ends_at, now), EARLIEST_FORECAST_FRACTION)


def notices_after_charge(org_id: str, reservation: OrgReservation, now: datetime) -> list[LimitNotice]:
    """What a granted charge tells customer success."""
    now = require_utc(now)
    fields = (org_id, now, reservation.plan, reservation.window, reservation.used, reservation.limit)
    if reservation.used >= reservation.limit:
        return [LimitReached(*fields)]
    projected = projected_usage(reservation.used, reservation.window_starts_at, reservation.window_ends_at, now)
    if projected >= reservation.limit:
        return [LimitForecast(*fields, projected=round(projected, 2))]
    return []


def notice_after_denial(org_id: str, allowance: Allowance, now: datetime) -> LimitNotice | None:
    """A denial for the org's limit tells customer success the limit is reached (if nobody has yet, e.g. after
    a downgrade below usage, where no charge used the last credit)."""
    if allowance.plan is None or allowance.used < allowance.limit:
        return None
    return LimitReached(org_id, require_utc(now), allowance.plan, allowance.window, allowance.used, allowance.limit)
