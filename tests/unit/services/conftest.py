"""The use cases over in-memory ports, a clock that stands still and a retry policy on a fake timer."""

from __future__ import annotations

import pytest

from domain.services import CreditService
from tests.fakes import FakeTimer, FixedClock, InMemoryCreditStore, RecordingNotifier, no_pauses
from tests.unit.services.support import MARCH_10


@pytest.fixture
def store() -> InMemoryCreditStore:
    return InMemoryCreditStore()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(MARCH_10)


@pytest.fixture
def notifier() -> RecordingNotifier:
    return RecordingNotifier()


@pytest.fixture
def timer() -> FakeTimer:
    return FakeTimer()


@pytest.fixture
def pauses(timer: FakeTimer) -> list[float]:
    return timer.pauses


@pytest.fixture
def service(
    store: InMemoryCreditStore, clock: FixedClock, notifier: RecordingNotifier, timer: FakeTimer
) -> CreditService:
    return CreditService(store, clock, notifier, retry=timer.retry())


@pytest.fixture
def other(store: InMemoryCreditStore, clock: FixedClock) -> CreditService:
    """Another request's service over the same store and clock: a concurrent writer, which does not pause."""
    return CreditService(store, clock, retry=no_pauses())
