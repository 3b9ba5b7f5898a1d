"""The API's answers as tables for people (`--json` prints the answers themselves). Each function takes one
document as the API answers it (docs/api shapes: a balance, a charge, a ledger page, ...)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text


def console() -> Console:
    """stdout, without colours guessed from the values (a number is not highlighted)."""
    return Console(highlight=False)


def _value(value: Any) -> Text:
    """A cell: the value as it is (never read as Rich markup: a reason may hold brackets)."""
    if value is None:
        return Text("-")
    if isinstance(value, bool):
        return Text("yes" if value else "no")
    return Text(str(value))


def _cap(value: Any) -> Any:
    """A limit or what remains of it: none is no cap."""
    return "no cap" if value is None else value


def _count(number: int, one: str, many: str) -> str:
    return f"{number} {one if number == 1 else many}"


def _line(out: Console, text: str, style: str = "") -> None:
    """A line that is never wrapped: a title, or a cursor to copy."""
    out.print(Text(text, style=style), soft_wrap=True)


def _fields(out: Console, title: str, rows: Iterable[tuple[str, Any]]) -> None:
    _line(out, title, "bold")
    table = Table(box=box.SIMPLE, show_header=False)
    table.add_column("field", style="bold")
    table.add_column("value", overflow="fold")
    for name, value in rows:
        table.add_row(Text(name), _value(value))
    out.print(table)


def _listing(
    out: Console, title: str, columns: list[tuple[str, str]], items: Sequence[Mapping[str, Any]], caption: str
) -> None:
    _line(out, title, "bold")
    table = Table(box=box.SIMPLE)
    for heading, _ in columns:
        table.add_column(heading, overflow="fold")
    for item in items:
        table.add_row(*(_value(item.get(key)) for _, key in columns))
    out.print(table)
    if caption:
        _line(out, caption)


def _balance_rows(balance: Mapping[str, Any]) -> list[tuple[str, Any]]:
    rows: list[tuple[str, Any]] = [
        ("plan", balance.get("plan") or "none"),
        ("period", balance.get("period")),
        ("plan credits", balance.get("planCredits")),
        ("top-up credits", balance.get("topUpCredits")),
        ("limit", balance.get("limit")),
        ("used", balance.get("used")),
        ("remaining", balance.get("remaining")),
        ("per-user limit", _cap(balance.get("perUserLimit"))),
    ]
    if "trialEndsAt" in balance:
        rows.append(("trial ends", balance["trialEndsAt"]))
    user = balance.get("user")
    if isinstance(user, Mapping):
        rows += [
            (f"user {user.get('userId')} used", user.get("used")),
            (f"user {user.get('userId')} remaining", _cap(user.get("remaining"))),
        ]
    return rows


def balance(out: Console, document: Mapping[str, Any], title: str | None = None) -> None:
    _fields(out, title or f"org {document.get('orgId')}", _balance_rows(document))


def top_up(out: Console, document: Mapping[str, Any]) -> None:
    recorded = document.get("topUp") or {}
    if document.get("replayed"):
        title = f"top-up {recorded.get('topUpId')} was recorded before: nothing added"
    else:
        title = f"topped up {recorded.get('credits')} credits for {recorded.get('period')} ({recorded.get('topUpId')})"
    balance(out, document, f"org {document.get('orgId')}: {title}")


def refund(out: Console, document: Mapping[str, Any]) -> None:
    given = document.get("refund") or {}
    if document.get("replayed"):
        title = f"{given.get('enquiryId')} was refunded before: nothing given back"
    else:
        title = f"refunded {given.get('enquiryId')} to {given.get('userId')} ({given.get('window')})"
    balance(out, document, f"org {document.get('orgId')}: {title}")


def charge(out: Console, document: Mapping[str, Any]) -> None:
    """The answer to a use: charged (201) or charged before (200, a replay)."""
    enquiry, user_id = document.get("enquiryId"), document.get("userId")
    if document.get("replayed"):
        title = f"{enquiry} was charged to {user_id} before: nothing charged"
    else:
        title = f"charged {enquiry} to {user_id}"
    org: Mapping[str, Any] = document.get("org") or {}
    user: Mapping[str, Any] = document.get("user") or {}
    _fields(
        out,
        f"org {document.get('orgId')}: {title}",
        [
            ("plan", org.get("plan")),
            ("window", org.get("window")),
            ("org used", org.get("used")),
            ("org limit", org.get("limit")),
            ("org remaining", org.get("remaining")),
            (f"user {user_id} used", user.get("used")),
            (f"user {user_id} limit", _cap(user.get("limit"))),
            (f"user {user_id} remaining", _cap(user.get("remaining"))),
        ],
    )


LEDGER_COLUMNS = [
    ("enquiry", "enquiryId"),
    ("user", "userId"),
    ("charged at", "chargedAt"),
    ("state", "state"),
    ("refunded at", "refundedAt"),
    ("refund reason", "refundReason"),
]


def ledger(out: Console, page: Mapping[str, Any]) -> None:
    items = list(page.get("items") or [])
    cursor = page.get("cursor")
    caption = f"{_count(len(items), 'entry', 'entries')}, newest first" + (
        f"; more with --cursor {cursor} (or --all)" if cursor else ""
    )
    _listing(out, f"org {page.get('orgId')}: ledger of {page.get('period')}", LEDGER_COLUMNS, items, caption)


def entry(out: Console, document: Mapping[str, Any]) -> None:
    """One enquiry's ledger entry (GET /orgs/{orgId}/usage/{enquiryId})."""
    _fields(
        out,
        f"org {document.get('orgId')}: enquiry {document.get('enquiryId')}",
        [
            ("user", document.get("userId")),
            ("window", document.get("window")),
            ("charged at", document.get("chargedAt")),
            ("state", document.get("state")),
            ("refunded at", document.get("refundedAt")),
            ("refund reason", document.get("refundReason")),
            ("execution", document.get("executionName")),
        ],
    )


