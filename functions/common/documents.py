"""JSON documents the workflows pass between steps and return to clients (camelCase, the REST contract's)."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from domain.account import EntryState, LedgerEntry, OrgReservation, UserReservation
from domain.audit import ledger_used, ledger_user_used
from domain.ports import UserSnapshot
from domain.services import Balance, ChargeRequest, ChargesPage, RefundResult, TopUpResult, TopUps
from domain.services.audit import Audit


def iso(instant: datetime | None) -> str | None:
    return None if instant is None else instant.isoformat().replace("+00:00", "Z")


def balance_document(balance: Balance) -> dict[str, Any]:
    document: dict[str, Any] = {
        "orgId": balance.org_id,
        "plan": balance.plan,
        "period": balance.period,
        "planCredits": balance.plan_credits,
        "topUpCredits": balance.top_up_credits,
        "limit": balance.limit,
        "used": balance.used,
        "remaining": balance.remaining,
        "perUserLimit": balance.per_user_limit,
    }
    if balance.trial_ends_at is not None:
        document["trialEndsAt"] = iso(balance.trial_ends_at)
    if balance.user_id is not None:
        document["user"] = {
            "userId": balance.user_id,
            "used": balance.user_used,
            "remaining": balance.user_remaining,
        }
    return document


def top_up_document(result: TopUpResult) -> dict[str, Any]:
    return balance_document(result.balance) | {
        "replayed": result.replayed,
        "topUp": {
            "topUpId": result.top_up.top_up_id,
            "credits": result.top_up.credits,
            "period": result.top_up.period,
            "reason": result.top_up.reason,
        },
    }


def refund_document(result: RefundResult) -> dict[str, Any]:
    entry = result.entry
    return balance_document(result.balance) | {
        "replayed": result.replayed,
        "refund": {
            "enquiryId": entry.enquiry_id,
            "userId": entry.user_id,
            "window": entry.window,
            "refundedAt": iso(entry.refunded_at),
            "reason": entry.refund_reason,
        },
    }


def ledger_item_document(entry: LedgerEntry) -> dict[str, Any]:
    """A charge as the ledger lists it; executionName: the use-credit execution that charged it (named after API
    Gateway's extended request id of the request that charged it, the x-amz-apigw-id header)."""
    document: dict[str, Any] = {
        "enquiryId": entry.enquiry_id,
        "userId": entry.user_id,
        "window": entry.window,
        "chargedAt": iso(entry.position.charged_at),
        "state": entry.state.value,
        "executionName": entry.execution_name,
    }
    if entry.is_refunded:
        document |= {"refundedAt": iso(entry.refunded_at), "refundReason": entry.refund_reason}
    return document


def charges_page_document(page: ChargesPage) -> dict[str, Any]:
    return {
        "orgId": page.org_id,
        "period": page.window,
        "items": [ledger_item_document(entry) for entry in page.entries],
        "cursor": page.cursor,
    }


def charge_document(org_id: str, entry: LedgerEntry) -> dict[str, Any]:
    return {"orgId": org_id} | ledger_item_document(entry)


def top_ups_document(top_ups: TopUps) -> dict[str, Any]:
    return {
        "orgId": top_ups.org_id,
        "period": top_ups.period,
        "items": [
            {
                "topUpId": record.top_up_id,
                "credits": record.credits,
                "reason": record.reason,
                "recordedAt": iso(record.recorded_at),
            }
            for record in top_ups.records
        ],
        "truncated": top_ups.truncated,
    }


def audit_document(audit: Audit) -> dict[str, Any]:
    """The org's counters for the window, what its ledger adds up to, and `drift`: each way they disagree."""
    books = audit.books
    states = Counter(entry.state for entry in books.entries)
    return {
        "orgId": books.org_id,
        "period": books.window,
        "auditedAt": iso(audit.audited_at),
        "counters": {"used": books.used, "topUps": books.top_ups, "users": dict(sorted(books.user_used.items()))},
        "ledger": {
            "used": ledger_used(books),
            "charged": states[EntryState.CHARGED],
            "reserved": states[EntryState.ORG_RESERVED],
            "refunded": states[EntryState.REFUNDED],
            "topUps": sum(books.top_up_credits),
            "users": dict(sorted(ledger_user_used(books).items())),
        },
        "drift": [
            {
                "kind": str(item.kind),
                "subject": item.subject,
                "counter": item.counter,
                "ledger": item.ledger,
                "entries": list(item.entries),
            }
            for item in audit.drift
        ],
    }


def charge_request_document(request: ChargeRequest) -> dict[str, Any]:
    return {
        "orgId": request.org_id,
        "userId": request.user_id,
        "enquiryId": request.enquiry_id,
        "decidedAt": iso(request.decided_at),
        "executionName": request.execution_name,
    }


def charge_request_from(document: dict[str, Any]) -> ChargeRequest:
    return ChargeRequest(
        org_id=document["orgId"],
        user_id=document["userId"],
        enquiry_id=document["enquiryId"],
        decided_at=datetime.fromisoformat(document["decidedAt"]),
        execution_name=document["executionName"],
    )


def org_reservation_document(reservation: OrgReservation) -> dict[str, Any]:
    return {
        "window": reservation.window,
        "period": reservation.period,
        "plan": reservation.plan,
        "used": reservation.used,
        "limit": reservation.limit,
        "remaining": reservation.remaining,
        "windowStartsAt": iso(reservation.window_starts_at),
        "windowEndsAt": iso(reservation.window_ends_at),
    }


def org_reservation_from(document: dict[str, Any]) -> OrgReservation:
    return OrgReservation(
        document["window"],
        document["period"],
        document["plan"],
        int(document["used"]),
        int(document["limit"]),
        datetime.fromisoformat(document["windowStartsAt"]),
        datetime.fromisoformat(document["windowEndsAt"]),
    )


def user_reservation_document(reservation: UserReservation | None) -> dict[str, Any] | None:
    if reservation is None:
        return None
    return {
        "period": reservation.period,
        "used": reservation.used,
        "limit": reservation.limit,
        "remaining": reservation.remaining,
    }


def user_hint_document(hint: UserSnapshot | None) -> dict[str, Any] | None:
    """What the org step read of the user's side, so the user step need not read it again."""
    if hint is None or hint.entry is None:
        return None
    return {"profileVersion": hint.profile_version, "perUserLimit": hint.per_user_limit, "used": hint.used}


def user_hint_from(document: dict[str, Any] | None, request: ChargeRequest, org: OrgReservation) -> UserSnapshot | None:
    if not document:
        return None
    # The org step has just written this entry; the user step's conditional write re-checks all of it.
    entry = request.reserved_entry(org)
    limit = document.get("perUserLimit")
    return UserSnapshot(
        int(document["profileVersion"]), None if limit is None else int(limit), int(document["used"]), entry
    )
