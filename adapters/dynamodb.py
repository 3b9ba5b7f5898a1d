"""The DynamoDB credit store: one table, every invariant a condition, every multi-item change a transaction.

Item types (pk is always the org, so one org's items sit in one partition):
  PROFILE                      plan, trial start, per-user limit, version (optimistic concurrency)
  USAGE#<window>               used, topUps       window = period "YYYY-MM", or TRIAL for the trial
  USER#<userId>#<period>       used
  ENQUIRY#<enquiryId>          the ledger entry of a charge (reserved or charged); while only reserved it is
                               also in the sparse index ReservedIndex (reservedShard, reservedAt), where the
                               sweep finds reservations their workflow abandoned
  TOPUP#<topUpId>              a recorded top-up (idempotency of top-ups)
  FENCE#<reservationId>        a released reservation: its late write (a step that outlived its workflow) fails
  NOTICE#<kind>#<window>       a notification claimed (PENDING) or sent (SENT): once per org and window
"""

from __future__ import annotations

import functools
import zlib
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import BotoCoreError, ClientError

from domain.account import TRIAL_WINDOW, EntryState, LedgerEntry, OrgProfile, OrgReservation, Usage, UserReservation
from domain.errors import StoreUnavailable
from domain.periods import Period
from domain.ports import (
    NOTICE_LEASE,
    AbandonedReservation,
    AccountState,
    ChargeSnapshot,
    EntryExists,
    Fenced,
    NoticeClaimLost,
    StaleRead,
    TopUpRecord,
    UserSnapshot,
    WriteConflict,
)
from domain.retry import Retry

PK = "pk"
SK = "sk"
"""The table's key attributes; template.yaml declares the same (tests/integration/test_dynamodb_store.py checks)."""

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()
Item = dict[str, Any]


def org_key(org_id: str) -> str:
    return f"ORG#{org_id}"


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
    return _key(org_id, f"ENQUIRY#{enquiry_id}")


def top_up_key(org_id: str, top_up_id: str) -> Item:
    return _key(org_id, f"TOPUP#{top_up_id}")


def fence_key(org_id: str, reservation_id: str) -> Item:
    return _key(org_id, f"FENCE#{reservation_id}")


FENCE_TTL_SECONDS = 7 * 24 * 3600
"""Fences outlive any workflow by far; DynamoDB's TTL (attribute expiresAt) then removes them."""


def notice_key(org_id: str, kind: str, window: str) -> Item:
    return _key(org_id, f"NOTICE#{kind}#{window}")


def _key(org_id: str, sort_key: str) -> Item:
    return {PK: {"S": org_key(org_id)}, SK: {"S": sort_key}}


def _values(**values: Any) -> Item:
    return {f":{name}": _serializer.serialize(value) for name, value in values.items()}


