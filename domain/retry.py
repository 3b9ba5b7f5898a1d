"""How a step keeps trying a conditional write that lost a race: it reads again and decides again, after a
jittered pause, for as long as its share of the workflow's time allows (not for a fixed number of tries).

On DynamoDB concurrent charges of one org cancel each other's transactions (TransactionConflict) and make each
other's conditions fail; how many tries a burst needs depends on the burst, so the bound is time: the step stops
trying while there is still time left to answer (`reserve_seconds`) before its function times out.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

DEFAULT_BUDGET_SECONDS = 1.5
"""How long to keep trying when the caller gives no deadline (a call outside a Lambda invocation)."""


def _uniform(low: float, high: float) -> float:
    return random.uniform(low, high)  # noqa: S311  # jitter, not cryptography


@dataclass(frozen=True)
class Retry:
    """Full-jitter exponential backoff (each pause uniform in [0, min(longest, first * 2**attempt, left / 16)]),
    bounded by a deadline on the monotonic clock. Every part is injectable, so tests run it on a fake clock."""

    pause: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    jitter: Callable[[float, float], float] = field(default=_uniform)
    first_pause_seconds: float = 0.05
    longest_pause_seconds: float = 0.25
    reserve_seconds: float = 0.3
    """Time kept back for the last try and the step's answer."""

    def deadline_in(self, seconds: float) -> float:
        return self.clock() + seconds

    def attempts(self, deadline: float | None = None) -> Iterator[int]:
        """0, 1, 2, ... with a pause before each retry; ends when the next pause would leave less than
        `reserve_seconds` before `deadline` (default: DEFAULT_BUDGET_SECONDS from the first attempt)."""
        if deadline is None:
            deadline = self.deadline_in(DEFAULT_BUDGET_SECONDS)
        attempt = 0
        while True:
            yield attempt
            attempt += 1
            left = deadline - self.clock() - self.reserve_seconds
            delay = self.delay(attempt, left)
            if left - delay < 0:
                return
            self.pause(delay)

    def delay(self, attempt: int, left: float | None = None) -> float:
        """The pause before try `attempt`. It also shrinks as the deadline nears (at most a sixteenth of the time
        left): a step that has waited long tries more often than one that just began, so under a burst the
        oldest requests win the next free moment instead of starving behind newcomers."""
        ceiling = min(self.longest_pause_seconds, self.first_pause_seconds * 2**attempt)
        if left is not None:
            ceiling = min(ceiling, max(left / 16, self.first_pause_seconds / 2))
        return self.jitter(0.0, ceiling)

    def tries(self, count: int, first_step: int = 4) -> Iterator[int]:
        """0 .. count - 1, with a jittered pause before each retry, for loops bounded by a count (publishing a
        notice, confirming it). The pause before try n is delay(n + first_step - 1): from the fourth step on,
        the longest pause."""
        for attempt in range(count):
            if attempt:
                self.backoff(attempt + first_step - 1)
            yield attempt

    def backoff(self, attempt: int) -> None:
        """One jittered pause, for loops bounded by a count (publishing a notice, confirming it)."""
        self.pause(self.delay(attempt))
