"""POST top-ups: add credits to the org's current month (they expire with it), once per top-up id."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from domain.account import CreditAccount
from domain.errors import TopUpIdReused
from domain.ports import TopUpAlreadyRecorded, TopUpRecord
from domain.services.balance import Balance, balance_of, get_balance
from domain.services.dependencies import Dependencies
from domain.services.retrying import answered, write_until_it_lands


@dataclass(frozen=True)
class TopUpResult:
    balance: Balance
    top_up: TopUpRecord
    replayed: bool


def default_top_up_id(execution_name: str) -> str:
    """A top-up sent without a topUpId is recorded under the name of the workflow execution that runs the request:
    the workflow's retry of the step finds it and does not add the credits twice. Two requests are never one."""
    return f"request-{execution_name}"


def top_up(
    deps: Dependencies,
    org_id: str,
    credits: int,
    top_up_id: str,
    reason: str | None,
    deadline: float | None,
) -> TopUpResult:
    now = deps.now()

    def decide_top_up() -> Callable[[bool], TopUpResult]:
        known = deps.store.find_top_up(org_id, top_up_id)
        if known is not None:
            if known.credits != credits:
                raise TopUpIdReused(f"top-up {top_up_id} was already recorded with {known.credits} credits")
            return answered(TopUpResult(get_balance(deps, org_id, None), known, replayed=True))
        state = deps.store.account(org_id, now)
        usage = CreditAccount(state.profile, state.month).top_up(credits, now)
        record = TopUpRecord(top_up_id, credits, state.month.window, reason, now)

        def write_top_up(exact: bool) -> TopUpResult:
            deps.store.record_top_up(org_id, state.profile.version, record)
            return TopUpResult(balance_of(replace(state, month=usage), state.profile, now), record, replayed=False)

        return write_top_up

    # TopUpAlreadyRecorded: the same top-up id won a race; the next read answers it as a replay from its record.
    return write_until_it_lands(
        deps.retry, deadline, decide_top_up, "the org is changing too fast; retry", (TopUpAlreadyRecorded,)
    )
