"""Scheduled: give back the credits of reservations whose workflow ended without charging or releasing them
(its compensation failed too). Safe alongside anything: a release is keyed by the reservation, and fences it."""

from __future__ import annotations

from domain.errors import WriteContended
from domain.ports import AbandonedReservation
from domain.services.charge import abandoned_before
from domain.services.dependencies import Dependencies
from domain.services.release_org_credit import release

SWEEP_BATCH = 500


def sweep_abandoned_reservations(deps: Dependencies, deadline: float | None) -> list[AbandonedReservation]:
    released = []
    for abandoned in deps.store.abandoned_reservations(abandoned_before(deps.now()), SWEEP_BATCH):
        try:
            if release(deps, abandoned.org_id, abandoned.enquiry_id, abandoned.execution_name, deadline):
                released.append(abandoned)
        except WriteContended:
            break  # out of time: the next sweep goes on
    return released
