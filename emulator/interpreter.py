"""What the emulator changes in moto's Step Functions interpreter, and why (installed by emulator/patches.py).

- Each workflow definition is parsed once (moto parsed the ASL with ANTLR at every execution: most of its CPU).
- Executions, their programs and their task states run on reusable threads (emulator/workers.py) instead of a
  new thread each, and an execution's end is a future the sync caller waits on (no sleeping and polling).
- moto's interpreter keeps every thread it ever started in a module list (TMP_THREADS), and with it each
  execution's environment: a long-running emulator would grow without bound. Nothing is kept here.
- No Retry or Catch matches States.Runtime, as on AWS; States.ALL does match States.DataLimitExceeded, as AWS
  recorded (tests/recorded/stepfunctions).
- A Lambda task whose Resource is the function's ARN reports a failed invocation's cause as Lambda sent it (the
  runtime's JSON, with spaces); moto re-serialised it compactly, which is what the lambda:invoke integration does.
- A Standard execution's context object has Execution.RedriveCount (0: the emulator does not redrive).
- The interpreter copies an execution's data (its input, each path's value, each result) with copy.deepcopy,
  dozens of times a decision; that data is JSON, which json_copy copies several times faster.
- Lambda tasks invoke the project's real handlers in-process (LocalCloud._invoke), not Docker.
- The SNS topic logs each notification it accepts (the deployed topic e-mails it).
"""

from __future__ import annotations

import copy
import functools
import json
import logging
import types
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from moto.sns.models import Topic
from moto.stepfunctions.parser.api import StateMachineType
from moto.stepfunctions.parser.asl.component.common.error_name.error_equals_decl import ErrorEqualsDecl
from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import StatesErrorName
from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name_type import StatesErrorNameType
from moto.stepfunctions.parser.asl.component.eval_component import EvalComponent
from moto.stepfunctions.parser.asl.component.program.program import Program
from moto.stepfunctions.parser.asl.component.state.exec.state_task.lambda_eval_utils import (
    LambdaFunctionErrorException,
)
from moto.stepfunctions.parser.asl.component.state.exec.state_task.state_task_lambda import StateTaskLambda
from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser
from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker

from emulator.metrics import recorder
from emulator.workers import PooledThread, pool

__all__ = ["PooledThread"]

LambdaInvoker = Callable[[dict[str, Any], str, Any], dict[str, Any]]


class _Invocations:
    """Where Lambda tasks go: the running LocalCloud's in-process invoke (one cloud per process, as moto's mock)."""

    invoker: LambdaInvoker | None = None


invocations = _Invocations()


def invoke_lambda(parameters: dict[str, Any], region: str, state_credentials: Any) -> dict[str, Any]:
    if invocations.invoker is None:
        raise RuntimeError("no emulated cloud is running to invoke the function")
    return invocations.invoker(parameters, region, state_credentials)


@functools.lru_cache(maxsize=64)
def _parsed_program(definition: str) -> EvalComponent:
    program: EvalComponent = AmazonStateLanguageParser.parse(definition)[0]
    return program


def parsed_once(worker: ExecutionWorker) -> EvalComponent:
    """The parsed program is stateless (the interpreter keeps an execution's state in its environment)."""
    return _parsed_program(worker._evaluation_details.state_machine_details.definition)


def start_on_pool(worker: ExecutionWorker) -> None:
    """ExecutionWorker.start: the execution runs on a pooled thread; `worker.finished` says when it has ended."""
    finished: Future[Any] = pool.submit(worker._execution_logic, "execution")
    worker.finished = finished  # type: ignore[attr-defined]


def finished(worker: ExecutionWorker | None) -> Future[Any]:
    """The future of an execution started by start_on_pool."""
    if worker is None:
        raise RuntimeError("the execution was not started")
    future: Future[Any] = worker.finished  # type: ignore[attr-defined]
    return future


def program_eval_on_pool(program: Program, env: Any) -> None:
    """Program.eval as moto 5.2.5 writes it (the workflow's TimeoutSeconds enforced by a join), on the pool."""
    timeout = program.timeout_seconds.timeout_seconds if program.timeout_seconds else None
    env.next_state_name = program.start_at.start_at_name
    worker = PooledThread(target=EvalComponent.eval, args=(program, env), name="program")
    worker.start()
    worker.join(timeout=timeout)
    if worker.is_alive():
        env.set_timed_out()


class _NoThreads(list[Any]):
    """moto's TMP_THREADS, keeping nothing."""

    def append(self, _: Any) -> None:
        return None


NO_THREAD_LIST = _NoThreads()


