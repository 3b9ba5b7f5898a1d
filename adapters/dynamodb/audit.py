"""An org's books for one window, read for an audit (domain/audit.py): strongly consistent, read only, and in reads
proportional to the window's items, not to the org's whole history:
- the window's counter: one GetItem;
- its charges (refunded ones included): a Query of HistoryIndex, `CHARGE#<window>#`, every page;
- its reservations in flight: a Query of ReservedIndex for the org's shard (its in-flight entries among those of an
  eighth of the orgs), then each of the org's re-read with BatchGetItem (the index is eventually consistent: one it
  lists may have been charged or released since);
- a month's top-ups: a Query of HistoryIndex, `TOPUP#<month>#`;
- a month's user counters: a Query of the org's `USER#` items (every user's every month: a few per user and month),
  and the trial's charges (at most its 10), whose users were counted in the month they were charged in.
A reservation made while the index has not caught up is missing from it for that while (typically under a second on
AWS; never on the emulator, whose index is immediate): the audit would then see the counter one above the ledger. The
scheduled audit reads an org again before it reports drift; docs/rules.md, "The books audited".
"""

from __future__ import annotations

from typing import Any

from adapters.dynamodb.items import entry_from_item, top_up_from_item, used_from_item, values
from adapters.dynamodb.keys import (
    ACTIVE_INDEX,
    ACTIVE_SHARD,
    HISTORY_INDEX,
    HISTORY_SK,
    PK,
    RESERVED_INDEX,
    SK,
    active_shard_key,
    charges_prefix,
    org_key,
    reserved_shard,
    top_ups_prefix,
    usage_key,
)
from adapters.dynamodb.table import Table
from domain.account import TRIAL_WINDOW, EntryState, LedgerEntry
from domain.audit import Books

EVERYTHING = 10**9
"""No limit: every page of a Query."""
BATCH_GET_KEYS = 100
"""BatchGetItem's most keys a request."""
_USER = "USER#"


class BooksReader:
    def __init__(self, table: Table) -> None:
        self._table = table

    def books(self, org_id: str, window: str) -> Books:
        counter = self._table.get(usage_key(org_id, window)) or {}
        charged = self._charges(org_id, window)
        entries = (*charged, *self._in_flight(org_id, window))
        if window == TRIAL_WINDOW:
            return Books(org_id, window, used_from_item(counter), int(counter.get("topUps", 0)), entries)
        trial = [entry for entry in self._charges(org_id, TRIAL_WINDOW) if entry.period == window]
        return Books(
            org_id,
            window,
            used_from_item(counter),
            int(counter.get("topUps", 0)),
            entries,
            top_up_credits=tuple(record.credits for record in self._top_ups(org_id, window)),
            user_used=self._user_counters(org_id, window),
            month_entries=(*charged, *trial),
        )

    def _index_query(self, org_id: str, prefix: str) -> list[dict[str, Any]]:
        return self._table.query(
            EVERYTHING,
            IndexName=HISTORY_INDEX,
            KeyConditionExpression=f"{PK} = :org AND begins_with(#sk, :prefix)",
            ExpressionAttributeNames={"#sk": HISTORY_SK},
            ExpressionAttributeValues=values(org=org_key(org_id), prefix=prefix),
            ConsistentRead=True,
        )

    def _charges(self, org_id: str, window: str) -> list[LedgerEntry]:
        found = map(entry_from_item, self._index_query(org_id, charges_prefix(window)))
        return [entry for entry in found if entry is not None]

    def _top_ups(self, org_id: str, month: str) -> list[Any]:
        found = map(top_up_from_item, self._index_query(org_id, top_ups_prefix(month)))
        return [record for record in found if record is not None]

    def _in_flight(self, org_id: str, window: str) -> list[LedgerEntry]:
        listed = self._table.query(
            EVERYTHING,
            IndexName=RESERVED_INDEX,
            KeyConditionExpression="reservedShard = :shard",
            ExpressionAttributeValues=values(shard=reserved_shard(org_id)),
        )
        keys = [{PK: {"S": item[PK]}, SK: {"S": item[SK]}} for item in listed if item[PK] == org_key(org_id)]
        entries: list[LedgerEntry] = []
        for start in range(0, len(keys), BATCH_GET_KEYS):
            for item in self._table.get_many(keys[start : start + BATCH_GET_KEYS]):
                entry = entry_from_item(item)
                if entry is not None and entry.state is EntryState.ORG_RESERVED and entry.window == window:
                    entries.append(entry)
        return entries

    def _user_counters(self, org_id: str, month: str) -> dict[str, int]:
        found = self._table.query(
            EVERYTHING,
            KeyConditionExpression=f"{PK} = :org AND begins_with({SK}, :prefix)",
            ExpressionAttributeValues=values(org=org_key(org_id), prefix=_USER),
            ConsistentRead=True,
        )
        counters = {}
        for item in found:
            user_id, _, period = item[SK].removeprefix(_USER).rpartition("#")
            if period == month:
                counters[user_id] = used_from_item(item)
        return counters

    def active_windows(
        self, month: str, shard: int, limit: int, after: dict[str, str] | None
    ) -> tuple[list[tuple[str, str]], dict[str, str] | None]:
        """Up to `limit` (org, window) counters written in the month, of one ActiveIndex shard, after `after` (the
        last key a page answered; None: from the first), and where the next page starts (None: no more)."""
        start = None if after is None else {name: {"S": value} for name, value in after.items()}
        found, following = self._table.query_page(
            IndexName=ACTIVE_INDEX,
            KeyConditionExpression=f"{ACTIVE_SHARD} = :shard",
            ExpressionAttributeValues=values(shard=active_shard_key(month, shard)),
            Limit=limit,
            **({} if start is None else {"ExclusiveStartKey": start}),
        )
        windows = [(item[PK].removeprefix("ORG#"), item[SK].removeprefix("USAGE#")) for item in found]
        return windows, None if following is None else {name: value["S"] for name, value in following.items()}
