"""The fault matrix's tools: how a step of the use-credit saga fails (an error or a timeout, before or after its
write commits), what DynamoDB answers when it throttles or a transaction conflicts, and the books of an org read
straight from the table, to check after every fault that the counters agree with the ledger.

Step faults are `workflows.Fault`s (invocation hooks); DynamoDB faults are answers given on the wire of the
functions' own DynamoDB clients (botocore's before-send event, below), so they go through botocore's error parsing
and the clients' retries, and never touch the test's requests or the emulator's own backend calls."""

from __future__ import annotations

import importlib.metadata
import io
import itertools
import json
import threading
import time
import uuid
import zlib
from collections import Counter
from collections.abc import Callable, Collection, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, cast

from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from botocore.handlers import BUILTIN_HANDLERS
from moto.core.models import botocore_stubber

from domain.errors import StoreUnavailable
from emulator.cloud import LocalCloud
from tests.integration.workflows import Fault, inject, run_handler

STALL_MARGIN_SECONDS = 0.3
"""A stalled invocation outlives its function's Timeout (template.yaml) by this much: the emulator answers the
timeout (Sandbox.Timedout or Lambda.Unknown, as `cloud.timeout_error` says)."""

LATE_WRITE_HELD_AT_MOST = 60.0
"""Seconds a late write waits for its test to let it land (fail_step's `lands_when`) before it gives up."""

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
    lands_when: tuple[int, threading.Event] | None = None,
) -> Fault:
    """Make the invocations of `function` that `fail_on` selects fail as `failure` says (a timeout stalls the
    invocation for `stall` seconds: by default just past the function's Timeout). `lands_when` (failing
    invocation, event): that invocation's late write waits for the event, so that a test decides what happens
    before it lands whatever the machine's load; the others land after their stall."""
    if stall is None:
        stall = cloud.stack.functions[function].timeout_seconds + STALL_MARGIN_SECONDS
    failing = itertools.count(1)

    def before_failing(event: dict[str, Any]) -> None:
        this = next(failing)
        if failure.writes_first:
            run_handler(cloud, function, event)
        if failure.times_out:
            time.sleep(stall)
        if failure.lands_late:
            if lands_when is not None and lands_when[0] == this:
                assert lands_when[1].wait(LATE_WRITE_HELD_AT_MOST), "the test never let the late write land"
            run_handler(cloud, function, event)

    return inject(cloud, Fault(function, lambda: transient_error(function), fail_on, before_failing))


@dataclass
class Stall:
    """An invocation hook that makes the selected invocations of one function slow, yet let them run: for
    `seconds`, or, given `until`, until the test sets that event (at most `seconds`), so that what the test
    checks meanwhile cannot race the stall on a loaded machine."""

    function: str
    seconds: float
    on: Callable[[int], bool]
    calls: int = 0
    until: threading.Event | None = None

    def __call__(self, function: str, event: dict[str, Any]) -> None:
        if function != self.function:
            return
        self.calls += 1
        if not self.on(self.calls):
            return
        if self.until is None:
            time.sleep(self.seconds)
        else:
            assert self.until.wait(self.seconds), f"the test never ended the stall of {function}"


def wait_for_invocations(cloud: LocalCloud, timeout: float = 15.0) -> None:
    """Wait until no invocation is running any more, those the workflow gave up on (timed out) included."""
    assert cloud.wait_for_invocations(timeout), f"invocations still running after {timeout} s"


