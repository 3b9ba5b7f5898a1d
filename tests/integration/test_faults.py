"""Every step of the use-credit saga failing, once and every time, before and after its write commits, with an
error or a timeout; and DynamoDB throttling, conflicting or losing its answer. Step Functions may run a task twice,
so the reservations and the compensation must be safe to repeat for the same enquiry.

After every case, read straight from the table: each window's count is its charged enquiries, each user's count
is theirs, exactly the granted enquiries are charged, no reservation is left behind (or, when the compensation
itself always failed, the sweep gives it back); the client was told what the books say; the execution ended
inside API Gateway's 29 s; and the same enquiry, retried once the faults are gone, is charged exactly once."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from adapters.clients import CLIENT_CONFIG
from adapters.dynamodb.table import Table
from domain.errors import StoreUnavailable
from domain.ports import WriteConflict
from emulator.cloud import API_GATEWAY_TIMEOUT_SECONDS, ExecutionResult, LocalCloud
from tests.conftest import Api
from tests.integration.faults import (
    ERROR_AFTER_WRITE,
    ERROR_BEFORE_WRITE,
    TIMEOUT_AFTER_WRITE,
    TIMEOUT_BEFORE_WRITE,
    WRITE_LANDS_LATE,
    Stall,
    StepFailure,
    StoreFault,
    WireError,
    assert_books_balance,
    fail_step,
    first_calls,
    internal_server_error,
    read_books,
    throttled,
    transaction_conflict,
    transaction_throttled,
    wait_for_invocations,
)
from tests.integration.workflows import (
    Workflows,
    always,
    error_document,
    first_call_only,
    notifications_for,
    outcome,
    swept_enquiries,
)

pytestmark = pytest.mark.timed

NOW = datetime(2025, 3, 14, 12, 30, tzinfo=UTC)
AFTER_THE_SWEEP_GRACE = NOW + timedelta(minutes=6)

VALIDATE = "ValidateFunction"
RESERVE_ORG = "ReserveOrgCreditFunction"
RESERVE_USER = "ReserveUserCreditFunction"
RELEASE = "ReleaseOrgCreditFunction"
NOTIFY = "NotifyFunction"

CHARGED = "charged"
UNAVAILABLE = "ServiceUnavailable"
USER_LIMIT = "UserLimitReached"
ORG_LIMIT = "OrgLimitReached"

REJECTION_DOCUMENTS = {
    UNAVAILABLE: ("SERVICE_UNAVAILABLE", 503),
    USER_LIMIT: ("USER_LIMIT_REACHED", 402),
    ORG_LIMIT: ("ORG_LIMIT_REACHED", 402),
}


@pytest.fixture
def workflows(cloud: LocalCloud) -> Workflows:
    cloud.clock.freeze(NOW)  # one period for the whole test; the autouse fixture thaws it
    return Workflows(cloud)


@pytest.fixture(autouse=True)
def _no_invocation_outlives_its_test(cloud: LocalCloud) -> Iterator[None]:
    yield
    wait_for_invocations(cloud)


# -- the saga under test -----------------------------------------------------------------------------------


@dataclass
class Saga:
    """An org about to run one enquiry, and the enquiries granted so far (enquiry -> user)."""

    cloud: LocalCloud
    workflows: Workflows
    org_id: str
    enquiry_id: str = "enq-1"
    user_id: str = "user-1"
    granted: dict[str, str] = field(default_factory=dict)
    make_room: Callable[[], None] | None = None
    """What lets a refused enquiry run when the client retries it (staff lift a cap or top the month up)."""

    def use(self) -> ExecutionResult:
        """Run the enquiry as API Gateway does; it must end, SUCCEEDED or FAILED, before API Gateway gives up."""
        started = time.monotonic()
        result = self.workflows.use(self.org_id, self.enquiry_id, self.user_id)
        elapsed = time.monotonic() - started
        assert elapsed < API_GATEWAY_TIMEOUT_SECONDS, f"{elapsed:.1f} s: {result}"
        assert result.status in {"SUCCEEDED", "FAILED"}, result
        return result

    def books_balance(self, held: tuple[str, ...] = ()) -> None:
        assert_books_balance(read_books(self.cloud, self.org_id), self.granted, held)

    def charge_others(self, count: int, user_id: str | None = None) -> None:
        """Charge `count` other enquiries (each by a user of its own, unless `user_id` says)."""
        for number in range(count):
            enquiry_id, user_id_of_it = f"other-{number}", user_id or f"other-user-{number}"
            assert outcome(self.workflows.use(self.org_id, enquiry_id, user_id_of_it)) == CHARGED
            self.granted[enquiry_id] = user_id_of_it


def on_basic(cloud: LocalCloud, workflows: Workflows, org_id: str) -> Saga:
    """An org on Basic (100 credits a month): the enquiry is charged when nothing fails."""
    workflows.set_plan(org_id, "Basic")
    return Saga(cloud, workflows, org_id)


def on_last_credits(cloud: LocalCloud, workflows: Workflows, org_id: str) -> Saga:
    """The enquiry takes the org's last credit and the user's last: a retried step must recognise its own write
    rather than take it for a limit reached. (A trial: 10 reports; each user may run one a month.)"""
    workflows.set_plan(org_id, "Trial")
    workflows.set_user_limit(org_id, 1)
    saga = Saga(cloud, workflows, org_id)
    saga.charge_others(9)
    return saga


def user_at_their_limit(cloud: LocalCloud, workflows: Workflows, org_id: str) -> Saga:
    """Each user may run one enquiry a month and the user has run one: the enquiry is refused for the user's limit
    and the org credit reserved for it must be released (the compensation)."""
    workflows.set_plan(org_id, "Basic")
    workflows.set_user_limit(org_id, 1)
    saga = Saga(cloud, workflows, org_id, make_room=lambda: workflows.set_user_limit(org_id, None))
    saga.charge_others(1, user_id=saga.user_id)
    return saga


def org_at_its_limit(cloud: LocalCloud, workflows: Workflows, org_id: str) -> Saga:
    """An org on Lite (20 credits a month) that has used them all: refused, NotifyLimitReached runs."""
    workflows.set_plan(org_id, "Lite")
    saga = Saga(cloud, workflows, org_id, make_room=lambda: workflows.top_up(org_id, 1))
    saga.charge_others(20, user_id=saga.user_id)
    return saga


def on_trial(cloud: LocalCloud, workflows: Workflows, org_id: str) -> Saga:
    """An org that has just started its trial (10 reports in 14 days): its first charge is on track to use them
    all, so the notify step sends LimitForecast (its write: the notice's marker)."""
    workflows.set_plan(org_id, "Trial")
    return Saga(cloud, workflows, org_id)


Scenario = Callable[[LocalCloud, Workflows, str], Saga]


def answered_as(result: ExecutionResult, expected: str) -> None:
    assert outcome(result) == expected, result
    if expected in REJECTION_DOCUMENTS:
        cause = error_document(result)
        assert (cause["code"], cause["httpStatus"]) == REJECTION_DOCUMENTS[expected], cause


def then_books_balance_and_a_retry_charges_once(saga: Saga, result: ExecutionResult, held: bool) -> None:
    """What every case ends with, once the execution is over (`held`: its reservation could not be released)."""
    # The client was told what the books say, as soon as the execution ended
    if outcome(result) == CHARGED:
        saga.granted[saga.enquiry_id] = saga.user_id
    leftover = (saga.enquiry_id,) if held else ()
    saga.books_balance(held=leftover)

    # and still do once every invocation the workflow gave up on has finished (its late writes included)
    wait_for_invocations(saga.cloud)
    saga.books_balance(held=leftover)

    if held:
        # When the sweep runs after its grace period, Then the reservation is given back, once
        saga.cloud.clock.freeze(AFTER_THE_SWEEP_GRACE)
        assert swept_enquiries(saga.cloud, saga.org_id) == [saga.enquiry_id]
        assert swept_enquiries(saga.cloud, saga.org_id) == []
        saga.books_balance()

    # When the faults are gone and the client sends the same enquiry again (after staff made room for it, if it
    # was refused)
    saga.cloud.invocation_hooks.clear()
    if saga.make_room is not None and outcome(result) in {USER_LIMIT, ORG_LIMIT}:
        saga.make_room()
    retried = saga.use()

    # Then it is charged exactly once: now, or answered as already charged
    if saga.enquiry_id in saga.granted:
        assert outcome(retried) == "replayed", retried
    else:
        assert outcome(retried) == CHARGED, retried
        saga.granted[saga.enquiry_id] = saga.user_id
    output = json.loads(retried.output or "")
    assert (output["enquiryId"], output["userId"]) == (saga.enquiry_id, saga.user_id)
    saga.books_balance()


# -- every step, every way it can fail ---------------------------------------------------------------------


@dataclass(frozen=True)
class StepCase:
    step: str
    failure: StepFailure
    every_time: bool
    after_user_step_failed: bool = False
    """Reach the compensation by the user step failing (rather than by the user's limit)."""

    @property
    def id(self) -> str:
        step = self.step.removesuffix("Function") + ("(after-user-step-failed)" if self.after_user_step_failed else "")
        return f"{step}-{self.failure.name}-{'always' if self.every_time else 'once'}"

    @property
    def scenario(self) -> Scenario:
        if self.step == RELEASE:
            return on_basic if self.after_user_step_failed else user_at_their_limit
        return {RESERVE_ORG: on_last_credits, RESERVE_USER: on_last_credits, NOTIFY: on_trial}.get(self.step, on_basic)

    @property
    def expected(self) -> str:
        if self.step == RELEASE:
            return UNAVAILABLE if self.after_user_step_failed else USER_LIMIT
        if self.step == VALIDATE:
            return UNAVAILABLE  # it reserves nothing: its failure is answered at once, for the client to retry
        if self.step == NOTIFY or not self.every_time:
            return CHARGED  # a notification never fails a granted charge; a failure once is retried
        return UNAVAILABLE

    @property
    def invocations(self) -> int:
        # Every step but validate and notify retries each of these failures once (MaxAttempts 1). Validate is never
        # retried (it reserves nothing, and its time is the contended steps'); notify retries only Lambda's own
        # errors: after a timeout the notice may have gone out.
        if self.step == VALIDATE:
            return 1
        return 1 if self.step == NOTIFY and self.failure.times_out else 2

    @property
    def reservation_held(self) -> bool:
        """The compensation failed every time before giving anything back: only the sweep can."""
        gave_back = self.failure.writes_first or self.failure.lands_late
        return self.step == RELEASE and self.every_time and not gave_back

    @property
    def notices(self) -> int:
        """LimitForecast notices sent (notify cases): one when the step got to publish, never two."""
        return 1 if self.failure.writes_first or not (self.every_time or self.failure.times_out) else 0


ALL_FAILURES = (ERROR_BEFORE_WRITE, ERROR_AFTER_WRITE, TIMEOUT_BEFORE_WRITE, TIMEOUT_AFTER_WRITE, WRITE_LANDS_LATE)
FAILURES = {
    VALIDATE: ALL_FAILURES[:4],  # its write is the decision time it answers: nothing lands late
    RESERVE_ORG: ALL_FAILURES,
    RESERVE_USER: ALL_FAILURES,
    RELEASE: ALL_FAILURES,
    NOTIFY: ALL_FAILURES[:4],
}
SAME_AS_ONCE = {(VALIDATE, failure) for failure in FAILURES[VALIDATE]} | {
    (NOTIFY, TIMEOUT_BEFORE_WRITE),
    (NOTIFY, TIMEOUT_AFTER_WRITE),
}
"""Cases whose every-time case would repeat another: validate is never retried, so once is every time; notify
never retries a timeout, so once is every time."""
STEP_CASES = [
    StepCase(step, failure, every_time)
    for step, failures in FAILURES.items()
    for failure in failures
    for every_time in (False, True)
    if not (every_time and (step, failure) in SAME_AS_ONCE)
] + [
    StepCase(RELEASE, failure, every_time, after_user_step_failed=True)
    for failure in (ERROR_BEFORE_WRITE, ERROR_AFTER_WRITE)
    for every_time in (False, True)
]


def _step_param(case: StepCase) -> object:
    slow = case.failure.times_out and case.every_time and case.invocations == 2
    return pytest.param(case, id=case.id, marks=[pytest.mark.slow] if slow else [])


@pytest.mark.parametrize("case", [_step_param(case) for case in STEP_CASES])
def test_a_failing_step_neither_charges_twice_nor_leaks_a_credit(
    case: StepCase, cloud: LocalCloud, workflows: Workflows, org_id: str
) -> None:
    # Given an org about to run an enquiry, and a step that fails as the case says
    saga = case.scenario(cloud, workflows, org_id)
    if case.after_user_step_failed:
        fail_step(cloud, RESERVE_USER, ERROR_BEFORE_WRITE, always)
    fault = fail_step(cloud, case.step, case.failure, always if case.every_time else first_call_only)

    # When the user runs the enquiry
    result = saga.use()

    # Then the step was tried as the workflow's Retry says, and the client told a charge, a 503 or the refusal
    assert fault.calls == case.invocations
    answered_as(result, case.expected)
    then_books_balance_and_a_retry_charges_once(saga, result, held=case.reservation_held)
    if case.step == NOTIFY:
        assert len(notifications_for(cloud, org_id, "LimitForecast")) == case.notices


@pytest.mark.parametrize(
    "failure", [ERROR_BEFORE_WRITE, ERROR_AFTER_WRITE, TIMEOUT_BEFORE_WRITE], ids=lambda failure: failure.name
)
def test_a_failing_limit_reached_notification_never_changes_the_refusal(
    failure: StepFailure, cloud: LocalCloud, workflows: Workflows, org_id: str
) -> None:
    # Given an org that has used all its credits, and a notify step that fails every time
    saga = org_at_its_limit(cloud, workflows, org_id)
    fault = fail_step(cloud, NOTIFY, failure, always)

    # When a user runs one more enquiry
    result = saga.use()

    # Then it is refused for the org's limit all the same, after NotifyLimitReached was tried
    assert fault.calls == (1 if failure.times_out else 2)
    answered_as(result, ORG_LIMIT)
    assert workflows.states_entered(result)[-3:] == ["IsOrgLimitReached", "NotifyLimitReached", "OrgDenied"]
    then_books_balance_and_a_retry_charges_once(saga, result, held=False)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("step", "scenario"),
    [
        pytest.param(RESERVE_ORG, on_last_credits, id="ReserveOrgCredit"),
        pytest.param(RESERVE_USER, on_last_credits, id="ReserveUserCredit"),
        pytest.param(RELEASE, user_at_their_limit, id="ReleaseOrgCredit"),
    ],
)
def test_a_step_that_outlived_its_workflow_cannot_touch_the_enquiry_its_client_retried(
    step: str, scenario: Scenario, cloud: LocalCloud, workflows: Workflows, org_id: str
) -> None:
    # Given a step that times out every time, whose writes land after the workflow gave up on them: the first
    # attempt's while the workflow retries it, the last one's once the client's retry was answered (held by an
    # event, not by a time, so that a loaded machine cannot reorder them)
    saga = scenario(cloud, workflows, org_id)
    retry_answered = threading.Event()
    fail_step(cloud, step, WRITE_LANDS_LATE, always, lands_when=(2, retry_answered))
    failed = saga.use()
    assert outcome(failed) in {UNAVAILABLE, USER_LIMIT}, failed

    # When the client retries the enquiry at once, faults gone, while the last abandoned invocation still runs
    cloud.invocation_hooks.clear()
    if saga.make_room is not None:
        saga.make_room()
    retried = saga.use()
    assert cloud.running_invocations(step) > 0, "the late write already landed"

    # Then the retry is charged, and once the late write has landed it is still the only charge
    answered_as(retried, CHARGED)
    saga.granted[saga.enquiry_id] = saga.user_id
    retry_answered.set()
    wait_for_invocations(cloud)
    saga.books_balance()


