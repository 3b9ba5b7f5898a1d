"""When a step must stop retrying: its invocation's own timeout, read from the Lambda context."""

from __future__ import annotations

import time
from typing import Any


def deadline_of(context: Any) -> float | None:
    """The monotonic instant at which Lambda stops this invocation (None outside Lambda). The services keep a
    margin before it, so a step that lost every race still answers WriteContended, which the workflow
    retries, instead of being cut off mid-write."""
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    if remaining is None:
        return None
    return time.monotonic() + float(remaining()) / 1000
