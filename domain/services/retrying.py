"""How a use case writes under optimistic concurrency: read, decide, write under the conditions of what it read;
when the write lost a race, write the same decision again or decide again from a new read, for as long as the
step's time allows (domain/retry.py paces the tries). The one copy of that loop, for every use case that writes."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from domain.errors import WriteContended
from domain.ports import StaleRead, WriteConflict
from domain.retry import Retry

Answer = TypeVar("Answer")


def answered(answer: Answer) -> Callable[[bool], Answer]:
    """A decision that needs no write: the answer is already known (a replay, a retried step's own write)."""
    return lambda exact: answer


def write_until_it_lands(
    retry: Retry,
    deadline: float | None,
    decide: Callable[[], Callable[[bool], Answer] | None],
    gave_up: str,
    read_again_after: tuple[type[Exception], ...] = (),
) -> Answer:
    """Decide from a read (`decide`) and write the decision, until a write lands or the time is up.

    A decision is a function of `exact` (True on the first try only) that writes and answers, or raises what the
    store raises when the write lost a race; `answered` makes one that needs no write.

    WriteConflict (a write in flight on one of the items, no condition failed): the same decision is written
    again after a pause. StaleRead, or one of `read_again_after`: what was read changed, so it is read and
    decided again. `decide` answering None asks for the same (it changed something that a new read shows).
    The first write is exact: it learns the exact place in the count for free; once others are writing too,
    that is given up rather than keep losing the race (no limit ever is). When the time is up: WriteContended,
    which the workflow retries."""
    read_again: tuple[type[Exception], ...] = (StaleRead, *read_again_after)
    decided: Callable[[bool], Answer] | None = None
    for attempt in retry.attempts(deadline):
        if decided is None:
            decided = decide()
            if decided is None:
                continue
        try:
            return decided(attempt == 0)
        except WriteConflict:
            continue
        except read_again:
            decided = None
    raise WriteContended(gave_up)
