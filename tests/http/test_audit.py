"""GET /orgs/{orgId}/audit: an org's counters held to its ledger for a window, over HTTP on the emulator. Books that
every kind of decision wrote agree; a counter changed behind the service's back is reported exactly."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from tests.http import support as http
from tests.integration.workflows import Fault, always, inject

NOVEMBER_10 = "2026-11-10T12:00:00Z"
TABLE = "credits-local"


def _audit(api, org_id: str, period: str | None = None) -> dict[str, Any]:
    reply = api.call("GET", f"/orgs/{org_id}/audit" + ("" if period is None else f"?period={period}"))
    assert reply.status == 200, reply.body
    return reply.body


def assert_books_agree(api, org_id: str, period: str | None = None) -> dict[str, Any]:
    """The self-check any scenario may end with: the org's books for the window agree."""
    audited = _audit(api, org_id, period)
    assert audited["drift"] == [], audited
    assert audited["counters"]["used"] == audited["ledger"]["used"]
    assert audited["counters"]["topUps"] == audited["ledger"]["topUps"]
    assert audited["counters"]["users"] == audited["ledger"]["users"]
    return audited


def test_an_org_with_every_kind_of_decision_audits_clean(api, org_id):
    # Given an org on Basic with a per-user limit: charges, a replay, denials, refunds, top-ups, a plan change
    http.freeze_clock(api, NOVEMBER_10)
    http.set_plan(api, org_id, "Basic")
    http.set_user_limit(api, org_id, 3)
    for n in range(3):
        assert api.use(org_id, f"alice-{n}", "alice").status == 201
    assert api.use(org_id, "alice-0", "alice").status == 200  # a replay
    http.assert_rejected(api.use(org_id, "alice-3", "alice"), 402, "USER_LIMIT_REACHED")
    http.assert_rejected(api.use(org_id, "alice-0", "bob"), 409, "ENQUIRY_CHARGED_TO_ANOTHER_USER")
    assert api.refund(org_id, "alice-1", "not delivered").status == 201
    http.top_up(api, org_id, 5, "goodwill")
    http.top_up(api, org_id, 2)
    http.set_plan(api, org_id, "Lite")  # mid-month: the month's usage carries over
    http.set_user_limit(api, org_id, None)
    for n in range(25):  # to Lite's 20 and the 7 topped up
        assert api.use(org_id, f"bob-{n}", "bob").status == 201
    http.assert_rejected(api.use(org_id, "bob-25", "bob"), 402, "ORG_LIMIT_REACHED")

    # When it is audited
    audited = assert_books_agree(api, org_id)

    # Then the counters and the ledger agree, and say the same as the balance
    assert audited["period"] == "2026-11"
    assert audited["counters"] == {"used": 27, "topUps": 7, "users": {"alice": 2, "bob": 25}}
    assert audited["ledger"] | {"users": {}} == {
        "used": 27,
        "charged": 27,
        "reserved": 0,
        "refunded": 1,
        "topUps": 7,
        "users": {},
    }
    assert http.balance(api, org_id)["used"] == 27


@pytest.mark.books_disagree
def test_an_org_counter_changed_by_hand_is_reported_exactly(api, cloud, org_id):
    http.freeze_clock(api, NOVEMBER_10)
    http.set_plan(api, org_id, "Basic")
    http.charge(api, org_id, 4)
    http.set_counter(cloud.client("dynamodb"), org_id, "USAGE#2026-11", 7)

    drift = _audit(api, org_id, "2026-11")["drift"]

    assert drift == [
        {
            "kind": "ORG_USED",
            "subject": "org",
            "counter": 7,
            "ledger": 4,
            "entries": ["enq-0", "enq-1", "enq-2", "enq-3"],
        }
    ]


@pytest.mark.books_disagree
def test_a_user_counter_changed_by_hand_is_reported_exactly(api, cloud, org_id):
    http.freeze_clock(api, NOVEMBER_10)
    http.set_plan(api, org_id, "Basic")
    http.charge(api, org_id, 2, user_id="alice")
    http.charge(api, org_id, 1, prefix="other", user_id="bob")
    http.set_counter(cloud.client("dynamodb"), org_id, "USER#alice#2026-11", 0)

    drift = _audit(api, org_id)["drift"]

    assert drift == [
        {"kind": "USER_USED", "subject": "user:alice", "counter": 0, "ledger": 2, "entries": ["enq-0", "enq-1"]}
    ]


