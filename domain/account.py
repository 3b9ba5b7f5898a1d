"""The org's credit account: the aggregate that decides whether an enquiry may be charged.

It decides; it does not store. Every method takes the decision time `now` from outside and returns new values;
persisting them is the adapters' job.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum

from domain.errors import (
    EnquiryChargedToAnotherUser,
    EnquiryInProgress,
    EnquiryRefunded,
    NoActivePlan,
    OrgLimitReached,
    TopUpNotAvailable,
    TrialExpired,
    TrialNotAvailable,
    UserLimitReached,
    WindowClosed,
)
from domain.periods import Period, require_utc
from domain.plans import CATALOGUE, Plan

TRIAL_WINDOW = "TRIAL"
"""Key of the usage window of a trial: one window for the whole trial, which does not renew on the 1st."""


@dataclass(frozen=True)
class OrgProfile:
    org_id: str
    plan: str | None = None
    plan_set_at: datetime | None = None
    trial_started_at: datetime | None = None
    had_paid_plan: bool = False
    per_user_limit: int | None = None
    version: int = 0

    @property
    def plan_terms(self) -> Plan | None:
        return CATALOGUE.get(self.plan) if self.plan is not None else None

    @property
    def trial_ends_at(self) -> datetime | None:
        terms = self.plan_terms
        if terms is None or terms.trial is None or self.trial_started_at is None:
            return None
        return self.trial_started_at + terms.trial.length

    def trial_has_ended(self, now: datetime) -> bool:
        """The trial's 14 days are over at `now` (from the instant it ends): nothing remains of it, whatever its
        count says. False for an org not on a trial."""
        ends_at = self.trial_ends_at
        return ends_at is not None and require_utc(now) >= ends_at

    def window_key(self, now: datetime) -> str:
        """Which usage window a charge at `now` counts against."""
        terms = self.plan_terms
        if terms is not None and terms.is_trial:
            return TRIAL_WINDOW
        return Period.containing(now).key


@dataclass(frozen=True)
class WindowCounter:
    """An org's counter for one window (a period key or TRIAL_WINDOW) and the top-ups bought for it."""

    window: str
    used: int = 0
    top_ups: int = 0


@dataclass(frozen=True)
class Allowance:
    plan: str | None
    window: str
    period: Period
    plan_credits: int
    top_up_credits: int
    used: int
    window_starts_at: datetime | None
    window_ends_at: datetime | None
    expired: bool = False
    """A trial past its end: nothing remains, whatever its count says."""

    @property
    def limit(self) -> int:
        return self.plan_credits + self.top_up_credits

    @property
    def remaining(self) -> int:
        return 0 if self.expired else max(self.limit - self.used, 0)


@dataclass(frozen=True)
class OrgReservation:
    """One org credit set aside for an enquiry: `used` is the window's count after this reservation."""

    window: str
    period: str
    plan: str
    used: int
    limit: int
    window_starts_at: datetime
    window_ends_at: datetime

    @property
    def remaining(self) -> int:
        return max(self.limit - self.used, 0)


@dataclass(frozen=True)
class PerUserLimit:
    """An org's cap on how many enquiries each of its users runs per calendar month (also during a trial).
    `credits` None: no cap."""

    credits: int | None

    def remaining(self, used: int) -> int | None:
        """What a user who has used `used` this month may still run under the cap (None: uncapped)."""
        return None if self.credits is None else max(self.credits - used, 0)

    def reserve_one(self, used: int, period: str) -> UserReservation:
        """Set aside one of the user's credits for the period, unless the cap forbids it."""
        if self.remaining(used) == 0:
            raise UserLimitReached(f"the user has used all {self.credits} credits allowed per user in {period}")
        return UserReservation(period=period, used=used + 1, limit=self.credits)


@dataclass(frozen=True)
class UserReservation:
    period: str
    used: int
    limit: int | None
    rerun: bool = field(default=False, compare=False)
    """Found already made by an earlier run of the same step (the workflow retried it after its write had
    committed): nothing new was counted. Not a replay, which is a client asking again for an enquiry charged before."""

    @property
    def remaining(self) -> int | None:
        return PerUserLimit(self.limit).remaining(self.used)


