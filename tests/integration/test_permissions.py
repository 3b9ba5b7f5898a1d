"""Each function's role allows every request its code makes, and nothing it does not: the workflows run through the
emulated account (the real ASL and handlers) along every path that reaches the table or the topic, while each AWS
request a function sends is recorded with the function that sent it and mapped to the IAM actions it needs.

This is the one check of least privilege: the tour runs every function of the stack, and each role's grants, read from
template.yaml (tests/unit/test_template.py's role_grants), are compared with the requests actually made, so that
neither a request IAM would refuse nor a grant on the table or the topic that nothing uses goes unnoticed."""

from __future__ import annotations

import inspect
import threading
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from unittest import mock

import pytest
from botocore.client import BaseClient
from moto.dynamodb.responses import DynamoHandler
from moto.sns.exceptions import SNSInvalidParameter
from moto.sns.models import SNSBackend

from adapters.dynamodb.keys import reserved_shard
from domain.services import ChargeRequest
from emulator.cloud import LocalCloud
from functions.common.documents import charge_request_document
from tests.integration.workflows import Fault, Workflows, first_call_only, inject, outcome
from tests.unit.test_template import (
    FUNCTIONS,
    STACK,
    TABLE_ID,
    TRANSACTION_ITEM_ACTIONS,
    Grant,
    _table_and_topic_grants,
    role_grants,
)

TABLE_NAME = STACK.table_name

pytestmark = pytest.mark.timed  # faults injected into steps with timeouts: mostly waiting (tests/conftest.py)

MARCH_25 = datetime(2025, 3, 25, 12, 0, tzinfo=UTC)
"""Three quarters of March gone: on Lite (20 credits) the 16th charge forecasts the limit (16 / 0.78 >= 20)."""
LATER = MARCH_25 + timedelta(minutes=10)
AUDITED_ALONE = datetime(2031, 5, 10, 12, 0, tzinfo=UTC)
"""Past the five minutes after which a reservation neither charged nor released counts as abandoned."""


def _table(name: str) -> str:
    """A table's logical id, from the name a request gives it (the stack's TableName)."""
    return TABLE_ID if name == TABLE_NAME else name


def needed_grants(service: str, operation: str, params: dict[str, Any]) -> set[Grant]:
    """The IAM actions one request needs, on the resources it names (logical ids: the emulator names the topic after
    its logical id, the table as TableName says). A TransactWriteItems needs the action of each of its items."""
    if service == "dynamodb" and operation == "TransactWriteItems":
        return {
            (TRANSACTION_ITEM_ACTIONS[kind], _table(action[kind]["TableName"]))
            for action in params["TransactItems"]
            for kind in action
        }
    if service == "dynamodb" and operation == "TransactGetItems":
        return {("dynamodb:GetItem", _table(action["Get"]["TableName"])) for action in params["TransactItems"]}
    if service == "dynamodb" and operation in ("BatchGetItem", "BatchWriteItem"):
        return {(f"dynamodb:{operation}", _table(table)) for table in params["RequestItems"]}
    if service == "dynamodb":
        index = f"/index/{params['IndexName']}" if "IndexName" in params else ""
        return {(f"dynamodb:{operation}", _table(params["TableName"]) + index)}
    if service == "sns" and "TopicArn" in params:
        return {(f"sns:{operation}", str(params["TopicArn"]).rsplit(":", 1)[-1])}
    return {(f"{service}:{operation}", "(unmapped)")}  # refused below unless the role somehow grants it


