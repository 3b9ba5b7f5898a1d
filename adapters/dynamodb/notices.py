"""Notification claims (NOTICE#<kind>#<window>): each kind once per org and window. A claimant takes the item
(PENDING, with its name and the time), marks it SENT once the notice went out, or withdraws it; a claim older
than NOTICE_LEASE may be taken over."""

from __future__ import annotations

from datetime import datetime

from adapters.dynamodb.items import NOTICE_PENDING, NOTICE_SENT, notice_claim_to_item, values
from adapters.dynamodb.keys import notice_key
from adapters.dynamodb.table import Table
from domain.ports import NOTICE_LEASE, NoticeClaimLost

_STATE = {"#state": "state"}


class Notices:
    def __init__(self, table: Table) -> None:
        self._table = table

    def claim(self, org_id: str, kind: str, window: str, claimant: str, now: datetime) -> bool:
        now_ms = int(now.timestamp() * 1000)
        return self._table.put_if(
            notice_claim_to_item(org_id, kind, window, claimant, now_ms),
            "attribute_not_exists(pk) OR (#state = :pending AND (claimant = :claimant OR claimedAtMs <= :abandoned))",
            ExpressionAttributeNames=_STATE,
            ExpressionAttributeValues=values(
                pending=NOTICE_PENDING,
                claimant=claimant,
                abandoned=now_ms - int(NOTICE_LEASE.total_seconds() * 1000),
            ),
        )

    def confirm(self, org_id: str, kind: str, window: str, claimant: str) -> None:
        confirmed = self._table.update_if(
            notice_key(org_id, kind, window),
            "SET #state = :sent",
            "claimant = :claimant",
            ExpressionAttributeNames=_STATE,
            ExpressionAttributeValues=values(sent=NOTICE_SENT, claimant=claimant),
        )
        if not confirmed:
            raise NoticeClaimLost(f"{claimant} no longer holds the claim on {kind} of {org_id} for {window}")

    def withdraw(self, org_id: str, kind: str, window: str, claimant: str) -> None:
        # Not held (any more) by this claimant, or sent already: nothing to give up.
        self._table.delete_if(
            notice_key(org_id, kind, window),
            "claimant = :claimant AND #state = :pending",
            ExpressionAttributeNames=_STATE,
            ExpressionAttributeValues=values(pending=NOTICE_PENDING, claimant=claimant),
        )