_SCALARS = (str, int, float, bool, type(None))


def json_copy(value: Any, memo: Any = None) -> Any:
    """copy.deepcopy for JSON data (dicts, lists, strings, numbers, booleans, null); anything else goes to
    copy.deepcopy. JSON data has no shared or cyclic parts to preserve, so no memo is needed."""
    kind = type(value)
    if kind is dict:
        return {key: json_copy(item) for key, item in value.items()}
    if kind is list:
        return [json_copy(item) for item in value]
    if kind in _SCALARS:
        return value
    return copy.deepcopy(value, memo)


JSON_COPY = types.SimpleNamespace(deepcopy=json_copy)
"""Stands for the copy module in the interpreter modules that copy only data (they use nothing else of it)."""


def cached(parse: Callable[[str], Any]) -> Callable[[str], Any]:
    return functools.lru_cache(maxsize=1024)(parse)


TERMINAL_ERRORS = frozenset({StatesErrorNameType.StatesRuntime})
"""What no Retry or Catch matches, States.ALL or the error's own name: "These errors are not retriable and will
always cause the execution to fail" (States.Runtime, https://docs.aws.amazon.com/step-functions/latest/dg/
concepts-error-handling.html); AWS recorded a Catch on ["States.Runtime"] not catching it (LocalStack's
test_base_scenarios::test_catch_states_runtime). moto's interpreter lets States.ALL match it: the execution would go
on to a compensation that AWS never runs.

The same page says States.ALL cannot catch States.DataLimitExceeded either, but AWS recorded a Catch on States.ALL
catching it when a Lambda task's result was over 256 KiB, by ARN and through lambda:invoke (test_states_errors::
test_*_catch_state_all_data_limit_exceeded_on_large_utf8_response, 2024-03-21): that is what the emulator does."""


def terminal_errors_uncaught(original: Callable[[ErrorEqualsDecl, Any], None]) -> Callable[..., None]:
    """ErrorEqualsDecl._eval_body pops the error name and pushes whether this ErrorEquals matches it."""

    @functools.wraps(original)
    def matches(self: ErrorEqualsDecl, env: Any) -> None:
        error_name = env.stack[-1]
        if isinstance(error_name, StatesErrorName) and error_name.typ in TERMINAL_ERRORS:
            env.stack.pop()
            env.stack.append(False)
            return
        original(self, env)

    return matches


def lambda_cause_as_sent(original: Callable[[StateTaskLambda, Any, Exception], Any]) -> Callable[..., Any]:
    """StateTaskLambda._from_error (a task whose Resource is the function's ARN) with the cause of a failed
    invocation as Lambda's runtime sent it: AWS recorded `{"errorMessage": "...", "errorType": ...}` there, with
    the spaces of Python's json.dumps, and the compact form only through lambda:invoke (test_task_lambda and
    test_task_service_lambda, 2024-11-28). moto's invoke hands over the payload compacted."""

    @functools.wraps(original)
    def from_error(self: StateTaskLambda, env: Any, ex: Exception) -> Any:
        if isinstance(ex, LambdaFunctionErrorException):
            try:
                sent = json.dumps(json.loads(ex.payload))
            except ValueError:
                sent = ex.payload
            ex = LambdaFunctionErrorException(ex.function_error, sent)
        return original(self, env, ex)

    return from_error


def with_redrive_count(original: Callable[[ExecutionWorker], Any]) -> Callable[..., Any]:
    """ExecutionWorker._get_evaluation_environment, whose context object's Execution then has RedriveCount, as a
    Standard execution's has on AWS (0 until redriven; an Express one has none): recorded in test_base::
    test_query_context_object_values and test_context_object::test_input_path[$$]."""

    @functools.wraps(original)
    def environment(self: ExecutionWorker) -> Any:
        env = original(self)
        if self._evaluation_details.state_machine_details.typ == StateMachineType.STANDARD:
            env.states.context_object.context_object_data["Execution"]["RedriveCount"] = 0
        return env

    return environment


def logged_publish(original: Callable[..., str]) -> Callable[..., str]:
    @functools.wraps(original)
    def logged(topic: Topic, message: str, *args: Any, **kwargs: Any) -> str:
        message_id = original(topic, message, *args, **kwargs)
        # SNS's metrics of a message published, by TopicName
        recorder.put("AWS/SNS", "NumberOfMessagesPublished", 1, {"TopicName": topic.name})
        recorder.put("AWS/SNS", "PublishSize", len(message.encode("utf-8")), {"TopicName": topic.name}, "Bytes")
        logging.getLogger("emulator").info("notification published: %s", message)
        return message_id

    return logged