class Requests:
    """The requests each function sends, as grants, whichever thread runs it (the emulator runs each invocation in
    a thread named lambda-<logical id>)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.made: dict[str, set[Grant]] = defaultdict(set)
        self.invoked: set[str] = set()

    def note_invocation(self, function: str, _event: dict[str, Any]) -> None:
        with self._lock:
            self.invoked.add(function)

    def _record(self, service: str, operation: str, params: dict[str, Any]) -> None:
        caller = threading.current_thread().name
        if not caller.startswith("lambda-"):
            return  # the test's own requests
        with self._lock:
            self.made[caller.removeprefix("lambda-")] |= needed_grants(service, operation, params)

    @contextmanager
    def installed(self, cloud: LocalCloud) -> Iterator[Requests]:
        """Record while inside the block: every client's requests pass through BaseClient._make_api_call (replaced
        on the class, so the clients the handlers created at import are recorded too, as bench/counting.py does),
        before they are sent, so a request DynamoDB refuses is recorded as well."""
        original = BaseClient._make_api_call
        if list(inspect.signature(original).parameters) != ["self", "operation_name", "api_params"]:
            raise RuntimeError("botocore's BaseClient._make_api_call changed: the recorder expects (operation, params)")

        def recorded(client: BaseClient, operation_name: str, api_params: dict[str, Any]) -> Any:
            self._record(client.meta.service_model.service_name, operation_name, api_params)
            return original(client, operation_name, api_params)

        cloud.invocation_hooks.append(self.note_invocation)
        setattr(BaseClient, "_make_api_call", recorded)  # noqa: B010  # replacing botocore's method
        try:
            yield self
        finally:
            setattr(BaseClient, "_make_api_call", original)  # noqa: B010
            cloud.invocation_hooks.remove(self.note_invocation)


# -- the paths that reach the table or the topic ---------------------------------------------------------------


def charge_request(org_id: str, enquiry_id: str, user_id: str, execution_name: str) -> dict[str, Any]:
    request = ChargeRequest(org_id, user_id, enquiry_id, MARCH_25, execution_name)
    return charge_request_document(request)


def abandon_a_reservation(cloud: LocalCloud, org_id: str, enquiry_id: str, execution_name: str) -> dict[str, Any]:
    """The org step of a workflow that then ended without charging or releasing (its compensation failed too)."""
    charge = charge_request(org_id, enquiry_id, "user-9", execution_name)
    response = cloud.invoke("ReserveOrgCreditFunction", {"charge": charge})
    assert "FunctionError" not in response, response
    return charge


@contextmanager
def sns_refusing_everything() -> Iterator[None]:
    with mock.patch.object(SNSBackend, "publish", side_effect=SNSInvalidParameter("not taking messages")):
        yield


@contextmanager
def released_while_the_sweep_reads_the_index(cloud: LocalCloud, charge: dict[str, Any]) -> Iterator[None]:
    """The index is eventually consistent, and compensations run beside the sweep: once the index has listed the
    reservation to the sweep, its workflow's compensation releases it, before the sweep gets to it."""
    original: Callable[[DynamoHandler], Any] = DynamoHandler.query
    shard = reserved_shard(charge["orgId"])
    raced: list[bool] = []

    def query(handler: DynamoHandler) -> Any:
        answer = original(handler)  # the index has answered: it lists the reservation
        sweeping = threading.current_thread().name == "lambda-SweepReservationsFunction"
        asked = handler.body.get("ExpressionAttributeValues", {}).get(":shard", {}).get("S")
        if sweeping and not raced and asked == shard:
            raced.append(True)
            response = cloud.invoke("ReleaseOrgCreditFunction", {"charge": charge})  # runs in a thread of its own
            assert response["Payload"] == {"released": True}, response
        return answer

    # A plain function on the class (not a Mock): moto dispatches to the handler's methods by inspecting them.
    with mock.patch.object(DynamoHandler, "query", query):
        yield
    assert raced, "the sweep never listed the reservation"


@dataclass
class UserLimitChangedBeforeTheUserStep:
    """An invocation hook: a staff change of the org's per-user limit lands between the org step and the user step
    of its next enquiry, so the org step's hint is stale and the user step reads the user again."""

    workflows: Workflows
    org_id: str
    limit: int
    changed: bool = False

    def __call__(self, function: str, event: dict[str, Any]) -> None:
        if function == "ReserveUserCreditFunction" and not self.changed and event["charge"]["orgId"] == self.org_id:
            self.changed = True
            self.workflows.set_user_limit(self.org_id, self.limit)


def tour_the_notices(workflows: Workflows, org_id: str) -> None:
    """Lite's 20 credits charged one by one: a forecast SNS refuses (withdrawn), the forecast again (sent), the
    limit reached (sent), then a denial for the limit (its notice already sent), and an enquiry asked again."""
    workflows.set_plan(org_id, "Lite")
    for number in range(15):
        assert outcome(workflows.use(org_id, f"e-{number}", f"user-{number % 4}")) == "charged"
    with sns_refusing_everything():
        assert outcome(workflows.use(org_id, "e-15", "user-3")) == "charged"
    for number in range(16, 20):
        assert outcome(workflows.use(org_id, f"e-{number}", f"user-{number % 4}")) == "charged"
    assert outcome(workflows.use(org_id, "e-20", "user-0")) == "OrgLimitReached"
    assert outcome(workflows.use(org_id, "e-0", "user-0")) == "replayed"


