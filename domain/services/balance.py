"""GET balance: what the org (and one of its users) has used and has left in the window `now` falls in."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from domain.account import CreditAccount, OrgProfile
from domain.ports import AccountState
from domain.services.dependencies import Dependencies


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


def balance_of(state: AccountState, profile: OrgProfile, at: datetime) -> Balance:
    """The org's balance at `at` with `profile` (the one read, or the one a staff command just wrote)."""
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


def _org_balance(deps: Dependencies, org_id: str) -> tuple[datetime, AccountState, Balance]:
    """Now, the org's account read now, and its balance."""
    now = deps.now()
    state = deps.store.account(org_id, now)
    return now, state, balance_of(state, state.profile, now)


def get_org_balance(deps: Dependencies, org_id: str) -> Balance:
    """The org's balance alone (no user's: what a refund answers)."""
    return _org_balance(deps, org_id)[2]


def get_balance(deps: Dependencies, org_id: str, user_id: str | None) -> Balance:
    now, state, balance = _org_balance(deps, org_id)
    if user_id is None:
        return balance
    used = deps.store.user_used(org_id, user_id, balance.period)
    account = CreditAccount(state.profile, state.usage_for(state.profile, now))
    return replace(balance, user_id=user_id, user_used=used, user_remaining=account.user_remaining(used, now))
