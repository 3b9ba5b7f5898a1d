"""In-memory implementations of the domain's ports, for tests that exercise the rules without AWS.

InMemoryCreditStore keeps the same invariants as the DynamoDB store (adapters/dynamodb/), and
tests/integration/test_store_contract.py holds both to the same cases: every write is conditional on what the
caller read (profile version, counter value) and raises StaleRead when that moved, EnquiryAlreadyInLedger when the
enquiry is already in the ledger, TopUpAlreadyRecorded when the top-up id is. Tests can also make a write lose a
race (`fail_next`) or let a concurrent writer slip in between a read and a write (`before_next_write`). Notice claims
follow domain.ports.CreditStore: a claim is PENDING under its claimant until confirmed (SENT) or withdrawn, and
another claimant may take it over only once it is NOTICE_LEASE old; confirming a claim no longer held raises
NoticeClaimLost.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from types import SimpleNamespace

from domain.account import (
    TRIAL_WINDOW,
    ChargePosition,
    EntryState,
    LedgerEntry,
    OrgProfile,
    OrgReservation,
    UserReservation,
    WindowCounter,
)
from domain.audit import Books
from domain.events import LimitNotice
from domain.periods import Period
from domain.ports import (
    NOTICE_LEASE,
    AbandonedReservation,
    AccountState,
    ChargeSnapshot,
    EnquiryAlreadyInLedger,
    Fenced,
    NoticeClaimLost,
    NotificationNotDelivered,
    RefundSnapshot,
    StaleRead,
    TopUpAlreadyRecorded,
    TopUpRecord,
    UserSnapshot,
)
from domain.retry import Retry

WRITES = ("reserve_org_credit", "reserve_user_credit", "release", "refund", "save_profile", "record_top_up")

PENDING = "PENDING"
SENT = "SENT"


@dataclass(frozen=True)
class NoticeClaim:
    """What the store remembers of a notice for one org, kind and window."""

    state: str
    claimant: str
    claimed_at: datetime


class InMemoryCreditStore:
    """Implements domain.ports.CreditStore in dictionaries, one org's items apart from another's."""

    def __init__(self) -> None:
        self.profiles: dict[str, OrgProfile] = {}
        self.usages: dict[tuple[str, str], WindowCounter] = {}
        self.user_usages: dict[tuple[str, str, str], int] = {}
        self.entries: dict[tuple[str, str], LedgerEntry] = {}
        self.top_ups_recorded: dict[tuple[str, str], TopUpRecord] = {}
        self.notices: dict[tuple[str, str, str], NoticeClaim] = {}
        self.fences: set[tuple[str, str]] = set()
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

    def window_counter(self, org_id: str, window: str) -> WindowCounter:
        return self.usages.get((org_id, window), WindowCounter(window))

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
        self.calls["account"] += 1
        period = Period.containing(at).key
        return AccountState(
            self.profile(org_id), self.window_counter(org_id, period), self.window_counter(org_id, TRIAL_WINDOW)
        )

    def user_used(self, org_id: str, user_id: str, period: str) -> int:
        return self._user_count(org_id, user_id, period)

    def find_top_up(self, org_id: str, top_up_id: str) -> TopUpRecord | None:
        return self.top_ups_recorded.get((org_id, top_up_id))

    # -- writes ----------------------------------------------------------------------------------------------

    def reserve_org_credit(
        self, snapshot: ChargeSnapshot, reservation: OrgReservation, entry: LedgerEntry, exact: bool = True
    ) -> int:
        self._write("reserve_org_credit")
        org_id = snapshot.profile.org_id
        # As in the DynamoDB transaction, an existing entry is reported as such even if the counters moved too.
        if (org_id, entry.execution_name) in self.fences:
            raise Fenced(entry.execution_name)
        if (org_id, entry.enquiry_id) in self.entries:
            raise EnquiryAlreadyInLedger(entry.enquiry_id)
        if self.profile(org_id).version != snapshot.profile.version:
            raise StaleRead("profile")
        usage = self.window_counter(org_id, reservation.window)
        if exact and usage.used != snapshot.usage.used:
            raise StaleRead("usage")
        if not exact and usage.used >= reservation.limit:
            raise StaleRead("usage at the limit")
        self.usages[(org_id, reservation.window)] = replace(usage, used=usage.used + 1)
        self.entries[(org_id, entry.enquiry_id)] = replace(entry, user_used=None, user_limit=None)
        return usage.used + 1

    def reserve_user_credit(
        self,
        org_id: str,
        snapshot: UserSnapshot,
        reservation: UserReservation,
        charged: LedgerEntry,
        exact: bool = True,
    ) -> None:
        self._write("reserve_user_credit")
        if self.profile(org_id).version != snapshot.profile_version:
            raise StaleRead("profile")
        key = (org_id, charged.user_id, reservation.period)
        used = self.user_usages.get(key, 0)
        if exact and used != snapshot.used:
            raise StaleRead("user usage")
        if not exact and reservation.limit is not None and used >= reservation.limit:
            raise StaleRead("user usage at the limit")
        stored = self.entry(org_id, charged.enquiry_id)
        if (
            stored is None
            or stored.execution_name != charged.execution_name
            or stored.state is not EntryState.ORG_RESERVED
        ):
            raise StaleRead("entry")
        self.user_usages[key] = used + 1
        self.entries[(org_id, charged.enquiry_id)] = charged

    def release(self, org_id: str, enquiry_id: str, execution_name: str, now: datetime) -> bool:
        self._write("release")
        self.fences.add((org_id, execution_name))
        entry = self.entry(org_id, enquiry_id)
        if entry is None or not entry.is_mine(execution_name):
            return False
        usage = self.window_counter(org_id, entry.window)
        user_key = (org_id, entry.user_id, entry.period)
        charged = entry.state is EntryState.CHARGED
        if usage.used < 1 or (charged and self.user_usages.get(user_key, 0) < 1):
            raise StaleRead(f"could not release the reservation of enquiry {enquiry_id}")
        self.usages[(org_id, entry.window)] = replace(usage, used=usage.used - 1)
        if charged:
            self.user_usages[user_key] -= 1
        del self.entries[(org_id, enquiry_id)]
        return True

    def refund_snapshot(self, org_id: str, enquiry_id: str) -> RefundSnapshot:
        self.calls["refund_snapshot"] += 1
        return RefundSnapshot(self.profile(org_id), self.entry(org_id, enquiry_id))

    def refund(self, org_id: str, charged: LedgerEntry, refunded: LedgerEntry) -> None:
        self._write("refund")
        entry = self.entry(org_id, charged.enquiry_id)
        if entry is None or not entry.is_mine(charged.execution_name) or entry.state is not EntryState.CHARGED:
            raise StaleRead(f"enquiry {charged.enquiry_id} changed since it was read")
        usage = self.window_counter(org_id, charged.window)
        user_key = (org_id, charged.user_id, charged.period)
        if usage.used < 1 or self.user_usages.get(user_key, 0) < 1:
            raise StaleRead(f"could not give back the credit of enquiry {charged.enquiry_id}")
        self.usages[(org_id, charged.window)] = replace(usage, used=usage.used - 1)
        self.user_usages[user_key] -= 1
        self.entries[(org_id, charged.enquiry_id)] = refunded

    def find_entry(self, org_id: str, enquiry_id: str) -> LedgerEntry | None:
        self.calls["find_entry"] += 1
        return self.entry(org_id, enquiry_id)

    def charges(
        self, org_id: str, window: str, user_id: str | None, limit: int, after: ChargePosition | None
    ) -> list[LedgerEntry]:
        self.calls["charges"] += 1
        found = [
            entry
            for (owner, _), entry in self.entries.items()
            if owner == org_id
            and entry.is_charged
            and entry.window == window
            and user_id in (None, entry.user_id)
            and (after is None or entry.position < after)
        ]
        return sorted(found, key=lambda entry: entry.position, reverse=True)[:limit]

    def top_ups(self, org_id: str, period: str, limit: int) -> list[TopUpRecord]:
        self.calls["top_ups"] += 1
        found = [record for (owner, _), record in self.top_ups_recorded.items() if owner == org_id]
        found = [record for record in found if record.period == period]
        return sorted(found, key=lambda record: (record.recorded_at, record.top_up_id), reverse=True)[:limit]

    def books(self, org_id: str, window: str) -> Books:
        self.calls["books"] += 1
        mine = [entry for (owner, _), entry in self.entries.items() if owner == org_id]
        counter = self.window_counter(org_id, window)
        if window == TRIAL_WINDOW:
            return Books(org_id, window, counter.used, counter.top_ups, tuple(e for e in mine if e.window == window))
        return Books(
            org_id,
            window,
            counter.used,
            counter.top_ups,
            tuple(e for e in mine if e.window == window),
            top_up_credits=tuple(
                r.credits for (owner, _), r in self.top_ups_recorded.items() if owner == org_id and r.period == window
            ),
            user_used={
                user: used
                for (owner, user, period), used in self.user_usages.items()
                if owner == org_id and period == window
            },
            month_entries=tuple(
                e
                for e in mine
                if e.is_charged and (e.window == window or (e.window == TRIAL_WINDOW and e.period == window))
            ),
        )

    def abandoned_reservations(self, reserved_before: datetime, limit: int) -> list[AbandonedReservation]:
        found = [
            AbandonedReservation(org_id, enquiry_id, entry.execution_name, entry.recorded_at)
            for (org_id, enquiry_id), entry in self.entries.items()
            if entry.state is EntryState.ORG_RESERVED and entry.recorded_at < reserved_before
        ]
        return found[:limit]

    def save_profile(self, profile: OrgProfile, expected_version: int) -> None:
        self._write("save_profile")
        if self.profile(profile.org_id).version != expected_version:
            raise StaleRead("profile")
        self.profiles[profile.org_id] = profile

    def record_top_up(self, org_id: str, profile_version: int, top_up: TopUpRecord) -> None:
        self._write("record_top_up")
        if (org_id, top_up.top_up_id) in self.top_ups_recorded:
            raise TopUpAlreadyRecorded(top_up.top_up_id)
        if self.profile(org_id).version != profile_version:
            raise StaleRead("profile")
        usage = self.window_counter(org_id, top_up.period)
        self.usages[(org_id, top_up.period)] = replace(usage, top_ups=usage.top_ups + top_up.credits)
        self.top_ups_recorded[(org_id, top_up.top_up_id)] = top_up

    def claim_notice(self, org_id: str, kind: str, window: str, claimant: str, now: datetime) -> bool:
        self.calls["claim_notice"] += 1
        key = (org_id, kind, window)
        held = self.notices.get(key)
        if held is not None:
            if held.state == SENT:
                return False
            if held.claimant != claimant and now - held.claimed_at < NOTICE_LEASE:
                return False
        self.notices[key] = NoticeClaim(PENDING, claimant, now)
        return True

    def confirm_notice(self, org_id: str, kind: str, window: str, claimant: str) -> None:
        self.calls["confirm_notice"] += 1
        key = (org_id, kind, window)
        held = self.notices.get(key)
        if held is None or held.claimant != claimant:
            raise NoticeClaimLost(f"{claimant} does not hold the claim on {key}: {held}")
        self.notices[key] = replace(held, state=SENT)

    def withdraw_notice(self, org_id: str, kind: str, window: str, claimant: str) -> None:
        self.calls["withdraw_notice"] += 1
        key = (org_id, kind, window)
        held = self.notices.get(key)
        if held is not None and held.state == PENDING and held.claimant == claimant:
            del self.notices[key]

    def notice(self, org_id: str, kind: str, window: str) -> NoticeClaim | None:
        return self.notices.get((org_id, kind, window))


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


@dataclass
class RecordingNotifier:
    """Records what was published; the next `failures` publishes raise NotificationNotDelivered instead (a topic
    that refuses the message). `before_publish` runs first on every attempt (a concurrent sender slipping in)."""

    failures: int = 0
    published: list[LimitNotice] = field(default_factory=list)
    attempts: int = 0
    before_publish: Callable[[LimitNotice], object] | None = None

    def publish(self, notice: LimitNotice) -> None:
        self.attempts += 1
        if self.before_publish is not None:
            self.before_publish(notice)
        if self.failures > 0:
            self.failures -= 1
            raise NotificationNotDelivered("the topic refused the message")
        self.published.append(notice)


class FakeTimer:
    """The retry policy's pause and monotonic clock, faked: a pause moves the clock and is recorded, and the
    jitter always takes the longest pause, so how many tries a budget allows is exact."""

    def __init__(self) -> None:
        self.now = 0.0
        self.pauses: list[float] = []

    def pause(self, seconds: float) -> None:
        self.pauses.append(seconds)
        self.now += seconds

    def clock(self) -> float:
        return self.now

    def retry(self) -> Retry:
        return Retry(pause=self.pause, clock=self.clock, jitter=lambda low, high: high)


def no_pauses() -> Retry:
    """Retries at once (on a fake clock), for services that only set the scene of a test."""
    return FakeTimer().retry()


def lambda_context(function_name: str) -> SimpleNamespace:
    """The Lambda context a handler reads (Powertools' inject_lambda_context), outside Lambda: no deadline."""
    return SimpleNamespace(
        function_name=function_name,
        function_version="$LATEST",
        invoked_function_arn=f"arn:aws:lambda:eu-west-2:123456789012:function:{function_name}",
        memory_limit_in_mb=512,
        aws_request_id="request-1",
        log_group_name=f"/aws/lambda/{function_name}",
        log_stream_name="local",
    )