def tour_the_staff_commands_and_the_saga_failures(cloud: LocalCloud, workflows: Workflows, org_id: str) -> None:
    # Plans, limits, top-ups (one asked twice) and balances
    workflows.set_plan(org_id, "Basic")
    workflows.set_user_limit(org_id, 1)
    for _ in range(2):
        workflows.succeeded("TopUpStateMachine", org_id, {"credits": 5, "topUpId": "top-up-1"})
    workflows.balance(org_id, "user-1")

    # A stale hint: the user step reads the user again
    stale = UserLimitChangedBeforeTheUserStep(workflows, org_id, limit=2)
    cloud.invocation_hooks.append(stale)
    assert outcome(workflows.use(org_id, "b-1", "user-1")) == "charged"
    assert stale.changed
    cloud.invocation_hooks.remove(stale)
    assert outcome(workflows.use(org_id, "b-2", "user-1")) == "charged"

    # The user's limit: the org reservation is released
    assert outcome(workflows.use(org_id, "b-3", "user-1")) == "UserLimitReached"

    # A refund, asked twice (the second a replay)
    for _ in range(2):
        workflows.succeeded("RefundStateMachine", org_id, {"enquiryId": "b-2"})

    # The books read back: the ledger a page at a time (the org's, then a user's), an enquiry, the month's top-ups
    first = workflows.succeeded("ListUsageStateMachine", org_id, params={"limit": "1"})
    workflows.succeeded("ListUsageStateMachine", org_id, params={"limit": "1", "cursor": first["cursor"]})
    workflows.succeeded("ListUsageStateMachine", org_id, user_id="user-1")
    assert workflows.succeeded("GetUsageEntryStateMachine", org_id, params={"enquiryId": "b-2"})["state"] == "REFUNDED"
    assert len(workflows.succeeded("ListTopUpsStateMachine", org_id)["items"]) == 1
    assert workflows.succeeded("AuditBooksStateMachine", org_id)["drift"] == []

    # The org step fails before anything landed: the compensation fences a reservation that never was
    failing = inject(cloud, Fault("ReserveOrgCreditFunction", lambda: RuntimeError("the step broke"), first_call_only))
    broken = workflows.use(org_id, "b-4", "user-2")
    assert failing.calls == 1
    assert outcome(broken) == "ServiceUnavailable", broken  # nothing charged; the client may retry
    cloud.invocation_hooks.remove(failing)

    # Reservations abandoned: one reclaimed by a retry of its enquiry, two by the sweep (one released meanwhile)
    abandon_a_reservation(cloud, org_id, "b-abandoned", "abandoned-1")
    abandon_a_reservation(cloud, org_id, "b-swept", "abandoned-2")
    raced = abandon_a_reservation(cloud, org_id, "b-raced", "abandoned-3")
    cloud.clock.freeze(LATER)
    assert outcome(workflows.use(org_id, "b-abandoned", "user-2")) == "charged"
    with released_while_the_sweep_reads_the_index(cloud, raced):
        response = cloud.invoke("SweepReservationsFunction")
    assert "FunctionError" not in response, response
    swept = {item["enquiryId"] for item in response["Payload"]["reservations"] if item["orgId"] == org_id}
    assert swept == {"b-swept"}, response

    # The daily audit, while a reservation is in flight (it re-reads each the index lists), in a month of its own:
    # it audits every org active in its month, and this process's other tests have many orgs in the tour's
    cloud.clock.freeze(AUDITED_ALONE)
    assert outcome(workflows.use(org_id, "b-audited", "user-1")) == "charged"
    abandon_a_reservation(cloud, org_id, "b-in-flight", "abandoned-4")
    assert cloud.run_workflow("AuditEveryOrgStateMachine", {}, timeout=60).status == "SUCCEEDED"


@pytest.fixture(scope="module")
def requests_made(cloud: LocalCloud) -> Iterator[Requests]:
    workflows = Workflows(cloud)
    cloud.clock.freeze(MARCH_25)
    try:
        with Requests().installed(cloud) as requests:
            tour_the_notices(workflows, f"org-{uuid.uuid4().hex[:12]}")
            tour_the_staff_commands_and_the_saga_failures(cloud, workflows, f"org-{uuid.uuid4().hex[:12]}")
        yield requests
    finally:
        cloud.clock.thaw()


# -- the grants ------------------------------------------------------------------------------------------------


def test_the_tour_runs_every_function_of_the_stack(requests_made: Requests) -> None:
    assert requests_made.invoked == set(FUNCTIONS)


@pytest.mark.parametrize("function", FUNCTIONS)
def test_every_request_a_function_makes_is_one_its_role_allows(function: str, requests_made: Requests) -> None:
    # Given every request the function sent along the paths of the tour
    made = requests_made.made[function]

    # When they are compared with what template.yaml lets its role do
    allowed = role_grants(function)

    # Then IAM would refuse none of them
    assert made <= allowed, f"refused on AWS: {sorted(made - allowed)}"


@pytest.mark.parametrize("function", FUNCTIONS)
def test_every_table_and_topic_action_a_role_allows_is_one_its_function_was_seen_making(
    function: str, requests_made: Requests
) -> None:
    # Given what template.yaml lets the function's role do on the table and the topic
    allowed = _table_and_topic_grants(role_grants(function))

    # Then the tour saw the function use each of those grants: none is there for nothing
    unused = allowed - requests_made.made[function]
    assert unused == set(), f"granted, never used: {sorted(unused)}"
