"""GET usage, usage/{enquiryId} and top-ups: what an org was charged, enquiry by enquiry and page by page, and the
top-ups bought for a month. Reads only."""

from __future__ import annotations

from dataclasses import dataclass

from domain.account import LedgerEntry
from domain.errors import EnquiryNotFound
from domain.history import PAGE_LIMIT, TOP_UPS_LISTED, LedgerCursor, charges_window, top_ups_month
from domain.ports import TopUpRecord
from domain.services.dependencies import Dependencies


@dataclass(frozen=True)
class ChargesPage:
    org_id: str
    window: str
    """The listing's period: a month, or TRIAL."""
    user_id: str | None
    entries: tuple[LedgerEntry, ...]
    """Newest first."""
    cursor: str | None
    """Where the next page starts; None on the last page."""


@dataclass(frozen=True)
class TopUps:
    org_id: str
    period: str
    records: tuple[TopUpRecord, ...]
    """Newest first."""
    truncated: bool
    """The month has more (older) top-ups than a listing holds (TOP_UPS_LISTED)."""


def list_charges(
    deps: Dependencies, org_id: str, period: str | None, user_id: str | None, limit: int, cursor: str | None
) -> ChargesPage:
    """One page of the window's charges. Each page starts strictly after the last entry of the one before, by a
    position that never changes (when it was charged, its enquiry id), so that charges made while a client pages
    come before its first page and are neither repeated nor make it skip one."""
    if not 1 <= limit <= PAGE_LIMIT:
        raise ValueError(f"a page holds 1 to {PAGE_LIMIT} entries, not {limit}")  # the command bounds it
    window = charges_window(period, deps.now())
    after = None if cursor is None else LedgerCursor.from_text(cursor, org_id, window, user_id).position
    # One more than the page: whether it exists says whether there is a next page, without a last, empty one.
    found = deps.store.charges(org_id, window, user_id, limit + 1, after)
    entries = tuple(found[:limit])
    following = LedgerCursor(org_id, window, user_id, entries[-1].position).encode() if len(found) > limit else None
    return ChargesPage(org_id, window, user_id, entries, following)


def get_charge(deps: Dependencies, org_id: str, enquiry_id: str) -> LedgerEntry:
    """The enquiry's charge (refunded since or not). A reservation still in flight is not a charge (yet): the
    ledger does not list it either."""
    entry = deps.store.find_entry(org_id, enquiry_id)
    if entry is None or not entry.is_charged:
        raise EnquiryNotFound(f"no charge of enquiry {enquiry_id} is recorded for this org")
    return entry


def list_top_ups(deps: Dependencies, org_id: str, period: str | None) -> TopUps:
    month = top_ups_month(period, deps.now())
    found = deps.store.top_ups(org_id, month, TOP_UPS_LISTED + 1)
    return TopUps(org_id, month, tuple(found[:TOP_UPS_LISTED]), truncated=len(found) > TOP_UPS_LISTED)
