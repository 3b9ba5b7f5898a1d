"""Ports: what the domain needs from the outside world. Adapters implement them (DynamoDB, SNS, clocks)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from domain.account import LedgerEntry, OrgProfile, OrgReservation, Usage, UserReservation
from domain.events import LimitReached


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware UTC."""
        ...


class StaleRead(Exception):
    """A conditional write found the counters changed since they were read: read again and decide again."""


class EntryExists(Exception):
    """The ledger already holds an entry for this enquiry."""


@dataclass(frozen=True)
class ChargeSnapshot:
    """Everything a charge decision reads, in one consistent read."""

    profile: OrgProfile
    usage: Usage
    user_used: int
    entry: LedgerEntry | None


@dataclass(frozen=True)
class UserSnapshot:
    """What the user's side of a charge reads: the org's per-user limit and the user's count this period."""

    profile_version: int
    per_user_limit: int | None
    used: int
    entry: LedgerEntry | None


@dataclass(frozen=True)
class AccountState:
    profile: OrgProfile
    month: Usage
    trial: Usage

    def usage_for(self, profile: OrgProfile, at: datetime) -> Usage:
        return self.trial if profile.window_key(at) == self.trial.window else self.month


@dataclass(frozen=True)
class TopUpRecord:
    top_up_id: str
    credits: int
    period: str
    reason: str | None
    recorded_at: datetime


class CreditStore(Protocol):
    def charge_snapshot(self, org_id: str, at: datetime, user_id: str, enquiry_id: str) -> ChargeSnapshot: ...

    def reserve_org_credit(self, snapshot: ChargeSnapshot, reservation: OrgReservation, entry: LedgerEntry) -> None:
        """Count one credit against the window and record the entry, atomically.

        Raises StaleRead when the window's count or the profile moved since `snapshot`, EntryExists when
        the enquiry is already in the ledger."""
        ...

    def user_snapshot(self, org_id: str, user_id: str, period: str, enquiry_id: str) -> UserSnapshot: ...

    def reserve_user_credit(
        self, org_id: str, snapshot: UserSnapshot, reservation: UserReservation, entry: LedgerEntry
    ) -> None:
        """Count one credit against the user's period and mark the entry charged, atomically (or StaleRead)."""
        ...

    def release(self, org_id: str, enquiry_id: str, reservation_id: str) -> bool:
        """Give back what the reservation took and forget the entry. False when there was nothing to release."""
        ...

    def account(self, org_id: str, at: datetime) -> AccountState: ...

    def user_used(self, org_id: str, user_id: str, period: str) -> int: ...

    def save_profile(self, profile: OrgProfile, expected_version: int) -> None:
        """Store the profile if nobody changed it since it was read (else StaleRead)."""
        ...

    def record_top_up(self, org_id: str, profile_version: int, top_up: TopUpRecord) -> None:
        """Add the credits to the period and remember the top-up id, atomically.

        Raises EntryExists when that top-up id is already recorded, StaleRead when the profile changed."""
        ...

    def find_top_up(self, org_id: str, top_up_id: str) -> TopUpRecord | None: ...

    def claim_notice(self, org_id: str, kind: str, window: str) -> bool:
        """Mark that `kind` was sent for the org's window; False when it already was."""
        ...

    def withdraw_notice(self, org_id: str, kind: str, window: str) -> None: ...


class Notifier(Protocol):
    def publish(self, event: LimitReached) -> None: ...
