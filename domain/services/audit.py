"""GET /orgs/{orgId}/audit: an org's counters held to its ledger for one window (domain/audit.py). Reads only.

The counters and the ledger are read one after the other, not at one instant, so a charge landing in between makes
them disagree for that read only: an audit that finds drift reads the books again, up to READS times, and answers
the first reading that agrees, or the last."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from domain.audit import Books, Drift, audit
from domain.history import charges_window
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
