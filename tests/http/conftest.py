"""What holds over the whole HTTP suite (in each test process, at the end of its session)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote

import pytest

from adapters import runtime as function_runtime
from domain.ids import is_id
from domain.services import CreditService
from emulator.cloud import LocalCloud
from emulator.executions import Answered, Execution
from tests.conftest import Api

GATEWAY_TIMEOUT = 504
"""API Gateway stopped waiting: the execution may still succeed or fail after the client was answered."""


def _mismatch(execution: Execution) -> str | None:
    assert execution.answered is not None
    status = execution.answered.http_status or 0
    fault = execution.status in ("FAILED", "TIMED_OUT", "ABORTED")
    if fault and not 500 <= status < 600:
        return f"{execution.name} {execution.status}, answered {status}"
    if 500 <= status < 600 and not fault and status != GATEWAY_TIMEOUT:
        return f"{execution.name} {execution.status}, answered {status}"
    return None


@pytest.fixture(scope="session", autouse=True)
def _a_failed_execution_is_a_5xx_and_a_5xx_a_failed_execution(cloud: LocalCloud) -> Iterator[list[Execution]]:
    """Every execution an HTTP answer came from: FAILED (or timed out) exactly when the client was answered 5xx. A
    denial is the service working (a SUCCEEDED execution, answered 4xx), so the cloud's own signals (AWS/States
    ExecutionsFailed, a red execution in the console) mean something broke."""
    seen: list[Execution] = []
    journal = cloud.executions
    original = journal.answered

    def answered(name: str, answer: Answered) -> None:
        original(name, answer)
        found = journal.find(name)
        if found is not None:
            seen.append(found)

    journal.answered = answered  # type: ignore[method-assign]
    yield seen
    del journal.answered
    cloud.wait_until_idle(30)  # an execution API Gateway stopped waiting for ends
    assert [problem for execution in seen if (problem := _mismatch(execution)) is not None] == []


# -- the books audited after every scenario ----------------------------------------------------------------

_ORG_IN_PATH = re.compile(r"^/orgs/([^/?]+)")
_touched: set[str] = set()
"""The orgs the current test's requests named (their paths' orgId)."""


@pytest.fixture(scope="session", autouse=True)
def _orgs_are_noted(api: Api) -> Iterator[None]:
    original = api.call

    def call(method: str, path: str, *args: Any, **kwargs: Any) -> Any:
        found = _ORG_IN_PATH.match(path)
        if found is not None:
            _touched.add(unquote(found.group(1)))
        return original(method, path, *args, **kwargs)

    api.call = call  # type: ignore[method-assign]
    yield
    del api.call


def _windows(cloud: LocalCloud, org_id: str) -> list[str]:
    """The windows the org has a counter for (USAGE#<window> items)."""
    found = cloud.client("dynamodb").query(
        TableName=cloud.stack.table_name,
        KeyConditionExpression="pk = :org AND begins_with(sk, :usage)",
        ExpressionAttributeValues={":org": {"S": f"ORG#{org_id}"}, ":usage": {"S": "USAGE#"}},
        ConsistentRead=True,
    )["Items"]
    return [item["sk"]["S"].removeprefix("USAGE#") for item in found]


@pytest.fixture(scope="session")
def _auditor(cloud: LocalCloud) -> CreditService:
    """The service as the audit's function builds it (adapters.runtime.bootstrap), called in-process: the route
    itself is tested in tests/http/test_audit.py; here only the books matter, checked after every test."""
    return function_runtime.bootstrap(dynamodb=cloud.client("dynamodb"), sns=cloud.client("sns"), clock=cloud.clock)


@pytest.fixture(autouse=True)
def _the_books_agree_after_every_scenario(
    request: pytest.FixtureRequest, cloud: LocalCloud, _auditor: CreditService
) -> Iterator[None]:
    """After each test, every org it named audits clean for every window it has a counter for (the counters equal
    the ledger: domain/audit.py), so every scenario of this suite, the bursts and the fault matrix included, also
    checks the books. A reservation left in flight past the sweep's grace (STALE_RESERVATION) is the state some tests
    leave on purpose, not a disagreement of the books; a test that corrupts the books says so (`books_disagree`), and
    the error tests, whose requests are all refused and which assert themselves that nothing changed, are not
    audited (`refusals_only`): an audit reads a global index, which moto answers by reading the whole table."""
    _touched.clear()
    yield
    skipped = request.node.get_closest_marker("books_disagree") or request.node.get_closest_marker("refusals_only")
    if skipped or not cloud.wait_until_idle(15):
        return
    disagree = {}
    for org_id in sorted(_touched):
        if not is_id(org_id):
            continue  # an org id the API refuses (the error tests)
        for window in _windows(cloud, org_id):
            drift = [item for item in _auditor.audit(org_id, window).drift if item.kind != "STALE_RESERVATION"]
            if drift:
                disagree[(org_id, window)] = drift
    assert disagree == {}, f"the books disagree after the test: {disagree}"
