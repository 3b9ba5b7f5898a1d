"""Ports: what the domain needs from the outside world. Adapters implement them (DynamoDB, SNS, clocks)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from domain.account import ChargePosition, LedgerEntry, OrgProfile, OrgReservation, UserReservation, WindowCounter
from domain.audit import Books
from domain.events import LimitNotice

ACTIVE_SHARDS = 8
"""How many shards the orgs active in a month are listed in (the audit of every org reads them side by side)."""


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware UTC."""
        ...


class StaleRead(Exception):
    """A conditional write found the counters changed since they were read: read again and decide again."""


class WriteConflict(StaleRead):
    """The write met another write in flight on one of its items (DynamoDB's TransactionConflict) and was not
    applied; no condition failed, so what was read may still be good: the same decision may be tried again."""


class EnquiryAlreadyInLedger(Exception):
    """The ledger already holds an entry for this enquiry (another request reserved it first): read again."""


class TopUpAlreadyRecorded(Exception):
    """A top-up with this id is already recorded: its credits were added once, and are not added again."""


class Fenced(Exception):
    """This reservation was released (its workflow gave up on it): it must not be made any more."""


class NoticeClaimLost(Exception):
    """The claimant no longer holds its claim on a notice (it withdrew it, or another claimant took it over once
    it was NOTICE_LEASE old): nothing was recorded; the claim's holder confirms or withdraws it."""


class NotificationNotDelivered(Exception):
    """The notification channel refused or did not answer; the notice may be sent again later."""


NOTICE_LEASE = timedelta(seconds=60)
"""How long a claim to send a notice stays with its claimant. A claim left longer (its sender crashed or gave
up) may be taken over, so each notice goes out at least once as long as the channel eventually accepts it."""


@dataclass(frozen=True)
class ChargeSnapshot:
    """Everything a charge decision reads, in one consistent read."""

    profile: OrgProfile
    usage: WindowCounter
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
    month: WindowCounter
    trial: WindowCounter

    def usage_for(self, profile: OrgProfile, at: datetime) -> WindowCounter:
        return self.trial if profile.window_key(at) == self.trial.window else self.month


@dataclass(frozen=True)
class AbandonedReservation:
    """An org credit reserved for an enquiry whose workflow neither charged it nor gave it back."""

    org_id: str
    enquiry_id: str
    execution_name: str
    reserved_at: datetime


@dataclass(frozen=True)
class TopUpRecord:
    top_up_id: str
    credits: int
    period: str
    reason: str | None
    recorded_at: datetime


@dataclass(frozen=True)
class RefundSnapshot:
    """What a refund decides from, read together: the org's profile (which window is the org's now) and the
    enquiry's entry (None when it was never charged, or was denied)."""

    profile: OrgProfile
    entry: LedgerEntry | None


