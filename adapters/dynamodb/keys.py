"""The table's keys: one builder per item type, and the only place their prefixes are spelled.

Every item of an org has pk = ORG#<orgId>, so one org's items sit in one partition; the sort key says what it is:
  PROFILE                      plan, trial start, per-user limit, version (optimistic concurrency)
  USER_LIMIT                   the profile's version again, written with every profile change
  USAGE#<window>               used, topUps       window = period "YYYY-MM", or TRIAL for the trial
  USER#<userId>#<period>       used
  ENQUIRY#<enquiryId>          the ledger entry of a charge (reserved, charged or refunded); while only reserved it is
                               also in the sparse index ReservedIndex (reservedShard, reservedAt), where the
                               sweep finds reservations their workflow abandoned; once charged, in the local
                               indexes HistoryIndex and UserHistoryIndex (below)
  TOPUP#<topUpId>              a recorded top-up (idempotency of top-ups), also in HistoryIndex
  FENCE#<executionName>        a released reservation: its late write (a step that outlived its workflow) fails
  NOTICE#<kind>#<window>       a notification claimed (PENDING) or sent (SENT): once per org and window
"""

from __future__ import annotations

import zlib
from datetime import UTC, datetime
from typing import Any

from domain.account import ChargePosition
from domain.ports import ACTIVE_SHARDS

PK = "pk"
SK = "sk"
"""The table's key attributes; template.yaml declares the same (tests/integration/test_dynamodb_keys.py checks)."""

Item = dict[str, Any]
"""An item or a key in DynamoDB's typed JSON ({"S": ...}, {"N": ...})."""

_ORG = "ORG#"
_ENQUIRY = "ENQUIRY#"
_RESERVED = "RESERVED#"


def org_key(org_id: str) -> str:
    return f"{_ORG}{org_id}"


def profile_key(org_id: str) -> Item:
    return _key(org_id, "PROFILE")


def user_limit_key(org_id: str) -> Item:
    """The per-user limit's version: written with every profile change, so that a user step can check the limit
    it read is still the org's without naming PROFILE, which every org step's transaction holds."""
    return _key(org_id, "USER_LIMIT")


def usage_key(org_id: str, window: str) -> Item:
    return _key(org_id, f"USAGE#{window}")


def user_usage_key(org_id: str, user_id: str, period: str) -> Item:
    return _key(org_id, f"USER#{user_id}#{period}")


def entry_key(org_id: str, enquiry_id: str) -> Item:
    return _key(org_id, f"{_ENQUIRY}{enquiry_id}")


def top_up_key(org_id: str, top_up_id: str) -> Item:
    return _key(org_id, f"TOPUP#{top_up_id}")


def fence_key(org_id: str, execution_name: str) -> Item:
    return _key(org_id, f"FENCE#{execution_name}")


def notice_key(org_id: str, kind: str, window: str) -> Item:
    return _key(org_id, f"NOTICE#{kind}#{window}")


def _key(org_id: str, sort_key: str) -> Item:
    return {PK: {"S": org_key(org_id)}, SK: {"S": sort_key}}


def entry_of(pk: str, sk: str) -> tuple[str, str]:
    """The org and enquiry ids of a ledger entry's key (as read back, plain strings)."""
    return pk.removeprefix(_ORG), sk.removeprefix(_ENQUIRY)


# -- the org's history, read back in time order ------------------------------------------------------------
# Two local secondary indexes (same partition, the org's; another sort key), sparse: an item is in one only while
# it has that index's attribute. A Query of a local index may be strongly consistent, unlike a global index's
# ("Both tables and LSIs provide two read consistency options ... All reads from GSIs and streams are eventually
# consistent": "DynamoDB read consistency", https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/
# HowItWorks.ReadConsistency.html), so a page of the ledger shows every charge and refund already answered.
#   HistoryIndex      historySk     = CHARGE#<window>#<chargedAt>#<enquiryId>   a charged (or refunded) entry
#                                   = TOPUP#<period>#<recordedAt>#<topUpId>     a top-up
#   UserHistoryIndex  userHistorySk = CHARGE#<userId>#<window>#<chargedAt>#<enquiryId>
# '#' is in no id (domain/ids.py ID_PATTERN), so a prefix up to a '#' names one window (and one user) only.

HISTORY_INDEX = "HistoryIndex"
HISTORY_SK = "historySk"
USER_HISTORY_INDEX = "UserHistoryIndex"
USER_HISTORY_SK = "userHistorySk"


def _stamp(instant: datetime) -> str:
    """An instant as text whose order is the instants' order (fixed width, UTC, microseconds)."""
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def charges_prefix(window: str, user_id: str | None = None) -> str:
    """The start shared by the history keys of the window's charges (of one user's, when `user_id` is given)."""
    return f"CHARGE#{window}#" if user_id is None else f"CHARGE#{user_id}#{window}#"


def charge_history_key(window: str, user_id: str | None, position: ChargePosition) -> str:
    """A charge's key in HistoryIndex (user_id None) or in UserHistoryIndex."""
    return f"{charges_prefix(window, user_id)}{_stamp(position.charged_at)}#{position.enquiry_id}"


def top_ups_prefix(period: str) -> str:
    return f"TOPUP#{period}#"


def top_up_history_key(period: str, recorded_at: datetime, top_up_id: str) -> str:
    return f"{top_ups_prefix(period)}{_stamp(recorded_at)}#{top_up_id}"


RESERVED_INDEX = "ReservedIndex"
RESERVED_SHARDS = 8
"""Reserved entries are spread over a few index partitions so that a burst of charges has no hot index key."""


def shard_key(shard: int) -> str:
    return f"{_RESERVED}{shard}"


ACTIVE_INDEX = "ActiveIndex"
ACTIVE_SHARD = "activeShard"
# The window counters written in a month, spread over ACTIVE_SHARDS index partitions: the orgs the daily audit reads.


def active_shard_key(month: str, shard: int) -> str:
    return f"ACTIVE#{month}#{shard}"


def active_shard(org_id: str, month: str) -> str:
    """Where an org's window counter written in `month` sits in ActiveIndex (a counter of a month's window is written
    in that month only; a trial's, in each month the trial has activity, moving once when it crosses a month)."""
    return active_shard_key(month, zlib.crc32(org_id.encode()) % ACTIVE_SHARDS)


def reserved_shard(org_id: str) -> str:
    """The index partition an org's reserved entries go to."""
    return shard_key(zlib.crc32(org_id.encode()) % RESERVED_SHARDS)