# -- DynamoDB failing ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StoreCase:
    id: str
    operations: tuple[str, ...]
    error: Callable[[dict[str, Any]], WireError]
    fail_on: Callable[[int], bool]
    expected: str
    scenario: Scenario = on_basic
    steps: frozenset[str] | None = None
    after_commit: bool = False
    failed_invocations: int | None = None
    """How many invocations failed (the workflow's history), where the case decides it."""
    reservation_held: bool = False


TRANSACT = ("transact_write_items",)
BATCH_GET = ("batch_get_item",)
EVERY_REQUEST = ("batch_get_item", "get_item", "transact_write_items")
SDK_ATTEMPTS: int = CLIENT_CONFIG.retries["total_max_attempts"]
"""The functions' DynamoDB client tries a request twice (adapters/clients.py: standard mode, total_max_attempts 2)
before the step fails with StoreUnavailable, unless the function's Timeout comes first."""
TRANSIENT_STEP_ERRORS = {"StoreUnavailable", "Sandbox.Timedout"}
THROTTLES = {
    "ProvisionedThroughputExceeded": throttled("ProvisionedThroughputExceededException"),
    "Throttling": throttled("ThrottlingException"),
}
STORE_CASES = [
    case
    for code, error in THROTTLES.items()
    for name, operations in (("TransactWriteItems", TRANSACT), ("BatchGetItem", BATCH_GET))
    for case in (
        # the SDK's own retry absorbs one
        StoreCase(f"{code}-{name}-once", operations, error, first_calls(1), CHARGED, failed_invocations=0),
        # every attempt of the step's first invocation fails; the workflow retries the step
        StoreCase(f"{code}-{name}-one-invocation", operations, error, first_calls(SDK_ATTEMPTS), CHARGED,
                  failed_invocations=1),
    )
] + [
    # each code, and each operation, failing every time (the adapter and the SDK treat both codes alike)
    StoreCase("Throttling-TransactWriteItems-always", TRANSACT, THROTTLES["Throttling"], always, UNAVAILABLE),
    StoreCase("ProvisionedThroughputExceeded-BatchGetItem-always", BATCH_GET,
              THROTTLES["ProvisionedThroughputExceeded"], always, UNAVAILABLE),
    # the step reads again and decides again, within its invocation
    StoreCase("TransactionConflict-once", TRANSACT, transaction_conflict, first_calls(1), CHARGED,
              failed_invocations=0),
    StoreCase("TransactionConflict-always", TRANSACT, transaction_conflict, always, UNAVAILABLE),
    # a hot partition cancels the transaction (not retried by the SDK): the step fails, the workflow retries it
    StoreCase("ThrottlingError-cancellation-once", TRANSACT, transaction_throttled, first_calls(1), CHARGED,
              failed_invocations=1),
    StoreCase("ThrottlingError-cancellation-always", TRANSACT, transaction_throttled, always, UNAVAILABLE),
    StoreCase("user-step-ThrottlingError-cancellation-always", TRANSACT, transaction_throttled, always, UNAVAILABLE,
              steps=frozenset({RESERVE_USER})),
    # the transaction commits and its answer is lost: the SDK sends it again
    StoreCase("answer-lost-after-commit-once", TRANSACT, internal_server_error, first_calls(1), CHARGED,
              scenario=on_last_credits, after_commit=True, failed_invocations=0),
    StoreCase("answer-lost-after-commit-always", TRANSACT, internal_server_error, always, CHARGED,
              scenario=on_last_credits, after_commit=True),
    # only the user step's writes fail, after the org credit was reserved: the compensation gives it back
    StoreCase("user-step-TransactionConflict-always", TRANSACT, transaction_conflict, always, UNAVAILABLE,
              steps=frozenset({RESERVE_USER})),
    StoreCase("user-step-ProvisionedThroughputExceeded-always", TRANSACT, THROTTLES["ProvisionedThroughputExceeded"],
              always, UNAVAILABLE, steps=frozenset({RESERVE_USER})),
    # the table throttles everything once the org credit is reserved: the compensation cannot run, the sweep can
    StoreCase("user-step-and-compensation-Throttling-always", EVERY_REQUEST, THROTTLES["Throttling"], always,
              UNAVAILABLE, steps=frozenset({RESERVE_USER, RELEASE}), reservation_held=True),
    StoreCase("compensation-TransactionConflict-always", TRANSACT, transaction_conflict, always, USER_LIMIT,
              scenario=user_at_their_limit, steps=frozenset({RELEASE}), reservation_held=True),
    StoreCase("compensation-answer-lost-after-commit-always", TRANSACT, internal_server_error, always, USER_LIMIT,
              scenario=user_at_their_limit, steps=frozenset({RELEASE}), after_commit=True),
]  # fmt: skip


