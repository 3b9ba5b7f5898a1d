"""The table's keys: one builder per item type, and the only place their prefixes are spelled.

Every item of an org has pk = ORG#<orgId>, so one org's items sit in one partition; the sort key says what it is:
  PROFILE                      plan, trial start, per-user limit, version (optimistic concurrency)
  USER_LIMIT                   the profile's version again, written with every profile change
  USAGE#<window>               used, topUps       window = period "YYYY-MM", or TRIAL for the trial
  USER#<userId>#<period>       used
  ENQUIRY#<enquiryId>          the ledger entry of a charge (reserved, charged or refunded); while only reserved it is
                               also in the sparse index ReservedIndex (reservedShard, reservedAt), where the
                               sweep finds reservations their workflow abandoned
  TOPUP#<topUpId>              a recorded top-up (idempotency of top-ups)
  FENCE#<reservationId>        a released reservation: its late write (a step that outlived its workflow) fails
  NOTICE#<kind>#<window>       a notification claimed (PENDING) or sent (SENT): once per org and window
"""

from __future__ import annotations

import zlib
from typing import Any

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


def fence_key(org_id: str, reservation_id: str) -> Item:
    return _key(org_id, f"FENCE#{reservation_id}")


def notice_key(org_id: str, kind: str, window: str) -> Item:
    return _key(org_id, f"NOTICE#{kind}#{window}")


def _key(org_id: str, sort_key: str) -> Item:
    return {PK: {"S": org_key(org_id)}, SK: {"S": sort_key}}


def entry_of(pk: str, sk: str) -> tuple[str, str]:
    """The org and enquiry ids of a ledger entry's key (as read back, plain strings)."""
    return pk.removeprefix(_ORG), sk.removeprefix(_ENQUIRY)


RESERVED_INDEX = "ReservedIndex"
RESERVED_SHARDS = 8
"""Reserved entries are spread over a few index partitions so that a burst of charges has no hot index key."""


def shard_key(shard: int) -> str:
    return f"{_RESERVED}{shard}"


def reserved_shard(org_id: str) -> str:
    """The index partition an org's reserved entries go to."""
    return shard_key(zlib.crc32(org_id.encode()) % RESERVED_SHARDS)