@dataclass(frozen=True)
class CreditAccount:
    """An org's profile and the usage of the window that `now` falls in."""

    profile: OrgProfile
    usage: WindowCounter

    def allowance(self, now: datetime) -> Allowance:
        now = require_utc(now)
        period = Period.containing(now)
        terms = self.profile.plan_terms
        if terms is None:
            return Allowance(None, period.key, period, 0, self.usage.top_ups, self.usage.used, None, None)
        if terms.trial is not None:
            return Allowance(
                terms.name,
                TRIAL_WINDOW,
                period,
                terms.trial.credits,
                0,
                self.usage.used,
                self.profile.trial_started_at,
                self.profile.trial_ends_at,
                expired=self.profile.trial_has_ended(now),
            )
        return Allowance(
            terms.name,
            period.key,
            period,
            terms.monthly_credits,
            self.usage.top_ups,
            self.usage.used,
            period.starts_at,
            period.ends_at,
        )

    def user_remaining(self, user_used: int, now: datetime) -> int:
        """What one user may still run now: the smaller of what the per-user cap and the org have left."""
        org_remaining = self.allowance(now).remaining
        user_remaining = PerUserLimit(self.profile.per_user_limit).remaining(user_used)
        return org_remaining if user_remaining is None else min(user_remaining, org_remaining)

    def reserve(self, now: datetime) -> OrgReservation:
        """Set aside one credit of the current window, or say which rule forbids it."""
        terms = self.profile.plan_terms
        if terms is None:
            raise NoActivePlan("the org has no plan; set one before running enquiries")
        if self.profile.trial_has_ended(now):
            ends_at = self.profile.trial_ends_at
            assert ends_at is not None
            raise TrialExpired(f"the trial ended at {ends_at.isoformat()}; choose a paid plan to continue")
        allowance = self.allowance(now)
        if allowance.used >= allowance.limit:
            raise OrgLimitReached(
                f"the org has used all {allowance.limit} credits of {allowance.window}"
                + ("" if terms.is_trial else "; staff can top up for this month")
            )
        assert allowance.window_starts_at is not None
        assert allowance.window_ends_at is not None
        return OrgReservation(
            window=allowance.window,
            period=allowance.period.key,
            plan=terms.name,
            used=allowance.used + 1,
            limit=allowance.limit,
            window_starts_at=allowance.window_starts_at,
            window_ends_at=allowance.window_ends_at,
        )

    def change_plan(self, plan: Plan, now: datetime) -> OrgProfile:
        """Apply a plan at once. An org gets one trial, and none after a paid plan. Setting the trial again while
        it runs changes nothing; once it has ended, it is refused like a second trial (an answer of "nothing
        changed" would read as "the trial started again")."""
        now = require_utc(now)
        current = self.profile
        if plan.is_trial and current.plan != plan.name:
            if current.trial_started_at is not None:
                raise TrialNotAvailable("the org has already had its trial")
            if current.had_paid_plan:
                raise TrialNotAvailable("a trial is only for orgs that have never had a paid plan")
        if plan.is_trial and current.plan == plan.name and current.trial_has_ended(now):
            ended = current.trial_ends_at
            assert ended is not None  # a trial that has ended has an end
            raise TrialNotAvailable(f"the org's trial ended at {ended.isoformat()}; choose a paid plan to continue")
        if current.plan == plan.name:
            return current  # setting the same plan again changes nothing (and keeps the trial clock)
        return replace(
            current,
            plan=plan.name,
            plan_set_at=now,
            trial_started_at=now if plan.is_trial else current.trial_started_at,
            had_paid_plan=current.had_paid_plan or not plan.is_trial,
            version=current.version + 1,
        )

    def set_user_limit(self, limit: int | None) -> OrgProfile:
        """Cap (or uncap, with None) what each user may run per month; the change applies at once."""
        if limit == self.profile.per_user_limit:
            return self.profile
        return replace(self.profile, per_user_limit=limit, version=self.profile.version + 1)

    def top_up(self, credits: int, now: datetime) -> WindowCounter:
        """Add credits to the current month; they expire with it."""
        terms = self.profile.plan_terms
        if terms is None or terms.is_trial:
            raise TopUpNotAvailable("top-ups add to a paid plan's month; set a paid plan first")
        period = Period.containing(now)
        if self.usage.window != period.key:
            raise ValueError("a top-up applies to the usage of the current period")
        return replace(self.usage, top_ups=self.usage.top_ups + credits)


@dataclass(frozen=True, order=True)
class ChargePosition:
    """Where a charge sits in its window's history: by the instant it was charged, then by enquiry id (two charges
    of one instant keep one order). Newest first is descending order of positions."""

    charged_at: datetime
    enquiry_id: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "charged_at", require_utc(self.charged_at))


class EntryState(StrEnum):
    ORG_RESERVED = "ORG_RESERVED"
    CHARGED = "CHARGED"
    REFUNDED = "REFUNDED"


