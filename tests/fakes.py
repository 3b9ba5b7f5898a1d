"""In-memory implementations of the domain's ports, for tests that exercise the rules without AWS.

InMemoryCreditStore keeps the same invariants as adapters/dynamodb.py: every write is conditional on what the
caller read (profile version, counter value) and raises StaleRead when that moved, EntryExists when the enquiry or
top-up id is already recorded. Tests can also make a write lose a race (`fail_next`) or let a concurrent writer
slip in between a read and a write (`before_next_write`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from domain.account import TRIAL_WINDOW, EntryState, LedgerEntry, OrgProfile, OrgReservation, Usage, UserReservation
from domain.events import LimitReached
from domain.periods import Period
from domain.ports import AccountState, ChargeSnapshot, EntryExists, StaleRead, TopUpRecord, UserSnapshot

WRITES = ("reserve_org_credit", "reserve_user_credit", "release", "save_profile", "record_top_up")


class InMemoryCreditStore:
    """Implements domain.ports.CreditStore in dictionaries, one org's items apart from another's."""

    def __init__(self) -> None:
        self.profiles: dict[str, OrgProfile] = {}
        self.usages: dict[tuple[str, str], Usage] = {}
        self.user_usages: dict[tuple[str, str, str], int] = {}
        self.entries: dict[tuple[str, str], LedgerEntry] = {}
        self.top_ups: dict[tuple[str, str], TopUpRecord] = {}
        self.notices: set[tuple[str, str, str]] = set()
        self.calls: Counter[str] = Counter()
        self._faults: dict[str, list[Exception]] = {}
        self._interleaved: dict[str, list[Callable[[], object]]] = {}

    # -- test controls -------------------------------------------------------------------------------------

    def fail_next(self, operation: str, error: Exception, times: int = 1) -> None:
        """Make the next `times` calls of a write raise `error` without changing anything."""
        assert operation in WRITES, operation
        self._faults.setdefault(operation, []).extend([error] * times)

    def before_next_write(self, operation: str, action: Callable[[], object]) -> None:
        """Run `action` (a concurrent writer) just before the next call of `operation` checks its conditions."""
        assert operation in WRITES, operation
        self._interleaved.setdefault(operation, []).append(action)

    def put_profile(self, profile: OrgProfile) -> None:
        self.profiles[profile.org_id] = profile

    def profile(self, org_id: str) -> OrgProfile:
        return self.profiles.get(org_id, OrgProfile(org_id))

    def usage(self, org_id: str, window: str) -> Usage:
        return self.usages.get((org_id, window), Usage(window))

    def entry(self, org_id: str, enquiry_id: str) -> LedgerEntry | None:
        return self.entries.get((org_id, enquiry_id))

    def _write(self, operation: str) -> None:
        self.calls[operation] += 1
        pending = self._interleaved.get(operation)
        if pending:
            pending.pop(0)()
        faults = self._faults.get(operation)
        if faults:
            raise faults.pop(0)

    def _user_count(self, org_id: str, user_id: str, period: str) -> int:
        return self.user_usages.get((org_id, user_id, period), 0)

    # -- reads -----------------------------------------------------------------------------------------------

    def charge_snapshot(self, org_id: str, at: datetime, user_id: str, enquiry_id: str) -> ChargeSnapshot:
        self.calls["charge_snapshot"] += 1
        state = self.account(org_id, at)
        period = Period.containing(at).key
        return ChargeSnapshot(
            profile=state.profile,
            usage=state.usage_for(state.profile, at),
            user_used=self._user_count(org_id, user_id, period),
            entry=self.entry(org_id, enquiry_id),
        )

    def user_snapshot(self, org_id: str, user_id: str, period: str, enquiry_id: str) -> UserSnapshot:
        self.calls["user_snapshot"] += 1
        profile = self.profile(org_id)
        return UserSnapshot(
            profile.version,
            profile.per_user_limit,
            self._user_count(org_id, user_id, period),
            self.entry(org_id, enquiry_id),
        )

    def account(self, org_id: str, at: datetime) -> AccountState:
        period = Period.containing(at).key
        return AccountState(self.profile(org_id), self.usage(org_id, period), self.usage(org_id, TRIAL_WINDOW))

    def user_used(self, org_id: str, user_id: str, period: str) -> int:
        return self._user_count(org_id, user_id, period)

    def find_top_up(self, org_id: str, top_up_id: str) -> TopUpRecord | None:
        return self.top_ups.get((org_id, top_up_id))

    # -- writes ----------------------------------------------------------------------------------------------

    def reserve_org_credit(self, snapshot: ChargeSnapshot, reservation: OrgReservation, entry: LedgerEntry) -> None:
        self._write("reserve_org_credit")
        org_id = snapshot.profile.org_id
        # As in the DynamoDB transaction, an existing entry is reported as such even if the counters moved too.
        if (org_id, entry.enquiry_id) in self.entries:
            raise EntryExists(entry.enquiry_id)
        if self.profile(org_id).version != snapshot.profile.version:
            raise StaleRead("profile")
        usage = self.usage(org_id, reservation.window)
        if usage.used != snapshot.usage.used:
            raise StaleRead("usage")
        self.usages[(org_id, reservation.window)] = replace(usage, used=reservation.used)
        self.entries[(org_id, entry.enquiry_id)] = replace(entry, user_used=None, user_limit=None)

    def reserve_user_credit(
        self, org_id: str, snapshot: UserSnapshot, reservation: UserReservation, entry: LedgerEntry
    ) -> None:
        self._write("reserve_user_credit")
        if self.profile(org_id).version != snapshot.profile_version:
            raise StaleRead("profile")
        key = (org_id, entry.user_id, reservation.period)
        if self.user_usages.get(key, 0) != snapshot.used:
            raise StaleRead("user usage")
        stored = self.entry(org_id, entry.enquiry_id)
        if (
            stored is None
            or stored.reservation_id != entry.reservation_id
            or stored.state is not EntryState.ORG_RESERVED
        ):
            raise StaleRead("entry")
        self.user_usages[key] = reservation.used
        self.entries[(org_id, entry.enquiry_id)] = replace(
            stored, state=EntryState.CHARGED, user_used=reservation.used, user_limit=reservation.limit
        )

    def release(self, org_id: str, enquiry_id: str, reservation_id: str) -> bool:
        self._write("release")
        entry = self.entry(org_id, enquiry_id)
        if entry is None or not entry.is_mine(reservation_id):
            return False
        usage = self.usage(org_id, entry.window)
        user_key = (org_id, entry.user_id, entry.period)
        charged = entry.state is EntryState.CHARGED
        if usage.used < 1 or (charged and self.user_usages.get(user_key, 0) < 1):
            raise StaleRead(f"could not release the reservation of enquiry {enquiry_id}")
        self.usages[(org_id, entry.window)] = replace(usage, used=usage.used - 1)
        if charged:
            self.user_usages[user_key] -= 1
        del self.entries[(org_id, enquiry_id)]
        return True

    def save_profile(self, profile: OrgProfile, expected_version: int) -> None:
        self._write("save_profile")
        if self.profile(profile.org_id).version != expected_version:
            raise StaleRead("profile")
        self.profiles[profile.org_id] = profile

    def record_top_up(self, org_id: str, profile_version: int, top_up: TopUpRecord) -> None:
        self._write("record_top_up")
        if (org_id, top_up.top_up_id) in self.top_ups:
            raise EntryExists(top_up.top_up_id)
        if self.profile(org_id).version != profile_version:
            raise StaleRead("profile")
        usage = self.usage(org_id, top_up.period)
        self.usages[(org_id, top_up.period)] = replace(usage, top_ups=usage.top_ups + top_up.credits)
        self.top_ups[(org_id, top_up.top_up_id)] = top_up

    def claim_notice(self, org_id: str, kind: str, window: str) -> bool:
        if (org_id, kind, window) in self.notices:
            return False
        self.notices.add((org_id, kind, window))
        return True

    def withdraw_notice(self, org_id: str, kind: str, window: str) -> None:
        self.notices.discard((org_id, kind, window))


@dataclass
class FixedClock:
    """A clock that stands still until a test moves it."""

    instant: datetime

    def now(self) -> datetime:
        return self.instant

    def set(self, instant: datetime) -> None:
        self.instant = instant

    def advance(self, by: timedelta) -> None:
        self.instant += by


class NotifierUnavailable(Exception):
    """What RecordingNotifier raises while it is told to fail (a topic that refuses the message)."""


@dataclass
class RecordingNotifier:
    """Records what was published; fails the next `failures` publishes first."""

    failures: int = 0
    published: list[LimitReached] = field(default_factory=list)
    attempts: int = 0

    def publish(self, event: LimitReached) -> None:
        self.attempts += 1
        if self.failures > 0:
            self.failures -= 1
            raise NotifierUnavailable("the topic refused the message")
        self.published.append(event)
