"""The emulator's DynamoDB isolates transactions as DynamoDB does ("Transaction conflict handling in DynamoDB",
https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis.html), with botocore's error
shapes: a transaction in flight holds its items; what else names them is refused, reads are not."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from emulator import dynamodb
from emulator.cloud import LocalCloud


@pytest.fixture
def db(cloud: LocalCloud) -> Any:
    return cloud.client("dynamodb")


@pytest.fixture
def table(cloud: LocalCloud) -> str:
    return cloud.stack.table_name


@pytest.fixture
def pk() -> str:
    return f"ISOLATION#{uuid.uuid4().hex[:8]}"


def key(pk: str, sk: str) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


def counter_update(table: str, pk: str, sk: str) -> dict[str, Any]:
    return {
        "Update": {
            "TableName": table,
            "Key": key(pk, sk),
            "UpdateExpression": "SET used = if_not_exists(used, :zero) + :one",
            "ExpressionAttributeValues": {":zero": {"N": "0"}, ":one": {"N": "1"}},
        }
    }


def used(db: Any, table: str, pk: str, sk: str) -> int | None:
    item = db.get_item(TableName=table, Key=key(pk, sk), ConsistentRead=True).get("Item")
    return None if item is None or "used" not in item else int(item["used"]["N"])


def wait_until_held(count: int) -> None:
    """Wait until `count` items are held: the transactions that name them are in flight."""
    deadline = time.monotonic() + 5
    while dynamodb.isolation.holds() < count:
        assert time.monotonic() < deadline, f"{dynamodb.isolation.holds()} items held, not {count}"
        time.sleep(0.001)


class InFlight:
    """A transaction started in a thread and kept in flight until the gate opens: no clock for the test to race."""

    def __init__(self, db: Any, items: list[dict[str, Any]], gate: threading.Event) -> None:
        self.error: Exception | None = None
        self._gate = gate
        self._thread = threading.Thread(target=self._run, args=(db, items), daemon=True)

    def _run(self, db: Any, items: list[dict[str, Any]]) -> None:
        try:
            db.transact_write_items(TransactItems=items)
        except Exception as error:  # reported to the test
            self.error = error

    def start(self) -> InFlight:
        before = dynamodb.isolation.holds()
        self._thread.start()
        wait_until_held(before + 1)
        return self

    def join(self) -> None:
        """Open the gate and wait for the transaction to commit."""
        self._gate.set()
        self._thread.join(10)
        assert not self._thread.is_alive(), "the transaction is still in flight"
        assert self.error is None, self.error


@pytest.fixture
def in_flight(db: Any) -> Iterator[Callable[[list[dict[str, Any]]], InFlight]]:
    started: list[InFlight] = []

    with dynamodb.isolation.held_open() as gate:

        def start(items: list[dict[str, Any]]) -> InFlight:
            started.append(InFlight(db, items, gate).start())
            return started[-1]

        yield start
        for transaction in started:
            transaction.join()


def error_of(call: Callable[[], Any]) -> dict[str, Any]:
    with pytest.raises(ClientError) as raised:
        call()
    return dict(raised.value.response)


def test_a_transaction_naming_an_item_held_by_another_is_cancelled_with_transaction_conflict_at_its_position(
    db, table, pk, in_flight
):
    # Given a transaction in flight that holds COUNTER
    holder = in_flight([counter_update(table, pk, "COUNTER")])

    # When another transaction names an unrelated item first and COUNTER second
    response = error_of(
        lambda: db.transact_write_items(
            TransactItems=[counter_update(table, pk, "OTHER"), counter_update(table, pk, "COUNTER")]
        )
    )
    holder.join()

    # Then it is cancelled, TransactionConflict at COUNTER's position and None elsewhere, and wrote nothing
    assert response["Error"]["Code"] == "TransactionCanceledException"
    assert response["CancellationReasons"] == [
        {"Code": "None"},
        {"Code": "TransactionConflict", "Message": "Transaction is ongoing for the item"},
    ]
    assert "[None, TransactionConflict]" in response["Error"]["Message"]
    assert (used(db, table, pk, "COUNTER"), used(db, table, pk, "OTHER")) == (1, None)


@pytest.mark.parametrize(
    ("operation", "arguments"),
    [
        ("put_item", lambda table, pk: {"TableName": table, "Item": key(pk, "COUNTER") | {"used": {"N": "9"}}}),
        (
            "update_item",
            lambda table, pk: {
                "TableName": table,
                "Key": key(pk, "COUNTER"),
                "UpdateExpression": "SET used = :nine",
                "ExpressionAttributeValues": {":nine": {"N": "9"}},
            },
        ),
        ("delete_item", lambda table, pk: {"TableName": table, "Key": key(pk, "COUNTER")}),
    ],
)
def test_a_single_item_write_on_a_held_item_fails_with_transaction_conflict_exception(
    db, table, pk, in_flight, operation, arguments
):
    # Given COUNTER at 1, and a transaction in flight that holds it
    db.put_item(TableName=table, Item=key(pk, "COUNTER") | {"used": {"N": "1"}})
    holder = in_flight([counter_update(table, pk, "COUNTER")])

    # When a single-item write names COUNTER
    response = error_of(lambda: getattr(db, operation)(**arguments(table, pk)))
    holder.join()

    # Then it fails with TransactionConflictException and only the transaction's write is there
    assert response["Error"] == {
        "Code": "TransactionConflictException",
        "Message": "Transaction is ongoing for the item",
    }
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert used(db, table, pk, "COUNTER") == 2


def test_a_transact_get_naming_a_held_item_is_cancelled_with_transaction_conflict(db, table, pk, in_flight):
    # Given a transaction in flight that holds COUNTER
    holder = in_flight([counter_update(table, pk, "COUNTER")])

    # When a TransactGetItems reads another item and COUNTER
    response = error_of(
        lambda: db.transact_get_items(
            TransactItems=[
                {"Get": {"TableName": table, "Key": key(pk, "OTHER")}},
                {"Get": {"TableName": table, "Key": key(pk, "COUNTER")}},
            ]
        )
    )
    holder.join()

    # Then it is cancelled at COUNTER's position
    assert response["Error"]["Code"] == "TransactionCanceledException"
    assert [reason["Code"] for reason in response["CancellationReasons"]] == ["None", "TransactionConflict"]


def test_reads_during_a_transaction_see_the_last_committed_state_and_do_not_wait(db, table, pk, in_flight):
    # Given COUNTER at 1, and a transaction in flight that moves it to 2
    db.put_item(TableName=table, Item=key(pk, "COUNTER") | {"used": {"N": "1"}})
    holder = in_flight([counter_update(table, pk, "COUNTER")])

    # When it is read by GetItem, BatchGetItem and Query while the transaction is in flight
    got = used(db, table, pk, "COUNTER")
    batch = db.batch_get_item(RequestItems={table: {"Keys": [key(pk, "COUNTER")], "ConsistentRead": True}})
    queried = db.query(
        TableName=table,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": pk}},
        ConsistentRead=True,
    )
    still_held = dynamodb.isolation.holds()
    holder.join()

    # Then each answered while the transaction still held COUNTER (none waited for it) with the committed value,
    # and the new value is there once it committed
    assert still_held >= 1
    assert got == 1
    assert [item["used"]["N"] for item in batch["Responses"][table]] == ["1"]
    assert [item["used"]["N"] for item in queried["Items"]] == ["1"]
    assert used(db, table, pk, "COUNTER") == 2


def test_unrelated_transactions_are_in_flight_side_by_side(db, table, pk):
    # Given transactions kept in flight until a gate opens
    with dynamodb.isolation.held_open() as gate:
        before = dynamodb.isolation.holds()

        # When four transactions on four different items start together
        transactions = [InFlight(db, [counter_update(table, pk, f"ITEM-{n}")], gate) for n in range(4)]
        for transaction in transactions:
            transaction._thread.start()

        # Then all four hold their items at once (none waits for another), and all commit once the gate opens
        wait_until_held(before + 4)
        for transaction in transactions:
            transaction.join()
    assert [used(db, table, pk, f"ITEM-{n}") for n in range(4)] == [1, 1, 1, 1]


def test_a_failed_condition_cancels_the_whole_transaction_and_names_its_position(db, table, pk):
    # Given COUNTER at 1
    db.put_item(TableName=table, Item=key(pk, "COUNTER") | {"used": {"N": "1"}})

    # When a transaction updates OTHER and COUNTER, on condition that COUNTER is at 5
    guarded = counter_update(table, pk, "COUNTER")
    guarded["Update"]["ConditionExpression"] = "used = :five"
    guarded["Update"]["ExpressionAttributeValues"][":five"] = {"N": "5"}
    response = error_of(lambda: db.transact_write_items(TransactItems=[counter_update(table, pk, "OTHER"), guarded]))

    # Then it is cancelled at COUNTER's position and neither item changed
    assert [reason["Code"] for reason in response["CancellationReasons"]] == ["None", "ConditionalCheckFailed"]
    assert (used(db, table, pk, "COUNTER"), used(db, table, pk, "OTHER")) == (1, None)


def test_concurrent_transactions_on_one_item_conflict_and_never_lose_an_update(db, table, pk):
    # Given 8 clients that each add one to COUNTER 5 times in a transaction, retrying when cancelled
    conflicts_before = dynamodb.isolation.conflicts
    reasons: list[Any] = []

    def add_five() -> None:
        done = 0
        while done < 5:
            try:
                db.transact_write_items(TransactItems=[counter_update(table, pk, "COUNTER")])
            except ClientError as error:
                reasons.append(error.response["CancellationReasons"])
                time.sleep(0.005)
                continue
            done += 1

    # When they run at once, each transaction in flight for 20 ms
    with dynamodb.isolation.transaction_time(0.02):
        threads = [threading.Thread(target=add_five) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)

    # Then some were cancelled for conflicts (and only for conflicts), and every update landed exactly once
    assert dynamodb.isolation.conflicts > conflicts_before
    assert reasons
    assert all(
        reason == [{"Code": "TransactionConflict", "Message": "Transaction is ongoing for the item"}]
        for reason in reasons
    )
    assert used(db, table, pk, "COUNTER") == 40


@pytest.mark.parametrize(("raw", "seconds"), [("", 0.002), ("20", 0.02), ("0", 0.0), ("0.5", 0.0005)])
def test_the_time_in_flight_comes_from_emulator_transaction_ms(monkeypatch, raw, seconds):
    monkeypatch.setenv("EMULATOR_TRANSACTION_MS", raw)

    assert dynamodb.transaction_seconds_from_environment() == pytest.approx(seconds)


@pytest.mark.parametrize("raw", ["fast", "-1", "5000"])
def test_a_bad_emulator_transaction_ms_stops_the_emulator_with_a_message(monkeypatch, raw):
    monkeypatch.setenv("EMULATOR_TRANSACTION_MS", raw)

    with pytest.raises(SystemExit, match="EMULATOR_TRANSACTION_MS"):
        dynamodb.transaction_seconds_from_environment()


# A malformed request is refused as DynamoDB refuses it, before any isolation or capacity is involved, and changes
# nothing (moto's own tests, run patched by make moto-suite, found these answering a bare KeyError or a cancellation).


def test_a_transaction_putting_an_item_without_its_sort_key_is_a_validation_error(db, table, pk):
    put = {"Put": {"TableName": table, "Item": {"pk": {"S": pk}, "n": {"N": "1"}}}}
    with pytest.raises(ClientError) as refused:
        db.transact_write_items(TransactItems=[counter_update(table, pk, "a"), put])
    assert refused.value.response["Error"]["Code"] == "ValidationException"
    assert "Missing the key sk in the item" in refused.value.response["Error"]["Message"]
    assert "Item" not in db.get_item(TableName=table, Key=key(pk, "a"), ConsistentRead=True)


def test_a_transaction_whose_update_has_two_set_clauses_is_a_validation_error_and_writes_nothing(db, table, pk):
    invalid = counter_update(table, pk, "b")
    invalid["Update"]["UpdateExpression"] = "SET used = :one SET other = :one"
    invalid["Update"]["ExpressionAttributeValues"] = {":one": {"N": "1"}}
    with pytest.raises(ClientError) as refused:
        db.transact_write_items(TransactItems=[counter_update(table, pk, "a"), invalid])
    assert refused.value.response["Error"]["Code"] == "ValidationException"
    assert '"SET" section can only be used once' in refused.value.response["Error"]["Message"]
    assert "Item" not in db.get_item(TableName=table, Key=key(pk, "a"), ConsistentRead=True)


@pytest.mark.parametrize("missing", ["pk", "sk"])
def test_a_put_item_missing_a_key_attribute_is_a_validation_error(db, table, pk, missing):
    item = {"pk": {"S": pk}, "sk": {"S": "a"}, "n": {"N": "1"}}
    del item[missing]
    with pytest.raises(ClientError) as refused:
        db.put_item(TableName=table, Item=item)
    assert refused.value.response["Error"]["Code"] == "ValidationException"
    assert f"Missing the key {missing} in the item" in refused.value.response["Error"]["Message"]
