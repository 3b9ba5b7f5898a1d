"""A period is a calendar month in UTC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from domain.periods import Period, require_utc


@pytest.mark.parametrize(
    ("instant", "expected"),
    [
        (datetime(2024, 11, 30, 23, 59, 59, 999000, tzinfo=UTC), Period(2024, 11)),
        (datetime(2024, 11, 30, 23, 59, 59, 999999, tzinfo=UTC), Period(2024, 11)),
        (datetime(2024, 12, 1, 0, 0, tzinfo=UTC), Period(2024, 12)),
        (datetime(2024, 12, 31, 23, 59, 59, 999999, tzinfo=UTC), Period(2024, 12)),
        (datetime(2025, 1, 1, 0, 0, tzinfo=UTC), Period(2025, 1)),
    ],
    ids=["nov-last-millisecond", "nov-last-microsecond", "dec-first-instant", "dec-last-instant", "jan-first-instant"],
)
def test_an_instant_belongs_to_the_calendar_month_it_falls_in(instant: datetime, expected: Period) -> None:
    # Given an instant at or next to a month boundary
    # When its period is taken
    period = Period.containing(instant)
    # Then it is the month the instant falls in, in UTC
    assert period == expected


def test_the_month_is_taken_in_utc_not_in_the_instants_own_zone() -> None:
    # Given 1 December 01:00 in UTC+2, which is still 30 November 23:00 in UTC
    instant = datetime(2024, 12, 1, 1, 0, tzinfo=timezone(timedelta(hours=2)))
    # When its period is taken
    period = Period.containing(instant)
    # Then it is November
    assert period == Period(2024, 11)


def test_december_is_followed_by_january_of_the_next_year() -> None:
    # Given December 2024
    december = Period(2024, 12)
    # When the next period is asked for
    following = december.next()
    # Then it is January 2025, starting at midnight UTC on New Year's Day
    assert following == Period(2025, 1)
    assert december.ends_at == datetime(2025, 1, 1, tzinfo=UTC)
    assert following.starts_at == december.ends_at


@pytest.mark.parametrize(("month", "following"), [(m, Period(2024, m + 1)) for m in range(1, 12)])
def test_every_month_but_december_is_followed_by_the_next_month_of_the_same_year(month: int, following: Period) -> None:
    assert Period(2024, month).next() == following


@pytest.mark.parametrize(
    ("year", "days"),
    [(2024, 29), (2023, 28), (2000, 29), (1900, 28)],
    ids=["leap-2024", "non-leap-2023", "leap-2000-divisible-by-400", "non-leap-1900-divisible-by-100"],
)
def test_february_lasts_as_many_days_as_the_year_gives_it(year: int, days: int) -> None:
    # Given February of the year
    february = Period(year, 2)
    # When its span is measured
    span = february.ends_at - february.starts_at
    # Then it is 28 or 29 days, ending on 1 March
    assert span == timedelta(days=days)
    assert february.ends_at == datetime(year, 3, 1, tzinfo=UTC)


def test_the_last_day_of_february_in_a_leap_year_is_still_february() -> None:
    assert Period.containing(datetime(2024, 2, 29, 23, 59, 59, tzinfo=UTC)) == Period(2024, 2)
    assert Period.containing(datetime(2024, 3, 1, tzinfo=UTC)) == Period(2024, 3)


@pytest.mark.parametrize(
    ("instant", "fraction"),
    [
        (datetime(2024, 4, 1, tzinfo=UTC), 0.0),
        (datetime(2024, 4, 16, tzinfo=UTC), 0.5),
        (datetime(2024, 5, 1, tzinfo=UTC), 1.0),
        (datetime(2024, 3, 31, 12, tzinfo=UTC), 0.0),
        (datetime(2024, 5, 20, tzinfo=UTC), 1.0),
    ],
    ids=["start", "middle", "end", "before-start-clamps-to-0", "after-end-clamps-to-1"],
)
def test_elapsed_fraction_says_how_much_of_the_month_has_passed(instant: datetime, fraction: float) -> None:
    # Given April 2024 (30 days)
    april = Period(2024, 4)
    # When the elapsed fraction at the instant is asked for
    # Then it is the share of the month that has passed, clamped to [0, 1]
    assert april.elapsed_fraction(instant) == pytest.approx(fraction)


def test_elapsed_fraction_just_before_the_end_is_just_below_one() -> None:
    april = Period(2024, 4)
    fraction = april.elapsed_fraction(datetime(2024, 4, 30, 23, 59, 59, tzinfo=UTC))
    assert 0.9999 < fraction < 1.0


def test_a_naive_datetime_is_rejected_when_finding_its_period() -> None:
    # Given a datetime without a time zone
    naive = datetime(2024, 12, 1, 0, 0)
    # When its period is taken, Then the domain refuses to guess the zone
    with pytest.raises(ValueError, match="timezone-aware"):
        Period.containing(naive)


def test_a_naive_datetime_is_rejected_by_elapsed_fraction() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        Period(2024, 4).elapsed_fraction(datetime(2024, 4, 16))


def test_require_utc_converts_an_aware_datetime_to_utc() -> None:
    instant = datetime(2024, 6, 1, 2, 30, tzinfo=timezone(timedelta(hours=2)))
    converted = require_utc(instant)
    assert converted == instant
    assert converted.tzinfo is UTC
    assert converted.hour == 0


@pytest.mark.parametrize("month", [0, 13, -1])
def test_a_month_outside_1_to_12_is_not_a_period(month: int) -> None:
    with pytest.raises(ValueError, match="month out of range"):
        Period(2024, month)


@pytest.mark.parametrize(("key", "period"), [("2024-02", Period(2024, 2)), ("2025-12", Period(2025, 12))])
def test_a_period_key_parses_back_to_the_same_period(key: str, period: Period) -> None:
    assert Period.parse(key) == period
    assert period.key == key
    assert str(period) == key


@pytest.mark.parametrize("key", ["2024-2", "2024-13", "24-02", "2024-02-01", "TRIAL", ""])
def test_a_malformed_period_key_is_rejected(key: str) -> None:
    with pytest.raises(ValueError):  # noqa: PT011  # both "not a period key" and "month out of range" are right
        Period.parse(key)


def test_periods_order_chronologically_across_a_year_end() -> None:
    assert Period(2024, 12) < Period(2025, 1) < Period(2025, 2)
