"""What each item type holds: one mapping each way between the domain's values and DynamoDB's typed items."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from adapters.dynamodb.attributes import deserialize, serialize
from adapters.dynamodb.keys import (
    HISTORY_SK,
    PK,
    SK,
    USER_HISTORY_SK,
    Item,
    charge_history_key,
    entry_key,
    entry_of,
    fence_key,
    notice_key,
    profile_key,
    reserved_shard,
    top_up_history_key,
    top_up_key,
    user_limit_key,
)
from domain.account import EntryState, LedgerEntry, OrgProfile, WindowCounter
from domain.periods import Period
from domain.ports import AbandonedReservation, TopUpRecord

FENCE_TTL_SECONDS = 7 * 24 * 3600
"""Fences outlive any workflow by far; DynamoDB's TTL (attribute expiresAt) then removes them."""


def values(**named: Any) -> Item:
    """Expression attribute values: values(seen=3) is {":seen": {"N": "3"}}."""
    return {f":{name}": serialize(value) for name, value in named.items()}


def _typed(attributes: Mapping[str, Any]) -> Item:
    """Attributes as DynamoDB stores them; an attribute that is None is left out."""
    return {name: serialize(value) for name, value in attributes.items() if value is not None}


def plain(item: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if item is None:
        return None
    return {name: deserialize(value) for name, value in item.items()}


def _time(value: Any) -> datetime | None:
    return None if value is None else datetime.fromisoformat(str(value))


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _int(value: Any, default: int = 0) -> int:
    return default if value is None else int(value)


def _optional_int(value: Any) -> int | None:
    return None if value is None else int(value)


# -- PROFILE and USER_LIMIT --------------------------------------------------------------------------------


def profile_from_item(org_id: str, item: Mapping[str, Any] | None) -> OrgProfile:
    if item is None:
        return OrgProfile(org_id)
    return OrgProfile(
        org_id=org_id,
        plan=item.get("plan"),
        plan_set_at=_time(item.get("planSetAt")),
        trial_started_at=_time(item.get("trialStartedAt")),
        had_paid_plan=bool(item.get("hadPaidPlan", False)),
        per_user_limit=_optional_int(item.get("perUserLimit")),
        version=_int(item.get("version")),
    )


def profile_to_item(profile: OrgProfile) -> Item:
    return profile_key(profile.org_id) | _typed(
        {
            "plan": profile.plan,
            "planSetAt": _iso(profile.plan_set_at),
            "trialStartedAt": _iso(profile.trial_started_at),
            "hadPaidPlan": profile.had_paid_plan,
            "perUserLimit": profile.per_user_limit,
            "version": profile.version,
            "type": "PROFILE",
        }
    )


def user_limit_to_item(profile: OrgProfile) -> Item:
    return user_limit_key(profile.org_id) | _typed({"type": "USER_LIMIT", "version": profile.version})


# -- USAGE# and USER# counters -----------------------------------------------------------------------------

USAGE_TYPE = "USAGE"
USER_USAGE_TYPE = "USER_USAGE"


def usage_from_item(window: str, item: Mapping[str, Any] | None) -> WindowCounter:
    if item is None:
        return WindowCounter(window)
    return WindowCounter(window, used=_int(item.get("used")), top_ups=_int(item.get("topUps")))


def used_from_item(item: Mapping[str, Any] | None) -> int:
    """A counter's count: what a user's period (or a window) has used, 0 before its first charge."""
    return _int((item or {}).get("used"))


# -- ENQUIRY# (the ledger) ---------------------------------------------------------------------------------


def entry_from_item(item: Mapping[str, Any] | None) -> LedgerEntry | None:
    if item is None:
        return None
    return LedgerEntry(
        enquiry_id=item["enquiryId"],
        user_id=item["userId"],
        window=item["window"],
        period=item["period"],
        execution_name=item["executionName"],
        state=EntryState(item["state"]),
        recorded_at=datetime.fromisoformat(item["recordedAt"]),
        plan=item["plan"],
        org_used=_int(item["orgUsed"]),
        org_limit=_int(item["orgLimit"]),
        # Entries written before window bounds were recorded are month windows: their bounds follow from it.
        window_starts_at=_time(item.get("windowStartsAt")) or Period.parse(item["period"]).starts_at,
        window_ends_at=_time(item.get("windowEndsAt")) or Period.parse(item["period"]).ends_at,
        user_used=_optional_int(item.get("userUsed")),
        user_limit=_optional_int(item.get("userLimit")),
        refunded_at=_time(item.get("refundedAt")),
        refund_reason=item.get("refundReason"),
        refunded_by=item.get("refundedBy"),
        charged_at=_time(item.get("chargedAt")),
    )


def entry_to_item(org_id: str, entry: LedgerEntry) -> Item:
    attributes: dict[str, Any] = {
        "type": "ENQUIRY",
        "enquiryId": entry.enquiry_id,
        "userId": entry.user_id,
        "window": entry.window,
        "period": entry.period,
        "executionName": entry.execution_name,
        "state": entry.state.value,
        "recordedAt": entry.recorded_at.isoformat(),
        "plan": entry.plan,
        "orgUsed": entry.org_used,
        "orgLimit": entry.org_limit,
        "windowStartsAt": entry.window_starts_at.isoformat(),
        "windowEndsAt": entry.window_ends_at.isoformat(),
    }
    if entry.state is EntryState.ORG_RESERVED:
        attributes |= {"reservedShard": reserved_shard(org_id), "reservedAt": entry.recorded_at.isoformat()}
    if entry.user_used is not None:
        attributes["userUsed"] = entry.user_used
    if entry.user_limit is not None:
        attributes["userLimit"] = entry.user_limit
    if entry.refunded_at is not None:
        attributes["refundedAt"] = entry.refunded_at.isoformat()
    if entry.refund_reason is not None:
        attributes["refundReason"] = entry.refund_reason
    if entry.refunded_by is not None:
        attributes["refundedBy"] = entry.refunded_by
    return entry_key(org_id, entry.enquiry_id) | _typed(attributes | charge_attributes(entry))


def charge_attributes(entry: LedgerEntry) -> dict[str, Any]:
    """What a charged entry has that a reserved one has not: when it was charged, and its places in the org's
    and in its user's history (HistoryIndex, UserHistoryIndex)."""
    if entry.charged_at is None:
        return {}
    return {
        "chargedAt": entry.charged_at.isoformat(),
        HISTORY_SK: charge_history_key(entry.window, None, entry.position),
        USER_HISTORY_SK: charge_history_key(entry.window, entry.user_id, entry.position),
    }


def abandoned_from_item(item: Mapping[str, Any]) -> AbandonedReservation:
    """A reserved entry as the sweep's index query answers it (plain values)."""
    org_id, enquiry_id = entry_of(str(item[PK]), str(item[SK]))
    return AbandonedReservation(
        org_id=org_id,
        enquiry_id=enquiry_id,
        execution_name=str(item["executionName"]),
        reserved_at=datetime.fromisoformat(str(item["reservedAt"])),
    )


# -- TOPUP#, FENCE#, NOTICE# -------------------------------------------------------------------------------


def top_up_from_item(item: Mapping[str, Any] | None) -> TopUpRecord | None:
    if item is None:
        return None
    return TopUpRecord(
        top_up_id=item["topUpId"],
        credits=_int(item["credits"]),
        period=item["period"],
        reason=item.get("reason"),
        recorded_at=datetime.fromisoformat(item["recordedAt"]),
    )


def top_up_to_item(org_id: str, top_up: TopUpRecord) -> Item:
    return top_up_key(org_id, top_up.top_up_id) | _typed(
        {
            "type": "TOPUP",
            "topUpId": top_up.top_up_id,
            "credits": top_up.credits,
            "period": top_up.period,
            "recordedAt": top_up.recorded_at.isoformat(),
            "reason": top_up.reason,
            HISTORY_SK: top_up_history_key(top_up.period, top_up.recorded_at, top_up.top_up_id),
        }
    )


def fence_to_item(org_id: str, enquiry_id: str, execution_name: str, now: datetime) -> Item:
    expires_at = int(now.timestamp()) + FENCE_TTL_SECONDS
    return fence_key(org_id, execution_name) | _typed(
        {"type": "FENCE", "enquiryId": enquiry_id, "expiresAt": expires_at}
    )


NOTICE_PENDING = "PENDING"
NOTICE_SENT = "SENT"


def notice_claim_to_item(org_id: str, kind: str, window: str, claimant: str, claimed_at_ms: int) -> Item:
    return notice_key(org_id, kind, window) | _typed(
        {"type": "NOTICE", "state": NOTICE_PENDING, "claimant": claimant, "claimedAtMs": claimed_at_ms}
    )
