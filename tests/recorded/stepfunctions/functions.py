"""The Lambda functions of the recorded cases, by behaviour: each does what the recorded one did
(tests/aws/services/stepfunctions/templates/**/lambdafunctions/*.py and lambda_functions/base/*.py in
localstack/localstack), as the emulator runs a function: a handler(event, context) called in-process.

Each handler is named `handler`, as the recorded ones were, and raises on a line of the same text, so that the
stack trace Lambda reports (its frames' function names and source lines) can be compared with the recorded one.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

Handler = Callable[[dict[str, Any], Any], Any]

LARGE_OUTPUT_BYTES = 257 * 1024


def raise_exception() -> Handler:
    def handler(event: Any, context: Any) -> Any:
        raise Exception("Some exception was raised.")

    return handler


class CustomException(Exception):
    """As the recorded function's: its __init__ does not pass a message on (str() is empty)."""

    message: str

    def __init__(self) -> None:
        self.message = "CustomException message"


def raise_custom_exception() -> Handler:
    def handler(event: Any, context: Any) -> Any:
        raise CustomException()

    return handler


def identity() -> Handler:
    def handler(event: Any, context: Any) -> Any:
        return event

    return handler


def echo() -> Handler:
    def handler(event: Any, context: Any) -> Any:
        return {"Return": "HelloWorld"}

    return handler


def hello_world_string() -> Handler:
    """The recorded function returns the bytes b'"HelloWorld!"', which Python's Lambda runtime sends as the payload
    unchanged: the JSON string "HelloWorld!". Returning that string gives Step Functions the same payload (the
    emulator, like the runtime, JSON-encodes what a handler returns; it has no bytes path)."""

    def handler(event: Any, context: Any) -> Any:
        return "HelloWorld!"

    return handler


def large_output() -> Handler:
    """The recorded function returns 257 KiB of b"a", an answer over Step Functions' 256 KiB: a 257 KiB string
    is the same for Step Functions (a payload over the limit)."""

    def handler(event: Any, context: Any) -> Any:
        return "a" * LARGE_OUTPUT_BYTES

    return handler


class Stalled:
    """Holds the functions that wait (the recorded one sleeps 60 s) until the test lets them go."""

    def __init__(self) -> None:
        self.release = threading.Event()


def wait_60_seconds(stalled: Stalled) -> Handler:
    def handler(event: Any, context: Any) -> Any:
        stalled.release.wait(60)
        return event

    return handler


BEHAVIOURS: dict[str, Callable[[], Handler]] = {
    "raise_exception": raise_exception,
    "raise_custom_exception": raise_custom_exception,
    "identity": identity,
    "echo": echo,
    "hello_world_string": hello_world_string,
    "large_output": large_output,
}