@pytest.mark.parametrize("case", [pytest.param(case, id=case.id) for case in STORE_CASES])
def test_a_failing_store_neither_charges_twice_nor_leaks_a_credit(
    case: StoreCase, cloud: LocalCloud, workflows: Workflows, org_id: str
) -> None:
    # Given an org about to run an enquiry, and DynamoDB failing the functions' requests as the case says
    saga = case.scenario(cloud, workflows, org_id)
    fault = StoreFault(org_id, case.operations, case.error, case.fail_on, case.steps, case.after_commit)

    # When the user runs the enquiry
    with fault.installed(cloud):
        result = saga.use()
        wait_for_invocations(cloud)

    # Then the fault was met, and the client told a charge, a 503 or the refusal
    assert fault.failures >= 1, fault
    answered_as(result, case.expected)
    if case.failed_invocations is not None:
        failures = workflows.lambda_failures(result)
        assert len(failures) == case.failed_invocations, failures
        assert set(failures) <= TRANSIENT_STEP_ERRORS, failures
    then_books_balance_and_a_retry_charges_once(saga, result, held=case.reservation_held)


# -- the store faults themselves: answers on the wire ---------------------------------------------------------


def a_transaction_about(cloud: LocalCloud, org_id: str) -> dict[str, Any]:
    """A TransactWriteItems about the org that writes nothing (one ConditionCheck that holds)."""
    check = {
        "TableName": cloud.stack.table_name,
        "Key": {"pk": {"S": f"ORG#{org_id}"}, "sk": {"S": "PROFILE"}},
        "ConditionExpression": "attribute_not_exists(pk)",
    }
    return {"TransactItems": [{"ConditionCheck": check}]}


