"""Concurrent clients: the org's limit holds exactly, an enquiry is charged once, and nothing fails with a 5xx."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests.http.support import (
    MID_NOVEMBER,
    assert_no_internals,
    balance,
    freeze_clock,
    limit_reached_notices,
    set_plan,
    set_user_limit,
    settled_balance,
)

BURST = 150
CLIENTS = 32
TRANSACTION_TIMES = {"default": None, "20ms": 0.02}
"""Each burst runs with the emulator's default time in flight per transaction, and with 20 ms (more conflicts)."""


def outcome(reply) -> str:
    """A reply as one word: its status, and its code when it has one."""
    code = reply.body.get("code") if isinstance(reply.body, dict) else None
    return f"{reply.status} {code}" if code else str(reply.status)


def in_parallel(workers: int, calls: list[Any]) -> list[Any]:
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(call) for call in calls]
        return [future.result() for future in futures]


@pytest.fixture(params=list(TRANSACTION_TIMES), ids=list(TRANSACTION_TIMES))
def transaction_time(request, cloud) -> Iterator[float]:
    seconds = TRANSACTION_TIMES[request.param]
    if seconds is None:
        yield cloud.isolation.transaction_seconds
        return
    with cloud.isolation.transaction_time(seconds):
        yield seconds


def burst(api, org_id: str, prefix: str) -> list[Any]:
    """BURST distinct enquiries from CLIENTS clients at once, from 7 users."""
    return [lambda n=n: api.use(org_id, f"{prefix}-{n}", f"user-{n % 7}") for n in range(BURST)]


@pytest.mark.slow
@pytest.mark.exclusive  # 150 requests from 32 clients: how the emulator holds up, so it needs the cores to itself
@pytest.mark.timeout(240)
def test_a_burst_of_150_enquiries_on_100_credits_charges_exactly_100(api, cloud, org_id, transaction_time):
    # Given an org on Basic with exactly 100 credits left
    freeze_clock(api, MID_NOVEMBER)
    set_plan(api, org_id, "Basic")
    assert balance(api, org_id)["remaining"] == 100
    conflicts_before = cloud.isolation.conflicts

    # When 150 distinct enquiries arrive at once from 32 clients, several users
    started = time.monotonic()
    replies = in_parallel(CLIENTS, burst(api, org_id, "burst"))
    elapsed = time.monotonic() - started
    final = settled_balance(api, cloud, org_id)

    # Then exactly 100 are charged, 50 are denied for the org's limit, none fails, and one LimitReached is sent
    for reply in replies:
        assert_no_internals(reply)
    observed = {
        "answers": dict(Counter(outcome(reply) for reply in replies)),
        "used": final["used"],
        "LimitReached notices": len(limit_reached_notices(api, org_id, "2026-11")),
    }
    assert observed == {
        "answers": {"201": 100, "402 ORG_LIMIT_REACHED": 50},
        "used": 100,
        "LimitReached notices": 1,
    }, f"after {elapsed:.1f} s at {transaction_time * 1000:.0f} ms a transaction"
    # and the transactions did meet each other, as on DynamoDB
    assert cloud.isolation.conflicts > conflicts_before


@pytest.mark.slow
@pytest.mark.exclusive  # as the burst above
@pytest.mark.timeout(240)
def test_a_plan_change_and_a_top_up_in_the_middle_of_a_burst_both_succeed_and_the_books_agree(
    api, cloud, org_id, transaction_time
):
    # Given an org on Basic with 100 credits
    freeze_clock(api, MID_NOVEMBER)
    set_plan(api, org_id, "Basic")

    # When 150 enquiries arrive from 32 clients, and an upgrade and a top-up are sent while they are charged
    staff: dict[str, Any] = {}

    def staff_calls() -> None:
        time.sleep(0.5)
        staff["plan"] = api.set_plan(org_id, "Enterprise")
        staff["top-up"] = api.top_up(org_id, 25, "mid-burst")

    staff_thread = threading.Thread(target=staff_calls)
    staff_thread.start()
    replies = in_parallel(CLIENTS, burst(api, org_id, "mixed"))
    staff_thread.join(120)
    final = settled_balance(api, cloud, org_id)

    # Then both staff calls succeeded and every use was charged or denied for the limit, nothing else
    assert (staff["plan"].status, staff["top-up"].status) == (200, 201), (staff["plan"].body, staff["top-up"].body)
    answers = Counter(outcome(reply) for reply in replies)
    assert set(answers) <= {"201", "402 ORG_LIMIT_REACHED"}, answers
    # and the books agree: the org's count, each user's count and the ledger are the 201s
    charged = [reply.body for reply in replies if reply.status == 201]
    assert final["used"] == len(charged) == answers["201"]
    assert final["limit"] == 500 + 25
    per_user = Counter(body["userId"] for body in charged)
    for user_id in (f"user-{n}" for n in range(7)):
        assert balance(api, org_id, user_id)["user"]["used"] == per_user[user_id], user_id
    ledger = {body["enquiryId"] for body in charged}
    assert len(ledger) == len(charged)
    for enquiry_id in ledger:  # each charged enquiry is in the ledger: the same request again is a replay
        user_id = next(body["userId"] for body in charged if body["enquiryId"] == enquiry_id)
        replay = api.use(org_id, enquiry_id, user_id)
        assert (replay.status, replay.body.get("replayed")) == (200, True), replay.body
    assert balance(api, org_id)["used"] == len(charged)
    # and the audit finds them agreeing, entry by entry (GET /orgs/{orgId}/audit, docs/rules.md "The books audited")
    audited = api.call("GET", f"/orgs/{org_id}/audit?period=2026-11").body
    assert audited["drift"] == [], audited
    assert (audited["ledger"]["charged"], audited["ledger"]["topUps"]) == (len(charged), 25)
    assert audited["ledger"]["users"] == dict(per_user)


