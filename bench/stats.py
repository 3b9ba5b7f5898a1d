"""Latency statistics: percentiles of a sample, summarised in milliseconds."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


def percentile(samples: Sequence[float], p: float) -> float:
    """The p-th percentile (0..100), interpolating linearly between the two nearest ranks (numpy's default), so
    p99 of 200 samples lies between the 198th and 199th smallest rather than jumping to either."""
    if not samples:
        raise ValueError("no samples")
    if not 0 <= p <= 100:
        raise ValueError(f"percentile {p} is outside 0..100")
    ordered = sorted(samples)
    rank = (len(ordered) - 1) * p / 100
    below, above = math.floor(rank), math.ceil(rank)
    return ordered[below] + (ordered[above] - ordered[below]) * (rank - below)


@dataclass(frozen=True)
class Latency:
    """A latency sample (taken in seconds) in milliseconds."""

    count: int
    p50: float
    p95: float
    p99: float
    max: float

    @classmethod
    def of(cls, seconds: Sequence[float]) -> Latency:
        millis = [value * 1000 for value in seconds]
        return cls(len(millis), percentile(millis, 50), percentile(millis, 95), percentile(millis, 99), max(millis))
