"""What the store tests share: the credit stores under test, and the saga's steps written as a service would write
them (read, let the account decide, write), so that a case reads as the rule it checks."""

from __future__ import annotations

from datetime import UTC, datetime

from domain.account import CreditAccount, LedgerEntry, OrgProfile, OrgReservation, PerUserLimit
from domain.periods import Period
from domain.ports import CreditStore

NOW = datetime(2025, 3, 14, 12, 30, tzinfo=UTC)
PERIOD = Period.containing(NOW).key


def org_on_basic(store: CreditStore, org_id: str, per_user_limit: int | None = None) -> OrgProfile:
    profile = OrgProfile(
        org_id, plan="Basic", plan_set_at=NOW, had_paid_plan=True, per_user_limit=per_user_limit, version=1
    )
    store.save_profile(profile, expected_version=0)
    return profile


def reserved_entry(
    enquiry_id: str, user_id: str, reservation: OrgReservation, execution_name: str, at: datetime = NOW
) -> LedgerEntry:
    return LedgerEntry.reserved(enquiry_id, user_id, reservation, execution_name, recorded_at=at)


def reserve_org(
    store: CreditStore,
    org_id: str,
    enquiry_id: str,
    user_id: str = "user-1",
    execution_name: str | None = None,
    at: datetime = NOW,
) -> LedgerEntry:
    """Read, let the account decide, write: what the org step of the saga does."""
    snapshot = store.charge_snapshot(org_id, at, user_id, enquiry_id)
    reservation = CreditAccount(snapshot.profile, snapshot.usage).reserve(at)
    entry = reserved_entry(enquiry_id, user_id, reservation, execution_name or f"run-{enquiry_id}", at)
    store.reserve_org_credit(snapshot, reservation, entry)
    return entry


def reserve_user(store: CreditStore, org_id: str, entry: LedgerEntry, at: datetime = NOW) -> LedgerEntry:
    """The user step: the entry charged at `at`, as stored."""
    snapshot = store.user_snapshot(org_id, entry.user_id, entry.period, entry.enquiry_id)
    reservation = PerUserLimit(snapshot.per_user_limit).reserve_one(snapshot.used, entry.period)
    charged = entry.charged(reservation, at)
    store.reserve_user_credit(org_id, snapshot, reservation, charged)
    return charged


def charge(
    store: CreditStore, org_id: str, enquiry_id: str, user_id: str = "user-1", at: datetime = NOW
) -> LedgerEntry:
    """The enquiry reserved and charged at `at`; answers the entry as the org step recorded it (reserved)."""
    entry = reserve_org(store, org_id, enquiry_id, user_id, at=at)
    reserve_user(store, org_id, entry, at)
    return entry


def org_used(store: CreditStore, org_id: str) -> int:
    return store.account(org_id, NOW).month.used


def entry_of(store: CreditStore, org_id: str, enquiry_id: str, user_id: str = "user-1") -> LedgerEntry | None:
    return store.charge_snapshot(org_id, NOW, user_id, enquiry_id).entry