WIRE_ERRORS = {
    "ProvisionedThroughputExceeded": (THROTTLES["ProvisionedThroughputExceeded"], 400, SDK_ATTEMPTS),
    "Throttling": (THROTTLES["Throttling"], 400, SDK_ATTEMPTS),
    "InternalServerError": (internal_server_error, 500, SDK_ATTEMPTS),
    "TransactionCanceled": (transaction_conflict, 400, 1),
}


@pytest.mark.parametrize("name", WIRE_ERRORS)
def test_a_store_fault_reaches_the_function_as_the_client_error_dynamodb_s_answer_would_be(
    cloud: LocalCloud, org_id: str, name: str
) -> None:
    # Given DynamoDB answering the org step's client with the error every time
    error, status, attempts = WIRE_ERRORS[name]
    client = cloud.function_client(RESERVE_ORG, "dynamodb")
    fault = StoreFault(org_id, TRANSACT, error, always, frozenset({RESERVE_ORG}))

    # When the client sends a transaction about the org
    with fault.installed(cloud), pytest.raises(ClientError) as raised:
        client.transact_write_items(**a_transaction_about(cloud, org_id))

    # Then botocore parsed it as DynamoDB's own answer: the code, the status, the error shape's members, and the
    # standard mode's retries of what it retries
    response = raised.value.response
    assert response["Error"]["Code"] == error({"TransactItems": [{}]}).code
    assert response["ResponseMetadata"]["HTTPStatusCode"] == status
    assert response["ResponseMetadata"]["RetryAttempts"] == attempts - 1
    assert fault.calls == attempts
    if name == "TransactionCanceled":
        assert response["CancellationReasons"] == [
            {"Code": "TransactionConflict", "Message": "Transaction is ongoing for the item"}
        ]


