"""Token buckets, one per key, for the limits AWS enforces by rate: a DynamoDB partition's write units a second
(emulator/capacity.py) and an API stage's requests a second on each method (emulator/gateway.py)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)


@dataclass
class _Bucket:
    tokens: float
    at: float


@dataclass
class TokenBuckets(Generic[K]):
    """Each key's bucket fills at `rate` tokens a second up to `size` (it starts full); thread-safe."""

    rate: float
    size: float
    clock: Callable[[], float] = time.monotonic
    _buckets: dict[K, _Bucket] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    refused: int = 0
    """Requests refused (for tests)."""

    def take(self, wanted: Iterable[tuple[K, float]]) -> K | None:
        """Take the tokens each key is asked for, all or none: None, or the first key short of them."""
        totals: dict[K, float] = {}
        for key, tokens in wanted:
            totals[key] = totals.get(key, 0) + tokens
        with self._lock:
            now = self.clock()
            for key, tokens in totals.items():
                if self._refilled(key, now).tokens < tokens:
                    self.refused += 1
                    return key
            for key, tokens in totals.items():
                self._buckets[key].tokens -= tokens
        return None

    def _refilled(self, key: K, now: float) -> _Bucket:
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = _Bucket(self.size, now)
        bucket.tokens = min(self.size, bucket.tokens + (now - bucket.at) * self.rate)
        bucket.at = now
        return bucket

    @contextmanager
    def limited_to(
        self, rate: float, size: float | None = None, clock: Callable[[], float] | None = None
    ) -> Iterator[TokenBuckets[K]]:
        """Run the block with another rate (and size, and clock), every bucket starting full (tests)."""
        with self._lock:
            previous = self.rate, self.size, self.clock
            self.rate, self.size, self.clock = rate, rate if size is None else size, clock or self.clock
            self._buckets.clear()
        try:
            yield self
        finally:
            with self._lock:
                self.rate, self.size, self.clock = previous
                self._buckets.clear()
