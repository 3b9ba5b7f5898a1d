"""The DynamoDB store's unit of work (adapters/dynamodb/transactions.py) and its table (table.py) translate what
DynamoDB answers into the domain's errors: a cancelled transaction by the labels of the actions that caused it,
never by their positions, and no ConditionalCheckFailed ever leaves the package. DynamoDB is a stub here, so each
answer (and each combination of cancellation reasons) is exactly the one under test."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from adapters.dynamodb.table import Table
from domain.errors import StoreUnavailable
from domain.ports import Fenced, StaleRead, TopUpAlreadyRecorded, WriteConflict

KEY = {"pk": {"S": "ORG#o"}, "sk": {"S": "X"}}


def _error(code: str, operation: str, reasons: list[str] | None = None) -> ClientError:
    response: dict[str, Any] = {"Error": {"Code": code, "Message": code}}
    if reasons is not None:
        response["CancellationReasons"] = [{"Code": reason} for reason in reasons]
    return ClientError(response, operation)  # type: ignore[arg-type]


class StubDynamoDB:
    """Answers every request with `error` (or an empty success), and keeps what it was asked."""

    def __init__(self, error: ClientError | None = None) -> None:
        self.error = error
        self.requests: list[tuple[str, dict[str, Any]]] = []

    def __getattr__(self, operation: str) -> Any:
        def answer(**request: Any) -> dict[str, Any]:
            self.requests.append((operation, request))
            if self.error is not None:
                raise self.error
            return {}

        return answer


def _cancelled_by(*reasons: str) -> Table:
    return Table(StubDynamoDB(_error("TransactionCanceledException", "TransactWriteItems", list(reasons))), "t")


def _queue_three(table: Table, fence_first: bool) -> Any:
    """A transaction of an update, a fence check whose failure means Fenced, and a put without a meaning."""
    work = table.transaction("org reservation")
    work.update("window usage", KEY, "SET used = :used", "used = :seen", used=1, seen=0)
    if fence_first:
        work.check("fence", KEY, "attribute_not_exists(pk)", refused=lambda: Fenced("run-1"))
    work.put("ledger entry", KEY, "attribute_not_exists(pk)")
    if not fence_first:
        work.check("fence", KEY, "attribute_not_exists(pk)", refused=lambda: Fenced("run-1"))
    return work


@pytest.mark.parametrize("fence_first", [True, False], ids=["fence-second", "fence-last"])
def test_a_cancellation_is_laid_at_the_labelled_action_whose_condition_failed_wherever_it_stands(
    fence_first: bool,
) -> None:
    # Given a transaction whose fence check stands second or last
    reasons = ["None", "ConditionalCheckFailed", "None"] if fence_first else ["None", "None", "ConditionalCheckFailed"]
    work = _queue_three(_cancelled_by(*reasons), fence_first)

    # When DynamoDB cancels it for the fence's condition, Then the caller is told what that condition means
    with pytest.raises(Fenced):
        work.commit()


def test_when_several_conditions_with_a_meaning_failed_the_first_action_queued_decides() -> None:
    work = _cancelled_by("ConditionalCheckFailed", "ConditionalCheckFailed").transaction("top-up")
    work.check("fence", KEY, "attribute_not_exists(pk)", refused=lambda: Fenced("run-1"))
    work.put("top-up", KEY, "attribute_not_exists(pk)", refused=lambda: TopUpAlreadyRecorded("t-1"))

    with pytest.raises(Fenced):
        work.commit()


def test_a_failed_condition_without_a_meaning_of_its_own_is_a_stale_read_naming_its_action() -> None:
    work = _queue_three(_cancelled_by("ConditionalCheckFailed", "None", "None"), fence_first=False)

    with pytest.raises(StaleRead) as raised:
        work.commit()

    assert type(raised.value) is StaleRead
    assert str(raised.value) == "org reservation: window usage ConditionalCheckFailed"


@pytest.mark.parametrize("code", ["ThrottlingError", "ProvisionedThroughputExceeded"])
def test_a_cancellation_by_throttling_is_the_store_unavailable_not_a_stale_read_to_retry_at_once(code: str) -> None:
    # Given a transaction DynamoDB cancels because its partition is over its capacity (an org's items share one
    # partition: docs/design.md "One org's ceiling")
    work = _queue_three(_cancelled_by("None", code, "TransactionConflict"), fence_first=False)

    # Then the step fails as for any throttled request, for the workflow to retry after its pause, instead of
    # reading and writing again at once against the same hot partition
    with pytest.raises(StoreUnavailable, match=f"ledger entry {code}"):
        work.commit()


def test_a_cancellation_by_conflicts_alone_is_a_write_conflict() -> None:
    work = _queue_three(_cancelled_by("TransactionConflict", "None", "TransactionConflict"), fence_first=False)

    with pytest.raises(WriteConflict, match="window usage TransactionConflict, fence TransactionConflict"):
        work.commit()


def test_a_conflict_together_with_a_failed_condition_is_a_stale_read_not_a_conflict() -> None:
    work = _queue_three(_cancelled_by("ConditionalCheckFailed", "TransactionConflict", "None"), fence_first=False)

    with pytest.raises(StaleRead) as raised:
        work.commit()

    assert not isinstance(raised.value, WriteConflict)


def test_a_cancellation_that_does_not_give_a_reason_per_action_is_laid_at_no_action() -> None:
    # Given reasons that do not match the actions (the emulator failing while it applies the writes, say)
    work = _queue_three(_cancelled_by("None", "ConditionalCheckFailed"), fence_first=True)

    # Then no refusal is guessed from a position: the caller reads again
    with pytest.raises(StaleRead) as raised:
        work.commit()

    assert not isinstance(raised.value, Fenced | WriteConflict)


def test_two_actions_of_a_transaction_may_not_share_a_label() -> None:
    work = Table(StubDynamoDB(), "t").transaction("profile")
    work.put("profile", KEY)

    with pytest.raises(AssertionError, match="two actions named profile"):
        work.put("profile", KEY)


def test_a_committed_transaction_sends_its_actions_in_the_order_they_were_queued() -> None:
    client = StubDynamoDB()
    work = Table(client, "t").transaction("release")
    work.put("fence", KEY)
    work.delete("ledger entry", KEY, "executionName = :rid", {"#state": "state"}, rid="run-1")

    work.commit()

    ((operation, request),) = client.requests
    assert operation == "transact_write_items"
    assert [next(iter(action)) for action in request["TransactItems"]] == ["Put", "Delete"]
    assert request["TransactItems"][1]["Delete"]["ExpressionAttributeValues"] == {":rid": {"S": "run-1"}}


@pytest.mark.parametrize(
    "write",
    [
        lambda table: table.put_if(KEY, "attribute_not_exists(pk)"),
        lambda table: table.update_if(KEY, "SET x = :x", "claimant = :c"),
        lambda table: table.delete_if(KEY, "claimant = :c"),
    ],
    ids=["put", "update", "delete"],
)
def test_a_single_write_whose_condition_failed_answers_false_instead_of_raising(write: Any) -> None:
    table = Table(StubDynamoDB(_error("ConditionalCheckFailedException", "PutItem")), "t")

    assert write(table) is False


@pytest.mark.parametrize(
    ("code", "raised"),
    [
        ("ProvisionedThroughputExceededException", StoreUnavailable),
        ("ThrottlingException", StoreUnavailable),
        ("InternalServerError", StoreUnavailable),
        ("TransactionConflictException", WriteConflict),
    ],
)
def test_throttling_and_single_item_conflicts_come_out_as_the_domains_errors(
    code: str, raised: type[Exception]
) -> None:
    table = Table(StubDynamoDB(_error(code, "UpdateItem")), "t")

    with pytest.raises(raised):
        table.update_if(KEY, "SET x = :x", "claimant = :c")
    with pytest.raises(raised):
        table.get(KEY)
