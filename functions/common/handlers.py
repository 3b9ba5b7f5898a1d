"""A function's module exposes `handler(dependency)`, a factory of its Lambda handler, and `lambda_handler`, the
handler Lambda calls, built at cold start from production's dependencies (adapters.runtime.bootstrap). The
emulator and tests build their own from the same factory."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from functions.common.commands import Command
from functions.common.errors import Handler, outcomes_as_answers
from functions.common.observability import logger
from functions.common.requests import command_parser

C = TypeVar("C", bound=Command)


def command_handler(
    command: type[C],
    step: Callable[[C, dict[str, Any], Any], dict[str, Any]],
    logged: str | None = None,
    outside_body: tuple[str, ...] = ("orgId",),
    with_body: bool = True,
) -> Handler:
    """The handler of a step that a client's request starts: the request parsed into a `command` (its
    validator built now, at cold start), `step(command, event, context)`'s document answered and logged as
    `logged`, a business outcome answered as data (functions/common/errors.py)."""
    parse = command_parser(command, outside_body, with_body)

    @logger.inject_lambda_context
    @outcomes_as_answers
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        document = step(parse(event), event, context)
        if logged is not None:
            logger.info(logged, extra=document)
        return document

    return handler