def test_a_reservation_a_failed_compensation_left_is_stale_until_the_sweep_gives_it_back(api, cloud, org_id):
    # Given an enquiry whose user step and compensation both crashed: its org credit left reserved
    http.freeze_clock(api, NOVEMBER_10)
    http.set_plan(api, org_id, "Basic")
    inject(cloud, Fault("ReserveUserCreditFunction", lambda: RuntimeError("a bug"), always))
    inject(cloud, Fault("ReleaseOrgCreditFunction", lambda: RuntimeError("another bug"), always))
    http.assert_rejected(api.use(org_id, "enq-1"), 503, "SERVICE_UNAVAILABLE")
    cloud.invocation_hooks.clear()

    # Then at once it is a reservation in flight: counted, and the books agree
    assert assert_books_agree(api, org_id)["ledger"]["reserved"] == 1
    # six minutes later it is stale
    http.freeze_clock(api, _later(NOVEMBER_10, minutes=6))
    (stale,) = _audit(api, org_id)["drift"]
    assert (stale["kind"], stale["subject"], stale["entries"]) == ("STALE_RESERVATION", "enquiry:enq-1", ["enq-1"])
    # and once the sweep has given it back, the books agree again, with nothing used
    cloud.invoke("SweepReservationsFunction", {"source": "aws.events"})
    assert assert_books_agree(api, org_id)["counters"]["used"] == 0


def test_a_trial_is_audited_as_its_own_window(api, org_id):
    # Given an org that used its trial, then signed up in the same month
    http.freeze_clock(api, NOVEMBER_10)
    http.set_plan(api, org_id, "Trial")
    http.charge(api, org_id, 4, prefix="trial", user_id="alice")
    assert _audit(api, org_id)["period"] == "TRIAL"  # the current window, while on a trial
    http.set_plan(api, org_id, "Basic")
    http.charge(api, org_id, 2, user_id="alice")

    # Then the trial's books and the month's agree apart, and alice's month counts both
    trial = assert_books_agree(api, org_id, "TRIAL")
    month = assert_books_agree(api, org_id)
    assert (trial["counters"]["used"], month["counters"]["used"]) == (4, 2)
    assert month["counters"]["users"] == {"alice": 6}


def test_a_period_that_is_not_a_window_is_refused(api, org_id):
    reply = api.call("GET", f"/orgs/{org_id}/audit?period=november")
    http.assert_rejected(reply, 400, "INVALID_PERIOD")


def _later(instant: str, minutes: int) -> str:
    moved = datetime.fromisoformat(instant.replace("Z", "+00:00")) + timedelta(minutes=minutes)
    return moved.isoformat().replace("+00:00", "Z")


@pytest.mark.books_disagree
def test_the_daily_audit_finds_a_counter_changed_by_hand_and_its_alarm_fires(api, cloud, org_id):
    # Given a clean CloudWatch, and an org active in a month of its own whose counter was changed by hand
    assert cloud.wait_until_idle(30)
    cloud.forget_metrics()
    http.freeze_clock(api, "2027-04-10T09:00:30Z")
    assert cloud.run_workflow("AuditEveryOrgStateMachine", {}, timeout=60).status == "SUCCEEDED"
    http.freeze_clock(api, "2027-04-10T10:00:30Z")
    cloud.invoke("SweepReservationsFunction", {"source": "aws.events"})
    http.set_plan(api, org_id, "Basic")
    http.charge(api, org_id, 3)
    http.set_counter(cloud.client("dynamodb"), org_id, "USAGE#2027-04", 5)

    # When the daily audit runs (as its schedule starts it)
    run = cloud.run_workflow("AuditEveryOrgStateMachine", {}, timeout=120)

    # Then it succeeded, found the org's drift, and its alarm fires once that minute has been judged
    assert run.status == "SUCCEEDED", (run.error, run.cause)
    http.freeze_clock(api, "2027-04-10T10:01:05Z")
    states = {alarm["name"]: alarm["state"] for alarm in api.call("GET", "/_local/alarms").body["alarms"]}
    assert states["credits-local-audit-drift"] == "ALARM"
    assert {name for name, state in states.items() if state != "OK"} == {"credits-local-audit-drift"}