class CreditStore(Protocol):
    def charge_snapshot(self, org_id: str, at: datetime, user_id: str, enquiry_id: str) -> ChargeSnapshot: ...

    def reserve_org_credit(
        self, snapshot: ChargeSnapshot, reservation: OrgReservation, entry: LedgerEntry, exact: bool = True
    ) -> int:
        """Count one credit against the window and record the entry, atomically; answer the window's count.

        exact: only if the count still is the snapshot's (so the count after is known: reservation.used).
        Otherwise: only if the count is below reservation.limit, whatever others counted meanwhile; the answer
        is then the count read after the write. Either way StaleRead when the condition failed or the profile
        moved since `snapshot`, EnquiryAlreadyInLedger when the enquiry is already in the ledger, Fenced when this
        reservation was released already."""
        ...

    def user_snapshot(self, org_id: str, user_id: str, period: str, enquiry_id: str) -> UserSnapshot: ...

    def reserve_user_credit(
        self,
        org_id: str,
        snapshot: UserSnapshot,
        reservation: UserReservation,
        charged: LedgerEntry,
        exact: bool = True,
    ) -> None:
        """Count one credit against the user's period and record the entry as `charged` (what the reserved entry
        becomes: LedgerEntry.charged), atomically, if it still is the reservation's and only reserved (or
        StaleRead). exact / not exact: as for reserve_org_credit, against the per-user limit (none: no condition)."""
        ...

    def release(self, org_id: str, enquiry_id: str, execution_name: str, now: datetime) -> bool:
        """Give back what the reservation took and forget the entry; and fence the reservation, so that a write
        of it still in flight (a step that outlived its workflow) cannot land later. False when there was
        nothing to give back. One try: StaleRead when it lost a race (read again and try again)."""
        ...

    def refund_snapshot(self, org_id: str, enquiry_id: str) -> RefundSnapshot: ...

    def refund(self, org_id: str, charged: LedgerEntry, refunded: LedgerEntry) -> None:
        """Give back the org's and the user's credit of a charged entry and record it refunded, atomically, if the
        entry is still the charge that was read (else StaleRead: read again; WriteConflict: try again)."""
        ...

    def find_entry(self, org_id: str, enquiry_id: str) -> LedgerEntry | None:
        """The enquiry's ledger entry, in any state (None: never charged, or denied, or released)."""
        ...

    def charges(
        self, org_id: str, window: str, user_id: str | None, limit: int, after: ChargePosition | None
    ) -> list[LedgerEntry]:
        """Up to `limit` entries charged to the window (refunded since or not; no reservation still in flight), of
        one user or of all, newest first (descending ChargePosition), from just after `after` (None: the newest).
        Reads what the page holds, not the org's whole history; strongly consistent."""
        ...

    def top_ups(self, org_id: str, period: str, limit: int) -> list[TopUpRecord]:
        """Up to `limit` of the top-ups recorded for the month, newest first (by recorded_at, then id)."""
        ...

    def books(self, org_id: str, window: str) -> Books:
        """The org's counters and ledger for the window (domain/audit.py), read strongly consistent; writes nothing."""
        ...

    def active_windows(
        self, month: str, shard: int, limit: int, after: dict[str, str] | None
    ) -> tuple[list[tuple[str, str]], dict[str, str] | None]:
        """Up to `limit` (org, window) whose counter was written in the month, of one of ACTIVE_SHARDS shards, after
        the key `after` (None: from the first); and the key the next page starts after (None: no more)."""
        ...

    def abandoned_reservations(self, reserved_before: datetime, limit: int) -> list[AbandonedReservation]:
        """Reservations still neither charged nor released that were made before `reserved_before`."""
        ...

    def account(self, org_id: str, at: datetime) -> AccountState: ...

    def user_used(self, org_id: str, user_id: str, period: str) -> int: ...

    def save_profile(self, profile: OrgProfile, expected_version: int) -> None:
        """Store the profile if nobody changed it since it was read (else StaleRead)."""
        ...

    def record_top_up(self, org_id: str, profile_version: int, top_up: TopUpRecord) -> None:
        """Add the credits to the period and remember the top-up id, atomically.

        Raises TopUpAlreadyRecorded when that top-up id is already recorded, StaleRead when the profile changed."""
        ...

    def find_top_up(self, org_id: str, top_up_id: str) -> TopUpRecord | None: ...

    def claim_notice(self, org_id: str, kind: str, window: str, claimant: str, now: datetime) -> bool:
        """Take the right to send `kind` for the org's window. False when it was sent already, or another
        claimant holds a claim younger than NOTICE_LEASE. The same claimant may claim again (a retried step)."""
        ...

    def confirm_notice(self, org_id: str, kind: str, window: str, claimant: str) -> None:
        """Record that the claimant's notice went out: nobody sends it again for that window. NoticeClaimLost when
        the claimant does not hold the claim any more (withdrawn, or taken over after NOTICE_LEASE)."""
        ...

    def withdraw_notice(self, org_id: str, kind: str, window: str, claimant: str) -> None:
        """Give up the claimant's claim (its notice did not go out), so the next chance sends it."""
        ...


class Notifier(Protocol):
    def publish(self, notice: LimitNotice) -> None:
        """Deliver the notice, or raise NotificationNotDelivered."""
        ...
