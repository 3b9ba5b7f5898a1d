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
    Item,
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
        sort_key = HISTORY_SK if user_id is None else USER_HISTORY_SK
        # Where the page before stopped: the index's key of its last entry (the entry's table key with it). A
        # position fixed when the charge was made, so a page starts after it whatever was charged meanwhile.
        start = None
        if after is not None:
            start = entry_key(org_id, after.enquiry_id) | {sort_key: {"S": charge_history_key(window, user_id, after)}}
        prefix = charges_prefix(window, user_id)
        index = HISTORY_INDEX if user_id is None else USER_HISTORY_INDEX
        found = self._newest_first(org_id, sort_key, prefix, limit, start, IndexName=index)
        return [entry for entry in map(entry_from_item, found) if entry is not None]

    def top_ups(self, org_id: str, period: str, limit: int) -> list[TopUpRecord]:
        found = self._newest_first(org_id, HISTORY_SK, top_ups_prefix(period), limit, None, IndexName=HISTORY_INDEX)
        return [record for record in map(top_up_from_item, found) if record is not None]

    def _newest_first(
        self, org_id: str, sort_key: str, prefix: str, limit: int, start: Item | None, **index: str
    ) -> list[dict[str, Any]]:
        """Up to `limit` items of the org's partition in an index (`IndexName`), whose key there starts with
        `prefix`, newest first, from just after `start`: strongly consistent, each request asking for `limit`."""
        found = self._table.query(
            limit,
            KeyConditionExpression=f"{PK} = :org AND begins_with(#sk, :prefix)",
            ExpressionAttributeNames={"#sk": sort_key},
            ExpressionAttributeValues=values(org=org_key(org_id), prefix=prefix),
            ScanIndexForward=False,
            ConsistentRead=True,
            Limit=limit,
            **index,
            **({} if start is None else {"ExclusiveStartKey": start}),
        )
        return found[:limit]  # a page short of the 1 MB cap is followed by another, which may overshoot