def top_ups(out: Console, document: Mapping[str, Any]) -> None:
    items = list(document.get("items") or [])
    caption = f"{_count(len(items), 'top-up', 'top-ups')}, newest first" + (
        "; the newest 200 only" if document.get("truncated") else ""
    )
    columns = [("top-up", "topUpId"), ("credits", "credits"), ("reason", "reason"), ("recorded at", "recordedAt")]
    _listing(out, f"org {document.get('orgId')}: top-ups of {document.get('period')}", columns, items, caption)


def audit(out: Console, document: Mapping[str, Any]) -> None:
    counters: Mapping[str, Any] = document.get("counters") or {}
    ledger_sums: Mapping[str, Any] = document.get("ledger") or {}
    drift = list(document.get("drift") or [])
    verdict = "the books agree" if not drift else _count(len(drift), "disagreement", "disagreements")
    _line(out, f"org {document.get('orgId')}: audit of {document.get('period')} ({verdict})", "bold")
    sums = Table(box=box.SIMPLE)
    for heading in ("", "counter", "ledger"):
        sums.add_column(heading, overflow="fold")
    sums.add_row(Text("used"), _value(counters.get("used")), _value(ledger_sums.get("used")))
    sums.add_row(Text("top-ups"), _value(counters.get("topUps")), _value(ledger_sums.get("topUps")))
    users: Mapping[str, Any] = counters.get("users") or {}
    ledger_users: Mapping[str, Any] = ledger_sums.get("users") or {}
    for user_id in sorted(set(users) | set(ledger_users)):
        sums.add_row(Text(f"user {user_id}"), _value(users.get(user_id)), _value(ledger_users.get(user_id, 0)))
    out.print(sums)
    _fields(out, "ledger entries", [(name, ledger_sums.get(name)) for name in ("charged", "reserved", "refunded")])
    if drift:
        columns = [("kind", "kind"), ("subject", "subject"), ("counter", "counter"), ("ledger", "ledger")]
        rows = [dict(item, entries=", ".join(item.get("entries") or [])) for item in drift]
        _listing(out, "drift", [*columns, ("entries", "entries")], rows, "")
    _line(out, f"audited at {document.get('auditedAt')}")