def _plain(item: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if item is None:
        return None
    return {name: _deserializer.deserialize(value) for name, value in item.items()}


def _time(value: Any) -> datetime | None:
    return None if value is None else datetime.fromisoformat(str(value))


def _int(value: Any, default: int = 0) -> int:
    return default if value is None else int(value)


# -- item mappings ---------------------------------------------------------------------------------------


def _profile_from_item(org_id: str, item: Mapping[str, Any] | None) -> OrgProfile:
    if item is None:
        return OrgProfile(org_id)
    limit = item.get("perUserLimit")
    return OrgProfile(
        org_id=org_id,
        plan=item.get("plan"),
        plan_set_at=_time(item.get("planSetAt")),
        trial_started_at=_time(item.get("trialStartedAt")),
        had_paid_plan=bool(item.get("hadPaidPlan", False)),
        per_user_limit=None if limit is None else int(limit),
        version=_int(item.get("version")),
    )


def _profile_to_item(profile: OrgProfile) -> Item:
    values: dict[str, Any] = {
        "plan": profile.plan,
        "planSetAt": profile.plan_set_at.isoformat() if profile.plan_set_at else None,
        "trialStartedAt": profile.trial_started_at.isoformat() if profile.trial_started_at else None,
        "hadPaidPlan": profile.had_paid_plan,
        "perUserLimit": profile.per_user_limit,
        "version": profile.version,
        "type": "PROFILE",
    }
    item = {name: _serializer.serialize(value) for name, value in values.items() if value is not None}
    return profile_key(profile.org_id) | item


def _usage_from_item(window: str, item: Mapping[str, Any] | None) -> Usage:
    if item is None:
        return Usage(window)
    return Usage(window, used=_int(item.get("used")), top_ups=_int(item.get("topUps")))


def _entry_from_item(item: Mapping[str, Any] | None) -> LedgerEntry | None:
    if item is None:
        return None
    return LedgerEntry(
        enquiry_id=item["enquiryId"],
        user_id=item["userId"],
        window=item["window"],
        period=item["period"],
        reservation_id=item["reservationId"],
        state=EntryState(item["state"]),
        recorded_at=datetime.fromisoformat(item["recordedAt"]),
        plan=item["plan"],
        org_used=_int(item["orgUsed"]),
        org_limit=_int(item["orgLimit"]),
        # Entries written before window bounds were recorded are month windows: their bounds follow from it.
        window_starts_at=_time(item.get("windowStartsAt")) or Period.parse(item["period"]).starts_at,
        window_ends_at=_time(item.get("windowEndsAt")) or Period.parse(item["period"]).ends_at,
        user_used=None if item.get("userUsed") is None else int(item["userUsed"]),
        user_limit=None if item.get("userLimit") is None else int(item["userLimit"]),
    )


RESERVED_INDEX = "ReservedIndex"
RESERVED_SHARDS = 8
"""Reserved entries are spread over a few index partitions so that a burst of charges has no hot index key."""


def reserved_shard(org_id: str) -> str:
    return f"RESERVED#{zlib.crc32(org_id.encode()) % RESERVED_SHARDS}"


def _entry_to_item(org_id: str, entry: LedgerEntry) -> Item:
    values: dict[str, Any] = {
        "type": "ENQUIRY",
        "enquiryId": entry.enquiry_id,
        "userId": entry.user_id,
        "window": entry.window,
        "period": entry.period,
        "reservationId": entry.reservation_id,
        "state": entry.state.value,
        "recordedAt": entry.recorded_at.isoformat(),
        "plan": entry.plan,
        "orgUsed": entry.org_used,
        "orgLimit": entry.org_limit,
        "windowStartsAt": entry.window_starts_at.isoformat(),
        "windowEndsAt": entry.window_ends_at.isoformat(),
    }
    if entry.state is EntryState.ORG_RESERVED:
        values |= {"reservedShard": reserved_shard(org_id), "reservedAt": entry.recorded_at.isoformat()}
    return entry_key(org_id, entry.enquiry_id) | {k: _serializer.serialize(v) for k, v in values.items()}


def _top_up_from_item(item: Mapping[str, Any] | None) -> TopUpRecord | None:
    if item is None:
        return None
    return TopUpRecord(
        top_up_id=item["topUpId"],
        credits=_int(item["credits"]),
        period=item["period"],
        reason=item.get("reason"),
        recorded_at=datetime.fromisoformat(item["recordedAt"]),
    )


# -- conditions --------------------------------------------------------------------------------------------


def _count_moves(seen: int, limit: int | None, exact: bool) -> dict[str, Any]:
    """How a reservation moves a counter, as UpdateItem arguments.

    exact: the counter must still hold what was read (the guard against read-then-write races), so the count
    after the write is known without reading it again. Concurrent writers make it fail (StaleRead).
    Otherwise: add one while the counter is below the limit. Concurrent writers do not conflict, and no
    interleaving can take the counter past the limit."""
    if exact:
        condition = "attribute_not_exists(used) OR used = :seen" if seen == 0 else "used = :seen"
        return {
            "UpdateExpression": "SET used = :used, #type = :type",
            "ConditionExpression": condition,
            "ExpressionAttributeValues": _values(seen=seen, used=seen + 1),
        }
    moves: dict[str, Any] = {
        "UpdateExpression": "SET used = if_not_exists(used, :zero) + :one, #type = :type",
        "ExpressionAttributeValues": _values(zero=0, one=1),
    }
    if limit is not None:
        moves["ConditionExpression"] = "attribute_not_exists(used) OR used < :limit"
        moves["ExpressionAttributeValues"] |= _values(limit=limit)
    return moves


def _profile_version_is(org_id: str, table: str, version: int) -> Item:
    absent = "attribute_not_exists(version) OR " if version == 0 else ""
    return _version_is(table, profile_key(org_id), version, absent)


def _user_limit_version_is(org_id: str, table: str, version: int) -> Item:
    # Absent: written before USER_LIMIT existed, and no profile change since, so the limit read still holds.
    return _version_is(table, user_limit_key(org_id), version, "attribute_not_exists(pk) OR ")


def _version_is(table: str, key: Item, version: int, or_absent: str) -> Item:
    return {
        "ConditionCheck": {
            "TableName": table,
            "Key": key,
            "ConditionExpression": f"{or_absent}version = :v",
            "ExpressionAttributeValues": _values(v=version),
        }
    }


def _cancellation_codes(error: ClientError) -> list[str]:
    return [reason.get("Code", "None") for reason in error.response.get("CancellationReasons", [])]


def _stale(what: str, codes: list[str]) -> StaleRead:
    """A cancelled transaction: only conflicts with writes in flight (nothing read was wrong), or a stale read."""
    failed = {code for code in codes if code != "None"}
    if failed == {"TransactionConflict"}:
        return WriteConflict(f"{what}: {','.join(codes)}")
    return StaleRead(f"{what}: {','.join(codes)}")


TRANSIENT_ERROR_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "InternalServerError",
        "ServiceUnavailable",
        "TransactionInProgressException",
    }
)
"""DynamoDB answers worth retrying (after the client's own retries): the step fails with StoreUnavailable, which
the workflow retries, and nothing was written."""


