"""The books audited: an org's counters held to its ledger for one window. Each invariant has its home here, and
`audit` answers every way the books disagree (none: they agree).

The counters are what every decision reads and updates; the ledger is one entry per enquiry. For a window (a month,
or the trial):
- ORG_USED: the window's `used` equals its entries charged (refunded ones excluded) plus its reservations in flight;
- USER_USED: each user's `used` for a month equals their entries charged in that month, whatever their window (a
  trial's charges count against the user's month too: per-user limits are monthly) (audited with the month);
- TOP_UPS: the window's `topUps` equals the credits of its recorded top-ups (a trial has none);
- STALE_RESERVATION: no reservation is older than the sweep's grace (ABANDONED_AFTER): its workflow ended without
  charging or releasing it, and the sweep has not given it back yet;
- NEGATIVE_COUNTER: no counter is below zero.
"No entry charged without its user counted, and the reverse" is USER_USED: the user step counts the user and
charges the entry in one transaction, so either both happened or neither.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from domain.account import TRIAL_WINDOW, EntryState, LedgerEntry


class DriftKind(StrEnum):
    ORG_USED = "ORG_USED"
    USER_USED = "USER_USED"
    TOP_UPS = "TOP_UPS"
    STALE_RESERVATION = "STALE_RESERVATION"
    NEGATIVE_COUNTER = "NEGATIVE_COUNTER"


@dataclass(frozen=True)
class Drift:
    """One way the books disagree: what (`kind`, and whose: the org, a user, an enquiry), the counter's value, what
    the ledger adds up to, and the entries involved."""

    kind: DriftKind
    subject: str
    """"org", "user:<userId>", "topUps" or "enquiry:<enquiryId>"."""
    counter: int | None
    ledger: int | None
    entries: tuple[str, ...] = ()


@dataclass(frozen=True)
class Books:
    """An org's counters and ledger for one window, as read at one time."""

    org_id: str
    window: str
    """A month (YYYY-MM) or TRIAL."""
    used: int
    """The window's counter (0 when it has none yet)."""
    top_ups: int
    entries: tuple[LedgerEntry, ...]
    """The window's entries: charged, refunded, and reserved (in flight)."""
    top_up_credits: tuple[int, ...] = ()
    """The credits of each top-up recorded for the window (a month's)."""
    user_used: dict[str, int] = field(default_factory=dict)
    """Each user's counter for the month (a month's window only)."""
    month_entries: tuple[LedgerEntry, ...] = ()
    """Every entry charged in the month whatever its window (the window's and the trial's), for the user counters."""

    @property
    def is_month(self) -> bool:
        return self.window != TRIAL_WINDOW


def _counts_against_the_window(entry: LedgerEntry) -> bool:
    return entry.state in (EntryState.CHARGED, EntryState.ORG_RESERVED)


def ledger_used(books: Books) -> int:
    return sum(1 for entry in books.entries if _counts_against_the_window(entry))


def _charged_in_the_month(books: Books) -> list[LedgerEntry]:
    """The entries a month's user counters count: charged (not refunded) in that month, whatever their window."""
    return [e for e in books.month_entries if e.state is EntryState.CHARGED and e.period == books.window]


def ledger_user_used(books: Books) -> dict[str, int]:
    return dict(Counter(entry.user_id for entry in _charged_in_the_month(books)))


def audit(books: Books, now: datetime, grace: timedelta) -> list[Drift]:
    """Every disagreement between the org's counters and its ledger in the window (an empty list: none)."""
    drift: list[Drift] = []
    counted = [e.enquiry_id for e in books.entries if _counts_against_the_window(e)]
    if books.used != len(counted):
        drift.append(Drift(DriftKind.ORG_USED, "org", books.used, len(counted), tuple(sorted(counted))))
    if books.top_ups != sum(books.top_up_credits):
        drift.append(Drift(DriftKind.TOP_UPS, "topUps", books.top_ups, sum(books.top_up_credits)))
    if books.is_month:
        by_user = ledger_user_used(books)
        for user_id in sorted(set(books.user_used) | set(by_user)):
            counter, ledger = books.user_used.get(user_id, 0), by_user.get(user_id, 0)
            if counter != ledger:
                charged = tuple(sorted(e.enquiry_id for e in _charged_in_the_month(books) if e.user_id == user_id))
                drift.append(Drift(DriftKind.USER_USED, f"user:{user_id}", counter, ledger, charged))
    for entry in books.entries:
        if entry.state is EntryState.ORG_RESERVED and now - entry.recorded_at > grace:
            drift.append(
                Drift(DriftKind.STALE_RESERVATION, f"enquiry:{entry.enquiry_id}", None, None, (entry.enquiry_id,))
            )
    negative = {"org": books.used, "topUps": books.top_ups} | {f"user:{u}": n for u, n in books.user_used.items()}
    for subject, value in negative.items():
        if value < 0:
            drift.append(Drift(DriftKind.NEGATIVE_COUNTER, subject, value, None))
    return drift
