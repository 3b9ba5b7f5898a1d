"""What the DynamoDB store asks of DynamoDB for a decision (store.py composing its concerns): the requests are the
service's latency and cost, so the happy path is held to 3 (moto's DynamoDB, created by the `cloud` fixture). The
store's behaviour as a CreditStore is tests/integration/test_store_contract.py."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from adapters.dynamodb import DynamoCreditStore
from domain.account import CreditAccount
from domain.services import ChargeRequest, CreditService
from emulator.cloud import LocalCloud
from tests.fakes import FixedClock, no_pauses
from tests.integration.stores import NOW, charge, org_on_basic, reserve_org, reserved_entry


class CountingClient:
    """A DynamoDB client that counts the requests made through it."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self.requests: Counter[str] = Counter()
        self.queries: list[tuple[dict[str, Any], dict[str, Any]]] = []
        """Each Query's arguments and answer."""

    def __getattr__(self, name: str) -> Callable[..., Any]:
        operation = getattr(self._client, name)

        def counted(**kwargs: Any) -> Any:
            self.requests[name] += 1
            answer = operation(**kwargs)
            if name == "query":
                self.queries.append((kwargs, answer))
            return answer

        return counted


@pytest.fixture
def client(cloud: LocalCloud) -> CountingClient:
    return CountingClient(cloud.client("dynamodb"))


@pytest.fixture
def store(cloud: LocalCloud, client: CountingClient) -> DynamoCreditStore:
    return DynamoCreditStore(client, cloud.stack.table_name)


@pytest.mark.parametrize("used_before", [0, 1], ids=["first-of-the-month", "later"])
def test_a_decision_on_the_happy_path_is_three_requests(
    store: DynamoCreditStore, client: CountingClient, org_id: str, used_before: int
) -> None:
    # Given an org with a per-user limit, and the credit service on the store
    org_on_basic(store, org_id, per_user_limit=5)
    for number in range(used_before):
        reserve_org(store, org_id, f"enq-earlier-{number}")
    service = CreditService(store, FixedClock(NOW), retry=no_pauses())
    request = ChargeRequest(org_id, "user-1", "enq-1", NOW, "run-1")
    client.requests.clear()

    # When the saga's two reservation steps decide an enquiry
    reserved = service.reserve_org_credit(request)
    service.reserve_user_credit(request, reserved.user_hint)

    # Then DynamoDB was asked three times: one read, the org's transaction, the user's
    assert client.requests == Counter({"batch_get_item": 1, "transact_write_items": 2})


def test_a_reservation_that_is_not_exact_reads_the_count_it_reached(
    store: DynamoCreditStore, client: CountingClient, org_id: str
) -> None:
    org_on_basic(store, org_id)
    snapshot = store.charge_snapshot(org_id, NOW, "user-1", "enq-1")
    reservation = CreditAccount(snapshot.profile, snapshot.usage).reserve(NOW)
    client.requests.clear()

    entry = reserved_entry("enq-1", "user-1", reservation, "run-1")
    store.reserve_org_credit(snapshot, reservation, entry, exact=False)

    assert client.requests == Counter({"transact_write_items": 1, "get_item": 1})


def test_a_page_of_the_ledger_reads_the_page_not_the_orgs_history(
    store: DynamoCreditStore, client: CountingClient, org_id: str
) -> None:
    # Given an org with 30 charges this month, 10 of them bob's, and 20 last month
    org_on_basic(store, org_id)
    last_month = NOW - timedelta(days=31)
    for number in range(20):
        charge(store, org_id, f"old-{number}", at=last_month + timedelta(minutes=number))
    for number in range(30):
        charge(store, org_id, f"enq-{number}", "bob" if number % 3 else "alice", at=NOW + timedelta(minutes=number))
    service = CreditService(store, FixedClock(NOW + timedelta(hours=1)), retry=no_pauses())
    client.queries.clear()

    # When two pages of 5 are read, and one of alice's
    first = service.charges(org_id, None, None, 5, None)
    service.charges(org_id, None, None, 5, first.cursor)
    service.charges(org_id, None, "alice", 5, None)

    # Then each was one strongly consistent Query of an index that read 6 items: the page and one to know there is more
    assert [(asked["IndexName"], answer["ScannedCount"], answer["Count"]) for asked, answer in client.queries] == [
        ("HistoryIndex", 6, 6),
        ("HistoryIndex", 6, 6),
        ("UserHistoryIndex", 6, 6),
    ]
    assert all(asked["ConsistentRead"] and asked["Limit"] == 6 for asked, _ in client.queries)
    assert client.requests["scan"] == 0
