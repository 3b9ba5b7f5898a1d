"""The credit store's contract (domain.ports.CreditStore): every case runs against the in-memory fake the domain's
tests use (tests/fakes.py) and against the DynamoDB store on moto's table (the `cloud` fixture), so that the fake
cannot drift from the real thing. What only the DynamoDB store has (its keys, items, transactions and requests) is
tested in tests/integration/test_dynamodb_*.py."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from adapters.dynamodb import DynamoCreditStore
from domain.account import CreditAccount, EntryState, LedgerEntry, OrgProfile, PerUserLimit, UserReservation
from domain.periods import Period
from domain.ports import (
    NOTICE_LEASE,
    CreditStore,
    EnquiryAlreadyInLedger,
    Fenced,
    NoticeClaimLost,
    RefundSnapshot,
    StaleRead,
    TopUpAlreadyRecorded,
    TopUpRecord,
)
from tests.fakes import InMemoryCreditStore
from tests.integration.stores import (
    NOW,
    PERIOD,
    charge,
    entry_of,
    org_on_basic,
    org_used,
    reserve_org,
    reserve_user,
    reserved_entry,
)


@pytest.fixture(params=["in-memory", "dynamodb"])
def store(request: pytest.FixtureRequest) -> CreditStore:
    if request.param == "in-memory":
        return InMemoryCreditStore()
    cloud = request.getfixturevalue("cloud")
    return DynamoCreditStore(cloud.client("dynamodb"), cloud.stack.table_name)


# -- reads -------------------------------------------------------------------------------------------------


def test_an_org_reads_its_month_and_its_trial_apart(store: CreditStore, org_id: str) -> None:
    # Given an org on a trial that used a credit, then a paid plan that used two and was topped up
    started = NOW - timedelta(days=3)
    store.save_profile(OrgProfile(org_id, plan="Trial", plan_set_at=started, trial_started_at=started, version=1), 0)
    reserve_org(store, org_id, "enq-trial")
    paid = OrgProfile(org_id, "Basic", NOW, started, had_paid_plan=True, version=2)
    store.save_profile(paid, expected_version=1)
    reserve_org(store, org_id, "enq-1")
    reserve_org(store, org_id, "enq-2")
    store.record_top_up(org_id, paid.version, TopUpRecord("top-1", 50, PERIOD, None, NOW))

    # When its account is read
    state = store.account(org_id, NOW)

    # Then the month and the trial each hold their own count, and the charge snapshot counts the month
    assert (state.month.window, state.month.used, state.month.top_ups) == (PERIOD, 2, 50)
    assert (state.trial.window, state.trial.used) == ("TRIAL", 1)
    assert store.charge_snapshot(org_id, NOW, "user-1", "enq-3").usage == state.month


def test_the_user_snapshot_reads_the_per_user_limit_the_users_count_and_the_entry(
    store: CreditStore, org_id: str
) -> None:
    profile = org_on_basic(store, org_id, per_user_limit=5)
    charge(store, org_id, "enq-1")
    entry = reserve_org(store, org_id, "enq-2")

    snapshot = store.user_snapshot(org_id, "user-1", PERIOD, "enq-2")

    assert (snapshot.profile_version, snapshot.per_user_limit, snapshot.used) == (profile.version, 5, 1)
    assert snapshot.entry == entry
    assert store.user_snapshot(org_id, "user-2", PERIOD, "enq-3").used == 0
    assert store.user_snapshot(org_id, "user-2", PERIOD, "enq-3").entry is None


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
def test_a_saved_profile_loads_back_unchanged(store: CreditStore, org_id: str, changes: dict[str, object]) -> None:
    # Given a profile
    profile = replace(OrgProfile(org_id), **changes)  # type: ignore[arg-type]

    # When it is saved and read back
    store.save_profile(profile, expected_version=0)
    loaded = store.account(org_id, NOW).profile

    # Then it is the same profile
    assert loaded == profile


def test_an_org_never_saved_reads_as_an_empty_profile(store: CreditStore, org_id: str) -> None:
    assert store.account(org_id, NOW).profile == OrgProfile(org_id)


def test_saving_a_profile_read_before_someone_else_changed_it_is_a_stale_read(store: CreditStore, org_id: str) -> None:
    # Given a profile at version 1 that two writers read
    first = org_on_basic(store, org_id)
    # and one of them saves version 2
    store.save_profile(replace(first, per_user_limit=5, version=2), expected_version=1)

    # When the other saves what it decided from version 1
    with pytest.raises(StaleRead):
        store.save_profile(replace(first, plan="Ultimate", version=2), expected_version=1)

    # Then the first writer's change stands
    assert store.account(org_id, NOW).profile == replace(first, per_user_limit=5, version=2)


def test_creating_a_profile_that_already_exists_is_a_stale_read(store: CreditStore, org_id: str) -> None:
    existing = org_on_basic(store, org_id)

    with pytest.raises(StaleRead):
        store.save_profile(replace(existing, plan="Lite"), expected_version=0)

    assert store.account(org_id, NOW).profile.plan == "Basic"


# -- reserving the org's credit ----------------------------------------------------------------------------


def test_an_org_reservation_counts_the_credit_and_records_the_ledger_entry_together(
    store: CreditStore, org_id: str
) -> None:
    # Given an org on Basic that has used nothing
    org_on_basic(store, org_id)

    # When one credit is reserved for an enquiry
    entry = reserve_org(store, org_id, "enq-1")

    # Then the month counts it and the ledger remembers the enquiry as reserved by this request
    assert org_used(store, org_id) == 1
    recorded = entry_of(store, org_id, "enq-1")
    assert recorded == entry
    assert recorded is not None
    assert recorded.state is EntryState.ORG_RESERVED
    assert recorded.org_used == 1
    assert recorded.org_limit == 100
    assert (recorded.window_starts_at, recorded.window_ends_at) == (
        datetime(2025, 3, 1, tzinfo=UTC),
        datetime(2025, 4, 1, tzinfo=UTC),
    )


def test_a_trial_entry_keeps_the_trials_window_bounds(store: CreditStore, org_id: str) -> None:
    # Given an org whose trial started ten days ago, across a month boundary
    started = NOW - timedelta(days=10)
    store.save_profile(OrgProfile(org_id, plan="Trial", plan_set_at=started, trial_started_at=started, version=1), 0)

    # When it reserves a credit
    entry = reserve_org(store, org_id, "enq-1")

    # Then the ledger entry reads back with the trial's fourteen days as its window
    recorded = entry_of(store, org_id, "enq-1")
    assert recorded == entry
    assert recorded is not None
    assert (recorded.window, recorded.window_starts_at, recorded.window_ends_at) == (
        "TRIAL",
        started,
        started + timedelta(days=14),
    )
    assert recorded.org_reservation.window_ends_at == started + timedelta(days=14)


@pytest.mark.parametrize("used_before", [0, 2])
def test_an_org_reservation_decided_on_a_count_that_has_since_moved_is_stale_and_writes_nothing(
    store: CreditStore, org_id: str, used_before: int
) -> None:
    # Given a request that read the org's count and decided to reserve
    org_on_basic(store, org_id)
    for number in range(used_before):
        reserve_org(store, org_id, f"enq-earlier-{number}")
    snapshot = store.charge_snapshot(org_id, NOW, "user-1", "enq-late")
    reservation = CreditAccount(snapshot.profile, snapshot.usage).reserve(NOW)
    # and another enquiry charged in between
    reserve_org(store, org_id, "enq-first", user_id="user-2")

    # When the first request writes what it decided
    with pytest.raises(StaleRead):
        store.reserve_org_credit(snapshot, reservation, reserved_entry("enq-late", "user-1", reservation, "run-late"))

    # Then neither the count nor the ledger entry was written
    assert org_used(store, org_id) == used_before + 1
    assert entry_of(store, org_id, "enq-late") is None


def test_an_org_reservation_decided_before_a_plan_change_is_stale_and_writes_nothing(
    store: CreditStore, org_id: str
) -> None:
    # Given a request that read the org on Basic
    profile = org_on_basic(store, org_id)
    snapshot = store.charge_snapshot(org_id, NOW, "user-1", "enq-1")
    reservation = CreditAccount(snapshot.profile, snapshot.usage).reserve(NOW)
    # and staff changed the org's plan in between
    store.save_profile(replace(profile, plan="Lite", version=2), expected_version=1)

    # When the request writes what it decided
    with pytest.raises(StaleRead):
        store.reserve_org_credit(snapshot, reservation, reserved_entry("enq-1", "user-1", reservation, "run-1"))

    # Then nothing was counted or recorded
    assert org_used(store, org_id) == 0
    assert entry_of(store, org_id, "enq-1") is None


def test_a_second_reservation_for_an_enquiry_already_in_the_ledger_is_refused(store: CreditStore, org_id: str) -> None:
    # Given an enquiry already reserved
    org_on_basic(store, org_id)
    first = reserve_org(store, org_id, "enq-1", execution_name="run-a")

    # When another request, reading the current count, reserves the same enquiry
    snapshot = store.charge_snapshot(org_id, NOW, "user-1", "enq-1")
    reservation = CreditAccount(snapshot.profile, snapshot.usage).reserve(NOW)
    with pytest.raises(EnquiryAlreadyInLedger):
        store.reserve_org_credit(snapshot, reservation, reserved_entry("enq-1", "user-1", reservation, "run-b"))

    # Then the enquiry is counted once and still belongs to the first request
    assert org_used(store, org_id) == 1
    assert entry_of(store, org_id, "enq-1") == first


def test_a_reservation_that_is_not_exact_counts_below_the_limit_whatever_others_counted(
    store: CreditStore, org_id: str
) -> None:
    # Given a request that read the org's count, and another enquiry charged in between
    org_on_basic(store, org_id)
    snapshot = store.charge_snapshot(org_id, NOW, "user-1", "enq-late")
    reservation = CreditAccount(snapshot.profile, snapshot.usage).reserve(NOW)
    reserve_org(store, org_id, "enq-first", user_id="user-2")

    # When it writes without asking for the exact count it read
    counted = store.reserve_org_credit(
        snapshot, reservation, reserved_entry("enq-late", "user-1", reservation, "run-late"), exact=False
    )

    # Then it is counted, and the answer is the count after both
    assert counted == 2
    assert org_used(store, org_id) == 2


def test_a_reservation_that_is_not_exact_is_stale_once_the_count_reached_its_limit(
    store: CreditStore, org_id: str
) -> None:
    # Given a request decided with a limit of 1, and another enquiry that took that one credit in between
    org_on_basic(store, org_id)
    snapshot = store.charge_snapshot(org_id, NOW, "user-1", "enq-late")
    reservation = replace(CreditAccount(snapshot.profile, snapshot.usage).reserve(NOW), limit=1)
    reserve_org(store, org_id, "enq-first", user_id="user-2")

    # When it writes, Then it is refused and nothing is counted beyond the limit
    with pytest.raises(StaleRead):
        store.reserve_org_credit(
            snapshot, reservation, reserved_entry("enq-late", "user-1", reservation, "run-late"), exact=False
        )
    assert org_used(store, org_id) == 1
    assert entry_of(store, org_id, "enq-late") is None


def test_a_reservation_released_before_it_was_made_is_fenced(store: CreditStore, org_id: str) -> None:
    # Given a request whose workflow gave up on it (compensated) before its org step wrote
    org_on_basic(store, org_id)
    snapshot = store.charge_snapshot(org_id, NOW, "user-1", "enq-1")
    reservation = CreditAccount(snapshot.profile, snapshot.usage).reserve(NOW)
    assert store.release(org_id, "enq-1", "run-late", NOW) is False

    # When the late step writes, Then it is fenced and nothing is counted
    with pytest.raises(Fenced):
        store.reserve_org_credit(snapshot, reservation, reserved_entry("enq-1", "user-1", reservation, "run-late"))
    assert org_used(store, org_id) == 0
    assert entry_of(store, org_id, "enq-1") is None


def test_a_fenced_reservation_is_told_so_even_when_its_enquiry_has_an_entry_of_another_request(
    store: CreditStore, org_id: str
) -> None:
    # Given an enquiry reserved by one request, and a second request for it that was released (fenced)
    org_on_basic(store, org_id)
    first = reserve_org(store, org_id, "enq-1", execution_name="run-a")
    snapshot = store.charge_snapshot(org_id, NOW, "user-1", "enq-1")
    reservation = CreditAccount(snapshot.profile, snapshot.usage).reserve(NOW)
    assert store.release(org_id, "enq-1", "run-b", NOW) is False

    # When the second writes, Then it is fenced (it must not try again), not told to read again
    with pytest.raises(Fenced):
        store.reserve_org_credit(snapshot, reservation, reserved_entry("enq-1", "user-1", reservation, "run-b"))
    assert entry_of(store, org_id, "enq-1") == first


# -- reserving the user's credit ---------------------------------------------------------------------------


def test_a_user_reservation_marks_the_entry_charged_and_counts_the_user(store: CreditStore, org_id: str) -> None:
    # Given an org credit reserved for a user's enquiry
    org_on_basic(store, org_id, per_user_limit=5)
    entry = reserve_org(store, org_id, "enq-1", user_id="user-1")

    # When the user's credit is reserved
    reserve_user(store, org_id, entry)

    # Then the enquiry is charged to the user, and the user's month counts it
    charged = entry_of(store, org_id, "enq-1")
    assert charged is not None
    assert charged.state is EntryState.CHARGED
    assert (charged.user_used, charged.user_limit) == (1, 5)
    assert store.user_used(org_id, "user-1", PERIOD) == 1
    assert store.user_used(org_id, "user-2", PERIOD) == 0


@pytest.mark.parametrize(
    ("per_user_limit", "exact"),
    [pytest.param(5, True, id="exact-count-moved"), pytest.param(1, False, id="not-exact-at-the-limit")],
)
def test_a_user_reservation_decided_on_a_count_that_has_since_moved_is_stale_and_writes_nothing(
    store: CreditStore, org_id: str, per_user_limit: int, exact: bool
) -> None:
    # Given a user's enquiry whose user side was read
    org_on_basic(store, org_id, per_user_limit=per_user_limit)
    late = reserve_org(store, org_id, "enq-late")
    snapshot = store.user_snapshot(org_id, "user-1", PERIOD, "enq-late")
    reservation = PerUserLimit(snapshot.per_user_limit).reserve_one(snapshot.used, PERIOD)
    # and another enquiry of the same user was charged in between (the last one a limit of 1 allows)
    charge(store, org_id, "enq-first")

    # When the first writes what it decided, asking for the exact count it read or only for the limit
    with pytest.raises(StaleRead):
        store.reserve_user_credit(org_id, snapshot, reservation, late.charged(reservation, NOW), exact=exact)

    # Then the user is counted once and the late enquiry is still only reserved
    assert store.user_used(org_id, "user-1", PERIOD) == 1
    still = entry_of(store, org_id, "enq-late")
    assert still is not None
    assert still.state is EntryState.ORG_RESERVED


def test_charging_the_user_again_for_an_enquiry_already_charged_is_refused(store: CreditStore, org_id: str) -> None:
    # Given an enquiry charged to its user
    org_on_basic(store, org_id, per_user_limit=5)
    entry = charge(store, org_id, "enq-1")

    # When the user step runs again on what it reads now (the count is current, the entry is charged)
    snapshot = store.user_snapshot(org_id, "user-1", PERIOD, "enq-1")
    again = PerUserLimit(snapshot.per_user_limit).reserve_one(snapshot.used, PERIOD)
    with pytest.raises(StaleRead):
        store.reserve_user_credit(org_id, snapshot, again, entry.charged(again, NOW))

    # Then the user is counted once
    assert store.user_used(org_id, "user-1", PERIOD) == 1


def test_a_user_reservation_decided_before_the_per_user_limit_changed_is_stale(store: CreditStore, org_id: str) -> None:
    # Given a user step that read a per-user limit of 5
    profile = org_on_basic(store, org_id, per_user_limit=5)
    entry = reserve_org(store, org_id, "enq-1")
    snapshot = store.user_snapshot(org_id, "user-1", PERIOD, "enq-1")
    reservation = PerUserLimit(snapshot.per_user_limit).reserve_one(snapshot.used, PERIOD)
    # and staff set it to 0 in between
    store.save_profile(replace(profile, per_user_limit=0, version=2), expected_version=1)

    # When it writes, Then it must read again, and the user is not counted
    with pytest.raises(StaleRead):
        store.reserve_user_credit(org_id, snapshot, reservation, entry.charged(reservation, NOW))
    assert store.user_used(org_id, "user-1", PERIOD) == 0


# -- releasing (compensation) ------------------------------------------------------------------------------


def test_releasing_an_org_reservation_gives_the_credit_back_and_forgets_the_enquiry(
    store: CreditStore, org_id: str
) -> None:
    # Given an org credit reserved for an enquiry
    org_on_basic(store, org_id)
    entry = reserve_org(store, org_id, "enq-1")

    # When the reservation is released
    released = store.release(org_id, "enq-1", entry.execution_name, NOW)

    # Then the credit is back and the ledger no longer holds the enquiry
    assert released is True
    assert org_used(store, org_id) == 0
    assert entry_of(store, org_id, "enq-1") is None


def test_releasing_a_charged_enquiry_gives_back_both_the_org_and_the_user_credit(
    store: CreditStore, org_id: str
) -> None:
    # Given an enquiry charged to the org and the user
    org_on_basic(store, org_id, per_user_limit=5)
    entry = charge(store, org_id, "enq-1")

    # When it is released
    released = store.release(org_id, "enq-1", entry.execution_name, NOW)

    # Then both counts are back to zero and the ledger no longer holds the enquiry
    assert released is True
    assert org_used(store, org_id) == 0
    assert store.user_used(org_id, "user-1", PERIOD) == 0
    assert entry_of(store, org_id, "enq-1") is None


def test_releasing_twice_gives_the_credit_back_once(store: CreditStore, org_id: str) -> None:
    # Given two enquiries reserved, one of which was released
    org_on_basic(store, org_id)
    reserve_org(store, org_id, "enq-kept")
    entry = reserve_org(store, org_id, "enq-1")
    store.release(org_id, "enq-1", entry.execution_name, NOW)

    # When the same release runs again (a retried compensation)
    again = store.release(org_id, "enq-1", entry.execution_name, NOW)

    # Then there is nothing left to release and the other enquiry stays counted
    assert again is False
    assert org_used(store, org_id) == 1


def test_a_release_by_another_request_leaves_the_enquiry_charged(store: CreditStore, org_id: str) -> None:
    # Given an enquiry charged by one request
    org_on_basic(store, org_id)
    entry = charge(store, org_id, "enq-1")

    # When a different request (an older execution's compensation) releases the same enquiry
    released = store.release(org_id, "enq-1", "some-other-run", NOW)

    # Then nothing is given back
    assert released is False
    assert org_used(store, org_id) == 1
    assert store.user_used(org_id, "user-1", PERIOD) == 1
    assert entry_of(store, org_id, "enq-1") == entry.charged(UserReservation(PERIOD, 1, None), NOW)


def test_a_refund_gives_back_both_credits_and_keeps_the_entry_marked_refunded(store: CreditStore, org_id: str) -> None:
    # Given two enquiries charged to the org and the user
    profile = org_on_basic(store, org_id, per_user_limit=5)
    charge(store, org_id, "enq-kept")
    charge(store, org_id, "enq-1")
    snapshot = store.refund_snapshot(org_id, "enq-1")
    assert snapshot.profile == profile
    charged = snapshot.entry
    assert charged is not None
    assert charged.state is EntryState.CHARGED

    # When one is refunded
    refunded = charged.refunded(profile, NOW, "report failed", execution_name="request-1")
    store.refund(org_id, charged, refunded)

    # Then one credit of each count is back, and the entry reads back refunded, with when, why and by which request
    assert org_used(store, org_id) == 1
    assert store.user_used(org_id, "user-1", PERIOD) == 1
    assert store.refund_snapshot(org_id, "enq-1").entry == refunded


def test_a_refund_of_an_entry_refunded_since_it_was_read_is_stale_and_gives_back_nothing(
    store: CreditStore, org_id: str
) -> None:
    # Given a charged enquiry, read by two refunds, one of which landed
    profile = org_on_basic(store, org_id)
    charge(store, org_id, "enq-1")
    charged = store.refund_snapshot(org_id, "enq-1").entry
    assert charged is not None
    store.refund(org_id, charged, charged.refunded(profile, NOW, "first"))

    # When the other writes, Then it is stale and nothing more comes back
    with pytest.raises(StaleRead):
        store.refund(org_id, charged, charged.refunded(profile, NOW, "second"))
    assert org_used(store, org_id) == 0
    assert store.user_used(org_id, "user-1", PERIOD) == 0
    refunded = store.refund_snapshot(org_id, "enq-1").entry
    assert refunded is not None
    assert refunded.refund_reason == "first"


def test_the_refund_snapshot_of_an_enquiry_never_charged_has_no_entry(store: CreditStore, org_id: str) -> None:
    profile = org_on_basic(store, org_id)
    assert store.refund_snapshot(org_id, "enq-never") == RefundSnapshot(profile, None)


def test_reservations_neither_charged_nor_released_are_found_once_old_enough(store: CreditStore, org_id: str) -> None:
    # Given, long ago, one enquiry only reserved, one charged and one reserved and released, and one reserved later
    long_ago = datetime(2001, 1, 10, 9, 0, tzinfo=UTC)
    store.save_profile(OrgProfile(org_id, "Basic", long_ago, had_paid_plan=True, version=1), expected_version=0)
    abandoned = reserve_org(store, org_id, "enq-abandoned", at=long_ago)
    reserve_user(store, org_id, reserve_org(store, org_id, "enq-charged", at=long_ago))
    released = reserve_org(store, org_id, "enq-released", at=long_ago)
    store.release(org_id, "enq-released", released.execution_name, long_ago)
    reserve_org(store, org_id, "enq-recent", at=long_ago + timedelta(minutes=10))

    # When the sweep asks for reservations made before five minutes after the first ones
    found = store.abandoned_reservations(long_ago + timedelta(minutes=5), limit=500)

    # Then only the abandoned one is found (the table is shared with other tests' orgs)
    assert [(r.enquiry_id, r.execution_name, r.reserved_at) for r in found if r.org_id == org_id] == [
        ("enq-abandoned", abandoned.execution_name, long_ago)
    ]


# -- top-ups -----------------------------------------------------------------------------------------------


def _top_up(top_up_id: str, credits: int) -> TopUpRecord:
    return TopUpRecord(top_up_id, credits, PERIOD, "renewal call", NOW)


def test_a_recorded_top_up_adds_its_credits_to_the_month(store: CreditStore, org_id: str) -> None:
    # Given an org on Basic with one top-up already
    profile = org_on_basic(store, org_id)
    store.record_top_up(org_id, profile.version, _top_up("top-1", 50))

    # When another top-up is recorded
    store.record_top_up(org_id, profile.version, _top_up("top-2", 25))

    # Then the month holds both, and each is remembered
    assert store.account(org_id, NOW).month.top_ups == 75
    assert store.find_top_up(org_id, "top-2") == _top_up("top-2", 25)


def test_recording_the_same_top_up_twice_adds_its_credits_once(store: CreditStore, org_id: str) -> None:
    # Given a recorded top-up
    profile = org_on_basic(store, org_id)
    store.record_top_up(org_id, profile.version, _top_up("top-1", 50))

    # When the same top-up id is recorded again
    with pytest.raises(TopUpAlreadyRecorded):
        store.record_top_up(org_id, profile.version, _top_up("top-1", 50))

    # Then the credits were added once
    assert store.account(org_id, NOW).month.top_ups == 50


def test_a_top_up_never_recorded_is_not_found(store: CreditStore, org_id: str) -> None:
    assert store.find_top_up(org_id, "top-unknown") is None


def test_a_top_up_decided_before_a_plan_change_is_stale_and_adds_nothing(store: CreditStore, org_id: str) -> None:
    profile = org_on_basic(store, org_id)
    store.save_profile(replace(profile, plan="Lite", version=2), expected_version=1)

    with pytest.raises(StaleRead):
        store.record_top_up(org_id, profile.version, _top_up("top-1", 50))

    assert store.account(org_id, NOW).month.top_ups == 0
    assert store.find_top_up(org_id, "top-1") is None


# -- notices -----------------------------------------------------------------------------------------------

REACHED = "LimitReached"
FORECAST = "LimitForecast"
SECOND = timedelta(seconds=1)


def test_a_notice_is_claimed_by_one_sender_at_a_time(store: CreditStore, org_id: str) -> None:
    # Given a notice claimed by one execution
    assert store.claim_notice(org_id, REACHED, PERIOD, "exec-1", NOW) is True

    # When another execution tries within the lease, Then it may not send it
    assert store.claim_notice(org_id, REACHED, PERIOD, "exec-2", NOW) is False
    assert store.claim_notice(org_id, REACHED, PERIOD, "exec-2", NOW + NOTICE_LEASE - SECOND) is False


def test_each_kind_window_and_org_is_claimed_apart(store: CreditStore, org_id: str) -> None:
    assert store.claim_notice(org_id, REACHED, PERIOD, "exec-1", NOW)

    assert store.claim_notice(org_id, FORECAST, PERIOD, "exec-2", NOW) is True
    assert store.claim_notice(org_id, REACHED, Period.containing(NOW).next().key, "exec-3", NOW) is True
    assert store.claim_notice(org_id, REACHED, "TRIAL", "exec-4", NOW) is True
    assert store.claim_notice(f"{org_id}-other", REACHED, PERIOD, "exec-5", NOW) is True


def test_the_claimant_may_claim_its_notice_again(store: CreditStore, org_id: str) -> None:
    # Given a notify step that claimed a notice and then failed before sending it
    assert store.claim_notice(org_id, REACHED, PERIOD, "exec-1", NOW)

    # When the workflow retries the step, Then it takes its own claim back
    assert store.claim_notice(org_id, REACHED, PERIOD, "exec-1", NOW + SECOND) is True
    # and the retry's claim is as fresh as the retry: others still wait a whole lease from it
    assert store.claim_notice(org_id, REACHED, PERIOD, "exec-2", NOW + NOTICE_LEASE) is False


def test_a_claim_older_than_the_lease_is_taken_over(store: CreditStore, org_id: str) -> None:
    # Given a notice claimed by a sender that crashed
    assert store.claim_notice(org_id, REACHED, PERIOD, "exec-crashed", NOW)

    # When another sender comes once the lease is over, Then it takes the claim
    assert store.claim_notice(org_id, REACHED, PERIOD, "exec-2", NOW + NOTICE_LEASE + SECOND) is True
    # and holds it in turn
    assert store.claim_notice(org_id, REACHED, PERIOD, "exec-3", NOW + NOTICE_LEASE + 2 * SECOND) is False


def test_a_claim_exactly_the_lease_old_may_be_taken_over(store: CreditStore, org_id: str) -> None:
    assert store.claim_notice(org_id, REACHED, PERIOD, "exec-crashed", NOW)

    assert store.claim_notice(org_id, REACHED, PERIOD, "exec-2", NOW + NOTICE_LEASE) is True


def test_a_confirmed_notice_is_never_claimed_again(store: CreditStore, org_id: str) -> None:
    # Given a notice claimed and confirmed as sent
    assert store.claim_notice(org_id, REACHED, PERIOD, "exec-1", NOW)
    store.confirm_notice(org_id, REACHED, PERIOD, "exec-1")

    # When anyone claims it again, even its own sender and long after, Then it may not be sent again
    assert store.claim_notice(org_id, REACHED, PERIOD, "exec-1", NOW + SECOND) is False
    assert store.claim_notice(org_id, REACHED, PERIOD, "exec-2", NOW + timedelta(days=20)) is False


def test_a_withdrawn_claim_can_be_claimed_again_at_once(store: CreditStore, org_id: str) -> None:
    # Given a notice claimed, whose publication then failed
    assert store.claim_notice(org_id, REACHED, PERIOD, "exec-1", NOW)

    # When the claim is withdrawn
    store.withdraw_notice(org_id, REACHED, PERIOD, "exec-1")

    # Then the next chance, by any sender, may claim (and send) it, once
    assert store.claim_notice(org_id, REACHED, PERIOD, "exec-2", NOW + SECOND) is True
    assert store.claim_notice(org_id, REACHED, PERIOD, "exec-3", NOW + SECOND) is False


def test_withdrawing_leaves_a_claim_taken_over_by_another_sender(store: CreditStore, org_id: str) -> None:
    # Given a slow sender whose claim was taken over after the lease
    assert store.claim_notice(org_id, REACHED, PERIOD, "exec-slow", NOW)
    assert store.claim_notice(org_id, REACHED, PERIOD, "exec-2", NOW + NOTICE_LEASE + SECOND)

    # When the slow sender gives up and withdraws
    store.withdraw_notice(org_id, REACHED, PERIOD, "exec-slow")

    # Then the new claim stands: a third sender may not claim it
    assert store.claim_notice(org_id, REACHED, PERIOD, "exec-3", NOW + NOTICE_LEASE + 2 * SECOND) is False


@pytest.mark.parametrize("after", ["taken-over", "withdrawn"])
def test_confirming_a_claim_no_longer_held_is_refused_and_leaves_the_notice_to_its_holder(
    store: CreditStore, org_id: str, after: str
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


def test_withdrawing_a_sent_notice_changes_nothing(store: CreditStore, org_id: str) -> None:
    assert store.claim_notice(org_id, REACHED, PERIOD, "exec-1", NOW)
    store.confirm_notice(org_id, REACHED, PERIOD, "exec-1")

    store.withdraw_notice(org_id, REACHED, PERIOD, "exec-1")

    assert store.claim_notice(org_id, REACHED, PERIOD, "exec-2", NOW + timedelta(days=1)) is False


def test_withdrawing_a_notice_nobody_claimed_is_harmless(store: CreditStore, org_id: str) -> None:
    store.withdraw_notice(org_id, REACHED, PERIOD, "exec-1")

    assert store.claim_notice(org_id, REACHED, PERIOD, "exec-2", NOW) is True


# -- the org's history: charges and top-ups read back in time order ------------------------------------------


def _listed(entries: list[LedgerEntry]) -> list[str]:
    return [entry.enquiry_id for entry in entries]


def test_a_windows_charges_are_listed_newest_first_page_after_page(store: CreditStore, org_id: str) -> None:
    # Given seven charges of the month, two of them in the same instant
    org_on_basic(store, org_id)
    for minute, enquiry_id in enumerate(["enq-a", "enq-b", "enq-c", "enq-d", "enq-e"]):
        charge(store, org_id, enquiry_id, at=NOW + timedelta(minutes=minute))
    charge(store, org_id, "enq-f1", at=NOW + timedelta(minutes=9))
    charge(store, org_id, "enq-f2", at=NOW + timedelta(minutes=9))

    # When they are read three at a time, each page starting after the last entry of the one before
    pages: list[list[str]] = []
    after = None
    while True:
        page = store.charges(org_id, PERIOD, None, 3, after)
        if not page:
            break
        pages.append(_listed(page))
        after = page[-1].position

    # Then each is listed once, the newest first (an instant's charges by enquiry id, descending)
    assert pages == [["enq-f2", "enq-f1", "enq-e"], ["enq-d", "enq-c", "enq-b"], ["enq-a"]]


def test_the_history_lists_charges_and_refunds_of_its_window_only(store: CreditStore, org_id: str) -> None:
    # Given a charge, a refunded charge and a reservation still in flight this month, and a charge of another org
    org_on_basic(store, org_id)
    charge(store, org_id, "enq-charged", at=NOW)
    refunded = reserve_user(store, org_id, reserve_org(store, org_id, "enq-refunded"), NOW + timedelta(seconds=1))
    store.refund(org_id, refunded, refunded.refunded(store.refund_snapshot(org_id, "enq-refunded").profile, NOW, "x"))
    reserve_org(store, org_id, "enq-in-flight")
    org_on_basic(store, f"{org_id}-other")
    charge(store, f"{org_id}-other", "enq-other")

    # When the month's history is read
    listed = store.charges(org_id, PERIOD, None, 10, None)

    # Then it holds the charge and the refund (as refunded), nothing else; and no other window holds them
    assert [(entry.enquiry_id, entry.state) for entry in listed] == [
        ("enq-refunded", EntryState.REFUNDED),
        ("enq-charged", EntryState.CHARGED),
    ]
    assert listed[1].charged_at == NOW
    assert store.charges(org_id, Period.containing(NOW).next().key, None, 10, None) == []
    assert store.charges(org_id, "TRIAL", None, 10, None) == []


def test_one_users_charges_are_listed_apart(store: CreditStore, org_id: str) -> None:
    # Given charges of two users, interleaved in time
    org_on_basic(store, org_id)
    for second, (enquiry_id, user_id) in enumerate([("a1", "alice"), ("b1", "bob"), ("a2", "alice"), ("b2", "bob")]):
        charge(store, org_id, enquiry_id, user_id, at=NOW + timedelta(seconds=second))

    # When alice's are read a page of one at a time
    first = store.charges(org_id, PERIOD, "alice", 1, None)
    second = store.charges(org_id, PERIOD, "alice", 1, first[-1].position)

    # Then they are hers only, newest first
    assert (_listed(first), _listed(second)) == (["a2"], ["a1"])
    assert store.charges(org_id, PERIOD, "alice", 1, second[-1].position) == []
    assert _listed(store.charges(org_id, PERIOD, "bob", 10, None)) == ["b2", "b1"]


def test_charges_made_while_a_client_pages_do_not_move_its_next_page(store: CreditStore, org_id: str) -> None:
    # Given a first page of two read out of four charges
    org_on_basic(store, org_id)
    for second in range(4):
        charge(store, org_id, f"enq-{second}", at=NOW + timedelta(seconds=second))
    first = store.charges(org_id, PERIOD, None, 2, None)

    # When two more are charged before the next page is read
    charge(store, org_id, "enq-new-1", at=NOW + timedelta(seconds=10))
    charge(store, org_id, "enq-new-2", at=NOW + timedelta(seconds=11))
    rest = store.charges(org_id, PERIOD, None, 10, first[-1].position)

    # Then the next page goes on where the first stopped: no entry twice, none skipped
    assert (_listed(first), _listed(rest)) == (["enq-3", "enq-2"], ["enq-1", "enq-0"])


def test_an_enquirys_entry_is_found_in_any_state(store: CreditStore, org_id: str) -> None:
    org_on_basic(store, org_id)
    charge(store, org_id, "enq-charged")
    reserve_org(store, org_id, "enq-in-flight")

    charged = store.find_entry(org_id, "enq-charged")
    in_flight = store.find_entry(org_id, "enq-in-flight")

    assert charged is not None
    assert (charged.state, charged.charged_at) == (EntryState.CHARGED, NOW)
    assert in_flight is not None
    assert (in_flight.state, in_flight.charged_at) == (EntryState.ORG_RESERVED, None)
    assert store.find_entry(org_id, "enq-never") is None


def test_a_months_top_ups_are_listed_newest_first(store: CreditStore, org_id: str) -> None:
    # Given three top-ups this month (two in one instant) and one of another month
    profile = org_on_basic(store, org_id)
    later = Period.containing(NOW).next()
    records = [
        TopUpRecord("t-1", 10, PERIOD, "first", NOW),
        TopUpRecord("t-3", 30, PERIOD, None, NOW + timedelta(hours=1)),
        TopUpRecord("t-2", 20, PERIOD, "same instant", NOW + timedelta(hours=1)),
        TopUpRecord("t-next", 5, later.key, None, later.starts_at),
    ]
    for record in records:
        store.record_top_up(org_id, profile.version, record)

    # When the month's are read, Then they come newest first, each whole; the other month's apart
    assert store.top_ups(org_id, PERIOD, 10) == [records[1], records[2], records[0]]
    assert store.top_ups(org_id, PERIOD, 2) == [records[1], records[2]]
    assert store.top_ups(org_id, later.key, 10) == [records[3]]
    assert store.top_ups(org_id, later.next().key, 10) == []
