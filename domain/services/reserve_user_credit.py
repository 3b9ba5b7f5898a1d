"""use-credit, step 3: reserve one of the user's credits under the org's per-user limit; the enquiry is then
charged."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from domain.account import EntryState, PerUserLimit, UserReservation
from domain.errors import WriteContended
from domain.periods import Period
from domain.ports import UserSnapshot
from domain.services.charge import ChargeRequest
from domain.services.dependencies import Dependencies
from domain.services.retrying import answered, write_until_it_lands


def reserve_user_credit(
    deps: Dependencies, request: ChargeRequest, hint: UserSnapshot | None, deadline: float | None
) -> UserReservation:
    """`hint`: what the org step read of the user's side; the first decision uses it instead of a read."""
    period = Period.containing(request.decided_at).key
    unread = [hint] if hint is not None else []

    def decide_user() -> Callable[[bool], UserReservation]:
        snapshot = (
            unread.pop()
            if unread
            else deps.store.user_snapshot(request.org_id, request.user_id, period, request.enquiry_id)
        )
        entry = snapshot.entry
        if entry is None or not entry.is_mine(request.execution_name):
            raise WriteContended("the org reservation of this enquiry is gone; retry the request")
        done = entry.user_reservation
        if entry.state is not EntryState.ORG_RESERVED and done is not None:
            # This step ran before and its write committed (the charge may have been refunded since: a late
            # repeat of the step must not count the user again, nor wait for a write that cannot land)
            return answered(replace(done, rerun=True))
        reservation = PerUserLimit(snapshot.per_user_limit).reserve_one(snapshot.used, period)

        def write_user_reservation(exact: bool) -> UserReservation:
            charged = entry.charged(reservation, deps.now())
            deps.store.reserve_user_credit(request.org_id, snapshot, reservation, charged, exact=exact)
            return reservation

        return write_user_reservation

    return write_until_it_lands(
        deps.retry, deadline, decide_user, "the user's credits are changing too fast to reserve one; retry"
    )
