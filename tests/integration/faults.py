"""The fault matrix's tools: how a step of the use-credit saga fails (an error or a timeout, before or after its
write commits), what DynamoDB answers when it throttles or a transaction conflicts, and the books of an org read
straight from the table, to check after every fault that the counters agree with the ledger.

Step faults are `workflows.Fault`s (invocation hooks); DynamoDB faults patch moto's request handler, so they act
on the requests the functions send, not on the emulator's own locked backend calls."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Callable, Collection, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from unittest import mock

from moto.dynamodb.exceptions import ERROR_TYPE_PREFIX, DynamodbException, TransactionCanceledException
from moto.dynamodb.responses import DynamoHandler

from domain.errors import StoreUnavailable
from emulator.cloud import LocalCloud
from tests.integration.workflows import Fault, inject, run_handler

STALL_MARGIN_SECONDS = 0.3
"""A stalled invocation outlives its function's Timeout (template.yaml) by this much: the emulator answers the
timeout (Sandbox.Timedout or Lambda.Unknown, as `cloud.timeout_error` says)."""

# -- step faults -------------------------------------------------------------------------------------------


class LambdaServiceException(Exception):
    """Lambda failing to run the function (or to return its answer): Step Functions' Lambda.ServiceException."""


LambdaServiceException.__name__ = "Lambda.ServiceException"  # the runtime reports the class name as errorType

STEPS_USING_THE_STORE = frozenset({"ReserveOrgCreditFunction", "ReserveUserCreditFunction", "ReleaseOrgCreditFunction"})


def transient_error(function: str) -> Exception:
    """An error the workflow retries for this step: the store's, for the steps that read and write it; Lambda's
    own otherwise (validate and notify retry nothing else)."""
    if function in STEPS_USING_THE_STORE:
        return StoreUnavailable("DynamoDB transact_write_items: ThrottlingException")
    return LambdaServiceException("Lambda could not run the function")


@dataclass(frozen=True)
class StepFailure:
    """How one invocation of a step fails."""

    name: str
    writes_first: bool
    """The real handler runs (its write commits) before the invocation fails: the answer is lost."""
    times_out: bool
    """The invocation outlives the function's Timeout: the workflow is answered Sandbox.Timedout."""
    lands_late: bool = False
    """After timing out, the handler runs anyway: its write lands after the workflow gave up on the invocation."""


ERROR_BEFORE_WRITE = StepFailure("error-before-write", writes_first=False, times_out=False)
ERROR_AFTER_WRITE = StepFailure("error-after-write", writes_first=True, times_out=False)
TIMEOUT_BEFORE_WRITE = StepFailure("timeout-before-write", writes_first=False, times_out=True)
TIMEOUT_AFTER_WRITE = StepFailure("timeout-after-write", writes_first=True, times_out=True)
WRITE_LANDS_LATE = StepFailure("timeout-then-write-lands-late", writes_first=False, times_out=True, lands_late=True)


def fail_step(
    cloud: LocalCloud,
    function: str,
    failure: StepFailure,
    fail_on: Callable[[int], bool],
    stall: float | None = None,
) -> Fault:
    """Make the invocations of `function` that `fail_on` selects fail as `failure` says (a timeout stalls the
    invocation for `stall` seconds: by default just past the function's Timeout)."""
    if stall is None:
        stall = cloud.stack.functions[function].timeout_seconds + STALL_MARGIN_SECONDS

    def before_failing(event: dict[str, Any]) -> None:
        if failure.writes_first:
            run_handler(cloud, function, event)
        if failure.times_out:
            time.sleep(stall)
        if failure.lands_late:
            run_handler(cloud, function, event)

    return inject(cloud, Fault(function, lambda: transient_error(function), fail_on, before_failing))


@dataclass
class Stall:
    """An invocation hook that makes the selected invocations of one function slow, yet let them run."""

    function: str
    seconds: float
    on: Callable[[int], bool]
    calls: int = 0

    def __call__(self, function: str, event: dict[str, Any]) -> None:
        if function != self.function:
            return
        self.calls += 1
        if self.on(self.calls):
            time.sleep(self.seconds)


def wait_for_invocations(cloud: LocalCloud, timeout: float = 15.0) -> None:
    """Wait until no invocation is running any more, those the workflow gave up on (timed out) included."""
    assert cloud.wait_for_invocations(timeout), f"invocations still running after {timeout} s"


# -- DynamoDB faults ---------------------------------------------------------------------------------------


def throttled(code: str) -> Callable[[dict[str, Any]], Exception]:
    """ProvisionedThroughputExceededException or ThrottlingException (moto has no class of its own for them)."""

    def error(_: dict[str, Any]) -> Exception:
        return DynamodbException(ERROR_TYPE_PREFIX + code, "Throughput exceeds the current capacity of your table")

    return error


def transaction_conflict(request: dict[str, Any]) -> Exception:
    """TransactionCanceledException: another transaction is writing the first item this one updates."""
    actions = request["TransactItems"]
    conflicting = next((n for n, action in enumerate(actions) if "Update" in action), 0)
    reasons = [
        ("TransactionConflict", "Transaction is ongoing for the item", None) if n == conflicting else (None, None, None)
        for n in range(len(actions))
    ]
    return TransactionCanceledException(reasons)


