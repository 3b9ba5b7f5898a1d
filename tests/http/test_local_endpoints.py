"""The emulator-only endpoints under /_local: the clock tests move, and the notifications customer success gets."""

from __future__ import annotations

import pytest

from tests.http.support import assert_rejected, balance, charge, freeze_clock, set_plan


def test_freezing_the_clock_fixes_now_and_thawing_releases_it(api):
    # When the clock is frozen
    frozen = api.freeze_clock("2026-11-30T23:59:00Z")

    # Then it reports the frozen instant until it is thawed
    assert frozen.status == 200
    assert frozen.body["frozen"] is True
    assert api.call("GET", "/_local/clock").body == frozen.body
    thawed = api.thaw_clock()
    assert thawed.status == 200
    assert thawed.body["frozen"] is False
    assert api.call("GET", "/_local/clock").body["frozen"] is False


def test_a_frozen_clock_decides_the_period_of_the_service(api, org_id):
    # When the clock is frozen in March 2027
    freeze_clock(api, "2027-03-15T10:00:00Z")

    # Then the service works in that period
    assert balance(api, org_id)["period"] == "2027-03"


def test_the_clock_takes_an_instant_with_any_utc_offset(api, org_id):
    # When the clock is frozen at midnight in Paris on 1 December
    reply = api.freeze_clock("2026-12-01T00:00:00+01:00")

    # Then it is 23:00 on 30 November in UTC
    assert reply.status == 200
    assert reply.body["now"].startswith("2026-11-30T23:00:00")
    assert balance(api, org_id)["period"] == "2026-11"


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ('{"now": ', "MALFORMED_JSON"),
        ("{}", "MISSING_FIELD"),
        ('{"now": 5}', "MISSING_FIELD"),
        ('{"now": "yesterday"}', "INVALID_FIELD"),
        ('{"now": "2026-11-30T23:59:00"}', "INVALID_FIELD"),
    ],
)
def test_a_clock_setting_that_is_not_an_instant_with_an_offset_is_rejected(api, raw, code):
    # Given the clock is frozen at a known instant
    freeze_clock(api, "2026-11-10T12:00:00Z")

    # When it is set with something other than an ISO 8601 instant with an offset
    reply = api.call("PUT", "/_local/clock", raw=raw)

    # Then it is refused and the clock did not move
    assert_rejected(reply, 400, code)
    assert api.call("GET", "/_local/clock").body["now"].startswith("2026-11-10T12:00:00")


def test_notifications_list_what_was_published(api, org_id):
    # Given an org that used its last credit
    freeze_clock(api, "2026-11-10T12:00:00Z")
    set_plan(api, org_id, "Lite")
    charge(api, org_id, 20)

    # When the notifications are listed
    reply = api.call("GET", "/_local/notifications")

    # Then the org's LimitReached is among them, with its kind, org and period
    assert reply.status == 200
    assert isinstance(reply.body, list)
    mine = [notice for notice in reply.body if notice.get("orgId") == org_id and notice.get("kind") == "LimitReached"]
    assert [(notice["kind"], notice["period"]) for notice in mine] == [("LimitReached", "2026-11")]


@pytest.mark.parametrize(("method", "path"), [("POST", "/_local/clock"), ("DELETE", "/_local/notifications")])
def test_a_local_endpoint_refuses_other_methods(api, method, path):
    # When a local endpoint is called with a method it does not accept
    reply = api.call(method, path, {})

    # Then it is refused
    assert_rejected(reply, 405, "METHOD_NOT_ALLOWED")


def test_an_unknown_local_endpoint_is_404(api):
    # When a local endpoint that does not exist is asked for
    reply = api.call("GET", "/_local/everything")

    # Then it is not found
    assert_rejected(reply, 404, "NOT_FOUND")
