"""use-credit, step 4 (and after an org-limit denial): tell customer success what a decision means for the org,
each kind of notice at most once per org and window (a claim in the store), at least once while the channel
eventually accepts it (a claim whose notice did not go out is given up for the next chance)."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import datetime

from domain.account import CreditAccount, OrgReservation
from domain.errors import StoreUnavailable
from domain.events import LimitNotice
from domain.notices import notice_after_denial, notices_after_charge
from domain.ports import NoticeClaimLost, NotificationNotDelivered
from domain.services.dependencies import Dependencies

PUBLISH_ATTEMPTS = 3
"""Tries to publish a notice within one step (the channel's client retries each try as well)."""


@dataclass(frozen=True)
class NotifyOutcome:
    sent: list[LimitNotice]
    failed: list[LimitNotice]
    """Notices that could not be delivered now; their claims were given up, so a later chance sends them."""


def notify(deps: Dependencies, org_id: str, reservation: OrgReservation, at: datetime, claimant: str) -> NotifyOutcome:
    """After a granted charge."""
    return _send(deps, notices_after_charge(org_id, reservation, at), claimant)


def notify_denial(deps: Dependencies, org_id: str, at: datetime, claimant: str) -> NotifyOutcome:
    """A charge was denied for the org's limit: make sure customer success has heard the limit is reached."""
    state = deps.store.account(org_id, at)
    allowance = CreditAccount(state.profile, state.usage_for(state.profile, at)).allowance(at)
    notice = notice_after_denial(org_id, allowance, at)
    return _send(deps, [] if notice is None else [notice], claimant)


def _send(deps: Dependencies, notices: list[LimitNotice], claimant: str) -> NotifyOutcome:
    sent: list[LimitNotice] = []
    failed: list[LimitNotice] = []
    if deps.notifier is None:
        return NotifyOutcome(sent, failed)
    for notice in notices:
        if not deps.store.claim_notice(notice.org_id, notice.kind, notice.window, claimant, deps.now()):
            continue
        if _publish(deps, notice):
            # NoticeClaimLost: this step was slower than the claim's lease and another sender took the claim
            # over; that sender publishes and confirms it too (at least once). This one did send it.
            with contextlib.suppress(NoticeClaimLost):
                _confirm(deps, notice, claimant)
            sent.append(notice)
        else:
            # Nobody has heard it: give the claim up so the next charge or denial of the window sends it.
            deps.store.withdraw_notice(notice.org_id, notice.kind, notice.window, claimant)
            failed.append(notice)
    return NotifyOutcome(sent, failed)


def _publish(deps: Dependencies, notice: LimitNotice) -> bool:
    assert deps.notifier is not None
    for _ in deps.retry.tries(PUBLISH_ATTEMPTS):
        try:
            deps.notifier.publish(notice)
        except NotificationNotDelivered:
            continue
        return True
    return False


def _confirm(deps: Dependencies, notice: LimitNotice, claimant: str) -> None:
    """Record that the notice went out. Tried hard: a claim left unconfirmed is taken over after the lease
    and the notice sent again (at least once is kept over at most once when the store stays unreachable)."""
    for attempt in deps.retry.tries(PUBLISH_ATTEMPTS):
        try:
            deps.store.confirm_notice(notice.org_id, notice.kind, notice.window, claimant)
        except StoreUnavailable:
            if attempt + 1 == PUBLISH_ATTEMPTS:
                raise
            continue
        return