# -- DynamoDB faults ---------------------------------------------------------------------------------------
#
# A DynamoDB fault is an answer on the wire. botocore emits `before-send.<service>.<operation>` once the request is
# serialised and signed; a handler that returns an AWSResponse stands in for the HTTP send ("allows a response to be
# returned that fulfills the request", Botocore Events, https://docs.aws.amazon.com/botocore/latest/topics/events.html).
# In botocore 1.44.8's source: endpoint.py `Endpoint._do_get_response` emits before-send and calls `self._send`
# only if every handler returned None (`first_non_none_response`); either way the response then goes through the
# protocol's parser (for an error status, `_add_modeled_error_fields` adds the error shape's members such as
# CancellationReasons), and `_send_request` loops on `needs-retry`, where client.py
# `_register_v2_standard_retries` put the standard retry handler with the client's `total_max_attempts`; client.py
# `_make_api_call` raises the ClientError named by the parsed code. So an answer given here is parsed, retried
# and raised exactly as DynamoDB's own would be.
#
# moto is itself a before-send handler (moto.core.models.botocore_stubber, which carries the request out), and
# botocore calls *every* before-send handler (hooks.py `_emit`, stop_on_response=False) before it picks the first
# answer: a fault handler registered beside moto would return its error while moto still wrote the item. So on the
# clients of the selected functions the fault replaces moto's handler with a gate in front of it (botocore's
# register / unregister on that client's events alone: clients copy the session's handlers, args.py): the gate
# answers the fault without passing the request on (nothing is carried out), or passes it on and drops moto's
# answer (`after_commit`: carried out, answer lost), or passes it on untouched. moto's DynamoDB request handler is
# not touched; the only thing of moto's this relies on is that stubber, checked before it is used.

DYNAMODB_ERROR_TYPE_PREFIX = "com.amazonaws.dynamodb.v20120810#"
"""How DynamoDB's JSON protocol names an error in the body's `__type` (botocore keeps what follows the #)."""


class _Body(io.BytesIO):
    """A response body as botocore reads it from urllib3 (AWSResponse.content joins `raw.stream()`)."""

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.getvalue()


@dataclass(frozen=True)
class WireError:
    """An error answer as DynamoDB sends it (JSON protocol 1.0): an HTTP status and a JSON body whose `__type` names
    the error, beside the error shape's members (`message`, or `Message` and `CancellationReasons`)."""

    status: int
    code: str
    members: Mapping[str, Any]

    def response(self, request: AWSPreparedRequest) -> AWSResponse:
        body = json.dumps({"__type": DYNAMODB_ERROR_TYPE_PREFIX + self.code, **self.members}).encode()
        headers = {
            "Content-Type": "application/x-amz-json-1.0",
            "Content-Length": str(len(body)),
            "x-amzn-RequestId": uuid.uuid4().hex.upper(),
            "x-amz-crc32": str(zlib.crc32(body)),  # DynamoDB sends every body's CRC32; botocore checks it
        }
        return AWSResponse(request.url, self.status, headers, _Body(body))


def throttled(code: str) -> Callable[[dict[str, Any]], WireError]:
    """ProvisionedThroughputExceededException or ThrottlingException: a 400 the client's standard mode retries."""

    def error(_: dict[str, Any]) -> WireError:
        return WireError(400, code, {"message": "Throughput exceeds the current capacity of your table or index"})

    return error


def transaction_conflict(request: dict[str, Any]) -> WireError:
    """TransactionCanceledException (a 400, not retried by the client): another transaction is writing the first
    item this one updates. One CancellationReason per action, in the order sent, "None" for the others
    (TransactWriteItems' API reference)."""
    actions = request["TransactItems"]
    conflicting = next((n for n, action in enumerate(actions) if "Update" in action), 0)
    reasons = [
        {"Code": "TransactionConflict", "Message": "Transaction is ongoing for the item"}
        if n == conflicting
        else {"Code": "None"}
        for n in range(len(actions))
    ]
    codes = ", ".join(reason["Code"] for reason in reasons)
    message = f"Transaction cancelled, please refer cancellation reasons for specific reasons [{codes}]"
    return WireError(400, "TransactionCanceledException", {"Message": message, "CancellationReasons": reasons})


def transaction_throttled(request: dict[str, Any]) -> WireError:
    """TransactionCanceledException (a 400, not retried by the client) because a write was throttled: how an
    on-demand table's hot partition answers a transaction ("ThrottlingError ... returned when writes get throttled
    on an On-Demand table", TransactWriteItems' API reference). Laid at the first item, "None" for the others."""
    reasons = [
        {"Code": "ThrottlingError", "Message": "Throughput exceeds the current capacity of your table or index."}
        if n == 0
        else {"Code": "None"}
        for n in range(len(request["TransactItems"]))
    ]
    codes = ", ".join(reason["Code"] for reason in reasons)
    message = f"Transaction cancelled, please refer cancellation reasons for specific reasons [{codes}]"
    return WireError(400, "TransactionCanceledException", {"Message": message, "CancellationReasons": reasons})


