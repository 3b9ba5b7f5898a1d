"""Where moto spends a DynamoDB request's time on work whose answer never changes, done once (installed by
emulator/patches.py). Nothing here changes what moto answers.

- Dispatch: moto lists a handler class's methods with inspect.getmembers at every request to find the action;
  a class's methods do not change while the emulator runs (tests replace methods, never add them).
- Response serialization: for every member of every structure it writes (ten per DynamoDB attribute value), moto
  asks six alias providers which names to look the member up by. For a plain dict those names depend only on
  the member's name, its shape and the shape's parent, so they are worked out once per (name, shape, parent).
- Expressions: a fifth of a decision's CPU went to parsing condition and update expressions, each several times
  a request (moto's request validation parses them, then the emulator's transaction and moto's update parse them
  again). A condition's syntax tree depends only on the expression, its names and its values, and evaluating it
  changes nothing in it, so the same three parse once. The update expressions the request validation parses are
  only searched (for the names they use), never changed, so each is parsed once there; moto's update_item still
  parses its own copy, which its validator rewrites.
- Queries: moto reads every item of the table, sorted, for each Query and keeps the partition's; the emulator
  hands it the partition's items alone (partition_query), so a request's cost no longer grows with the table.
"""

from __future__ import annotations

import functools
import json
import threading
from collections import OrderedDict
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


CONDITIONS_KEPT = 2048
"""How many parsed conditions are kept (the least recently used goes first)."""


def remembered_conditions(original: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """ConditionExpressionParser.parse, once per (expression, names, values): the syntax tree it returns and the
    names and values it records on the parser as having found."""
    kept: OrderedDict[tuple[str, str, str], tuple[Any, tuple[str, ...], tuple[str, ...]]] = OrderedDict()
    lock = threading.Lock()

    @functools.wraps(original)
    def parse(parser: Any) -> Any:
        if not parser.condition_expression:
            return original(parser)
        key = (
            parser.condition_expression,
            json.dumps(parser.expression_attribute_names, sort_keys=True),
            json.dumps(parser.expression_attribute_values, sort_keys=True),
        )
        with lock:
            found = kept.get(key)
            if found is not None:
                kept.move_to_end(key)
        if found is None:
            tree = original(parser)  # an invalid expression raises here, every time
            found = (tree, tuple(parser.expr_attr_names_found), tuple(parser.expr_attr_values_found))
            with lock:
                kept[key] = found
                if len(kept) > CONDITIONS_KEPT:
                    kept.popitem(last=False)
            return tree
        tree, names, values = found
        parser.expr_attr_names_found.extend(names)
        parser.expr_attr_values_found.extend(values)
        return tree

    return parse


class _SearchedUpdateExpressions:
    """What moto's request validation uses of UpdateExpressionParser: `make`, whose tree it only searches."""

    def __init__(self, parser: Any) -> None:
        self.make = functools.lru_cache(maxsize=1024)(parser.make)


def searched_update_expressions(parser: Any) -> Any:
    return _SearchedUpdateExpressions(parser)


class _Partition:
    """A table as one Query sees it: `all_items()` gives only the items the query's partition key can match, in the
    order the whole table's would list them; everything else is the table's."""

    def __init__(self, table: Any, items: list[Any]) -> None:
        self._table = table
        self._items = items

    def all_items(self) -> list[Any]:
        return self._items

    def __getattr__(self, name: str) -> Any:
        return getattr(self._table, name)


def _collection(table: Any, hash_key: Any) -> list[Any]:
    """The items of one partition of the table, in sort-key order."""
    partition = table.items.get(hash_key)
    return [] if partition is None else sorted(partition.values(), key=lambda item: item.range_key)


def _partition_items(table: Any, hash_key: Any, index_name: str | None, conditions: Any) -> list[Any] | None:
    """The items of the partition a Query names, or None where this cannot tell (moto then reads the table).

    - The table, or a local index (whose partition key is the table's): the partition's own collection of items.
    - A global index: the items whose index key attributes equal the query's, found in one pass over the table's
      items; only they are sorted (moto sorted every item of the table, at every page).
    """
    if not table.range_key_attr:
        return None
    if index_name is None:
        return _collection(table, hash_key)
    index = {index.name: index for index in table.all_indexes()}.get(index_name)
    if index is None or not conditions:
        return None  # moto's own error for an unknown index
    wanted = dict(conditions)
    hash_attributes = [key["AttributeName"] for key in index.schema if key["KeyType"] == "HASH"]
    if set(wanted) != set(hash_attributes):
        return None
    if hash_attributes == [table.hash_key_attr]:  # a local index: the table's partition
        return _collection(table, wanted[table.hash_key_attr])
    found = [
        item
        for partition in table.items.values()
        for item in partition.values()
        if all(_equals(item.attrs.get(name), value) for name, value in wanted.items())
    ]
    return sorted(found, key=lambda item: (item.hash_key, item.range_key))


def _equals(attribute: Any, value: Any) -> bool:
    return attribute is not None and attribute == value


def partition_query(original: Callable[..., Any]) -> Callable[..., Any]:
    """Table.query reading the partition it names. moto's reads `all_items()`, every item of the table sorted, then
    keeps those of the partition: a ledger page cost O(table) where DynamoDB's costs O(page), and a long session
    slowed as the table grew. The answer is the same: the same items reach moto's own filtering, sorting, paging
    and projection, in the same order (moto's own DynamoDB tests run on this, `make moto-suite`)."""

    @functools.wraps(original)
    def query(table: Any, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
        index_name = args[6] if len(args) > 6 else kwargs.get("index_name")
        items = _partition_items(table, hash_key, index_name, kwargs.get("hash_key_conditions"))
        if items is None:
            return original(table, hash_key, *args, **kwargs)
        return original(_Partition(table, items), hash_key, *args, **kwargs)

    return query
