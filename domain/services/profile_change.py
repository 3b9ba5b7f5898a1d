"""What the staff commands that change the org's profile share (a plan, a per-user limit): the change decided
by the account from a read, saved only if the profile is still the one read."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from domain.account import CreditAccount, OrgProfile
from domain.services.balance import Balance, balance_of
from domain.services.dependencies import Dependencies
from domain.services.retrying import write_until_it_lands

ProfileChange = Callable[[CreditAccount, datetime], OrgProfile]
"""The account's decision: the profile after the change (the same object when nothing changes)."""


def change_profile(deps: Dependencies, org_id: str, change: ProfileChange, deadline: float | None) -> Balance:
    now = deps.now()

    def decide_profile() -> Callable[[bool], Balance]:
        state = deps.store.account(org_id, now)
        profile = change(CreditAccount(state.profile, state.usage_for(state.profile, now)), now)

        def write_profile(exact: bool) -> Balance:
            if profile is not state.profile:  # a charge's transaction holding the profile: WriteConflict
                deps.store.save_profile(profile, expected_version=state.profile.version)
            return balance_of(state, profile, now)

        return write_profile

    return write_until_it_lands(deps.retry, deadline, decide_profile, "the org is changing too fast; retry")
