"""Errors are named after the rule they enforce.

The class names are also the Step Functions error names used in Retry/Catch (a Lambda's errorType is its
exception's class name), so renaming one is a change to statemachines/ too; tests/unit/test_workflow_contract.py
keeps the two in step. Each error carries a stable UPPER_SNAKE `code` for API clients.
"""

from __future__ import annotations

from typing import ClassVar


class DomainError(Exception):
    code: ClassVar[str] = "ERROR"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# -- the request itself is wrong (HTTP 400) --------------------------------------------------------------


class InvalidRequest(DomainError):
    code = "INVALID_REQUEST"

    def __init__(self, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code  # type: ignore[misc]  # an invalid request names its own specific code
        self.field = field


# -- the org or user may not run this enquiry (HTTP 402) -------------------------------------------------


class CreditDenied(DomainError):
    code = "CREDIT_DENIED"


class NoActivePlan(CreditDenied):
    code = "NO_ACTIVE_PLAN"


class TrialExpired(CreditDenied):
    code = "TRIAL_EXPIRED"


class OrgLimitReached(CreditDenied):
    code = "ORG_LIMIT_REACHED"


class UserLimitReached(CreditDenied):
    code = "USER_LIMIT_REACHED"


# -- the request conflicts with what is already recorded (HTTP 409) --------------------------------------


class Conflict(DomainError):
    code = "CONFLICT"


class TrialNotAvailable(Conflict):
    code = "TRIAL_NOT_AVAILABLE"


class EnquiryChargedToAnotherUser(Conflict):
    code = "ENQUIRY_CHARGED_TO_ANOTHER_USER"


class EnquiryInProgress(Conflict):
    code = "ENQUIRY_IN_PROGRESS"


class TopUpNotAvailable(Conflict):
    code = "TOP_UP_NOT_AVAILABLE"


class TopUpIdReused(Conflict):
    code = "TOP_UP_ID_REUSED"


# -- transient: the workflow retries these, then answers 503 ---------------------------------------------


class ReservationContended(DomainError):
    """Optimistic concurrency kept losing to concurrent writers; safe to retry the whole step."""

    code = "RESERVATION_CONTENDED"


class StoreUnavailable(DomainError):
    """The credit store throttled or did not answer (after its client's own retries); safe to retry the step."""

    code = "STORE_UNAVAILABLE"


REJECTIONS: tuple[type[DomainError], ...] = (
    InvalidRequest,
    NoActivePlan,
    TrialExpired,
    OrgLimitReached,
    UserLimitReached,
    TrialNotAvailable,
    EnquiryChargedToAnotherUser,
    EnquiryInProgress,
    TopUpNotAvailable,
    TopUpIdReused,
)
"""Every error that ends a request with a client-facing rejection (4xx) rather than a 503."""