@dataclass(frozen=True)
class LedgerEntry:
    """What the ledger remembers of an enquiry: who ran it, against which window, and how far the saga got."""

    enquiry_id: str
    user_id: str
    window: str
    period: str
    execution_name: str
    state: EntryState
    recorded_at: datetime
    plan: str
    org_used: int
    org_limit: int
    window_starts_at: datetime
    window_ends_at: datetime
    user_used: int | None = None
    user_limit: int | None = None
    refunded_at: datetime | None = None
    refund_reason: str | None = None
    refunded_by: str | None = None
    """The execution that refunded it (its name), so that a retry of that step is not taken for another request's
    replay."""
    charged_at: datetime | None = None
    """When the user step charged it (the entry is only reserved before)."""

    @classmethod
    def reserved(
        cls, enquiry_id: str, user_id: str, reservation: OrgReservation, execution_name: str, recorded_at: datetime
    ) -> LedgerEntry:
        """The entry an org step records with its reservation (the saga's first write for the enquiry)."""
        return cls(
            enquiry_id=enquiry_id,
            user_id=user_id,
            window=reservation.window,
            period=reservation.period,
            execution_name=execution_name,
            state=EntryState.ORG_RESERVED,
            recorded_at=recorded_at,
            plan=reservation.plan,
            org_used=reservation.used,
            org_limit=reservation.limit,
            window_starts_at=reservation.window_starts_at,
            window_ends_at=reservation.window_ends_at,
        )

    def charged(self, reservation: UserReservation, now: datetime) -> LedgerEntry:
        """The entry once the user step counted the user too, at `now`: the enquiry is charged."""
        return replace(
            self,
            state=EntryState.CHARGED,
            user_used=reservation.used,
            user_limit=reservation.limit,
            charged_at=require_utc(now),
        )

    @property
    def position(self) -> ChargePosition:
        """Where the charge sits in its window's history (an entry only reserved sits where it was reserved)."""
        return ChargePosition(self.charged_at or self.recorded_at, self.enquiry_id)

    @property
    def is_charged(self) -> bool:
        """Charged (and maybe refunded since): in the ledger's history, unlike a reservation still in flight."""
        return self.state is not EntryState.ORG_RESERVED

    def refunded(
        self, profile: OrgProfile, now: datetime, reason: str | None, execution_name: str | None = None
    ) -> LedgerEntry:
        """The entry once its credit is given back: the org's and its user's, in the window it was charged to, while
        that window is open (the calendar month it was charged in, or the trial while it runs: not once the trial
        has ended, nor once the org has moved on to a paid plan). Only a charged enquiry is refunded; a refunded
        one is answered as it was (`is_refunded`), before this is asked."""
        now = require_utc(now)
        if self.state is EntryState.ORG_RESERVED:
            raise EnquiryInProgress(f"enquiry {self.enquiry_id} is being charged by another request; retry")
        if self.state is not EntryState.CHARGED:
            raise ValueError(f"enquiry {self.enquiry_id} is {self.state}, not charged")  # a caller's mistake
        if now >= self.window_ends_at:
            raise WindowClosed(
                f"enquiry {self.enquiry_id} was charged to {self.window}, which closed at "
                f"{self.window_ends_at.isoformat()}; its credit cannot be given back"
            )
        if profile.window_key(now) != self.window:
            raise WindowClosed(
                f"enquiry {self.enquiry_id} was charged to {self.window}, which is no longer the org's window (it "
                f"is on {profile.plan} now); its credit cannot be given back"
            )
        refunded_by = execution_name
        return replace(self, state=EntryState.REFUNDED, refunded_at=now, refund_reason=reason, refunded_by=refunded_by)

    def refunded_by_another_execution(self, execution_name: str | None) -> bool:
        """A refunded entry asked to be refunded again: by another request (a replay), or by a retry of the very
        step that refunded it, whose answer was lost (without an execution's name, always another)."""
        return execution_name is None or self.refunded_by != execution_name

    @property
    def is_refunded(self) -> bool:
        return self.state is EntryState.REFUNDED

    @property
    def org_reservation(self) -> OrgReservation:
        return OrgReservation(
            self.window,
            self.period,
            self.plan,
            self.org_used,
            self.org_limit,
            self.window_starts_at,
            self.window_ends_at,
        )

    @property
    def user_reservation(self) -> UserReservation | None:
        if self.user_used is None:
            return None
        return UserReservation(self.period, self.user_used, self.user_limit)

    def is_mine(self, execution_name: str) -> bool:
        return self.execution_name == execution_name

    def check_replay(self, user_id: str) -> None:
        """An enquiry is charged at most once: say how a second request for it is answered."""
        if self.user_id != user_id:
            raise EnquiryChargedToAnotherUser(f"enquiry {self.enquiry_id} is already recorded for another user")
        if self.state is EntryState.REFUNDED:
            raise EnquiryRefunded(
                f"enquiry {self.enquiry_id} was refunded; a report run again is a new enquiry, with a new enquiryId"
            )
        if self.state is not EntryState.CHARGED:
            raise EnquiryInProgress(f"enquiry {self.enquiry_id} is being charged by another request; retry")
