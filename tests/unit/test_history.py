"""The ledger's listing rules (domain/history.py): which window a listing asks for, and the cursor that carries it
from one page to the next."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest

from domain.account import ChargePosition
from domain.errors import InvalidRequest
from domain.history import LedgerCursor, charges_window, top_ups_month

NOW = datetime(2026, 12, 3, 4, 5, 6, tzinfo=UTC)
POSITION = ChargePosition(datetime(2026, 12, 2, 10, 0, 0, 123456, tzinfo=UTC), "enq-1")


def test_a_listing_without_a_period_reads_the_month_now_falls_in() -> None:
    assert charges_window(None, NOW) == "2026-12"
    assert top_ups_month(None, NOW) == "2026-12"


def test_a_listing_reads_the_month_or_the_trial_it_names() -> None:
    assert charges_window("2025-01", NOW) == "2025-01"
    assert charges_window("TRIAL", NOW) == "TRIAL"


@pytest.mark.parametrize("period", ["2026-13", "2026-00", "2026-1", "26-12", "december", "trial", "", "2026-12 "])
def test_a_period_that_is_not_a_month_is_refused(period: str) -> None:
    with pytest.raises(InvalidRequest) as refused:
        charges_window(period, NOW)

    assert (refused.value.code, refused.value.field) == ("INVALID_PERIOD", "period")


def test_top_ups_are_listed_by_month_only() -> None:
    # A trial has no top-ups: TRIAL is not a month to list them for
    with pytest.raises(InvalidRequest) as refused:
        top_ups_month("TRIAL", NOW)

    assert refused.value.code == "INVALID_PERIOD"


@pytest.mark.parametrize("user_id", [None, "alice"])
def test_a_cursor_reads_back_the_position_it_was_made_from(user_id: str | None) -> None:
    text = LedgerCursor("acme", "2026-12", user_id, POSITION).encode()

    assert LedgerCursor.from_text(text, "acme", "2026-12", user_id).position == POSITION
    assert text.isascii()
    assert set(text) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def test_positions_order_by_instant_then_by_enquiry() -> None:
    later = ChargePosition(POSITION.charged_at + timedelta(microseconds=1), "enq-0")
    same_instant = ChargePosition(POSITION.charged_at, "enq-2")

    assert sorted([later, POSITION, same_instant], reverse=True) == [later, same_instant, POSITION]


@pytest.mark.parametrize(
    ("org_id", "window", "user_id"),
    [("acme", "2026-11", None), ("acme", "TRIAL", None), ("acme", "2026-12", "alice"), ("other", "2026-12", None)],
    ids=["another month", "the trial", "one user's", "another org's"],
)
def test_a_cursor_of_another_listing_is_refused(org_id: str, window: str, user_id: str | None) -> None:
    text = LedgerCursor("acme", "2026-12", None, POSITION).encode()

    with pytest.raises(InvalidRequest) as refused:
        LedgerCursor.from_text(text, org_id, window, user_id)

    assert refused.value.code == "INVALID_CURSOR"
    assert "another listing" in refused.value.message


def _encoded(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize(
    "text",
    [
        "not a cursor",
        "",
        "%%%%",
        _encoded(b"\xff\xfe"),
        _encoded(b"not json"),
        _encoded(b'{"window": "2026-12"}'),
        _encoded(b'["acme", "2026-12", null, "2026-12-02T10:00:00+00:00"]'),
        _encoded(b'["acme", "2026-12", null, "yesterday", "enq-1"]'),
        _encoded(b'["acme", "2026-12", null, "2026-12-02T10:00:00", "enq-1"]'),
        _encoded(b'["acme", "2026-12", null, 12, "enq-1"]'),
        _encoded(b'["acme", "2026-12", null, "2026-12-02T10:00:00+00:00", 7]'),
        _encoded(b'["acme", "2026-12", null, "9999-12-31T23:59:59-01:00", "enq-1"]'),
        _encoded(b'["acme", "2026-12", null, "2026-12-02T10:00:00+00:00", "enq 1"]'),
        _encoded(b'["acme", "2026-12", null, "2026-12-02T10:00:00+00:00", "\\ud800"]'),
        _encoded(('["acme", "2026-12", null, "2026-12-02T10:00:00+00:00", "' + "e" * 129 + '"]').encode()),
    ],
    ids=[
        "words",
        "empty",
        "not base64",
        "not utf-8",
        "not json",
        "an object",
        "three fields",
        "no instant",
        "a naive instant",
        "a number for an instant",
        "a number for an enquiry",
        "an instant past the last",
        "an enquiry id with a space",
        "a lone surrogate",
        "an enquiry id too long",
    ],
)
def test_a_mangled_cursor_is_refused(text: str) -> None:
    with pytest.raises(InvalidRequest) as refused:
        LedgerCursor.from_text(text, "acme", "2026-12", None)

    assert (refused.value.code, refused.value.field) == ("INVALID_CURSOR", "cursor")