def internal_server_error(_: dict[str, Any]) -> WireError:
    """A 500: DynamoDB's answer when it cannot say whether the request was carried out (the client retries it)."""
    return WireError(500, "InternalServerError", {"message": "Internal server error"})


Handler = Callable[..., AWSResponse | None]


def _moto_wire() -> Handler:
    """moto's before-send handler: what carries a request out in the emulator, where the HTTP send would on AWS."""
    if ("before-send", botocore_stubber) not in BUILTIN_HANDLERS:
        raise RuntimeError(
            f"moto {importlib.metadata.version('moto')}: moto.core.models.botocore_stubber is no longer registered on"
            " botocore's before-send (BUILTIN_HANDLERS), as in moto 5.2.5: the store faults cannot stand before it"
        )
    return cast(Handler, botocore_stubber)


STORE_FAULT_SETTLE_SECONDS = 15.0
"""How long removing a store fault waits for invocations still running (a test's own wait normally came first)."""


@dataclass
class StoreFault:
    """DynamoDB answers `error` to the selected requests that the functions send about one org (the test's own
    requests, sent with other clients, are never touched). `steps` narrows it to the requests of those functions;
    `after_commit` carries the request out first, so only its answer is lost: the answer of a request that
    committed (one DynamoDB refused is answered as it was). `calls` counts the selected operations' requests about
    the org (each attempt of the client's retries is one), `failures` those it answered with `error`."""

    org_id: str
    operations: tuple[str, ...]
    """botocore's method names: transact_write_items, batch_get_item, ..."""
    error: Callable[[dict[str, Any]], WireError]
    fail_on: Callable[[int], bool]
    steps: frozenset[str] | None = None
    after_commit: bool = False
    calls: int = 0
    failures: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def _selects(self, request: dict[str, Any]) -> bool:
        if f'"ORG#{self.org_id}"' not in json.dumps(request):
            return False
        with self._lock:
            self.calls += 1
            return self.fail_on(self.calls)

    def _fails(self, request: dict[str, Any], sent: AWSPreparedRequest) -> AWSResponse:
        with self._lock:
            self.failures += 1
        return self.error(request).response(sent)

    def _gate(self, operations: frozenset[str], wire: Handler) -> Handler:
        def before_send(request: AWSPreparedRequest, event_name: str, **kwargs: Any) -> AWSResponse | None:
            operation = event_name.rsplit(".", 1)[-1]
            body = json.loads(request.body or b"{}") if operation in operations else None
            if body is None or not self._selects(body):
                return wire(request=request, event_name=event_name, **kwargs)
            if not self.after_commit:
                return self._fails(body, request)
            carried_out = wire(request=request, event_name=event_name, **kwargs)
            if carried_out is not None and carried_out.status_code >= 300:
                return carried_out  # refused (a condition failed): nothing committed, so no answer to lose after it
            return self._fails(body, request)

        return before_send

    def _clients(self, cloud: LocalCloud) -> list[Any]:
        steps = self.steps if self.steps is not None else cloud.stack.functions
        clients = {step: cloud.function_client(step, "dynamodb") for step in steps}
        assert self.steps is None or all(clients.values()), f"a step without a DynamoDB client: {clients}"
        return [client for client in clients.values() if client is not None]

    @contextmanager
    def installed(self, cloud: LocalCloud) -> Iterator[StoreFault]:
        """Put the gate before moto on the selected functions' clients for the block, then moto back. Only while no
        invocation runs: a request sent in between would meet both or neither."""
        assert cloud.running_invocations() == 0, "install store faults while no function runs"
        wire = _moto_wire()
        swapped = []
        try:
            for client in self._clients(cloud):
                api = client.meta.method_to_api_mapping
                gate = self._gate(frozenset(api[name] for name in self.operations), wire)
                client.meta.events.register_first("before-send", gate)
                client.meta.events.unregister("before-send", wire)
                swapped.append((client, gate))
            yield self
        finally:
            cloud.wait_for_invocations(STORE_FAULT_SETTLE_SECONDS)
            for client, gate in reversed(swapped):
                client.meta.events.register("before-send", wire)
                client.meta.events.unregister("before-send", gate)


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
