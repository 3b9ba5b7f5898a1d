"""One logger for every function (service name and level come from the environment), and the service's
metrics: decisions and refunds by outcome and reason, notifications by kind and outcome.

No Powertools Tracer: Lambda's active tracing (template.yaml) already records each invocation in X-Ray, next
to the workflow's trace, and the X-Ray SDK the Tracer loads would nearly double every function's cold start."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.metrics import EphemeralMetrics, MetricUnit

from domain.errors import Conflict, CreditDenied, DomainError

logger = Logger()


def count(name: str, **dimensions: str) -> None:
    """Emit one data point now (EMF on stdout), with its own dimensions.

    A fresh EphemeralMetrics per data point: each has its own dimensions, and nothing is shared between the
    threads of the local emulator."""
    metrics = EphemeralMetrics()
    for key, value in dimensions.items():
        metrics.add_dimension(name=key, value=value)
    metrics.add_metric(name=name, unit=MetricUnit.Count, value=1)
    metrics.flush_metrics()


def count_decision(outcome: str, reason: str = "NONE") -> None:
    """outcome: CHARGED, REPLAYED or DENIED; reason: the denial's code."""
    count("Decisions", outcome=outcome, reason=reason)


def count_refund(outcome: str, reason: str = "NONE") -> None:
    """outcome: REFUNDED, REPLAYED or REFUSED; reason: the refusal's code."""
    count("Refunds", outcome=outcome, reason=reason)


def count_notification(kind: str, outcome: str) -> None:
    """outcome: SENT or FAILED."""
    count("Notifications", kind=kind, outcome=outcome)


@contextmanager
def refusals_counted(
    counter: Callable[[str, str], None], outcome: str, refusals: tuple[type[DomainError], ...]
) -> Iterator[None]:
    """Counts each of `refusals` raised in the block as `outcome`, with its code as the reason, and lets it go on."""
    try:
        yield
    except refusals as error:
        counter(outcome, error.code)
        raise


def denials_counted(handler: Callable[[dict[str, Any], Any], Any]) -> Callable[[dict[str, Any], Any], Any]:
    """Counts each refusal the wrapped step decides (a credit denied, or a conflicting enquiry)."""

    @functools.wraps(handler)
    def wrapper(event: dict[str, Any], context: Any) -> Any:
        with refusals_counted(count_decision, "DENIED", (CreditDenied, Conflict)):
            return handler(event, context)

    return wrapper
