"""What the DynamoDB store asks of DynamoDB for a decision (store.py composing its concerns): the requests are the
service's latency and cost, so the happy path is held to 3 (moto's DynamoDB, created by the `cloud` fixture). The
store's behaviour as a CreditStore is tests/integration/test_store_contract.py."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

from adapters.dynamodb import DynamoCreditStore
from domain.account import CreditAccount
from domain.services import ChargeRequest, CreditService
from emulator.cloud import LocalCloud
from tests.fakes import FixedClock, no_pauses
from tests.integration.stores import NOW, org_on_basic, reserve_org, reserved_entry


class CountingClient:
    """A DynamoDB client that counts the requests made through it."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self.requests: Counter[str] = Counter()

    def __getattr__(self, name: str) -> Callable[..., Any]:
        operation = getattr(self._client, name)

        def counted(**kwargs: Any) -> Any:
            self.requests[name] += 1
            return operation(**kwargs)

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
