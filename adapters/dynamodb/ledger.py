"""The org's books: the window and user counters (USAGE#, USER#), the ledger entries (ENQUIRY#) they are counted
for, the fences of released reservations (FENCE#) and the recorded top-ups (TOPUP#). Every change is one
transaction, conditional on what its decision read."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from adapters.dynamodb.items import (
    USAGE_TYPE,
    USER_USAGE_TYPE,
    abandoned_from_item,
    charge_attributes,
    entry_from_item,
    entry_to_item,
    fence_to_item,
    top_up_to_item,
    used_from_item,
    values,
)
from adapters.dynamodb.keys import (
    ACTIVE_SHARD,
    RESERVED_INDEX,
    RESERVED_SHARDS,
    active_shard,
    entry_key,
    fence_key,
    shard_key,
    usage_key,
    user_usage_key,
)
from adapters.dynamodb.profiles import check_profile_version, check_user_limit_version
from adapters.dynamodb.table import Table
from adapters.dynamodb.transactions import Transaction
from domain.account import EntryState, LedgerEntry, OrgReservation, UserReservation
from domain.ports import (
    AbandonedReservation,
    ChargeSnapshot,
    EnquiryAlreadyInLedger,
    Fenced,
    TopUpAlreadyRecorded,
    TopUpRecord,
    UserSnapshot,
)

_ABSENT = "attribute_not_exists(pk)"
_TYPE = {"#type": "type"}
_STATE = {"#state": "state"}
_GIVE_ONE_BACK = "SET used = used - :one"
_ONE_TO_GIVE_BACK = "used >= :one"


@dataclass(frozen=True)
class _CountMove:
    """How a reservation moves a counter: an UpdateItem's expression, condition and values."""

    update: str
    condition: str | None
    values: dict[str, Any] = field(default_factory=dict)


def _count_move(seen: int, limit: int | None, exact: bool) -> _CountMove:
    """exact: the counter must still hold what was read (the guard against read-then-write races), so the count
    after the write is known without reading it again. Concurrent writers make it fail (StaleRead).
    Otherwise: add one while the counter is below the limit. Concurrent writers do not conflict, and no
    interleaving can take the counter past the limit."""
    if exact:
        condition = "attribute_not_exists(used) OR used = :seen" if seen == 0 else "used = :seen"
        return _CountMove("SET used = :used, #type = :type", condition, {"seen": seen, "used": seen + 1})
    update = "SET used = if_not_exists(used, :zero) + :one, #type = :type"
    if limit is None:
        return _CountMove(update, None, {"zero": 0, "one": 1})
    return _CountMove(update, "attribute_not_exists(used) OR used < :limit", {"zero": 0, "one": 1, "limit": limit})


def _move_entry(
    work: Transaction,
    org_id: str,
    entry: LedgerEntry,
    before: EntryState,
    after: EntryState,
    attributes: dict[str, Any],
    remove: tuple[str, ...] = (),
) -> None:
    """The ledger entry's move from `before` to `after`, only while it is still the reservation's and in `before`;
    sets `attributes` (those not None) and removes `remove`."""
    present = {name: value for name, value in attributes.items() if value is not None}
    update = "SET #state = :after" + "".join(f", {name} = :{name}" for name in present)
    if remove:
        update += " REMOVE " + ", ".join(remove)
    bound = {"before": before.value, "after": after.value, "rid": entry.execution_name} | present
    condition = "executionName = :rid AND #state = :before"
    work.update("ledger entry", entry_key(org_id, entry.enquiry_id), update, condition, _STATE, **bound)