@pytest.mark.parametrize("after_commit", [False, True], ids=["before-commit", "after-commit"])
def test_a_store_fault_carries_the_request_out_only_when_it_loses_the_answer_after_commit(
    cloud: LocalCloud, org_id: str, after_commit: bool
) -> None:
    # Given DynamoDB refusing the org step's transactions, before or after carrying them out
    client = cloud.function_client(RESERVE_ORG, "dynamodb")
    key = {"pk": {"S": f"ORG#{org_id}"}, "sk": {"S": "FAULT-PROBE"}}
    put = {"Put": {"TableName": cloud.stack.table_name, "Item": key}}
    fault = StoreFault(org_id, TRANSACT, transaction_conflict, always, frozenset({RESERVE_ORG}), after_commit)

    # When the client sends a transaction that puts an item
    with fault.installed(cloud), pytest.raises(ClientError):
        client.transact_write_items(TransactItems=[put])

    # Then the item is there only if the fault came after the commit (moto never saw the request otherwise)
    stored = cloud.client("dynamodb").get_item(TableName=cloud.stack.table_name, Key=key, ConsistentRead=True)
    assert ("Item" in stored) == after_commit, stored


def test_a_transaction_conflict_on_the_wire_is_laid_at_the_door_of_the_action_it_names(
    cloud: LocalCloud, org_id: str
) -> None:
    # Given DynamoDB cancelling the org step's transactions for a conflict on their first action
    table = Table(cloud.function_client(RESERVE_ORG, "dynamodb"), cloud.stack.table_name)
    transaction = table.transaction("reserve")
    (check,) = (action["ConditionCheck"] for action in a_transaction_about(cloud, org_id)["TransactItems"])
    transaction.check("profile", check["Key"], check["ConditionExpression"])
    fault = StoreFault(org_id, TRANSACT, transaction_conflict, always, frozenset({RESERVE_ORG}))

    # When the adapter commits it, Then the cancellation is the domain's WriteConflict, by the action's label
    with fault.installed(cloud), pytest.raises(WriteConflict, match=r"^reserve: profile TransactionConflict$"):
        transaction.commit()


