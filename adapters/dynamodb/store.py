"""DynamoCreditStore: domain.ports.CreditStore on one DynamoDB table, composed of its concerns. Reads that a
decision makes together are one strongly consistent BatchGetItem; every write is a concern's."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from adapters.dynamodb.audit import BooksReader
from adapters.dynamodb.history import History
from adapters.dynamodb.items import (
    entry_from_item,
    profile_from_item,
    top_up_from_item,
    usage_from_item,
    used_from_item,
)
from adapters.dynamodb.keys import entry_key, profile_key, top_up_key, usage_key, user_usage_key
from adapters.dynamodb.ledger import Ledger
from adapters.dynamodb.notices import Notices
from adapters.dynamodb.profiles import Profiles
from adapters.dynamodb.table import Table
from domain.account import TRIAL_WINDOW, ChargePosition, LedgerEntry, OrgProfile, OrgReservation, UserReservation
from domain.audit import Books
from domain.periods import Period
from domain.ports import (
    AbandonedReservation,
    AccountState,
    ChargeSnapshot,
    RefundSnapshot,
    TopUpRecord,
    UserSnapshot,
)


class DynamoCreditStore:
    """Implements domain.ports.CreditStore on one DynamoDB table."""

    def __init__(self, client: Any, table_name: str) -> None:
        self._table = Table(client, table_name)
        self._profiles = Profiles(self._table)
        self._ledger = Ledger(self._table)
        self._notices = Notices(self._table)
        self._history = History(self._table)
        self._books = BooksReader(self._table)

    # -- reads ---------------------------------------------------------------------------------------------

    def charge_snapshot(self, org_id: str, at: datetime, user_id: str, enquiry_id: str) -> ChargeSnapshot:
        period = Period.containing(at).key
        profile_item, month_item, trial_item, user_item, entry_item = self._table.get_many(
            [
                profile_key(org_id),
                usage_key(org_id, period),
                usage_key(org_id, TRIAL_WINDOW),
                user_usage_key(org_id, user_id, period),
                entry_key(org_id, enquiry_id),
            ]
        )
        profile = profile_from_item(org_id, profile_item)
        state = AccountState(profile, usage_from_item(period, month_item), usage_from_item(TRIAL_WINDOW, trial_item))
        return ChargeSnapshot(
            profile=profile,
            usage=state.usage_for(profile, at),
            user_used=used_from_item(user_item),
            entry=entry_from_item(entry_item),
        )

    def user_snapshot(self, org_id: str, user_id: str, period: str, enquiry_id: str) -> UserSnapshot:
        profile_item, user_item, entry_item = self._table.get_many(
            [profile_key(org_id), user_usage_key(org_id, user_id, period), entry_key(org_id, enquiry_id)]
        )
        profile = profile_from_item(org_id, profile_item)
        return UserSnapshot(
            profile.version, profile.per_user_limit, used_from_item(user_item), entry_from_item(entry_item)
        )

    def refund_snapshot(self, org_id: str, enquiry_id: str) -> RefundSnapshot:
        profile_item, entry_item = self._table.get_many([profile_key(org_id), entry_key(org_id, enquiry_id)])
        return RefundSnapshot(profile_from_item(org_id, profile_item), entry_from_item(entry_item))

    def account(self, org_id: str, at: datetime) -> AccountState:
        period = Period.containing(at).key
        profile_item, month_item, trial_item = self._table.get_many(
            [profile_key(org_id), usage_key(org_id, period), usage_key(org_id, TRIAL_WINDOW)]
        )
        return AccountState(
            profile_from_item(org_id, profile_item),
            usage_from_item(period, month_item),
            usage_from_item(TRIAL_WINDOW, trial_item),
        )

    def user_used(self, org_id: str, user_id: str, period: str) -> int:
        return used_from_item(self._table.get(user_usage_key(org_id, user_id, period)))

    def find_top_up(self, org_id: str, top_up_id: str) -> TopUpRecord | None:
        return top_up_from_item(self._table.get(top_up_key(org_id, top_up_id)))

    def find_entry(self, org_id: str, enquiry_id: str) -> LedgerEntry | None:
        return entry_from_item(self._table.get(entry_key(org_id, enquiry_id)))

    def charges(
        self, org_id: str, window: str, user_id: str | None, limit: int, after: ChargePosition | None
    ) -> list[LedgerEntry]:
        return self._history.charges(org_id, window, user_id, limit, after)

    def top_ups(self, org_id: str, period: str, limit: int) -> list[TopUpRecord]:
        return self._history.top_ups(org_id, period, limit)

    def books(self, org_id: str, window: str) -> Books:
        return self._books.books(org_id, window)

    def active_windows(
        self, month: str, shard: int, limit: int, after: dict[str, str] | None
    ) -> tuple[list[tuple[str, str]], dict[str, str] | None]:
        return self._books.active_windows(month, shard, limit, after)

    # -- writes --------------------------------------------------------------------------------------------

    def reserve_org_credit(
        self, snapshot: ChargeSnapshot, reservation: OrgReservation, entry: LedgerEntry, exact: bool = True
    ) -> int:
        return self._ledger.reserve_org_credit(snapshot, reservation, entry, exact)

    def reserve_user_credit(
        self,
        org_id: str,
        snapshot: UserSnapshot,
        reservation: UserReservation,
        charged: LedgerEntry,
        exact: bool = True,
    ) -> None:
        self._ledger.reserve_user_credit(org_id, snapshot, reservation, charged, exact)

    def release(self, org_id: str, enquiry_id: str, execution_name: str, now: datetime) -> bool:
        return self._ledger.release(org_id, enquiry_id, execution_name, now)

    def abandoned_reservations(self, reserved_before: datetime, limit: int) -> list[AbandonedReservation]:
        return self._ledger.abandoned_reservations(reserved_before, limit)

    def refund(self, org_id: str, charged: LedgerEntry, refunded: LedgerEntry) -> None:
        self._ledger.refund(org_id, charged, refunded)

    def save_profile(self, profile: OrgProfile, expected_version: int) -> None:
        self._profiles.save(profile, expected_version)

    def record_top_up(self, org_id: str, profile_version: int, top_up: TopUpRecord) -> None:
        self._ledger.record_top_up(org_id, profile_version, top_up)

    def claim_notice(self, org_id: str, kind: str, window: str, claimant: str, now: datetime) -> bool:
        return self._notices.claim(org_id, kind, window, claimant, now)

    def confirm_notice(self, org_id: str, kind: str, window: str, claimant: str) -> None:
        self._notices.confirm(org_id, kind, window, claimant)

    def withdraw_notice(self, org_id: str, kind: str, window: str, claimant: str) -> None:
        self._notices.withdraw(org_id, kind, window, claimant)