class _InternalServerError(DynamodbException):
    code = 500


def internal_server_error(_: dict[str, Any]) -> Exception:
    """A 500: DynamoDB's answer when it cannot say whether the request was carried out."""
    return _InternalServerError(ERROR_TYPE_PREFIX + "InternalServerError", "Internal server error")


@dataclass
class StoreFault:
    """DynamoDB answers `error` to the selected requests that the functions send about one org (the test's own
    requests are never touched). `steps` narrows it to requests made by those functions; `after_commit` carries
    the request out first, so only its answer is lost."""

    org_id: str
    operations: tuple[str, ...]
    error: Callable[[dict[str, Any]], Exception]
    fail_on: Callable[[int], bool]
    steps: frozenset[str] | None = None
    after_commit: bool = False
    calls: int = 0
    failures: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def _concerns(self, request: dict[str, Any]) -> bool:
        caller = threading.current_thread().name
        if not caller.startswith("lambda-"):
            return False
        if self.steps is not None and caller.removeprefix("lambda-") not in self.steps:
            return False
        return f'"ORG#{self.org_id}"' in json.dumps(request)

    def _failing(self) -> bool:
        with self._lock:
            self.calls += 1
            failing = self.fail_on(self.calls)
            self.failures += failing
            return failing

    def _wrap(self, answer: Callable[[DynamoHandler], Any]) -> Callable[[DynamoHandler], Any]:
        def faulty(handler: DynamoHandler) -> Any:
            request: dict[str, Any] = handler.body
            if not self._concerns(request) or not self._failing():
                return answer(handler)
            if self.after_commit:
                answer(handler)
            raise self.error(request)

        return faulty

    @contextmanager
    def installed(self) -> Iterator[StoreFault]:
        # A plain function on the class (not a Mock): moto dispatches to the handler's methods by inspecting them.
        patches = [
            mock.patch.object(DynamoHandler, name, self._wrap(getattr(DynamoHandler, name))) for name in self.operations
        ]
        for patch in patches:
            patch.start()
        try:
            yield self
        finally:
            for patch in reversed(patches):
                patch.stop()


def first_calls(count: int) -> Callable[[int], bool]:
    return lambda call: call <= count


# -- the books ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    user_id: str
    window: str
    period: str
    state: str


@dataclass(frozen=True)
class Books:
    """An org's counters and ledger, as the table holds them."""

    org_used: dict[str, int]
    """window -> used"""
    user_used: dict[tuple[str, str], int]
    """(user, period) -> used"""
    entries: dict[str, Entry]
    """enquiry -> ledger entry"""

    def charged(self) -> dict[str, str]:
        """enquiry -> the user it is charged to"""
        return {enquiry: entry.user_id for enquiry, entry in self.entries.items() if entry.state == "CHARGED"}

    def reserved(self) -> set[str]:
        return {enquiry for enquiry, entry in self.entries.items() if entry.state == "ORG_RESERVED"}


def read_books(cloud: LocalCloud, org_id: str) -> Books:
    dynamodb = cloud.client("dynamodb")
    arguments: dict[str, Any] = {
        "TableName": cloud.stack.table_name,
        "KeyConditionExpression": "pk = :pk",
        "ExpressionAttributeValues": {":pk": {"S": f"ORG#{org_id}"}},
        "ConsistentRead": True,
    }
    org_used: dict[str, int] = {}
    user_used: dict[tuple[str, str], int] = {}
    entries: dict[str, Entry] = {}
    while True:
        page = dynamodb.query(**arguments)
        for item in page["Items"]:
            kind, _, rest = item["sk"]["S"].partition("#")
            if kind == "USAGE":
                org_used[rest] = int(item.get("used", {"N": "0"})["N"])
            elif kind == "USER":
                user, _, period = rest.rpartition("#")
                user_used[(user, period)] = int(item["used"]["N"])
            elif kind == "ENQUIRY":
                entries[rest] = Entry(item["userId"]["S"], item["window"]["S"], item["period"]["S"], item["state"]["S"])
        if "LastEvaluatedKey" not in page:
            return Books(org_used, user_used, entries)
        arguments["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def assert_books_balance(books: Books, granted: Mapping[str, str], held: Collection[str] = ()) -> None:
    """Exactly the granted enquiries are charged, each to its user; the org's count of each window is its charged
    entries (plus the reservations `held`, whose credit nobody has given back yet); each user's count of each
    period is their charged entries."""
    assert books.charged() == dict(granted), books
    assert books.reserved() == set(held), books
    org_counts = Counter(entry.window for entry in books.entries.values())
    for window in set(books.org_used) | set(org_counts):
        assert books.org_used.get(window, 0) == org_counts[window], (window, books)
    user_counts = Counter((entry.user_id, entry.period) for entry in books.entries.values() if entry.state == "CHARGED")
    for user_period in set(books.user_used) | set(user_counts):
        assert books.user_used.get(user_period, 0) == user_counts[user_period], (user_period, books)