def test_a_throttled_first_attempt_is_retried_by_the_client_as_configured_and_the_step_never_sees_it(
    cloud: LocalCloud, workflows: Workflows, org_id: str
) -> None:
    # Given DynamoDB throttling the first attempt of the org step's transaction only
    saga = on_basic(cloud, workflows, org_id)
    fault = StoreFault(org_id, TRANSACT, THROTTLES["Throttling"], first_calls(1), frozenset({RESERVE_ORG}))

    # When the user runs the enquiry
    with fault.installed(cloud):
        result = saga.use()

    # Then the client sent it again (one retry, within its total_max_attempts), and no step failed
    assert (fault.failures, fault.calls) == (1, 2), fault
    answered_as(result, CHARGED)
    assert workflows.lambda_failures(result) == []


def test_a_throttled_step_fails_after_exactly_the_client_s_attempts_in_each_invocation(
    cloud: LocalCloud, workflows: Workflows, org_id: str
) -> None:
    # Given DynamoDB throttling every attempt of the org step's transaction
    saga = on_basic(cloud, workflows, org_id)
    fault = StoreFault(org_id, TRANSACT, THROTTLES["Throttling"], always, frozenset({RESERVE_ORG}))

    # When the user runs the enquiry
    with fault.installed(cloud):
        result = saga.use()
        wait_for_invocations(cloud)

    # Then each invocation of the step (the workflow retries it once) gave up with StoreUnavailable after
    # total_max_attempts, no more, no fewer
    failures = workflows.lambda_failures(result)
    assert failures == [StoreUnavailable.__name__] * 2, failures
    assert fault.calls == SDK_ATTEMPTS * 2, fault
    answered_as(result, UNAVAILABLE)


