"""Where moto spends a DynamoDB request's time on work whose answer never changes, done once (installed by
emulator/patches.py). Nothing here changes what moto answers.

- Dispatch: moto lists a handler class's methods with inspect.getmembers at every request to find the action;
  a class's methods do not change while the emulator runs (tests replace methods, never add them).
- Response serialization: for every member of every structure it writes (ten per DynamoDB attribute value), moto
  asks six alias providers which names to look the member up by. For a plain dict those names depend only on
  the member's name, its shape and the shape's parent, so they are worked out once per (name, shape, parent).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import Any

_KeysOf = Callable[[Any, Any], Iterable[str]]


def cached_method_names(original: Callable[[object], list[str]]) -> Callable[[object], list[str]]:
    @functools.wraps(original)
    def method_names(clazz: object) -> list[str]:
        return _method_names(original, clazz)

    return method_names


@functools.lru_cache(maxsize=256)
def _method_names(original: Callable[[object], list[str]], clazz: object) -> list[str]:
    return original(clazz)


def possible_keys_of_dicts(original: _KeysOf) -> _KeysOf:
    """XFormedAttributePicker.get_possible_keys, remembered for plain dicts (whose only other inputs to the alias
    providers are their class name, always "dict", and their lack of a Meta class)."""
    known: dict[tuple[str, int, int], tuple[Any, Any, tuple[str, ...]]] = {}

    @functools.wraps(original)
    def possible_keys(picker: Any, context: Any) -> Iterable[str]:
        if type(context.obj) is not dict:
            return original(picker, context)
        shape = context.shape
        parent = getattr(shape, "parent", None)
        index = (context.key, id(shape), id(parent))
        entry = known.get(index)
        if entry is None or entry[0] is not shape or entry[1] is not parent:
            # The entry keeps shape and parent alive, so their ids cannot be reused by other objects.
            entry = (shape, parent, tuple(original(picker, context)))
            known[index] = entry
        return entry[2]

    return possible_keys
