"""What moto keeps that a long-running emulator cannot afford, bounded (installed by emulator/patches.py).

moto remembers every instance of its models ever created (BaseModel.__new__ appends each to its class's
`instances_tracked`, for its dashboard at /moto-api/data.json), garbage included: every DynamoDB Item it builds
(each read answers deep copies of the items it read) and a copy of the state machine for every execution. A long
session grew by about 20 KB a request, for ever (issue 22). Here each class tracks its instances weakly: the
dashboard still lists every instance alive, in the order they were made, and what nothing else holds is freed.
"""

from __future__ import annotations

import itertools
import threading
import weakref
from collections.abc import Callable, Iterator
from typing import Any

from moto.core.common_models import BaseModel


class LiveInstances:
    """A class's instances, tracked as moto's list is (append, iterate, len), without keeping them alive."""

    def __init__(self, already: Any = ()) -> None:
        self._order = itertools.count()
        self._alive: weakref.WeakValueDictionary[int, Any] = weakref.WeakValueDictionary()
        self._kept: list[Any] = []
        """Instances that cannot be referred to weakly (a class with __slots__ and no __weakref__): kept, as by moto."""
        self._lock = threading.Lock()
        for instance in already:
            self.append(instance)

    def append(self, instance: Any) -> None:
        try:
            self._alive[next(self._order)] = instance
        except TypeError:
            with self._lock:
                self._kept.append(instance)

    def _snapshot(self) -> list[Any]:
        return [*self._alive.values(), *self._kept]

    def __iter__(self) -> Iterator[Any]:
        return iter(self._snapshot())

    def __len__(self) -> int:
        return len(self._snapshot())


def weakly_tracked(original: Callable[..., Any]) -> Callable[..., Any]:
    """BaseModel.__new__, with the instance tracked in a LiveInstances (one per class; moto's reset, which puts a
    new list in its place, is followed by a LiveInstances again at the next instance)."""

    def __new__(cls: Any, *args: Any, **kwargs: Any) -> Any:
        instance = super(BaseModel, cls).__new__(cls)  # as moto's: the next class after BaseModel makes it
        tracked = cls.__dict__.get("instances_tracked")
        if not isinstance(tracked, LiveInstances):
            tracked = LiveInstances(tracked or ())
            cls.instances_tracked = tracked
        tracked.append(instance)
        return instance

    __new__.__wrapped__ = original  # type: ignore[attr-defined]
    return __new__
