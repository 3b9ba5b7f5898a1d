"""The org's history read back in time order, newest first: the charges of a window (all users', or one user's)
and the top-ups of a month, from the local indexes HistoryIndex and UserHistoryIndex (keys.py). Each read is a
strongly consistent Query of one org's partition that stops at the page's size, whatever the org's history holds."""

from __future__ import annotations

from typing import Any

from adapters.dynamodb.items import entry_from_item, top_up_from_item, values
from adapters.dynamodb.keys import (
    HISTORY_INDEX,
    HISTORY_SK,
    PK,
    USER_HISTORY_INDEX,
    USER_HISTORY_SK,
    charge_history_key,
    charges_prefix,
    entry_key,
    org_key,
    top_ups_prefix,
)
from adapters.dynamodb.table import Table
from domain.account import ChargePosition, LedgerEntry
from domain.ports import TopUpRecord


class History:
    def __init__(self, table: Table) -> None:
        self._table = table

    def charges(
        self, org_id: str, window: str, user_id: str | None, limit: int, after: ChargePosition | None
    ) -> list[LedgerEntry]:
        # Each index named where it is queried: tests/unit/test_template.py reads which a role must allow.
        if user_id is None:
            arguments: dict[str, Any] = {"IndexName": HISTORY_INDEX, "Limit": limit}
            sort_key = HISTORY_SK
        else:
            arguments = {"IndexName": USER_HISTORY_INDEX, "Limit": limit}
            sort_key = USER_HISTORY_SK
        if after is not None:
            # Where the page before stopped: the index's key of its last entry (the entry's table key with it). A
            # position fixed when the charge was made, so a page starts after it whatever was charged meanwhile.
            start = entry_key(org_id, after.enquiry_id) | {sort_key: {"S": charge_history_key(window, user_id, after)}}
            arguments["ExclusiveStartKey"] = start
        found = self._newest_first(org_id, sort_key, charges_prefix(window, user_id), limit, arguments)
        entries = [entry_from_item(item) for item in found[:limit]]
        return [entry for entry in entries if entry is not None]

    def top_ups(self, org_id: str, period: str, limit: int) -> list[TopUpRecord]:
        top_ups_arguments: dict[str, Any] = {"IndexName": HISTORY_INDEX, "Limit": limit}
        found = self._newest_first(org_id, HISTORY_SK, top_ups_prefix(period), limit, top_ups_arguments)
        records = [top_up_from_item(item) for item in found[:limit]]
        return [record for record in records if record is not None]

    def _newest_first(
        self, org_id: str, sort_key: str, prefix: str, limit: int, arguments: dict[str, Any]
    ) -> list[dict[str, Any]]:
        return self._table.query(
            limit,
            KeyConditionExpression=f"{PK} = :org AND begins_with(#sk, :prefix)",
            ExpressionAttributeNames={"#sk": sort_key},
            ExpressionAttributeValues=values(org=org_key(org_id), prefix=prefix),
            ScanIndexForward=False,
            ConsistentRead=True,
            **arguments,
        )
