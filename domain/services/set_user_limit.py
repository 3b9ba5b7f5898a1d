"""PUT user-limit: cap (or uncap, with None) what each of the org's users may run per month, at once."""

from __future__ import annotations

from domain.services.balance import Balance
from domain.services.dependencies import Dependencies
from domain.services.profile_change import change_profile


def set_user_limit(deps: Dependencies, org_id: str, limit: int | None, deadline: float | None) -> Balance:
    return change_profile(deps, org_id, lambda account, now: account.set_user_limit(limit), deadline)
