"""Clock adapters. Handlers read time only through the clock port, so the local emulator can freeze it."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from domain.ports import Clock


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class SettableClock:
    """Real time until frozen at an instant; the emulator's PUT/DELETE /_local/clock drive it."""

    def __init__(self) -> None:
        self._frozen: datetime | None = None
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            frozen = self._frozen
        return frozen if frozen is not None else datetime.now(UTC)

    def freeze(self, instant: datetime) -> None:
        if instant.tzinfo is None:
            raise ValueError("the clock is frozen at a timezone-aware instant")
        with self._lock:
            self._frozen = instant.astimezone(UTC)

    def thaw(self) -> None:
        with self._lock:
            self._frozen = None

    @property
    def frozen_at(self) -> datetime | None:
        with self._lock:
            return self._frozen


class _ClockSlot:
    """The clock every function reads: the system clock, unless the local emulator installs its own."""

    def __init__(self) -> None:
        self.clock: Clock = SystemClock()

    def now(self) -> datetime:
        return self.clock.now()


clock_slot = _ClockSlot()