# -- the bounds --------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_the_slowest_failing_execution_compensation_included_ends_inside_api_gateways_29_seconds(
    cloud: LocalCloud, workflows: Workflows, org_id: str
) -> None:
    # Given every step on the compensation path timing out, and just inside its Timeout when retried (the user
    # step times out again, so the compensation runs), and validate (never retried) just inside its Timeout
    saga = on_basic(cloud, workflows, org_id)
    cloud.invocation_hooks.append(Stall(VALIDATE, cloud.stack.functions[VALIDATE].timeout_seconds - 0.3, always))
    for step in (RESERVE_ORG, RELEASE):
        almost = cloud.stack.functions[step].timeout_seconds - 0.3
        cloud.invocation_hooks.append(Stall(step, almost, lambda call: call == 2))  # before the fault: sees every call
        fail_step(cloud, step, TIMEOUT_BEFORE_WRITE, first_call_only)
    user_step = fail_step(cloud, RESERVE_USER, TIMEOUT_BEFORE_WRITE, always)

    # When the user runs the enquiry
    started = time.monotonic()
    result = saga.use()
    elapsed = time.monotonic() - started

    # Then it took the slow path all the way (validate 0.7 s, org 3 + 2.7, user 3 + 3, release 2 + 1.7, and the
    # retries' jittered pauses)
    assert elapsed >= 16, elapsed
    assert user_step.calls == 2
    answered_as(result, UNAVAILABLE)
    assert workflows.states_entered(result)[-3:] == ["ReleaseOrgCredit", "WhyReleased", "Unavailable"]
    then_books_balance_and_a_retry_charges_once(saga, result, held=False)