@pytest.mark.timeout(120)
def test_the_same_enquiry_sent_20_times_at_once_is_charged_once(api, cloud, org_id):
    # Given an org on Basic
    freeze_clock(api, MID_NOVEMBER)
    set_plan(api, org_id, "Basic")

    # When the same user sends the same enquiry 20 times at once
    replies = in_parallel(20, [lambda: api.use(org_id, "one-enquiry", "alice") for _ in range(20)])

    # Then one request charges it, the others see a replay or that it is in progress, and none fails
    answers = Counter(outcome(reply) for reply in replies)
    assert set(answers) <= {"201", "200", "409 ENQUIRY_IN_PROGRESS"}, answers
    assert answers["201"] == 1, answers
    assert all(reply.body["replayed"] is True for reply in replies if reply.status == 200)
    final = settled_balance(api, cloud, org_id)
    assert final["used"] == 1
    assert balance(api, org_id, "alice")["user"]["used"] == 1


@pytest.mark.timeout(120)
def test_concurrent_enquiries_of_one_user_stop_exactly_at_the_user_limit(api, cloud, org_id):
    # Given an org on Basic that caps each user at 5
    freeze_clock(api, MID_NOVEMBER)
    set_plan(api, org_id, "Basic")
    set_user_limit(api, org_id, 5)

    # When one user sends 20 distinct enquiries at once
    replies = in_parallel(20, [lambda n=n: api.use(org_id, f"capped-{n}", "alice") for n in range(20)])

    # Then 5 are charged, 15 are denied for the user's limit, and the denials cost the org nothing
    assert Counter(outcome(reply) for reply in replies) == {"201": 5, "402 USER_LIMIT_REACHED": 15}
    final = settled_balance(api, cloud, org_id)
    assert final["used"] == 5
    assert balance(api, org_id, "alice")["user"]["used"] == 5


@pytest.mark.timeout(120)
def test_the_same_top_up_sent_10_times_at_once_is_added_once(api, org_id):
    # Given an org on Basic
    freeze_clock(api, MID_NOVEMBER)
    set_plan(api, org_id, "Basic")

    # When the same top-up is sent 10 times at once
    replies = in_parallel(10, [lambda: api.top_up(org_id, 7, "invoice-7") for _ in range(10)])

    # Then it is added once and every other answer acknowledges it
    assert Counter(outcome(reply) for reply in replies) == {"201": 1, "200": 9}
    assert balance(api, org_id)["topUpCredits"] == 7


@pytest.mark.timeout(120)
def test_distinct_top_ups_sent_at_once_are_all_added(api, org_id):
    # Given an org on Basic
    freeze_clock(api, MID_NOVEMBER)
    set_plan(api, org_id, "Basic")

    # When 10 different top-ups of 7 are sent at once
    replies = in_parallel(10, [lambda n=n: api.top_up(org_id, 7, f"invoice-{n}") for n in range(10)])

    # Then all are added
    assert Counter(outcome(reply) for reply in replies) == {"201": 10}
    assert balance(api, org_id)["topUpCredits"] == 70


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_an_enquiry_retried_after_its_org_step_timed_out_is_charged_exactly_once(api, cloud, org_id):
    # Given an org on Basic whose org-credit step is slower than its 8 s Step Functions timeout
    freeze_clock(api, MID_NOVEMBER)
    set_plan(api, org_id, "Basic")

    def slow_org_step(name: str, event: dict[str, Any]) -> None:
        if name == "ReserveOrgCreditFunction" and event.get("charge", {}).get("orgId") == org_id:
            time.sleep(9)

    cloud.invocation_hooks.append(slow_org_step)

    # When an enquiry is sent while the step is that slow (it may fail with a 5xx), the step recovers,
    # and the client retries the enquiry
    first = api.use(org_id, "slow-enquiry")
    assert first.status in (201, 503, 504), first.body
    time.sleep(2)  # the last slow attempt is still running when the client is answered
    cloud.invocation_hooks.clear()
    retried = api.use(org_id, "slow-enquiry")

    # Then the retry is charged (or replayed), and the org paid for the enquiry exactly once
    assert retried.status in (200, 201), retried.body
    assert settled_balance(api, cloud, org_id)["used"] == 1
