"""A step keeps trying a write that lost a race for as long as its time allows: jittered pauses that grow to a
cap, shrink as the deadline nears (the oldest requests retry most often), and stop with time left to answer."""

from __future__ import annotations

import pytest

from domain.retry import DEFAULT_BUDGET_SECONDS, Retry
from tests.fakes import FakeTimer


def tries_and_pauses(deadline: float | None) -> tuple[int, list[float], Retry]:
    timer = FakeTimer()
    retry = timer.retry()
    tries = sum(1 for _ in retry.attempts(deadline))
    return tries, timer.pauses, retry


def test_the_first_try_is_at_once_and_pauses_double_up_to_their_cap():
    tries, pauses, retry = tries_and_pauses(deadline=30.0)

    first = retry.first_pause_seconds
    assert pauses[:2] == pytest.approx([2 * first, 4 * first])
    assert max(pauses) == retry.longest_pause_seconds
    assert pauses[2:50] == [retry.longest_pause_seconds] * 48  # until the deadline nears (the test below)
    assert tries == len(pauses) + 1


def test_the_step_stops_trying_while_it_still_has_its_reserve_to_answer():
    _, pauses, retry = tries_and_pauses(deadline=4.0)

    assert sum(pauses) <= 4.0 - retry.reserve_seconds
    assert sum(pauses) > 4.0 - retry.reserve_seconds - retry.longest_pause_seconds


def test_pauses_shrink_as_the_deadline_nears_so_the_oldest_request_tries_most_often():
    _, pauses, retry = tries_and_pauses(deadline=4.0)

    spent = 0.0
    for pause in pauses:
        left = 4.0 - spent - retry.reserve_seconds
        assert pause <= max(left / 16, retry.first_pause_seconds / 2)
        spent += pause
    assert pauses[-1] < retry.longest_pause_seconds / 2


def test_without_a_deadline_the_default_budget_applies():
    _, pauses, retry = tries_and_pauses(deadline=None)

    assert DEFAULT_BUDGET_SECONDS - retry.reserve_seconds - retry.longest_pause_seconds < sum(pauses)
    assert sum(pauses) <= DEFAULT_BUDGET_SECONDS - retry.reserve_seconds


def test_a_deadline_already_past_allows_one_try_and_no_pause():
    tries, pauses, _ = tries_and_pauses(deadline=0.1)

    assert (tries, pauses) == (1, [])


def test_a_loop_bounded_by_a_count_pauses_only_between_its_tries_and_at_the_longest():
    timer = FakeTimer()
    retry = timer.retry()

    tries = list(retry.tries(3))

    assert tries == [0, 1, 2]
    assert timer.pauses == [retry.longest_pause_seconds] * 2