UNPROCESSED_KEYS_ATTEMPTS = 5
"""Times a read asks again for keys BatchGetItem left unprocessed (throttled) before the step gives up."""
_UNPROCESSED_KEYS_BACKOFF = Retry()


class _Guarded:
    """The DynamoDB client, with throttling and connection failures translated into the domain's StoreUnavailable."""

    def __init__(self, client: Any) -> None:
        self._client = client

    def __getattr__(self, name: str) -> Callable[..., Any]:
        operation = getattr(self._client, name)

        @functools.wraps(operation)
        def guarded(**kwargs: Any) -> Any:
            try:
                return operation(**kwargs)
            except ClientError as error:
                code = error.response.get("Error", {}).get("Code", "")
                if code in TRANSIENT_ERROR_CODES:
                    raise StoreUnavailable(f"DynamoDB {name}: {code}") from error
                if code == "TransactionConflictException":
                    # A single-item write on an item that a transaction in flight holds: nothing was written.
                    raise WriteConflict(f"DynamoDB {name}: {code}") from error
                raise
            except BotoCoreError as error:
                raise StoreUnavailable(f"DynamoDB {name}: {type(error).__name__}") from error

        return guarded


class DynamoCreditStore:
    """Implements domain.ports.CreditStore on one DynamoDB table."""

    def __init__(self, client: Any, table_name: str) -> None:
        self._db = _Guarded(client)
        self._table = table_name

    # -- reads ---------------------------------------------------------------------------------------------

    def _get_many(self, keys: Sequence[Item]) -> list[dict[str, Any] | None]:
        """One BatchGetItem, strongly consistent; unprocessed keys are asked for again after a jittered,
        growing pause, as DynamoDB asks ("we strongly recommend that you use an exponential backoff algorithm"),
        a bounded number of times."""
        pending = list(keys)
        found: dict[tuple[str, str], dict[str, Any]] = {}
        for attempt in range(UNPROCESSED_KEYS_ATTEMPTS + 1):
            if not pending:
                break
            if attempt:
                _UNPROCESSED_KEYS_BACKOFF.backoff(attempt)
            response = self._db.batch_get_item(RequestItems={self._table: {"Keys": pending, "ConsistentRead": True}})
            for item in response.get("Responses", {}).get(self._table, []):
                plain = _plain(item)
                assert plain is not None
                found[(plain[PK], plain[SK])] = plain
            pending = response.get("UnprocessedKeys", {}).get(self._table, {}).get("Keys", [])
        if pending:
            raise StoreUnavailable(f"DynamoDB batch_get_item: {len(pending)} keys still unprocessed")
        return [found.get((key[PK]["S"], key[SK]["S"])) for key in keys]

    def _get(self, key: Item) -> dict[str, Any] | None:
        response = self._db.get_item(TableName=self._table, Key=key, ConsistentRead=True)
        return _plain(response.get("Item"))

    def charge_snapshot(self, org_id: str, at: datetime, user_id: str, enquiry_id: str) -> ChargeSnapshot:
        period = Period.containing(at).key
        profile_item, month_item, trial_item, user_item, entry_item = self._get_many(
            [
                profile_key(org_id),
                usage_key(org_id, period),
                usage_key(org_id, TRIAL_WINDOW),
                user_usage_key(org_id, user_id, period),
                entry_key(org_id, enquiry_id),
            ]
        )
        profile = _profile_from_item(org_id, profile_item)
        state = AccountState(profile, _usage_from_item(period, month_item), _usage_from_item(TRIAL_WINDOW, trial_item))
        return ChargeSnapshot(
            profile=profile,
            usage=state.usage_for(profile, at),
            user_used=_int((user_item or {}).get("used")),
            entry=_entry_from_item(entry_item),
        )

    def user_snapshot(self, org_id: str, user_id: str, period: str, enquiry_id: str) -> UserSnapshot:
        profile_item, user_item, entry_item = self._get_many(
            [profile_key(org_id), user_usage_key(org_id, user_id, period), entry_key(org_id, enquiry_id)]
        )
        profile = _profile_from_item(org_id, profile_item)
        return UserSnapshot(
            profile.version, profile.per_user_limit, _int((user_item or {}).get("used")), _entry_from_item(entry_item)
        )

    def account(self, org_id: str, at: datetime) -> AccountState:
        period = Period.containing(at).key
        profile_item, month_item, trial_item = self._get_many(
            [profile_key(org_id), usage_key(org_id, period), usage_key(org_id, TRIAL_WINDOW)]
        )
        return AccountState(
            _profile_from_item(org_id, profile_item),
            _usage_from_item(period, month_item),
            _usage_from_item(TRIAL_WINDOW, trial_item),
        )

    def user_used(self, org_id: str, user_id: str, period: str) -> int:
        return _int((self._get(user_usage_key(org_id, user_id, period)) or {}).get("used"))

    def find_top_up(self, org_id: str, top_up_id: str) -> TopUpRecord | None:
        return _top_up_from_item(self._get(top_up_key(org_id, top_up_id)))

    # -- writes --------------------------------------------------------------------------------------------

    def _transact(self, actions: list[Item]) -> list[str] | None:
        """Run one transaction; None when it committed, else each action's cancellation code."""
        try:
            self._db.transact_write_items(TransactItems=actions)
        except ClientError as error:
            if error.response["Error"]["Code"] != "TransactionCanceledException":
                raise
            return _cancellation_codes(error)
        return None

    def reserve_org_credit(
        self, snapshot: ChargeSnapshot, reservation: OrgReservation, entry: LedgerEntry, exact: bool = True
    ) -> int:
        org_id = snapshot.profile.org_id
        moves = _count_moves(snapshot.usage.used, reservation.limit, exact)
        moves["ExpressionAttributeValues"] |= _values(type="USAGE")
        codes = self._transact(
            [
                _profile_version_is(org_id, self._table, snapshot.profile.version),
                {
                    "Update": {
                        "TableName": self._table,
                        "Key": usage_key(org_id, reservation.window),
                        "ExpressionAttributeNames": {"#type": "type"},
                        **moves,
                    }
                },
                {
                    "Put": {
                        "TableName": self._table,
                        "Item": _entry_to_item(org_id, entry),
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
                {
                    "ConditionCheck": {
                        "TableName": self._table,
                        "Key": fence_key(org_id, entry.reservation_id),
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
            ]
        )
        if codes is None:
            if exact:
                return reservation.used
            # Others may have counted too: read where the counter stands now (at least this reservation's place).
            counter = self._get(usage_key(org_id, reservation.window)) or {}
            return max(_int(counter.get("used")), reservation.used)
        if len(codes) == 4 and codes[3] == "ConditionalCheckFailed":
            raise Fenced(entry.reservation_id)
        if len(codes) == 4 and codes[2] == "ConditionalCheckFailed":
            raise EntryExists(entry.enquiry_id)
        raise _stale("org reservation", codes)

    def reserve_user_credit(
        self,
        org_id: str,
        snapshot: UserSnapshot,
        reservation: UserReservation,
        entry: LedgerEntry,
        exact: bool = True,
    ) -> None:
        moves = _count_moves(snapshot.used, reservation.limit, exact)
        moves["ExpressionAttributeValues"] |= _values(type="USER_USAGE")
        codes = self._transact(
            [
                # The per-user limit it was decided with is still the org's (USER_LIMIT, not PROFILE: a user step
                # does not conflict with the org steps of the same burst).
                _user_limit_version_is(org_id, self._table, snapshot.profile_version),
                {
                    "Update": {
                        "TableName": self._table,
                        "Key": user_usage_key(org_id, entry.user_id, reservation.period),
                        "ExpressionAttributeNames": {"#type": "type"},
                        **moves,
                    }
                },
                {
                    "Update": {
                        "TableName": self._table,
                        "Key": entry_key(org_id, entry.enquiry_id),
                        "UpdateExpression": "SET #state = :charged, userUsed = :userUsed"
                        + (", userLimit = :userLimit" if reservation.limit is not None else "")
                        + " REMOVE reservedShard, reservedAt",
                        "ConditionExpression": "reservationId = :rid AND #state = :reserved",
                        "ExpressionAttributeNames": {"#state": "state"},
                        "ExpressionAttributeValues": _values(
                            charged=EntryState.CHARGED.value,
                            reserved=EntryState.ORG_RESERVED.value,
                            rid=entry.reservation_id,
                            userUsed=reservation.used,
                        )
                        | (_values(userLimit=reservation.limit) if reservation.limit is not None else {}),
                    }
                },
            ]
        )
        if codes is not None:
            raise _stale("user reservation", codes)

    def release(self, org_id: str, enquiry_id: str, reservation_id: str, now: datetime) -> bool:
        fence = {
            "Put": {
                "TableName": self._table,
                "Item": fence_key(org_id, reservation_id)
                | {
                    "type": {"S": "FENCE"},
                    "enquiryId": {"S": enquiry_id},
                    "expiresAt": {"N": str(int(now.timestamp()) + FENCE_TTL_SECONDS)},
                },
            }
        }
        entry = _entry_from_item(self._get(entry_key(org_id, enquiry_id)))
        if entry is None or not entry.is_mine(reservation_id):
            # Nothing of this reservation to give back (yet): fence it, so that it never lands.
            not_mine = {
                "ConditionCheck": {
                    "TableName": self._table,
                    "Key": entry_key(org_id, enquiry_id),
                    "ConditionExpression": "attribute_not_exists(pk) OR reservationId <> :rid",
                    "ExpressionAttributeValues": _values(rid=reservation_id),
                }
            }
            codes = self._transact([fence, not_mine])
            if codes is None:
                return False
            raise _stale(f"release of {enquiry_id}", codes)  # it landed meanwhile, or a conflict
        actions: list[Item] = [
            fence,
            {
                "Update": {
                    "TableName": self._table,
                    "Key": usage_key(org_id, entry.window),
                    "UpdateExpression": "SET used = used - :one",
                    "ConditionExpression": "used >= :one",
                    "ExpressionAttributeValues": _values(one=1),
                }
            },
            {
                "Delete": {
                    "TableName": self._table,
                    "Key": entry_key(org_id, enquiry_id),
                    "ConditionExpression": "reservationId = :rid AND #state = :state",
                    "ExpressionAttributeNames": {"#state": "state"},
                    "ExpressionAttributeValues": _values(rid=reservation_id, state=entry.state.value),
                }
            },
        ]
        if entry.state is EntryState.CHARGED:
            actions.append(
                {
                    "Update": {
                        "TableName": self._table,
                        "Key": user_usage_key(org_id, entry.user_id, entry.period),
                        "UpdateExpression": "SET used = used - :one",
                        "ConditionExpression": "used >= :one",
                        "ExpressionAttributeValues": _values(one=1),
                    }
                }
            )
        codes = self._transact(actions)
        if codes is None:
            return True
        raise _stale(f"release of {enquiry_id}", codes)

    def abandoned_reservations(self, reserved_before: datetime, limit: int) -> list[AbandonedReservation]:
        found: list[AbandonedReservation] = []
        for shard in range(RESERVED_SHARDS):
            arguments: dict[str, Any] = {
                "TableName": self._table,
                "IndexName": RESERVED_INDEX,
                "KeyConditionExpression": "reservedShard = :shard AND reservedAt < :before",
                "ExpressionAttributeValues": _values(shard=f"RESERVED#{shard}", before=reserved_before.isoformat()),
            }
            while len(found) < limit:
                page = self._db.query(**arguments)
                for raw in page.get("Items", []):
                    item = _plain(raw) or {}
                    found.append(
                        AbandonedReservation(
                            org_id=str(item[PK]).removeprefix("ORG#"),
                            enquiry_id=str(item[SK]).removeprefix("ENQUIRY#"),
                            reservation_id=str(item["reservationId"]),
                            reserved_at=datetime.fromisoformat(str(item["reservedAt"])),
                        )
                    )
                if "LastEvaluatedKey" not in page:
                    break
                arguments["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        return found[:limit]

    def save_profile(self, profile: OrgProfile, expected_version: int) -> None:
        condition = "attribute_not_exists(pk) OR version = :v" if expected_version == 0 else "version = :v"
        codes = self._transact(
            [
                {
                    "Put": {
                        "TableName": self._table,
                        "Item": _profile_to_item(profile),
                        "ConditionExpression": condition,
                        "ExpressionAttributeValues": _values(v=expected_version),
                    }
                },
                {
                    "Put": {
                        "TableName": self._table,
                        "Item": user_limit_key(profile.org_id)
                        | {
                            name: _serializer.serialize(value)
                            for name, value in {"type": "USER_LIMIT", "version": profile.version}.items()
                        },
                    }
                },
            ]
        )
        if codes is not None:
            raise _stale("profile", codes)

    def record_top_up(self, org_id: str, profile_version: int, top_up: TopUpRecord) -> None:
        record: dict[str, Any] = {
            "type": "TOPUP",
            "topUpId": top_up.top_up_id,
            "credits": top_up.credits,
            "period": top_up.period,
            "recordedAt": top_up.recorded_at.isoformat(),
        }
        if top_up.reason is not None:
            record["reason"] = top_up.reason
        codes = self._transact(
            [
                _profile_version_is(org_id, self._table, profile_version),
                {
                    "Update": {
                        "TableName": self._table,
                        "Key": usage_key(org_id, top_up.period),
                        "UpdateExpression": "SET topUps = if_not_exists(topUps, :zero) + :credits, #type = :type",
                        "ExpressionAttributeNames": {"#type": "type"},
                        "ExpressionAttributeValues": _values(zero=0, credits=top_up.credits, type="USAGE"),
                    }
                },
                {
                    "Put": {
                        "TableName": self._table,
                        "Item": top_up_key(org_id, top_up.top_up_id)
                        | {k: _serializer.serialize(v) for k, v in record.items()},
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
            ]
        )
        if codes is None:
            return
        if len(codes) == 3 and codes[2] == "ConditionalCheckFailed":
            raise EntryExists(top_up.top_up_id)
        raise _stale("top-up", codes)

    def claim_notice(self, org_id: str, kind: str, window: str, claimant: str, now: datetime) -> bool:
        now_ms = int(now.timestamp() * 1000)
        try:
            self._db.put_item(
                TableName=self._table,
                Item=notice_key(org_id, kind, window)
                | {
                    name: _serializer.serialize(value)
                    for name, value in {
                        "type": "NOTICE",
                        "state": "PENDING",
                        "claimant": claimant,
                        "claimedAtMs": now_ms,
                    }.items()
                },
                ConditionExpression="attribute_not_exists(pk) OR (#state = :pending AND "
                "(claimant = :claimant OR claimedAtMs <= :abandoned))",
                ExpressionAttributeNames={"#state": "state"},
                ExpressionAttributeValues=_values(
                    pending="PENDING",
                    claimant=claimant,
                    abandoned=now_ms - int(NOTICE_LEASE.total_seconds() * 1000),
                ),
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def confirm_notice(self, org_id: str, kind: str, window: str, claimant: str) -> None:
        try:
            self._db.update_item(
                TableName=self._table,
                Key=notice_key(org_id, kind, window),
                UpdateExpression="SET #state = :sent",
                ConditionExpression="claimant = :claimant",
                ExpressionAttributeNames={"#state": "state"},
                ExpressionAttributeValues=_values(sent="SENT", claimant=claimant),
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                raise NoticeClaimLost(
                    f"{claimant} no longer holds the claim on {kind} of {org_id} for {window}"
                ) from None
            raise

    def withdraw_notice(self, org_id: str, kind: str, window: str, claimant: str) -> None:
        try:
            self._db.delete_item(
                TableName=self._table,
                Key=notice_key(org_id, kind, window),
                ConditionExpression="claimant = :claimant AND #state = :pending",
                ExpressionAttributeNames={"#state": "state"},
                ExpressionAttributeValues=_values(pending="PENDING", claimant=claimant),
            )
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
