"""The org's books as staff read them back: which window a listing asks for, where a charge sits in its window's
history (newest first), and the cursor that carries a listing from one page to the next."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime

from domain.account import TRIAL_WINDOW, ChargePosition
from domain.errors import InvalidRequest
from domain.ids import is_id
from domain.periods import Period

TOP_UPS_LISTED = 200
"""The most top-ups a listing of a month holds, the newest: every answer of a workflow must fit Step Functions'
256 KiB (a top-up with a 500-character reason is about 650 bytes of JSON), and a month has a few."""

PAGE_LIMIT = 100
"""The most entries one page of the ledger holds."""
DEFAULT_PAGE_LIMIT = 50


def charges_window(period: str | None, now: datetime) -> str:
    """The window a ledger listing asks for: a month (YYYY-MM), TRIAL for a trial's charges, or, when the client
    names none, the month `now` falls in."""
    if period is None:
        return Period.containing(now).key
    if period == TRIAL_WINDOW:
        return period
    return _month(period, "period must be a calendar month, YYYY-MM, or TRIAL")


def top_ups_month(period: str | None, now: datetime) -> str:
    """The month a listing of top-ups asks for (top-ups are bought for a month; a trial has none)."""
    if period is None:
        return Period.containing(now).key
    return _month(period, "period must be a calendar month, YYYY-MM")


def _month(period: str, message: str) -> str:
    try:
        month = Period.parse(period)
    except ValueError:
        raise InvalidRequest("INVALID_PERIOD", message, "period") from None
    if month.key != period:
        raise InvalidRequest("INVALID_PERIOD", message, "period")
    return month.key


@dataclass(frozen=True)
class LedgerCursor:
    """Where the next page of one listing starts: after `position`, in the org's window, for the user (or for all
    users) the listing asked for. Clients see it as an opaque string (`encode`)."""

    org_id: str
    window: str
    user_id: str | None
    position: ChargePosition

    def encode(self) -> str:
        fields = [
            self.org_id,
            self.window,
            self.user_id,
            self.position.charged_at.isoformat(),
            self.position.enquiry_id,
        ]
        text = json.dumps(fields, separators=(",", ":"))
        return base64.urlsafe_b64encode(text.encode()).decode("ascii").rstrip("=")

    @classmethod
    def from_text(cls, text: str, org_id: str, window: str, user_id: str | None) -> LedgerCursor:
        """The cursor a page of this listing (org, window and user) answered; INVALID_CURSOR for anything else: a
        mangled string, or a cursor of another listing (it would start that listing's page at a place of another)."""
        try:
            fields = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode())
            read_org, read_window, read_user, charged_at, enquiry_id = fields
            if not is_id(enquiry_id):
                raise TypeError("an enquiry id is an id")
            cursor = cls(
                read_org, read_window, read_user, ChargePosition(datetime.fromisoformat(charged_at), enquiry_id)
            )
        except (binascii.Error, UnicodeDecodeError, ValueError, TypeError, OverflowError):
            raise InvalidRequest(
                "INVALID_CURSOR", "cursor is not one a page of this listing answered; list again without it", "cursor"
            ) from None
        if (cursor.org_id, cursor.window, cursor.user_id) != (org_id, window, user_id):
            raise InvalidRequest(
                "INVALID_CURSOR",
                "cursor belongs to another listing (another org, period or user); list again without it",
                "cursor",
            )
        return cursor
