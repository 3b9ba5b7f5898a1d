"""Application services: one per command. They read through the ports, let the aggregate decide, and write
back under optimistic concurrency (read, decide, conditional write; on a stale read, read again)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from domain.account import (
    CreditAccount,
    EntryState,
    LedgerEntry,
    OrgProfile,
    OrgReservation,
    PerUserLimit,
    Usage,
    UserReservation,
)
from domain.errors import StoreUnavailable, TopUpIdReused, WriteContended
from domain.events import LimitNotice
from domain.notices import notice_after_denial, notices_after_charge
from domain.periods import Period, require_utc
from domain.plans import plan_named
from domain.ports import (
    AbandonedReservation,
    AccountState,
    ChargeSnapshot,
    Clock,
    CreditStore,
    EnquiryAlreadyInLedger,
    Fenced,
    NotificationNotDelivered,
    Notifier,
    StaleRead,
    TopUpAlreadyRecorded,
    TopUpRecord,
    UserSnapshot,
    WriteConflict,
)
from domain.retry import Retry

PUBLISH_ATTEMPTS = 3
"""Tries to publish a notice within one step (the channel's client retries each try as well)."""

ABANDONED_AFTER = timedelta(minutes=5)
"""A reservation neither charged nor released this long after it was made belongs to a workflow that is over:
every workflow ends within 28 s (its TimeoutSeconds), so five minutes leaves a wide margin."""

SWEEP_BATCH = 500


@dataclass(frozen=True)
class ChargeRequest:
    org_id: str
    user_id: str
    enquiry_id: str
    decided_at: datetime
    reservation_id: str
    """Identifies this attempt to charge (the workflow execution): a retried step recognises its own writes."""

    def reserved_entry(self, reservation: OrgReservation) -> LedgerEntry:
        """The ledger entry the org step writes for this request's reservation (and the user step finds)."""
        return LedgerEntry.reserved(
            self.enquiry_id, self.user_id, reservation, self.reservation_id, recorded_at=self.decided_at
        )


@dataclass(frozen=True)
class OrgCreditReserved:
    reservation: OrgReservation
    user_hint: UserSnapshot | None
    replayed: bool = False
    user: UserReservation | None = None


@dataclass(frozen=True)
class _OrgDecision:
    """What the org step decided from one read, to be written."""

    snapshot: ChargeSnapshot
    reservation: OrgReservation
    entry: LedgerEntry


@dataclass(frozen=True)
class NotifyOutcome:
    sent: list[LimitNotice]
    failed: list[LimitNotice]
    """Notices that could not be delivered now; their claims were given up, so a later chance sends them."""


@dataclass(frozen=True)
class Balance:
    org_id: str
    plan: str | None
    period: str
    plan_credits: int
    top_up_credits: int
    limit: int
    used: int
    remaining: int
    per_user_limit: int | None
    trial_ends_at: datetime | None
    user_id: str | None = None
    user_used: int | None = None
    user_remaining: int | None = None


@dataclass(frozen=True)
class TopUpResult:
    balance: Balance
    top_up: TopUpRecord
    replayed: bool


def _balance(state: AccountState, profile: OrgProfile, at: datetime) -> Balance:
    allowance = CreditAccount(profile, state.usage_for(profile, at)).allowance(at)
    return Balance(
        org_id=profile.org_id,
        plan=profile.plan,
        period=allowance.period.key,
        plan_credits=allowance.plan_credits,
        top_up_credits=allowance.top_up_credits,
        limit=allowance.limit,
        used=allowance.used,
        remaining=allowance.remaining,
        per_user_limit=profile.per_user_limit,
        trial_ends_at=profile.trial_ends_at,
    )


class CreditService:
    def __init__(
        self,
        store: CreditStore,
        clock: Clock,
        notifier: Notifier | None = None,
        retry: Retry | None = None,
    ) -> None:
        self._store = store
        self._clock = clock
        self._notifier = notifier
        self._retry = retry or Retry()

    def now(self) -> datetime:
        return require_utc(self._clock.now())

    # -- the use-credit saga ---------------------------------------------------------------------------

    def reserve_org_credit(self, request: ChargeRequest, deadline: float | None = None) -> OrgCreditReserved:
        """`deadline` (monotonic clock): when to stop trying; a Lambda passes its own timeout less a margin."""
        decided: _OrgDecision | None = None
        for attempt in self._retry.attempts(deadline):
            if decided is None:
                outcome = self._decide_org(request)
                if not isinstance(outcome, _OrgDecision):
                    if outcome is None:
                        continue  # an abandoned reservation of the enquiry was reclaimed: read again
                    return outcome
                decided = outcome
            try:
                # First try to learn the exact place in the count for free; when others are counting too, give
                # that up rather than keep losing the race (the limit itself is never given up).
                counted = self._store.reserve_org_credit(
                    decided.snapshot, decided.reservation, decided.entry, exact=attempt == 0
                )
            except WriteConflict:
                continue  # another write was in flight on the org's items: the same decision, after a pause
            except (StaleRead, EnquiryAlreadyInLedger):
                decided = None  # what was read changed: read again and decide again
                continue
            except Fenced:
                raise WriteContended("this request was given up (compensated) before it could reserve") from None
            reservation = replace(decided.reservation, used=counted)
            return OrgCreditReserved(reservation, self._user_hint(decided.snapshot, decided.entry))
        raise WriteContended("the org's credits are changing too fast to reserve one; retry")

    def _decide_org(self, request: ChargeRequest) -> _OrgDecision | OrgCreditReserved | None:
        """Read the org and decide: a reservation to write, an answer already known (a retried step, a replayed
        enquiry), or None when an abandoned reservation of the enquiry was just reclaimed."""
        snapshot = self._store.charge_snapshot(request.org_id, request.decided_at, request.user_id, request.enquiry_id)
        entry = snapshot.entry
        if entry is not None:
            if entry.is_mine(request.reservation_id):  # this step ran before and its write committed
                return OrgCreditReserved(entry.org_reservation, self._user_hint(snapshot, entry))
            if entry.state is EntryState.ORG_RESERVED and entry.recorded_at < request.decided_at - ABANDONED_AFTER:
                # Its workflow is long over without charging or releasing it: reclaim it now, as the sweep would.
                with contextlib.suppress(StaleRead):  # lost a race: the next read tells
                    self._store.release(request.org_id, request.enquiry_id, entry.reservation_id, self.now())
                return None
            entry.check_replay(request.user_id)
            return OrgCreditReserved(entry.org_reservation, None, replayed=True, user=entry.user_reservation)
        reservation = CreditAccount(snapshot.profile, snapshot.usage).reserve(request.decided_at)
        return _OrgDecision(snapshot, reservation, request.reserved_entry(reservation))

    @staticmethod
    def _user_hint(snapshot: ChargeSnapshot, entry: LedgerEntry) -> UserSnapshot:
        return UserSnapshot(snapshot.profile.version, snapshot.profile.per_user_limit, snapshot.user_used, entry)

    def reserve_user_credit(
        self, request: ChargeRequest, hint: UserSnapshot | None, deadline: float | None = None
    ) -> UserReservation:
        period = Period.containing(request.decided_at).key
        snapshot = hint
        for attempt in self._retry.attempts(deadline):
            if snapshot is None:
                snapshot = self._store.user_snapshot(request.org_id, request.user_id, period, request.enquiry_id)
            entry = snapshot.entry
            if entry is None or not entry.is_mine(request.reservation_id):
                raise WriteContended("the org reservation of this enquiry is gone; retry the request")
            done = entry.user_reservation
            if entry.state is EntryState.CHARGED and done is not None:
                return replace(done, repeated=True)  # this step ran before and its write committed
            reservation = PerUserLimit(snapshot.per_user_limit).reserve_one(snapshot.used, period)
            try:
                self._store.reserve_user_credit(request.org_id, snapshot, reservation, entry, exact=attempt == 0)
            except WriteConflict:
                continue  # the same decision, after a pause (not exact any more)
            except StaleRead:
                snapshot = None
                continue
            return reservation
        raise WriteContended("the user's credits are changing too fast to reserve one; retry")

    def release_org_credit(self, request: ChargeRequest, deadline: float | None = None) -> bool:
        """Compensation: give back this request's reservation. Safe to repeat."""
        return self._release(request.org_id, request.enquiry_id, request.reservation_id, deadline)

    def _release(self, org_id: str, enquiry_id: str, reservation_id: str, deadline: float | None) -> bool:
        for _ in self._retry.attempts(deadline):
            try:
                return self._store.release(org_id, enquiry_id, reservation_id, self.now())
            except StaleRead:
                continue
        raise WriteContended(f"the reservation of enquiry {enquiry_id} could not be released yet; retry")

    def sweep_abandoned_reservations(self, deadline: float | None = None) -> list[AbandonedReservation]:
        """Give back the credits of reservations whose workflow ended without charging or releasing them (its
        compensation failed too). Safe alongside anything: release is keyed by the reservation, and fences it."""
        now = self.now()
        released = []
        for abandoned in self._store.abandoned_reservations(now - ABANDONED_AFTER, SWEEP_BATCH):
            try:
                if self._release(abandoned.org_id, abandoned.enquiry_id, abandoned.reservation_id, deadline):
                    released.append(abandoned)
            except WriteContended:
                break  # out of time: the next sweep goes on
        return released

    def notify(self, org_id: str, reservation: OrgReservation, at: datetime, claimant: str) -> NotifyOutcome:
        """Tell customer success what a granted charge means for the org: each kind once per org and window."""
        return self._send(notices_after_charge(org_id, reservation, at), claimant)

    def notify_denial(self, org_id: str, at: datetime, claimant: str) -> NotifyOutcome:
        """A charge was denied for the org's limit: make sure customer success has heard the limit is reached."""
        state = self._store.account(org_id, at)
        allowance = CreditAccount(state.profile, state.usage_for(state.profile, at)).allowance(at)
        notice = notice_after_denial(org_id, allowance, at)
        return self._send([] if notice is None else [notice], claimant)

    def _send(self, notices: list[LimitNotice], claimant: str) -> NotifyOutcome:
        sent: list[LimitNotice] = []
        failed: list[LimitNotice] = []
        if self._notifier is None:
            return NotifyOutcome(sent, failed)
        for notice in notices:
            if not self._store.claim_notice(notice.org_id, notice.kind, notice.window, claimant, self.now()):
                continue
            if self._publish(notice):
                self._confirm(notice, claimant)
                sent.append(notice)
            else:
                # Nobody has heard it: give the claim up so the next charge or denial of the window sends it.
                self._store.withdraw_notice(notice.org_id, notice.kind, notice.window, claimant)
                failed.append(notice)
        return NotifyOutcome(sent, failed)

    def _confirm(self, notice: LimitNotice, claimant: str) -> None:
        """Record that the notice went out. Tried hard: a claim left unconfirmed is taken over after the lease
        and the notice sent again (at least once is kept over at most once when the store stays unreachable)."""
        for attempt in range(PUBLISH_ATTEMPTS):
            try:
                self._store.confirm_notice(notice.org_id, notice.kind, notice.window, claimant)
            except StoreUnavailable:
                if attempt + 1 == PUBLISH_ATTEMPTS:
                    raise
                self._retry.backoff(attempt + 4)
                continue
            return

    def _publish(self, notice: LimitNotice) -> bool:
        assert self._notifier is not None
        for attempt in range(PUBLISH_ATTEMPTS):
            try:
                self._notifier.publish(notice)
            except NotificationNotDelivered:
                if attempt + 1 < PUBLISH_ATTEMPTS:
                    self._retry.backoff(attempt + 4)
                continue
            return True
        return False

    # -- staff commands and queries --------------------------------------------------------------------

    def set_plan(self, org_id: str, plan_name: str, deadline: float | None = None) -> Balance:
        plan = plan_named(plan_name)
        return self._change_profile(org_id, lambda account, now: account.change_plan(plan, now), deadline)

    def set_user_limit(self, org_id: str, limit: int | None, deadline: float | None = None) -> Balance:
        return self._change_profile(org_id, lambda account, now: account.set_user_limit(limit), deadline)

    def _change_profile(
        self, org_id: str, change: Callable[[CreditAccount, datetime], OrgProfile], deadline: float | None
    ) -> Balance:
        now = self.now()
        decided: tuple[AccountState, OrgProfile] | None = None
        for _ in self._retry.attempts(deadline):
            if decided is None:
                state = self._store.account(org_id, now)
                decided = state, change(CreditAccount(state.profile, state.usage_for(state.profile, now)), now)
            state, profile = decided
            if profile is not state.profile:
                try:
                    self._store.save_profile(profile, expected_version=state.profile.version)
                except WriteConflict:
                    continue  # a transaction of a charge held the profile: the same change, after a pause
                except StaleRead:
                    decided = None
                    continue
            return _balance(state, profile, now)
        raise WriteContended("the org is changing too fast; retry")

    def top_up(
        self, org_id: str, credits: int, top_up_id: str, reason: str | None, deadline: float | None = None
    ) -> TopUpResult:
        now = self.now()
        decided: tuple[AccountState, Usage, TopUpRecord] | None = None
        for _ in self._retry.attempts(deadline):
            if decided is None:
                known = self._store.find_top_up(org_id, top_up_id)
                if known is not None:
                    if known.credits != credits:
                        raise TopUpIdReused(f"top-up {top_up_id} was already recorded with {known.credits} credits")
                    return TopUpResult(self.balance(org_id, None), known, replayed=True)
                state = self._store.account(org_id, now)
                usage = CreditAccount(state.profile, state.month).top_up(credits, now)
                decided = state, usage, TopUpRecord(top_up_id, credits, state.month.window, reason, now)
            state, usage, record = decided
            try:
                self._store.record_top_up(org_id, state.profile.version, record)
            except WriteConflict:
                continue  # a transaction of a charge held the org's items: the same top-up, after a pause
            except (StaleRead, TopUpAlreadyRecorded):
                decided = None  # read again: a replay of that top-up is answered from its record
                continue
            return TopUpResult(_balance(replace(state, month=usage), state.profile, now), record, False)
        raise WriteContended("the org is changing too fast; retry")

    def balance(self, org_id: str, user_id: str | None) -> Balance:
        now = self.now()
        state = self._store.account(org_id, now)
        balance = _balance(state, state.profile, now)
        if user_id is None:
            return balance
        used = self._store.user_used(org_id, user_id, balance.period)
        account = CreditAccount(state.profile, state.usage_for(state.profile, now))
        return replace(balance, user_id=user_id, user_used=used, user_remaining=account.user_remaining(used, now))
