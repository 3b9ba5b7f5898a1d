"""use-credit, step 2: reserve one of the org's credits for an enquiry (or recognise one already charged)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, replace

from domain.account import CreditAccount, LedgerEntry, OrgReservation, UserReservation
from domain.errors import WriteContended
from domain.ports import ChargeSnapshot, EnquiryAlreadyInLedger, Fenced, StaleRead, UserSnapshot
from domain.services.charge import ChargeRequest, is_abandoned
from domain.services.dependencies import Dependencies
from domain.services.retrying import answered, write_until_it_lands


@dataclass(frozen=True)
class OrgCreditReserved:
    reservation: OrgReservation
    user_hint: UserSnapshot | None
    replayed: bool = False
    user: UserReservation | None = None


def reserve_org_credit(deps: Dependencies, request: ChargeRequest, deadline: float | None) -> OrgCreditReserved:
    """`deadline` (monotonic clock): when to stop trying; a Lambda passes its own timeout less a margin."""
    return write_until_it_lands(
        deps.retry,
        deadline,
        lambda: _decide_org(deps, request),
        "the org's credits are changing too fast to reserve one; retry",
        read_again_after=(EnquiryAlreadyInLedger,),
    )


def _decide_org(deps: Dependencies, request: ChargeRequest) -> Callable[[bool], OrgCreditReserved] | None:
    """Read the org and decide: a reservation to write, an answer already known (a retried step, a replayed
    enquiry), or None when an abandoned reservation of the enquiry was just reclaimed (read again)."""
    snapshot = deps.store.charge_snapshot(request.org_id, request.decided_at, request.user_id, request.enquiry_id)
    found = snapshot.entry
    if found is not None:
        if found.is_mine(request.execution_name):  # this step ran before and its write committed
            return answered(OrgCreditReserved(found.org_reservation, _user_hint(snapshot, found)))
        if is_abandoned(found, request.decided_at):
            # Its workflow is long over without charging or releasing it: reclaim it now, as the sweep would.
            with contextlib.suppress(StaleRead):  # lost a race: the next read tells
                deps.store.release(request.org_id, request.enquiry_id, found.execution_name, deps.now())
            return None
        found.check_replay(request.user_id)
        return answered(OrgCreditReserved(found.org_reservation, None, replayed=True, user=found.user_reservation))
    reservation = CreditAccount(snapshot.profile, snapshot.usage).reserve(request.decided_at)
    entry = request.reserved_entry(reservation)

    def write_org_reservation(exact: bool) -> OrgCreditReserved:
        try:
            counted = deps.store.reserve_org_credit(snapshot, reservation, entry, exact=exact)
        except Fenced:
            raise WriteContended("this request was given up (compensated) before it could reserve") from None
        return OrgCreditReserved(replace(reservation, used=counted), _user_hint(snapshot, entry))

    return write_org_reservation


def _user_hint(snapshot: ChargeSnapshot, entry: LedgerEntry) -> UserSnapshot:
    """What the org step read of the user's side, so that the user step need not read it again."""
    return UserSnapshot(snapshot.profile.version, snapshot.profile.per_user_limit, snapshot.user_used, entry)
