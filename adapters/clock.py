"""Clock adapters. Handlers read time only through the clock port they are built with (adapters.runtime.bootstrap),
so the local emulator can give them one it freezes."""

from __future__ import annotations

import threading
from datetime import UTC, datetime


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
