"""{{Name}} placeholders in a JSON-like template (mappings, lists, strings), filled from a mapping of values.

Their own braces keep them apart from what the outputs keep for later: CloudFormation's ${...} (Fn::Sub,
DefinitionSubstitutions) and Velocity's $name.
"""

from __future__ import annotations

import re
from typing import Any

PLACEHOLDER = re.compile(r"\{\{([A-Za-z0-9_.-]+)\}\}")


def names(template: Any) -> set[str]:
    """The placeholders the template asks for."""
    if isinstance(template, str):
        return set(PLACEHOLDER.findall(template))
    if isinstance(template, list):
        return set().union(*map(names, template))
    if isinstance(template, dict):
        return set().union(*map(names, template), *map(names, template.values()))
    return set()


def fill(template: Any, values: dict[str, Any]) -> Any:
    """The template with every placeholder replaced (one with no value is an error).

    A string that is one placeholder becomes the value, whatever its type; a placeholder inside a string is
    replaced by the value, a string. In a list, a placeholder item whose value is a list is replaced by its items;
    in a mapping, a placeholder key whose value is a mapping by its entries.
    """

    def value(name: str) -> Any:
        if name not in values:
            raise KeyError(f"no value for the placeholder {{{{{name}}}}}")
        return values[name]

    def text(string: str) -> Any:
        whole = PLACEHOLDER.fullmatch(string)
        if whole is not None:
            return value(whole.group(1))

        def replace(match: re.Match[str]) -> str:
            found = value(match.group(1))
            if not isinstance(found, str):
                raise TypeError(f"{match.group(0)} stands inside a string, so its value must be one: {found!r}")
            return found

        return PLACEHOLDER.sub(replace, string)

    def walk(node: Any) -> Any:
        if isinstance(node, str):
            return text(node)
        if isinstance(node, list):
            items: list[Any] = []
            for item in node:
                filled = walk(item)
                spliced = isinstance(item, str) and PLACEHOLDER.fullmatch(item) and isinstance(filled, list)
                items.extend(filled if spliced else [filled])
            return items
        if isinstance(node, dict):
            entries: dict[str, Any] = {}
            for key, item in node.items():
                filled_key = text(key)
                if isinstance(filled_key, dict):
                    entries.update(filled_key)
                else:
                    entries[filled_key] = walk(item)
            return entries
        return node

    return walk(template)
