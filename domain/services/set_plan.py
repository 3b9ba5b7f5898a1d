"""PUT plan: put the org on a plan, at once (one trial per org, and none after a paid plan)."""

from __future__ import annotations

from domain.plans import plan_named
from domain.services.balance import Balance
from domain.services.dependencies import Dependencies
from domain.services.profile_change import change_profile


def set_plan(deps: Dependencies, org_id: str, plan_name: str, deadline: float | None) -> Balance:
    plan = plan_named(plan_name)
    return change_profile(deps, org_id, lambda account, now: account.change_plan(plan, now), deadline)
