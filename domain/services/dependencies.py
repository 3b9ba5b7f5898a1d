"""What every use case is given: the ports it reads and writes through, and how long it keeps trying."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from domain.periods import require_utc
from domain.ports import Clock, CreditStore, Notifier
from domain.retry import Retry


@dataclass(frozen=True)
class Dependencies:
    store: CreditStore
    clock: Clock
    notifier: Notifier | None
    """None: notices are neither claimed nor published (a service that only decides)."""
    retry: Retry

    def now(self) -> datetime:
        return require_utc(self.clock.now())