class Ledger:
    def __init__(self, table: Table) -> None:
        self._table = table

    def reserve_org_credit(
        self, snapshot: ChargeSnapshot, reservation: OrgReservation, entry: LedgerEntry, exact: bool
    ) -> int:
        org_id = snapshot.profile.org_id
        move = _count_move(snapshot.usage.used, reservation.limit, exact)
        work = self._table.transaction("org reservation")
        check_profile_version(work, org_id, snapshot.profile.version)
        window = usage_key(org_id, reservation.window)
        # In ActiveIndex under the decision's month: the orgs the daily audit reads (keys.py)
        active = {"active": active_shard(org_id, reservation.period)}
        update = f"{move.update}, {ACTIVE_SHARD} = :active"
        work.update("window usage", window, update, move.condition, _TYPE, type=USAGE_TYPE, **move.values, **active)
        # Queued before the entry: a fenced reservation is reported as such even if the enquiry has an entry too.
        work.check(
            "fence", fence_key(org_id, entry.execution_name), _ABSENT, refused=lambda: Fenced(entry.execution_name)
        )
        work.put(
            "ledger entry",
            entry_to_item(org_id, entry),
            _ABSENT,
            refused=lambda: EnquiryAlreadyInLedger(entry.enquiry_id),
        )
        work.commit()
        if exact:
            return reservation.used
        # Others may have counted too: read where the counter stands now (at least this reservation's place).
        return max(used_from_item(self._table.get(window)), reservation.used)

    def reserve_user_credit(
        self, org_id: str, snapshot: UserSnapshot, reservation: UserReservation, charged: LedgerEntry, exact: bool
    ) -> None:
        move = _count_move(snapshot.used, reservation.limit, exact)
        work = self._table.transaction("user reservation")
        check_user_limit_version(work, org_id, snapshot.profile_version)
        user_usage = user_usage_key(org_id, charged.user_id, reservation.period)
        work.update("user usage", user_usage, move.update, move.condition, _TYPE, type=USER_USAGE_TYPE, **move.values)
        _move_entry(
            work,
            org_id,
            charged,
            EntryState.ORG_RESERVED,
            EntryState.CHARGED,
            {"userUsed": reservation.used, "userLimit": reservation.limit} | charge_attributes(charged),
            remove=("reservedShard", "reservedAt"),
        )
        work.commit()

    def refund(self, org_id: str, charged: LedgerEntry, refunded: LedgerEntry) -> None:
        """No check of the profile: what a refund gives back does not depend on the plan, and PROFILE is held by
        every org step's transaction (a refund beside a burst of charges would keep losing to them)."""
        assert refunded.refunded_at is not None
        work = self._table.transaction(f"refund of {charged.enquiry_id}")
        _move_entry(
            work,
            org_id,
            charged,
            EntryState.CHARGED,
            EntryState.REFUNDED,
            {
                "refundedAt": refunded.refunded_at.isoformat(),
                "refundReason": refunded.refund_reason,
                "refundedBy": refunded.refunded_by,
            },
        )
        window = usage_key(org_id, charged.window)
        work.update("window usage", window, _GIVE_ONE_BACK, _ONE_TO_GIVE_BACK, one=1)
        user_usage = user_usage_key(org_id, charged.user_id, charged.period)
        work.update("user usage", user_usage, _GIVE_ONE_BACK, _ONE_TO_GIVE_BACK, one=1)
        work.commit()

    def release(self, org_id: str, enquiry_id: str, execution_name: str, now: datetime) -> bool:
        work = self._table.transaction(f"release of {enquiry_id}")
        work.put("fence", fence_to_item(org_id, enquiry_id, execution_name, now))
        entry = entry_from_item(self._table.get(entry_key(org_id, enquiry_id)))
        if entry is None or not entry.is_mine(execution_name):
            # Nothing of this reservation to give back (yet): fence it, so that it never lands. The check fails
            # (StaleRead) when it landed meanwhile.
            work.check(
                "ledger entry", entry_key(org_id, enquiry_id), f"{_ABSENT} OR executionName <> :rid", rid=execution_name
            )
            work.commit()
            return False
        work.update("window usage", usage_key(org_id, entry.window), _GIVE_ONE_BACK, _ONE_TO_GIVE_BACK, one=1)
        work.delete(
            "ledger entry",
            entry_key(org_id, enquiry_id),
            "executionName = :rid AND #state = :state",
            _STATE,
            rid=execution_name,
            state=entry.state.value,
        )
        if entry.state is EntryState.CHARGED:
            user_usage = user_usage_key(org_id, entry.user_id, entry.period)
            work.update("user usage", user_usage, _GIVE_ONE_BACK, _ONE_TO_GIVE_BACK, one=1)
        work.commit()
        return True

    def abandoned_reservations(self, reserved_before: datetime, limit: int) -> list[AbandonedReservation]:
        found: list[dict[str, Any]] = []
        for shard in range(RESERVED_SHARDS):
            found += self._table.query(
                limit - len(found),
                IndexName=RESERVED_INDEX,
                KeyConditionExpression="reservedShard = :shard AND reservedAt < :before",
                ExpressionAttributeValues=values(shard=shard_key(shard), before=reserved_before.isoformat()),
            )
        return [abandoned_from_item(item) for item in found[:limit]]

    def record_top_up(self, org_id: str, profile_version: int, top_up: TopUpRecord) -> None:
        work = self._table.transaction("top-up")
        check_profile_version(work, org_id, profile_version)
        work.update(
            "window usage",
            usage_key(org_id, top_up.period),
            f"SET topUps = if_not_exists(topUps, :zero) + :credits, #type = :type, {ACTIVE_SHARD} = :active",
            None,
            _TYPE,
            zero=0,
            credits=top_up.credits,
            type=USAGE_TYPE,
            active=active_shard(org_id, top_up.period),
        )
        work.put(
            "top-up", top_up_to_item(org_id, top_up), _ABSENT, refused=lambda: TopUpAlreadyRecorded(top_up.top_up_id)
        )
        work.commit()
