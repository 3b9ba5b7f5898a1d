"""The DynamoDB credit store keeps every invariant with conditional writes, against the table template.yaml
declares (moto's DynamoDB, created by the `cloud` fixture)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from adapters.dynamodb import DynamoCreditStore
from adapters.dynamodb.keys import PK, RESERVED_INDEX, SK
from domain.account import CreditAccount, EntryState, LedgerEntry, OrgProfile, OrgReservation, reserve_user_credit
from domain.periods import Period
from domain.ports import (
    NOTICE_LEASE,
    EnquiryAlreadyInLedger,
    NoticeClaimLost,
    StaleRead,
    TopUpAlreadyRecorded,
    TopUpRecord,
)
from emulator.cloud import LocalCloud
from emulator.template import load_stack

NOW = datetime(2025, 3, 14, 12, 30, tzinfo=UTC)
PERIOD = Period.containing(NOW).key


@pytest.fixture
def store(cloud: LocalCloud) -> DynamoCreditStore:
    return DynamoCreditStore(cloud.client("dynamodb"), cloud.stack.table_name)


def _org_on_basic(store: DynamoCreditStore, org_id: str, per_user_limit: int | None = None) -> OrgProfile:
    profile = OrgProfile(
        org_id, plan="Basic", plan_set_at=NOW, had_paid_plan=True, per_user_limit=per_user_limit, version=1
    )
    store.save_profile(profile, expected_version=0)
    return profile


def _entry(enquiry_id: str, user_id: str, reservation: OrgReservation, reservation_id: str) -> LedgerEntry:
    return LedgerEntry(
        enquiry_id=enquiry_id,
        user_id=user_id,
        window=reservation.window,
        period=reservation.period,
        reservation_id=reservation_id,
        state=EntryState.ORG_RESERVED,
        recorded_at=NOW,
        plan=reservation.plan,
        org_used=reservation.used,
        org_limit=reservation.limit,
        window_starts_at=reservation.window_starts_at,
        window_ends_at=reservation.window_ends_at,
    )


def _reserve_org(
    store: DynamoCreditStore, org_id: str, enquiry_id: str, user_id: str = "user-1", reservation_id: str | None = None
) -> LedgerEntry:
    """Read, let the account decide, write: what the org step of the saga does."""
    snapshot = store.charge_snapshot(org_id, NOW, user_id, enquiry_id)
    reservation = CreditAccount(snapshot.profile, snapshot.usage).reserve(NOW)
    entry = _entry(enquiry_id, user_id, reservation, reservation_id or f"run-{enquiry_id}")
    store.reserve_org_credit(snapshot, reservation, entry)
    return entry


def _reserve_user(store: DynamoCreditStore, org_id: str, entry: LedgerEntry) -> None:
    snapshot = store.user_snapshot(org_id, entry.user_id, entry.period, entry.enquiry_id)
    reservation = reserve_user_credit(snapshot.per_user_limit, snapshot.used, entry.period)
    store.reserve_user_credit(org_id, snapshot, reservation, entry)


def _charge(store: DynamoCreditStore, org_id: str, enquiry_id: str, user_id: str = "user-1") -> LedgerEntry:
    entry = _reserve_org(store, org_id, enquiry_id, user_id)
    _reserve_user(store, org_id, entry)
    return entry


def _org_used(store: DynamoCreditStore, org_id: str) -> int:
    return store.account(org_id, NOW).month.used


def _entry_of(store: DynamoCreditStore, org_id: str, enquiry_id: str, user_id: str = "user-1") -> LedgerEntry | None:
    return store.charge_snapshot(org_id, NOW, user_id, enquiry_id).entry


# -- the table ---------------------------------------------------------------------------------------------


def test_the_table_in_template_yaml_is_keyed_as_the_adapter_expects() -> None:
    table = load_stack().table

    key_schema = {key["KeyType"]: key["AttributeName"] for key in table["KeySchema"]}
    attribute_types = {
        attribute["AttributeName"]: attribute["AttributeType"] for attribute in table["AttributeDefinitions"]
    }

    (index,) = table["GlobalSecondaryIndexes"]
    index_keys = {key["KeyType"]: key["AttributeName"] for key in index["KeySchema"]}

    assert key_schema == {"HASH": PK, "RANGE": SK}
    assert index["IndexName"] == RESERVED_INDEX
    assert index_keys == {"HASH": "reservedShard", "RANGE": "reservedAt"}
    assert "reservationId" in index["Projection"]["NonKeyAttributes"]
    assert attribute_types == {PK: "S", SK: "S", "reservedShard": "S", "reservedAt": "S"}


def test_the_emulated_table_has_the_key_schema_of_the_template(cloud: LocalCloud) -> None:
    described = cloud.client("dynamodb").describe_table(TableName=cloud.stack.table_name)["Table"]

    assert {key["KeyType"]: key["AttributeName"] for key in described["KeySchema"]} == {"HASH": PK, "RANGE": SK}


# -- profiles ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({}, id="no-plan-yet"),
        pytest.param(
            {"plan": "Trial", "plan_set_at": NOW, "trial_started_at": NOW, "per_user_limit": 3, "version": 1},
            id="on-a-trial-with-a-user-limit",
        ),
        pytest.param(
            {"plan": "Basic", "plan_set_at": NOW, "had_paid_plan": True, "per_user_limit": 0, "version": 4},
            id="paid-with-a-zero-user-limit",
        ),
    ],
)
def test_a_saved_profile_loads_back_unchanged(
    store: DynamoCreditStore, org_id: str, changes: dict[str, object]
) -> None:
    # Given a profile
    profile = replace(OrgProfile(org_id), **changes)  # type: ignore[arg-type]

    # When it is saved and read back
    store.save_profile(profile, expected_version=0)
    loaded = store.account(org_id, NOW).profile

    # Then it is the same profile
    assert loaded == profile


def test_an_org_never_saved_reads_as_an_empty_profile(store: DynamoCreditStore, org_id: str) -> None:
    assert store.account(org_id, NOW).profile == OrgProfile(org_id)


def test_saving_a_profile_read_before_someone_else_changed_it_is_a_stale_read(
    store: DynamoCreditStore, org_id: str
) -> None:
    # Given a profile at version 1 that two writers read
    first = _org_on_basic(store, org_id)
    # and one of them saves version 2
    store.save_profile(replace(first, per_user_limit=5, version=2), expected_version=1)

    # When the other saves what it decided from version 1
    with pytest.raises(StaleRead):
        store.save_profile(replace(first, plan="Ultimate", version=2), expected_version=1)

    # Then the first writer's change stands
    assert store.account(org_id, NOW).profile == replace(first, per_user_limit=5, version=2)


def test_creating_a_profile_that_already_exists_is_a_stale_read(store: DynamoCreditStore, org_id: str) -> None:
    existing = _org_on_basic(store, org_id)

    with pytest.raises(StaleRead):
        store.save_profile(replace(existing, plan="Lite"), expected_version=0)

    assert store.account(org_id, NOW).profile.plan == "Basic"


# -- reserving the org's credit ----------------------------------------------------------------------------


def test_an_org_reservation_counts_the_credit_and_records_the_ledger_entry_together(
    store: DynamoCreditStore, org_id: str
) -> None:
    # Given an org on Basic that has used nothing
    _org_on_basic(store, org_id)

    # When one credit is reserved for an enquiry
    entry = _reserve_org(store, org_id, "enq-1")

    # Then the month counts it and the ledger remembers the enquiry as reserved by this request
    assert _org_used(store, org_id) == 1
    recorded = _entry_of(store, org_id, "enq-1")
    assert recorded == entry
    assert recorded is not None
    assert recorded.state is EntryState.ORG_RESERVED
    assert recorded.org_used == 1
    assert recorded.org_limit == 100
    assert (recorded.window_starts_at, recorded.window_ends_at) == (
        datetime(2025, 3, 1, tzinfo=UTC),
        datetime(2025, 4, 1, tzinfo=UTC),
    )


def test_a_trial_entry_keeps_the_trials_window_bounds(store: DynamoCreditStore, org_id: str) -> None:
    # Given an org whose trial started ten days ago, across a month boundary
    started = NOW - timedelta(days=10)
    store.save_profile(OrgProfile(org_id, plan="Trial", plan_set_at=started, trial_started_at=started, version=1), 0)

    # When it reserves a credit
    entry = _reserve_org(store, org_id, "enq-1")

    # Then the ledger entry reads back with the trial's fourteen days as its window
    recorded = _entry_of(store, org_id, "enq-1")
    assert recorded == entry
    assert recorded is not None
    assert (recorded.window, recorded.window_starts_at, recorded.window_ends_at) == (
        "TRIAL",
        started,
        started + timedelta(days=14),
    )
    assert recorded.org_reservation.window_ends_at == started + timedelta(days=14)


def test_a_ledger_entry_recorded_before_window_bounds_were_kept_still_reads_back(
    cloud: LocalCloud, store: DynamoCreditStore, org_id: str
) -> None:
    # Given an enquiry charged by the previous version, whose ledger entry has no window bounds
    _org_on_basic(store, org_id)
    legacy = {
        "type": "ENQUIRY",
        "enquiryId": "enq-old",
        "userId": "user-1",
        "window": PERIOD,
        "period": PERIOD,
        "reservationId": "run-old",
        "state": "CHARGED",
        "recordedAt": NOW.isoformat(),
        "plan": "Basic",
        "orgUsed": 1,
        "orgLimit": 100,
        "userUsed": 1,
    }
    item = {PK: {"S": f"ORG#{org_id}"}, SK: {"S": "ENQUIRY#enq-old"}} | {
        name: {"N": str(value)} if isinstance(value, int) else {"S": value} for name, value in legacy.items()
    }
    cloud.client("dynamodb").put_item(TableName=cloud.stack.table_name, Item=item)

    # When the same user asks for that enquiry again
    entry = _entry_of(store, org_id, "enq-old")

    # Then the ledger answers with the recorded charge
    assert entry is not None
    assert (entry.state, entry.user_id, entry.org_used) == (EntryState.CHARGED, "user-1", 1)
    entry.check_replay("user-1")


@pytest.mark.parametrize("used_before", [0, 2])
def test_an_org_reservation_decided_on_a_count_that_has_since_moved_is_stale_and_writes_nothing(
    store: DynamoCreditStore, org_id: str, used_before: int
) -> None:
    # Given a request that read the org's count and decided to reserve
    _org_on_basic(store, org_id)
    for number in range(used_before):
        _reserve_org(store, org_id, f"enq-earlier-{number}")
    snapshot = store.charge_snapshot(org_id, NOW, "user-1", "enq-late")
    reservation = CreditAccount(snapshot.profile, snapshot.usage).reserve(NOW)
    # and another enquiry charged in between
    _reserve_org(store, org_id, "enq-first", user_id="user-2")

    # When the first request writes what it decided
    with pytest.raises(StaleRead):
        store.reserve_org_credit(snapshot, reservation, _entry("enq-late", "user-1", reservation, "run-late"))

    # Then neither the count nor the ledger entry was written
    assert _org_used(store, org_id) == used_before + 1
    assert _entry_of(store, org_id, "enq-late") is None


def test_an_org_reservation_decided_before_a_plan_change_is_stale_and_writes_nothing(
    store: DynamoCreditStore, org_id: str
) -> None:
    # Given a request that read the org on Basic
    profile = _org_on_basic(store, org_id)
    snapshot = store.charge_snapshot(org_id, NOW, "user-1", "enq-1")
    reservation = CreditAccount(snapshot.profile, snapshot.usage).reserve(NOW)
    # and staff changed the org's plan in between
    store.save_profile(replace(profile, plan="Lite", version=2), expected_version=1)

    # When the request writes what it decided
    with pytest.raises(StaleRead):
        store.reserve_org_credit(snapshot, reservation, _entry("enq-1", "user-1", reservation, "run-1"))

    # Then nothing was counted or recorded
    assert _org_used(store, org_id) == 0
    assert _entry_of(store, org_id, "enq-1") is None


def test_a_second_reservation_for_an_enquiry_already_in_the_ledger_is_refused(
    store: DynamoCreditStore, org_id: str
) -> None:
    # Given an enquiry already reserved
    _org_on_basic(store, org_id)
    first = _reserve_org(store, org_id, "enq-1", reservation_id="run-a")

    # When another request, reading the current count, reserves the same enquiry
    snapshot = store.charge_snapshot(org_id, NOW, "user-1", "enq-1")
    reservation = CreditAccount(snapshot.profile, snapshot.usage).reserve(NOW)
    with pytest.raises(EnquiryAlreadyInLedger):
        store.reserve_org_credit(snapshot, reservation, _entry("enq-1", "user-1", reservation, "run-b"))

    # Then the enquiry is counted once and still belongs to the first request
    assert _org_used(store, org_id) == 1
    assert _entry_of(store, org_id, "enq-1") == first


# -- reserving the user's credit ---------------------------------------------------------------------------


def test_a_user_reservation_marks_the_entry_charged_and_counts_the_user(store: DynamoCreditStore, org_id: str) -> None:
    # Given an org credit reserved for a user's enquiry
    _org_on_basic(store, org_id, per_user_limit=5)
    entry = _reserve_org(store, org_id, "enq-1", user_id="user-1")

    # When the user's credit is reserved
    _reserve_user(store, org_id, entry)

    # Then the enquiry is charged to the user, and the user's month counts it
    charged = _entry_of(store, org_id, "enq-1")
    assert charged is not None
    assert charged.state is EntryState.CHARGED
    assert (charged.user_used, charged.user_limit) == (1, 5)
    assert store.user_used(org_id, "user-1", PERIOD) == 1
    assert store.user_used(org_id, "user-2", PERIOD) == 0


def test_a_user_reservation_decided_on_a_count_that_has_since_moved_is_stale_and_writes_nothing(
    store: DynamoCreditStore, org_id: str
) -> None:
    # Given a user's enquiry whose user side was read
    _org_on_basic(store, org_id, per_user_limit=5)
    late = _reserve_org(store, org_id, "enq-late")
    snapshot = store.user_snapshot(org_id, "user-1", PERIOD, "enq-late")
    reservation = reserve_user_credit(snapshot.per_user_limit, snapshot.used, PERIOD)
    # and another enquiry of the same user was charged in between
    _charge(store, org_id, "enq-first")

    # When the first writes what it decided
    with pytest.raises(StaleRead):
        store.reserve_user_credit(org_id, snapshot, reservation, late)

    # Then the user is counted once and the late enquiry is still only reserved
    assert store.user_used(org_id, "user-1", PERIOD) == 1
    still = _entry_of(store, org_id, "enq-late")
    assert still is not None
    assert still.state is EntryState.ORG_RESERVED


def test_charging_the_user_again_for_an_enquiry_already_charged_is_refused(
    store: DynamoCreditStore, org_id: str
) -> None:
    # Given an enquiry charged to its user
    _org_on_basic(store, org_id, per_user_limit=5)
    entry = _charge(store, org_id, "enq-1")

    # When the user step runs again on what it reads now (the count is current, the entry is charged)
    snapshot = store.user_snapshot(org_id, "user-1", PERIOD, "enq-1")
    again = reserve_user_credit(snapshot.per_user_limit, snapshot.used, PERIOD)
    with pytest.raises(StaleRead):
        store.reserve_user_credit(org_id, snapshot, again, entry)

    # Then the user is counted once
    assert store.user_used(org_id, "user-1", PERIOD) == 1


# -- releasing (compensation) ------------------------------------------------------------------------------


def test_releasing_an_org_reservation_gives_the_credit_back_and_forgets_the_enquiry(
    store: DynamoCreditStore, org_id: str
) -> None:
    # Given an org credit reserved for an enquiry
    _org_on_basic(store, org_id)
    entry = _reserve_org(store, org_id, "enq-1")

    # When the reservation is released
    released = store.release(org_id, "enq-1", entry.reservation_id, NOW)

    # Then the credit is back and the ledger no longer holds the enquiry
    assert released is True
    assert _org_used(store, org_id) == 0
    assert _entry_of(store, org_id, "enq-1") is None


def test_releasing_a_charged_enquiry_gives_back_both_the_org_and_the_user_credit(
    store: DynamoCreditStore, org_id: str
) -> None:
    # Given an enquiry charged to the org and the user
    _org_on_basic(store, org_id, per_user_limit=5)
    entry = _charge(store, org_id, "enq-1")

    # When it is released
    released = store.release(org_id, "enq-1", entry.reservation_id, NOW)

    # Then both counts are back to zero and the ledger no longer holds the enquiry
    assert released is True
    assert _org_used(store, org_id) == 0
    assert store.user_used(org_id, "user-1", PERIOD) == 0
    assert _entry_of(store, org_id, "enq-1") is None


def test_releasing_twice_gives_the_credit_back_once(store: DynamoCreditStore, org_id: str) -> None:
    # Given two enquiries reserved, one of which was released
    _org_on_basic(store, org_id)
    _reserve_org(store, org_id, "enq-kept")
    entry = _reserve_org(store, org_id, "enq-1")
    store.release(org_id, "enq-1", entry.reservation_id, NOW)

    # When the same release runs again (a retried compensation)
    again = store.release(org_id, "enq-1", entry.reservation_id, NOW)

    # Then there is nothing left to release and the other enquiry stays counted
    assert again is False
    assert _org_used(store, org_id) == 1


def test_a_release_by_another_request_leaves_the_enquiry_charged(store: DynamoCreditStore, org_id: str) -> None:
    # Given an enquiry charged by one request
    _org_on_basic(store, org_id)
    entry = _charge(store, org_id, "enq-1")

    # When a different request (an older execution's compensation) releases the same enquiry
    released = store.release(org_id, "enq-1", "some-other-run", NOW)

    # Then nothing is given back
    assert released is False
    assert _org_used(store, org_id) == 1
    assert store.user_used(org_id, "user-1", PERIOD) == 1
    assert _entry_of(store, org_id, "enq-1") == replace(entry, state=EntryState.CHARGED, user_used=1)


# -- top-ups -----------------------------------------------------------------------------------------------


def _top_up(top_up_id: str, credits: int) -> TopUpRecord:
    return TopUpRecord(top_up_id, credits, PERIOD, "renewal call", NOW)


def test_a_recorded_top_up_adds_its_credits_to_the_month(store: DynamoCreditStore, org_id: str) -> None:
    # Given an org on Basic with one top-up already
    profile = _org_on_basic(store, org_id)
    store.record_top_up(org_id, profile.version, _top_up("top-1", 50))

    # When another top-up is recorded
    store.record_top_up(org_id, profile.version, _top_up("top-2", 25))

    # Then the month holds both, and each is remembered
    assert store.account(org_id, NOW).month.top_ups == 75
    assert store.find_top_up(org_id, "top-2") == _top_up("top-2", 25)


def test_recording_the_same_top_up_twice_adds_its_credits_once(store: DynamoCreditStore, org_id: str) -> None:
    # Given a recorded top-up
    profile = _org_on_basic(store, org_id)
    store.record_top_up(org_id, profile.version, _top_up("top-1", 50))

    # When the same top-up id is recorded again
    with pytest.raises(TopUpAlreadyRecorded):
        store.record_top_up(org_id, profile.version, _top_up("top-1", 50))

    # Then the credits were added once
    assert store.account(org_id, NOW).month.top_ups == 50


def test_a_top_up_decided_before_a_plan_change_is_stale_and_adds_nothing(store: DynamoCreditStore, org_id: str) -> None:
    profile = _org_on_basic(store, org_id)
    store.save_profile(replace(profile, plan="Lite", version=2), expected_version=1)

    with pytest.raises(StaleRead):
        store.record_top_up(org_id, profile.version, _top_up("top-1", 50))

    assert store.account(org_id, NOW).month.top_ups == 0
    assert store.find_top_up(org_id, "top-1") is None


# -- notices -----------------------------------------------------------------------------------------------

REACHED = "LimitReached"
FORECAST = "LimitForecast"
SECOND = timedelta(seconds=1)


def test_a_notice_is_claimed_by_one_sender_at_a_time(store: DynamoCreditStore, org_id: str) -> None:
    # Given a notice claimed by one execution
    assert store.claim_notice(org_id, REACHED, PERIOD, "exec-1", NOW) is True

    # When another execution tries within the lease, Then it may not send it
    assert store.claim_notice(org_id, REACHED, PERIOD, "exec-2", NOW) is False
    assert store.claim_notice(org_id, REACHED, PERIOD, "exec-2", NOW + NOTICE_LEASE - SECOND) is False


def test_each_kind_window_and_org_is_claimed_apart(store: DynamoCreditStore, org_id: str) -> None:
    assert store.claim_notice(org_id, REACHED, PERIOD, "exec-1", NOW)

    assert store.claim_notice(org_id, FORECAST, PERIOD, "exec-2", NOW) is True
    assert store.claim_notice(org_id, REACHED, Period.containing(NOW).next().key, "exec-3", NOW) is True
    assert store.claim_notice(org_id, REACHED, "TRIAL", "exec-4", NOW) is True
    assert store.claim_notice(f"{org_id}-other", REACHED, PERIOD, "exec-5", NOW) is True


def test_the_claimant_may_claim_its_notice_again(store: DynamoCreditStore, org_id: str) -> None:
    # Given a notify step that claimed a notice and then failed before sending it
    assert store.claim_notice(org_id, REACHED, PERIOD, "exec-1", NOW)

    # When the workflow retries the step, Then it takes its own claim back
    assert store.claim_notice(org_id, REACHED, PERIOD, "exec-1", NOW + SECOND) is True
    # and the retry's claim is as fresh as the retry: others still wait a whole lease from it
    assert store.claim_notice(org_id, REACHED, PERIOD, "exec-2", NOW + NOTICE_LEASE) is False


def test_a_claim_older_than_the_lease_is_taken_over(store: DynamoCreditStore, org_id: str) -> None:
    # Given a notice claimed by a sender that crashed
    assert store.claim_notice(org_id, REACHED, PERIOD, "exec-crashed", NOW)

    # When another sender comes once the lease is over, Then it takes the claim
    assert store.claim_notice(org_id, REACHED, PERIOD, "exec-2", NOW + NOTICE_LEASE + SECOND) is True
    # and holds it in turn
    assert store.claim_notice(org_id, REACHED, PERIOD, "exec-3", NOW + NOTICE_LEASE + 2 * SECOND) is False


def test_a_claim_exactly_the_lease_old_may_be_taken_over(store: DynamoCreditStore, org_id: str) -> None:
    assert store.claim_notice(org_id, REACHED, PERIOD, "exec-crashed", NOW)

    assert store.claim_notice(org_id, REACHED, PERIOD, "exec-2", NOW + NOTICE_LEASE) is True


def test_a_confirmed_notice_is_never_claimed_again(store: DynamoCreditStore, org_id: str) -> None:
    # Given a notice claimed and confirmed as sent
    assert store.claim_notice(org_id, REACHED, PERIOD, "exec-1", NOW)
    store.confirm_notice(org_id, REACHED, PERIOD, "exec-1")

    # When anyone claims it again, even its own sender and long after, Then it may not be sent again
    assert store.claim_notice(org_id, REACHED, PERIOD, "exec-1", NOW + SECOND) is False
    assert store.claim_notice(org_id, REACHED, PERIOD, "exec-2", NOW + timedelta(days=20)) is False


def test_a_withdrawn_claim_can_be_claimed_again_at_once(store: DynamoCreditStore, org_id: str) -> None:
    # Given a notice claimed, whose publication then failed
    assert store.claim_notice(org_id, REACHED, PERIOD, "exec-1", NOW)

    # When the claim is withdrawn
    store.withdraw_notice(org_id, REACHED, PERIOD, "exec-1")

    # Then the next chance, by any sender, may claim (and send) it, once
    assert store.claim_notice(org_id, REACHED, PERIOD, "exec-2", NOW + SECOND) is True
    assert store.claim_notice(org_id, REACHED, PERIOD, "exec-3", NOW + SECOND) is False


def test_withdrawing_leaves_a_claim_taken_over_by_another_sender(store: DynamoCreditStore, org_id: str) -> None:
    # Given a slow sender whose claim was taken over after the lease
    assert store.claim_notice(org_id, REACHED, PERIOD, "exec-slow", NOW)
    assert store.claim_notice(org_id, REACHED, PERIOD, "exec-2", NOW + NOTICE_LEASE + SECOND)

    # When the slow sender gives up and withdraws
    store.withdraw_notice(org_id, REACHED, PERIOD, "exec-slow")

    # Then the new claim stands: a third sender may not claim it
    assert store.claim_notice(org_id, REACHED, PERIOD, "exec-3", NOW + NOTICE_LEASE + 2 * SECOND) is False


@pytest.mark.parametrize("after", ["taken-over", "withdrawn"])
def test_confirming_a_claim_no_longer_held_is_refused_and_leaves_the_notice_to_its_holder(
    store: DynamoCreditStore, org_id: str, after: str
) -> None:
    # Given a sender whose claim was taken over after the lease, or which withdrew it
    assert store.claim_notice(org_id, REACHED, PERIOD, "exec-slow", NOW)
    if after == "taken-over":
        assert store.claim_notice(org_id, REACHED, PERIOD, "exec-2", NOW + NOTICE_LEASE + SECOND)
    else:
        store.withdraw_notice(org_id, REACHED, PERIOD, "exec-slow")

    # When it confirms its notice, Then it is told its claim is lost
    with pytest.raises(NoticeClaimLost):
        store.confirm_notice(org_id, REACHED, PERIOD, "exec-slow")

    # and the notice was not marked sent: it can still be claimed once its holder's lease is over (or at once)
    assert store.claim_notice(org_id, REACHED, PERIOD, "exec-3", NOW + 2 * NOTICE_LEASE + SECOND) is True


def test_withdrawing_a_sent_notice_changes_nothing(store: DynamoCreditStore, org_id: str) -> None:
    assert store.claim_notice(org_id, REACHED, PERIOD, "exec-1", NOW)
    store.confirm_notice(org_id, REACHED, PERIOD, "exec-1")

    store.withdraw_notice(org_id, REACHED, PERIOD, "exec-1")

    assert store.claim_notice(org_id, REACHED, PERIOD, "exec-2", NOW + timedelta(days=1)) is False


def test_withdrawing_a_notice_nobody_claimed_is_harmless(store: DynamoCreditStore, org_id: str) -> None:
    store.withdraw_notice(org_id, REACHED, PERIOD, "exec-1")

    assert store.claim_notice(org_id, REACHED, PERIOD, "exec-2", NOW) is True
