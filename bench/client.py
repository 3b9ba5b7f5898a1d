"""An HTTP client of the emulator that keeps its connection open between requests, as an SDK's pool does: the
latencies measured are the service's, not a TCP handshake's."""

from __future__ import annotations

import json
import time
from http.client import HTTPConnection
from typing import Any


class BenchError(Exception):
    """The bench itself failed (an unexpected answer, a child process that crashed): no report can be given."""


class Client:
    def __init__(self, host: str, port: int, timeout: float = 30.0) -> None:
        self._connection = HTTPConnection(host, port, timeout=timeout)

    def connect(self) -> None:
        """Open the connection now, so that a timed request does not pay for it."""
        self._connection.connect()

    def close(self) -> None:
        self._connection.close()

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, str]:
        payload = None if body is None else json.dumps(body)
        self._connection.request(method, path, body=payload, headers={"Content-Type": "application/json"})
        response = self._connection.getresponse()
        return response.status, response.read().decode("utf-8")

    def expect(self, status: int, method: str, path: str, body: Any = None) -> Any:
        answered, text = self.call(method, path, body)
        if answered != status:
            raise BenchError(f"{method} {path} answered {answered}, not {status}: {text}")
        return json.loads(text)

    def set_plan(self, org_id: str, plan: str) -> None:
        self.expect(200, "PUT", f"/orgs/{org_id}/plan", {"plan": plan})

    def freeze_clock(self, now: str) -> None:
        self.expect(200, "PUT", "/_local/clock", {"now": now})

    def thaw_clock(self) -> None:
        self.expect(200, "DELETE", "/_local/clock")

    def notifications(self) -> list[Any]:
        return list(self.expect(200, "GET", "/_local/notifications"))

    def charge(self, org_id: str, enquiry_id: str, user_id: str) -> float:
        """One decision that must be a new charge (201); returns how long it took, in seconds."""
        started = time.perf_counter()
        status, text = self.call("POST", f"/orgs/{org_id}/usage", {"enquiryId": enquiry_id, "userId": user_id})
        elapsed = time.perf_counter() - started
        if status != 201:
            raise BenchError(f"charging {org_id}/{enquiry_id} answered {status}, not 201: {text}")
        return elapsed
