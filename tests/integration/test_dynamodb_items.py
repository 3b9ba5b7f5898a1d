"""How the DynamoDB store maps items to the domain's values (items.py), where it matters beyond a round trip: items
written by earlier versions of the store still read back."""

from __future__ import annotations

import pytest

from adapters.dynamodb import DynamoCreditStore
from adapters.dynamodb.keys import entry_key
from domain.account import EntryState
from emulator.cloud import LocalCloud
from tests.integration.stores import NOW, PERIOD, entry_of, org_on_basic


@pytest.fixture
def store(cloud: LocalCloud) -> DynamoCreditStore:
    return DynamoCreditStore(cloud.client("dynamodb"), cloud.stack.table_name)


def test_a_ledger_entry_recorded_before_window_bounds_were_kept_still_reads_back(
    cloud: LocalCloud, store: DynamoCreditStore, org_id: str
) -> None:
    # Given an enquiry charged by the previous version, whose ledger entry has no window bounds
    org_on_basic(store, org_id)
    legacy = {
        "type": "ENQUIRY",
        "enquiryId": "enq-old",
        "userId": "user-1",
        "window": PERIOD,
        "period": PERIOD,
        "executionName": "run-old",
        "state": "CHARGED",
        "recordedAt": NOW.isoformat(),
        "plan": "Basic",
        "orgUsed": 1,
        "orgLimit": 100,
        "userUsed": 1,
    }
    item = entry_key(org_id, "enq-old") | {
        name: {"N": str(value)} if isinstance(value, int) else {"S": value} for name, value in legacy.items()
    }
    cloud.client("dynamodb").put_item(TableName=cloud.stack.table_name, Item=item)

    # When the same user asks for that enquiry again
    entry = entry_of(store, org_id, "enq-old")

    # Then the ledger answers with the recorded charge
    assert entry is not None
    assert (entry.state, entry.user_id, entry.org_used) == (EntryState.CHARGED, "user-1", 1)
    entry.check_replay("user-1")