@pytest.mark.parametrize("timeout_error", ["Sandbox.Timedout", "Lambda.Unknown"])
@pytest.mark.parametrize("step", [RESERVE_ORG, RESERVE_USER])
def test_a_step_that_timed_out_once_is_retried_whichever_name_the_timeout_reaches_the_workflow_by(
    cloud: LocalCloud, workflows: Workflows, org_id: str, step: str, timeout_error: str
) -> None:
    # Given Lambda reporting a function timeout as `timeout_error` (both are seen on AWS), and a step that
    # outlives its Timeout once
    cloud.timeout_error = timeout_error
    saga = on_basic(cloud, workflows, org_id)
    # (the function's own Timeout, shortened to keep the test quick, fires before its task's)
    own_timeout = cloud.stack.functions[step].timeout_seconds - 0.5
    fault = fail_step(cloud, step, TIMEOUT_BEFORE_WRITE, first_call_only, stall=own_timeout + 0.3)

    # When the user runs the enquiry
    with cloud.function_timeout(step, own_timeout):
        result = saga.use()

    # Then the workflow saw that name, retried the step, and charged the enquiry once
    assert workflows.lambda_failures(result) == [timeout_error]
    assert fault.calls == 2
    answered_as(result, CHARGED)
    then_books_balance_and_a_retry_charges_once(saga, result, held=False)


def test_an_exhausted_retry_answers_http_503_with_a_code_and_charges_nothing(
    api: Api, cloud: LocalCloud, workflows: Workflows, org_id: str
) -> None:
    # Given an org on Basic whose user step fails every time
    assert api.set_plan(org_id, "Basic").status == 200
    fail_step(cloud, RESERVE_USER, ERROR_BEFORE_WRITE, always)

    # When a user runs an enquiry over HTTP
    refused = api.use(org_id, "enq-1", "user-1")

    # Then API Gateway answers 503 with the code, and nothing is charged
    assert refused.status == 503, refused
    assert (refused.body["code"], refused.body["httpStatus"]) == ("SERVICE_UNAVAILABLE", 503)
    assert_books_balance(read_books(cloud, org_id), {})

    # When the fault is gone and the client retries, Then it is charged once
    cloud.invocation_hooks.clear()
    assert api.use(org_id, "enq-1", "user-1").status == 201
    assert api.use(org_id, "enq-1", "user-1").status == 200
    assert_books_balance(read_books(cloud, org_id), {"enq-1": "user-1"})
