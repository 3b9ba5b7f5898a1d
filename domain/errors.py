"""Errors are named after the rule they enforce.

A rejection (an error with an `http_status`) never leaves a step as an exception: the step answers it as data
(functions/common/errors.py) and no workflow names it. Of these errors only the transient ones, WriteContended and
StoreUnavailable, reach Step Functions, by their class names (a Lambda's errorType is its exception's class name) in
the workflows' Retry lists, so renaming one of them is a change to statemachines/ too;
tests/unit/test_workflow_contract.py keeps the two in step. Each error carries a stable UPPER_SNAKE `code` for API
clients, and each family of rejections the HTTP status a client is answered with (`http_status`, here and nowhere
else).
"""

from __future__ import annotations

from typing import ClassVar


class DomainError(Exception):
    code: ClassVar[str] = "ERROR"
    http_status: ClassVar[int | None] = None
    """The status of the answer when this error ends a request: a rejection's 4xx. None for the transient
    errors, which never reach a client as themselves (the workflow retries the step, then answers 503)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# -- the request itself is wrong ------------------------------------------------------------------------


class InvalidRequest(DomainError):
    code = "INVALID_REQUEST"
    http_status = 400

    def __init__(self, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code  # type: ignore[misc]  # an invalid request names its own specific code
        self.field = field


# -- the org or user may not run this enquiry -----------------------------------------------------------


class CreditDenied(DomainError):
    code = "CREDIT_DENIED"
    http_status = 402


class NoActivePlan(CreditDenied):
    code = "NO_ACTIVE_PLAN"


class TrialExpired(CreditDenied):
    code = "TRIAL_EXPIRED"


class OrgLimitReached(CreditDenied):
    code = "ORG_LIMIT_REACHED"


class UserLimitReached(CreditDenied):
    code = "USER_LIMIT_REACHED"


# -- what the request names is not recorded --------------------------------------------------------------


class NotRecorded(DomainError):
    code = "NOT_FOUND"
    http_status = 404


class EnquiryNotFound(NotRecorded):
    """No charge of the enquiry is recorded for the org: never charged, or denied (denials are not remembered)."""

    code = "ENQUIRY_NOT_FOUND"


# -- the request conflicts with what is already recorded ------------------------------------------------


class Conflict(DomainError):
    code = "CONFLICT"
    http_status = 409


class TrialNotAvailable(Conflict):
    code = "TRIAL_NOT_AVAILABLE"


class EnquiryChargedToAnotherUser(Conflict):
    code = "ENQUIRY_CHARGED_TO_ANOTHER_USER"


class EnquiryInProgress(Conflict):
    code = "ENQUIRY_IN_PROGRESS"


class WindowClosed(Conflict):
    """The window an enquiry was charged to is over (a past month, an ended trial): its credit cannot come back."""

    code = "WINDOW_CLOSED"


class EnquiryRefunded(Conflict):
    """The enquiry was charged and then refunded: it is not charged again under the same id (docs/rules.md,
    "Decisions")."""

    code = "ENQUIRY_REFUNDED"


class TopUpNotAvailable(Conflict):
    code = "TOP_UP_NOT_AVAILABLE"


class TopUpIdReused(Conflict):
    code = "TOP_UP_ID_REUSED"


# -- transient: the workflow retries these, then answers 503 ---------------------------------------------


class WriteContended(DomainError):
    """The step's write kept losing races to other writes until the step's time ran out (or lost it to a release
    of its reservation, which came first): nothing of it was written, and the whole step may be tried again.
    Raised by the charge steps, the release, plan and per-user limit changes and top-ups alike."""

    code = "WRITE_CONTENDED"


class StoreUnavailable(DomainError):
    """The credit store throttled or did not answer (after its client's own retries); safe to retry the step."""

    code = "STORE_UNAVAILABLE"


def _leaves(family: type[DomainError]) -> list[type[DomainError]]:
    below = family.__subclasses__()
    return [leaf for error in below for leaf in _leaves(error)] if below else [family]


REJECTIONS: tuple[type[DomainError], ...] = tuple(error for error in _leaves(DomainError) if error.http_status)
"""Every error that ends a request with a client-facing rejection (4xx) rather than a 503."""
