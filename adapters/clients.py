"""The functions' AWS clients: botocore clients (what boto3.client returns) from a session whose data loader is
told which services the functions use.

Creating a client loads its service's model and endpoint rules. botocore's own loader first checks that the
service exists by listing every service directory it ships (about 450) and looking into each: once for the model,
once for the rules, some 20 ms of a cold start whose baseline (`import boto3` plus one client) is under 200 ms.
Told the services, it skips that listing and reads the same files (tests/unit/test_clients.py)."""

from __future__ import annotations

import functools
import threading
from typing import Any

import botocore.session
from botocore.config import Config
from botocore.loaders import Loader

SERVICES = ("dynamodb", "sns")
"""Every service a function calls (the functions' IAM roles allow no other)."""

# Short timeouts and one retry: a step must fail fast enough for the workflow to retry it, and compensate, within
# API Gateway's 29 s (functions time out after 1 to 5 s, template.yaml; see tests/unit/test_time_budget.py).
CLIENT_CONFIG = Config(retries={"mode": "standard", "total_max_attempts": 2}, connect_timeout=1, read_timeout=1)


class _KnownServicesLoader(Loader):  # type: ignore[misc]  # botocore has no type hints
    def list_available_services(self, type_name: str) -> list[str]:
        """The services botocore may load models of; a model missing for one still raises DataNotFoundError."""
        return sorted(SERVICES)


@functools.cache
def data_loader() -> Loader:
    """botocore's loader, told the services above: one per process, which keeps what it has read, so that every
    session reads each data file once. A Lambda container is one process, with one session; the emulator runs
    every function's container in one process, and their sessions share it (each used to read endpoints.json and
    DynamoDB's model again: about a second of each emulator's start)."""
    return _KnownServicesLoader()


def aws_session() -> botocore.session.Session:
    """A botocore session like the one boto3.client uses (region and credentials from the environment), with the
    loader above. Clients of one session share what it has loaded (the endpoint data)."""
    session = botocore.session.get_session()
    session.register_component("data_loader", data_loader())
    return session


def client(session: botocore.session.Session, service: str) -> Any:
    return session.create_client(service, config=CLIENT_CONFIG)


class LazyClient:
    """A client created at its first use, for clients most invocations never need."""

    def __init__(self, session: botocore.session.Session, service: str) -> None:
        self._session = session
        self._service = service
        self._client: Any = None
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        with self._lock:
            if self._client is None:
                self._client = client(self._session, self._service)
        return getattr(self._client, name)


def container_clients() -> tuple[Any, LazyClient]:
    """A function container's clients, from one session: DynamoDB now, SNS at its first use."""
    session = aws_session()
    return client(session, "dynamodb"), LazyClient(session, "sns")
