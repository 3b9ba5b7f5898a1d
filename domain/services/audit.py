"""GET /orgs/{orgId}/audit: an org's counters held to its ledger for one window (domain/audit.py). Reads only.

The counters and the ledger are read one after the other, not at one instant, so a charge landing in between makes
them disagree for that read only: an audit that finds drift reads the books again, up to READS times, and answers
the first reading that agrees, or the last."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from domain.audit import Books, Drift, audit
from domain.history import charges_window
from domain.periods import Period
from domain.services.charge import ABANDONED_AFTER
from domain.services.dependencies import Dependencies

READS = 3


@dataclass(frozen=True)
class Audit:
    books: Books
    drift: tuple[Drift, ...]
    """Empty when the books agree."""
    audited_at: datetime


def _window(deps: Dependencies, org_id: str, period: str | None, now: datetime) -> str:
    """The window asked for: a month or TRIAL; when none is named, the org's current one (its trial, while on one)."""
    if period is not None:
        return charges_window(period, now)
    return deps.store.account(org_id, now).profile.window_key(now)


def audit_books(deps: Dependencies, org_id: str, period: str | None) -> Audit:
    now = deps.now()
    window = _window(deps, org_id, period, now)
    for _ in range(READS):
        books = deps.store.books(org_id, window)
        found = Audit(books, tuple(audit(books, now, ABANDONED_AFTER)), now)
        if not found.drift:
            break
    return found


ACTIVE_PAGE = 50
"""Windows one invocation of the daily audit reads (each an audit: a month of Ultimate is a few reads)."""


@dataclass(frozen=True)
class AuditedWindow:
    org_id: str
    window: str
    drift: tuple[Drift, ...]


@dataclass(frozen=True)
class ActiveAuditPage:
    """One page of the audit of every org active in a month: one shard's next windows, each audited."""

    month: str
    shard: int
    audited: tuple[AuditedWindow, ...]
    after: dict[str, str] | None
    """Where the shard's next page starts; None when the shard is done."""


def audit_active_page(
    deps: Dependencies, month: str | None, shard: int, after: dict[str, str] | None, limit: int = ACTIVE_PAGE
) -> ActiveAuditPage:
    """Audit the next windows (an org's month, or its trial) whose counter was written in `month` (the current month
    when None), of one shard, after `after`. Reads only: it never changes the books."""
    month = month or Period.containing(deps.now()).key
    windows, following = deps.store.active_windows(month, shard, limit, after)
    audited = tuple(
        AuditedWindow(org_id, window, audit_books(deps, org_id, window).drift) for org_id, window in windows
    )
    return ActiveAuditPage(month, shard, audited, following)
