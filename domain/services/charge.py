"""What the steps of the use-credit saga share: the request they all work on, and when a reservation that
none of them finished counts as abandoned."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from domain.account import EntryState, LedgerEntry, OrgReservation

ABANDONED_AFTER = timedelta(minutes=5)
"""A reservation neither charged nor released this long after it was made belongs to a workflow that is over:
every workflow ends within 28 s (its TimeoutSeconds), so five minutes leaves a wide margin."""


def abandoned_before(now: datetime) -> datetime:
    """Reservations made before this instant, still neither charged nor released, are abandoned at `now`."""
    return now - ABANDONED_AFTER


def is_abandoned(entry: LedgerEntry, now: datetime) -> bool:
    return entry.state is EntryState.ORG_RESERVED and entry.recorded_at < abandoned_before(now)


@dataclass(frozen=True)
class ChargeRequest:
    org_id: str
    user_id: str
    enquiry_id: str
    decided_at: datetime
    execution_name: str
    """Identifies this attempt to charge (the workflow execution): a retried step recognises its own writes."""

    def reserved_entry(self, reservation: OrgReservation) -> LedgerEntry:
        """The ledger entry the org step writes for this request's reservation (and the user step finds)."""
        return LedgerEntry.reserved(
            self.enquiry_id, self.user_id, reservation, self.execution_name, recorded_at=self.decided_at
        )
