"""LimitForecast over HTTP: customer success hears once when an org is on pace to use all its credits early,
and never about an org using them at a safe pace."""

from __future__ import annotations

from tests.conftest import Api
from tests.http.support import charge, freeze_clock, notices, set_plan

HALF_OF_NOVEMBER = "2026-11-16T00:00:00Z"
"""15 of November's 30 days have passed: the pace so far doubles by the end of the month."""


def test_an_org_on_pace_to_exceed_its_limit_gets_exactly_one_forecast(api: Api, org_id: str) -> None:
    # Given an org on Basic (100) halfway through the month
    freeze_clock(api, HALF_OF_NOVEMBER)
    set_plan(api, org_id, "Basic")

    # When it has run 49 reports (projected 98), Then nobody is told
    charge(api, org_id, 49)
    assert notices(api, org_id, "LimitForecast") == []

    # When the 50th puts it on pace for 100, and it keeps going
    charge(api, org_id, 10, prefix="more")

    # Then customer success heard exactly once, with the projection
    (forecast,) = notices(api, org_id, "LimitForecast")
    assert (forecast["period"], forecast["plan"], forecast["used"], forecast["limit"]) == ("2026-11", "Basic", 50, 100)
    assert forecast["projected"] == 100
    assert forecast["subject"].startswith(f"Org {org_id} is on track")
    assert notices(api, org_id, "LimitReached") == []


def test_an_org_at_a_safe_pace_gets_no_forecast(api: Api, org_id: str) -> None:
    # Given an org on Basic halfway through the month
    freeze_clock(api, HALF_OF_NOVEMBER)
    set_plan(api, org_id, "Basic")

    # When it runs 40 reports (projected 80 of 100)
    charge(api, org_id, 40)

    # Then nobody is told anything
    assert notices(api, org_id, "LimitForecast") == []
    assert notices(api, org_id, "LimitReached") == []


def test_a_new_month_can_bring_a_new_forecast(api: Api, org_id: str) -> None:
    # Given an org forecast to run out in November
    freeze_clock(api, HALF_OF_NOVEMBER)
    set_plan(api, org_id, "Lite")
    charge(api, org_id, 10)
    assert [notice["period"] for notice in notices(api, org_id, "LimitForecast")] == ["2026-11"]

    # When it keeps the same pace in December
    freeze_clock(api, "2026-12-16T12:00:00Z")
    charge(api, org_id, 10, prefix="december")

    # Then December has its own forecast
    assert [notice["period"] for notice in notices(api, org_id, "LimitForecast")] == ["2026-11", "2026-12"]
