"""use-credit, compensation: give back the credits a request reserved. Safe to repeat: the release is keyed by
the reservation, and fences it, so a write of it still in flight cannot land later."""

from __future__ import annotations

from domain.services.charge import ChargeRequest
from domain.services.dependencies import Dependencies
from domain.services.retrying import write_until_it_lands


def release_org_credit(deps: Dependencies, request: ChargeRequest, deadline: float | None) -> bool:
    """Give back this request's reservation; False when there was nothing (any more) to give back."""
    return release(deps, request.org_id, request.enquiry_id, request.execution_name, deadline)


def release(deps: Dependencies, org_id: str, enquiry_id: str, execution_name: str, deadline: float | None) -> bool:
    def release_once(exact: bool) -> bool:
        return deps.store.release(org_id, enquiry_id, execution_name, deps.now())

    return write_until_it_lands(
        deps.retry,
        deadline,
        lambda: release_once,
        f"the reservation of enquiry {enquiry_id} could not be released yet; retry",
    )
