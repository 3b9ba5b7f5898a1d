"""Shared fixtures. One emulated AWS account per test session (moto patches botocore process-wide, so two
cannot coexist); tests keep apart by using fresh org ids, and put the clock back when they move it."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.client import HTTPConnection
from typing import Any
from urllib.parse import quote, urlencode

import pytest

from emulator import patches
from emulator.cloud import LocalCloud, timeout_error_from_environment
from emulator.server import serve
from emulator.template import Route, StageThrottle


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Spread the `timed` tests (mostly waiting on stalls and timeouts) evenly among the others, in their order:
    pytest-xdist hands each worker a run of consecutive tests first, so every worker waits on some while the others
    use the cores, instead of the last worker waiting alone on all of them at the end."""
    waiting = [item for item in items if item.get_closest_marker("timed")]
    others = [item for item in items if not item.get_closest_marker("timed")]
    if not waiting or not others:
        return
    spread: list[pytest.Item] = []
    taken = 0
    for index, item in enumerate(waiting):
        until = index * len(others) // len(waiting)
        spread += others[taken:until]
        spread.append(item)
        taken = until
    items[:] = spread + others[taken:]


@pytest.fixture(scope="session", autouse=True)
def _library_patches() -> None:
    """What the emulator changes in moto, airspeed and jsonpath-ng (emulator/patches.py), installed as the emulator
    does when it starts: also for the tests that render templates without starting a cloud."""
    patches.apply()


@pytest.fixture(scope="session")
def cloud() -> Iterator[LocalCloud]:
    with LocalCloud() as running:
        yield running


@pytest.fixture(autouse=True)
def _real_time_and_no_faults(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if "cloud" in request.fixturenames:
        running: LocalCloud = request.getfixturevalue("cloud")
        running.clock.thaw()
        running.invocation_hooks.clear()
        running.result_hooks.clear()
        running.timeout_error = timeout_error_from_environment()


@pytest.fixture
def org_id() -> str:
    return f"org-{uuid.uuid4().hex[:12]}"


@dataclass
class Reply:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)
    """The answer's headers, by lower-case name."""


def _query(parameters: dict[str, str | int]) -> str:
    return f"?{urlencode(parameters)}" if parameters else ""


class Api:
    """A small HTTP client for the emulator (a fresh connection per call, like independent clients)."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port

    @property
    def url(self) -> str:
        """Where it serves: the stage's URL, as a client (curl, the credits command, a browser) is given it."""
        return f"http://{self.host}:{self.port}"

    def call(self, method: str, path: str, body: Any = None, raw: str | None = None,
             headers: dict[str, str] | None = None) -> Reply:  # fmt: skip
        connection = HTTPConnection(self.host, self.port, timeout=60)
        try:
            payload = raw if raw is not None else (None if body is None else json.dumps(body))
            sent_headers = {"Content-Type": "application/json"} | (headers or {})
            connection.request(method, path, body=payload, headers=sent_headers)
            response = connection.getresponse()
            text = response.read().decode("utf-8")
        finally:
            connection.close()
        try:
            document = json.loads(text)
        except ValueError:
            document = text
        return Reply(response.status, document, {name.lower(): value for name, value in response.getheaders()})

    def set_plan(self, org_id: str, plan: str) -> Reply:
        return self.call("PUT", f"/orgs/{org_id}/plan", {"plan": plan})

    def set_user_limit(self, org_id: str, limit: int | None) -> Reply:
        return self.call("PUT", f"/orgs/{org_id}/user-limit", {"limit": limit})

    def use(self, org_id: str, enquiry_id: str, user_id: str = "user-1") -> Reply:
        return self.call("POST", f"/orgs/{org_id}/usage", {"enquiryId": enquiry_id, "userId": user_id})

    def top_up(self, org_id: str, credits: int, top_up_id: str | None = None) -> Reply:
        body: dict[str, Any] = {"credits": credits}
        if top_up_id is not None:
            body["topUpId"] = top_up_id
        return self.call("POST", f"/orgs/{org_id}/top-ups", body)

    def refund(self, org_id: str, enquiry_id: str, reason: str | None = None) -> Reply:
        body: dict[str, Any] = {"enquiryId": enquiry_id}
        if reason is not None:
            body["reason"] = reason
        return self.call("POST", f"/orgs/{org_id}/refunds", body)

    def balance(self, org_id: str, user_id: str | None = None) -> Reply:
        query = "" if user_id is None else f"?userId={user_id}"
        return self.call("GET", f"/orgs/{org_id}/balance{query}")

    def usage(self, org_id: str, **query: str | int) -> Reply:
        """GET the ledger: query is period, userId, limit, cursor."""
        return self.call("GET", f"/orgs/{org_id}/usage{_query(query)}")

    def get_charge(self, org_id: str, enquiry_id: str) -> Reply:
        return self.call("GET", f"/orgs/{org_id}/usage/{quote(enquiry_id, safe='')}")

    def top_ups(self, org_id: str, period: str | None = None) -> Reply:
        return self.call("GET", f"/orgs/{org_id}/top-ups{_query({} if period is None else {'period': period})}")

    def freeze_clock(self, now: str) -> Reply:
        return self.call("PUT", "/_local/clock", {"now": now})

    def thaw_clock(self) -> Reply:
        return self.call("DELETE", "/_local/clock")

    def notifications(self) -> list[dict[str, Any]]:
        reply = self.call("GET", "/_local/notifications")
        assert reply.status == 200
        return list(reply.body)


@contextmanager
def serving(
    cloud: LocalCloud, routes: list[Route] | None = None, throttle: StageThrottle | None = None
) -> Iterator[Api]:
    """The emulator's HTTP server on a free port of 127.0.0.1 (the stack's routes and throttle unless given), and a
    client."""
    server = serve(cloud, "127.0.0.1", 0, routes=routes, throttle=throttle)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Api("127.0.0.1", server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="session")
def api(cloud: LocalCloud) -> Iterator[Api]:
    with serving(cloud) as client:
        yield client
