"""GET /orgs/{orgId}/usage, /usage/{enquiryId} and /top-ups: what an org was charged, by whom and when, page by page,
newest first; one enquiry's charge and the execution that charged it; a month's top-ups."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta

import pytest

from tests.http import support as http

NOVEMBER_10 = datetime(2026, 11, 10, 12, 0, tzinfo=UTC)


def _at(instant: datetime) -> str:
    return instant.isoformat().replace("+00:00", "Z")


def _charge_at(api, org_id, instant: datetime, enquiry_ids: list[str]) -> None:
    """The enquiries charged in the same instant (the clock standing at `instant`), in no particular order; three users.

    One at a time: the order of the listing is what is tested here, not contention, which the bursts of
    tests/http/test_concurrency.py test alone on the machine (eight clients on one org here, beside five other test
    processes on two cores, once kept a step from landing within its Timeout)."""
    http.freeze_clock(api, _at(instant))
    shuffled = random.Random(instant.minute).sample(list(enumerate(enquiry_ids)), len(enquiry_ids))
    for n, enquiry_id in shuffled:
        reply = api.use(org_id, enquiry_id, f"user-{n % 3}")
        assert reply.status == 201, (enquiry_id, reply.status, reply.body)


def _page(api, org_id, **query) -> dict:
    reply = api.usage(org_id, **query)
    assert reply.status == 200, reply.body
    return reply.body


@pytest.mark.slow
def test_250_charges_are_listed_in_pages_of_100_each_once_newest_first_while_charges_go_on(api, org_id):
    # Given 250 charges of November on Ultimate: ten minutes, 25 charged at once in each
    http.freeze_clock(api, _at(NOVEMBER_10))
    http.set_plan(api, org_id, "Ultimate")
    minutes = {minute: [f"enq-{minute:02d}-{n:02d}" for n in range(25)] for minute in range(10)}
    for minute, enquiry_ids in minutes.items():
        _charge_at(api, org_id, NOVEMBER_10 + timedelta(minutes=minute), enquiry_ids)
    # newest first: by the minute charged, then (charged in the same instant) by enquiry id, descending
    expected = [enquiry_id for minute in reversed(minutes) for enquiry_id in sorted(minutes[minute], reverse=True)]

    # When they are listed 100 at a time, and 10 more are charged before each of the next pages
    pages = [_page(api, org_id, period="2026-11", limit=100)]
    for later in (20, 21):
        _charge_at(api, org_id, NOVEMBER_10 + timedelta(minutes=later), [f"new-{later}-{n}" for n in range(10)])
        pages.append(_page(api, org_id, period="2026-11", limit=100, cursor=pages[-1]["cursor"]))

    # Then the three pages hold the 250, each exactly once, newest first, and say the last is the last
    listed = [item["enquiryId"] for page in pages for item in page["items"]]
    assert [len(page["items"]) for page in pages] == [100, 100, 50]
    assert listed == expected
    assert [page["cursor"] is None for page in pages] == [False, False, True]
    first = pages[0]["items"][0]
    assert first == {
        "enquiryId": "enq-09-24",
        "userId": first["userId"],
        "window": "2026-11",
        "chargedAt": "2026-11-10T12:09:00Z",
        "state": "CHARGED",
        "executionName": first["executionName"],
    }
    # and a listing started now has the 20 charged meanwhile at its head
    again = _page(api, org_id, period="2026-11", limit=100)
    assert [item["enquiryId"][:6] for item in again["items"][:20]] == ["new-21"] * 10 + ["new-20"] * 10
    assert [item["enquiryId"] for item in again["items"][20:]] == expected[:80]


def test_one_users_charges_are_listed_apart(api, org_id):
    # Given an org whose three users ran 9 enquiries
    http.freeze_clock(api, _at(NOVEMBER_10))
    http.set_plan(api, org_id, "Basic")
    for n in range(9):
        http.freeze_clock(api, _at(NOVEMBER_10 + timedelta(seconds=n)))
        assert api.use(org_id, f"enq-{n}", f"user-{n % 3}").status == 201

    # When user-1's are listed two at a time
    first = _page(api, org_id, userId="user-1", limit=2, period="2026-11")
    rest = _page(api, org_id, userId="user-1", limit=2, period="2026-11", cursor=first["cursor"])

    # Then they are hers only, newest first
    assert [item["enquiryId"] for item in first["items"] + rest["items"]] == ["enq-7", "enq-4", "enq-1"]
    assert {item["userId"] for item in first["items"] + rest["items"]} == {"user-1"}
    assert rest["cursor"] is None


def test_a_refunded_charge_is_listed_as_refunded_and_the_default_is_this_month(api, org_id):
    # Given two charges of this month, one of them refunded
    http.freeze_clock(api, _at(NOVEMBER_10))
    http.set_plan(api, org_id, "Basic")
    http.charge(api, org_id, 2)
    http.freeze_clock(api, _at(NOVEMBER_10 + timedelta(hours=1)))
    assert api.refund(org_id, "enq-0", "report failed to deliver").status == 201

    # When the ledger is listed without a period
    page = _page(api, org_id)

    # Then it is November's, the refund shown with when and why, and nothing more to page through
    assert (page["orgId"], page["period"], page["cursor"]) == (org_id, "2026-11", None)
    assert [(item["enquiryId"], item["state"]) for item in page["items"]] == [
        ("enq-1", "CHARGED"),
        ("enq-0", "REFUNDED"),
    ]
    assert page["items"][1]["refundedAt"] == "2026-11-10T13:00:00Z"
    assert page["items"][1]["refundReason"] == "report failed to deliver"
    assert "refundedAt" not in page["items"][0]
    assert _page(api, org_id, period="2026-10")["items"] == []


def test_a_trials_charges_are_listed_under_trial(api, org_id):
    http.freeze_clock(api, _at(NOVEMBER_10))
    http.set_plan(api, org_id, "Trial")
    http.charge(api, org_id, 2)

    trial = _page(api, org_id, period="TRIAL")

    assert [(item["enquiryId"], item["window"]) for item in trial["items"]] == [("enq-1", "TRIAL"), ("enq-0", "TRIAL")]
    assert _page(api, org_id, period="2026-11")["items"] == []


def test_one_enquirys_charge_names_the_execution_that_charged_it(api, cloud, org_id):
    # Given an enquiry charged
    http.freeze_clock(api, _at(NOVEMBER_10))
    http.set_plan(api, org_id, "Basic")
    assert api.use(org_id, "enq-1", "alice").status == 201

    # When support looks it up
    reply = api.get_charge(org_id, "enq-1")

    # Then it names the execution that charged it, whose history the emulator keeps: the saga that charged it
    assert reply.status == 200, reply.body
    assert reply.body == {
        "orgId": org_id,
        "enquiryId": "enq-1",
        "userId": "alice",
        "window": "2026-11",
        "chargedAt": "2026-11-10T12:00:00Z",
        "state": "CHARGED",
        "executionName": reply.body["executionName"],
    }
    use_credit = cloud.stack.state_machines["UseCreditStateMachine"].arn
    stepfunctions = cloud.client("stepfunctions")
    (execution,) = [
        listed
        for listed in stepfunctions.list_executions(stateMachineArn=use_credit)["executions"]
        if listed["name"] == reply.body["executionName"]
    ]
    history = cloud.execution_history(execution["executionArn"])
    entered = [event["stateEnteredEventDetails"]["name"] for event in history if event["type"].endswith("StateEntered")]
    assert {"ReserveOrgCredit", "ReserveUserCredit"} <= set(entered), entered
    succeeded = json.loads(stepfunctions.describe_execution(executionArn=execution["executionArn"])["output"])
    assert (succeeded["enquiryId"], succeeded["charged"]) == ("enq-1", True)


@pytest.mark.parametrize("how", ["never-charged", "denied"])
def test_an_enquiry_that_was_not_charged_is_not_found(api, org_id, how):
    http.freeze_clock(api, _at(NOVEMBER_10))
    http.set_plan(api, org_id, "Lite")
    http.charge(api, org_id, 20)
    if how == "denied":
        http.assert_rejected(api.use(org_id, "the-enquiry"), 402, "ORG_LIMIT_REACHED")

    http.assert_rejected(api.get_charge(org_id, "the-enquiry"), 404, "ENQUIRY_NOT_FOUND")


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ({"period": "2026-13"}, "INVALID_PERIOD"),
        ({"period": "november"}, "INVALID_PERIOD"),
        ({"period": ""}, "INVALID_PERIOD"),
        ({"limit": 0}, "INVALID_FIELD"),
        ({"limit": 101}, "INVALID_FIELD"),
        ({"limit": "ten"}, "INVALID_FIELD"),
        ({"cursor": "not-a-cursor"}, "INVALID_CURSOR"),
        ({"userId": ""}, "INVALID_ID"),
    ],
    ids=lambda value: str(value),
)
def test_a_bad_listing_is_refused_with_a_code(api, org_id, query, code):
    http.assert_rejected(api.usage(org_id, **query), 400, code)


def test_a_cursor_of_another_listing_is_refused(api, org_id):
    http.freeze_clock(api, _at(NOVEMBER_10))
    http.set_plan(api, org_id, "Basic")
    http.charge(api, org_id, 3)
    cursor = _page(api, org_id, period="2026-11", limit=1)["cursor"]

    http.assert_rejected(api.usage(org_id, period="2026-11", userId="user-1", cursor=cursor), 400, "INVALID_CURSOR")
    http.assert_rejected(api.usage(org_id, period="2026-10", cursor=cursor), 400, "INVALID_CURSOR")
    http.assert_rejected(api.usage(f"{org_id}-other", period="2026-11", cursor=cursor), 400, "INVALID_CURSOR")


def test_a_months_top_ups_are_listed_newest_first(api, org_id):
    # Given two top-ups in November (one without an id) and one in December
    http.freeze_clock(api, _at(NOVEMBER_10))
    http.set_plan(api, org_id, "Basic")
    http.top_up(api, org_id, 50, "zendesk-4711")
    http.freeze_clock(api, _at(NOVEMBER_10 + timedelta(days=1)))
    http.top_up(api, org_id, 5)
    http.freeze_clock(api, "2026-12-02T09:00:00Z")
    http.top_up(api, org_id, 7, "december-1")

    # When November's are listed
    reply = api.top_ups(org_id, "2026-11")

    # Then they are November's, newest first
    assert reply.status == 200, reply.body
    assert (reply.body["orgId"], reply.body["period"], reply.body["truncated"]) == (org_id, "2026-11", False)
    assert [(item["credits"], item["recordedAt"]) for item in reply.body["items"]] == [
        (5, "2026-11-11T12:00:00Z"),
        (50, "2026-11-10T12:00:00Z"),
    ]
    assert reply.body["items"][1] == {
        "topUpId": "zendesk-4711",
        "credits": 50,
        "reason": None,
        "recordedAt": "2026-11-10T12:00:00Z",
    }
    # and without a period, the month now falls in
    assert [item["topUpId"] for item in api.top_ups(org_id).body["items"]] == ["december-1"]


@pytest.mark.parametrize("period", ["TRIAL", "2026-13", "Nov"])
def test_top_ups_of_something_that_is_not_a_month_are_refused(api, org_id, period):
    http.assert_rejected(api.top_ups(org_id, period), 400, "INVALID_PERIOD")
