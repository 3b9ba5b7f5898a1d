"""Every change the emulator makes to a library's internals, in one place.

`apply()` runs when the emulator starts (LocalCloud.start; the tests' session fixture), never at import. It first
checks that each library is the version pinned in requirements-dev.txt and that everything it replaces exists
with the parameters it expects; if anything differs it changes nothing and stops the start with a message that
names the library, the version expected and what changed (LibraryChanged). What each replacement does, and why,
lives beside it (emulator/dynamodb.py, emulator/vtl.py, emulator/interpreter.py); this module only installs.
"""

from __future__ import annotations

import importlib.metadata
import inspect
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import airspeed  # type: ignore[import-untyped, unused-ignore]
from aws_lambda_powertools.metrics.provider.cloudwatch_emf.cloudwatch import AmazonCloudWatchEMFProvider
from jsonpath_ng.ext.parser import parse as jsonpath_ext_parse
from jsonpath_ng.parser import parse as jsonpath_parse
from moto.cloudwatch.models import CloudWatchBackend
from moto.core import responses as moto_responses
from moto.core.common_models import BaseModel
from moto.core.serialize import XFormedAttributePicker
from moto.dynamodb import responses as dynamodb_responses
from moto.dynamodb.comparisons import ConditionExpressionParser
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.table import Table
from moto.dynamodb.responses import DynamoHandler
from moto.sns.models import Topic
from moto.stepfunctions.parser.asl.component.common.error_name.error_equals_decl import ErrorEqualsDecl
from moto.stepfunctions.parser.asl.component.common.path import result_path
from moto.stepfunctions.parser.asl.component.common.string import string_expression
from moto.stepfunctions.parser.asl.component.program.program import Program
from moto.stepfunctions.parser.asl.component.state.exec import execute_state
from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils
from moto.stepfunctions.parser.asl.component.state.exec.state_task.state_task_lambda import StateTaskLambda
from moto.stepfunctions.parser.asl.eval import states
from moto.stepfunctions.parser.asl.utils import json_path
from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker

from emulator import dynamodb, interpreter, metrics, motofast, retention, vtl

PINNED = {"moto": "5.2.5", "airspeed": "0.7.1", "jsonpath-ng": "1.16.0", "aws-lambda-powertools": "3.37.0"}
"""The versions whose internals are patched here (requirements-dev.txt pins the same)."""


class LibraryChanged(RuntimeError):
    """A patched library is not what this module was written against: the emulator must not start."""


_KEEP = object()
"""A Patch's `parameters` when the target is not a function (a regex, a class attribute, a module's name)."""


@dataclass(frozen=True)
class Patch:
    library: str
    owner: Any
    """The class or module whose attribute is replaced."""
    name: str
    replacement: Callable[[Any], Any]
    """Given what is there now, gives what to put there."""
    parameters: tuple[str, ...] | object = _KEEP
    """The leading parameter names the replaced function must have (_KEEP: only that it exists)."""

    def where(self) -> str:
        owner = getattr(self.owner, "__qualname__", None) or getattr(self.owner, "__name__", repr(self.owner))
        return f"{self.library} {PINNED[self.library]}: {owner}.{self.name}"

    def problem(self) -> str | None:
        if not hasattr(self.owner, self.name):
            return f"{self.where()} no longer exists"
        if self.parameters is _KEEP:
            return None
        assert isinstance(self.parameters, tuple)
        found = tuple(inspect.signature(getattr(self.owner, self.name)).parameters)[: len(self.parameters)]
        if found != self.parameters:
            return f"{self.where()} now takes {found}, not {self.parameters}"
        return None


def _moto() -> list[Patch]:
    backend, handler = DynamoDBBackend, DynamoHandler
    return [
        # DynamoDB's transaction isolation and cost (emulator/dynamodb.py).
        Patch("moto", backend, "transact_write_items", lambda _: dynamodb.transact_write_items,
              ("self", "transact_items")),
        Patch("moto", backend, "put_item", lambda original: dynamodb.single_write(original, "item_attrs"),
              ("self", "table_name", "item_attrs")),
        Patch("moto", backend, "update_item", lambda original: dynamodb.single_write(original, "key"),
              ("self", "table_name", "key")),
        Patch("moto", backend, "delete_item", lambda original: dynamodb.single_write(original, "key"),
              ("self", "table_name", "key")),
        Patch("moto", backend, "get_item", dynamodb.committed_read, ("self", "table_name", "keys")),
        Patch("moto", backend, "query", dynamodb.committed_read, ("self", "table_name")),
        Patch("moto", backend, "scan", dynamodb.committed_read, ("self", "table_name")),
        Patch("moto", handler, "transact_get_items", dynamodb.transact_get_items, ("self",)),
        # Work whose answer never changes, done once (emulator/motofast.py).
        Patch("moto", moto_responses, "method_names_from_class", motofast.cached_method_names, ("clazz",)),
        Patch("moto", XFormedAttributePicker, "get_possible_keys", motofast.possible_keys_of_dicts,
              ("self", "context")),
        Patch("moto", ConditionExpressionParser, "parse", motofast.remembered_conditions, ("self",)),
        Patch("moto", dynamodb_responses, "UpdateExpressionParser", motofast.searched_update_expressions),
        Patch("moto", Table, "query", motofast.partition_query,
              ("self", "hash_key", "range_comparison", "range_objs", "limit", "exclusive_start_key",
               "scan_index_forward", "projection_expressions", "index_name")),
        # Every model instance moto made, tracked without keeping it alive (emulator/retention.py).
        Patch("moto", BaseModel, "__new__", retention.weakly_tracked, ("cls",)),
        # The Step Functions interpreter (emulator/interpreter.py).
        Patch("moto", ExecutionWorker, "_get_evaluation_entrypoint", lambda _: interpreter.parsed_once, ("self",)),
        Patch("moto", ExecutionWorker, "start", lambda _: interpreter.start_on_pool, ("self",)),
        Patch("moto", Program, "eval", lambda _: interpreter.program_eval_on_pool, ("self", "env")),
        Patch("moto", execute_state, "Thread", lambda _: interpreter.PooledThread),
        Patch("moto", execute_state, "TMP_THREADS", lambda _: interpreter.NO_THREAD_LIST),
        *[Patch("moto", module, "copy", lambda _: interpreter.JSON_COPY)
          for module in (states, string_expression, execute_state, result_path)],
        Patch("moto", ErrorEqualsDecl, "_eval_body", interpreter.terminal_errors_uncaught, ("self", "env")),
        Patch("moto", StateTaskLambda, "_from_error", interpreter.lambda_cause_as_sent, ("self", "env", "ex")),
        Patch("moto", ExecutionWorker, "_get_evaluation_environment", interpreter.with_redrive_count, ("self",)),
        Patch("moto", lambda_eval_utils, "_invoke_lambda_function", lambda _: interpreter.invoke_lambda,
              ("parameters", "region", "state_credentials")),
        Patch("moto", Topic, "publish", interpreter.logged_publish, ("self", "message")),
        # The metrics the emulator recorded, handed to moto's CloudWatch when something reads it (emulator/metrics.py).
        Patch("moto", CloudWatchBackend, "get_all_metrics", metrics.flushed_first, ("self",)),
    ]  # fmt: skip


def _jsonpath() -> list[Patch]:
    # moto builds a new JSONPath parser (a yacc table) for every path it evaluates: a tenth of a decision's CPU.
    # A parsed path is read, never changed, by find and update, so each distinct path is parsed once.
    return [
        Patch("jsonpath-ng", json_path, "parse", lambda _: interpreter.cached(jsonpath_ext_parse)),
        Patch("jsonpath-ng", result_path, "parse", lambda _: interpreter.cached(jsonpath_parse)),
    ]


def _airspeed() -> list[Patch]:
    """airspeed aligned with the Velocity 1.7 behind API Gateway (the replacements and why: emulator/vtl.py)."""
    a = airspeed
    name = vtl.VELOCITY_NAME

    def operators(table: dict[str, Any]) -> dict[str, Any]:
        table.update(vtl.BINARY_OPERATORS)
        return table

    def unary(table: dict[str, Any]) -> dict[str, Any]:
        table.update(vtl.UNARY_OPERATORS)
        return table

    def methods(table: dict[type, dict[str, Any]]) -> dict[type, dict[str, Any]]:
        for owner, added in vtl.ADDITIONAL_METHODS.items():
            table.setdefault(owner, {}).update(added)
        return table

    return [
        Patch("airspeed", a.StringLiteral, "STRING", lambda _: re.compile(r"'((?:[^']|'')*)'", re.DOTALL)),
        Patch("airspeed", a.InterpolatedStringLiteral, "STRING",
              lambda _: re.compile(r'"((?:\\.|""|[^"\\]|\\)*)"', re.DOTALL)),
        Patch("airspeed", a.StringLiteral, "parse", lambda _: vtl.parse_string_literal, ("self",)),
        Patch("airspeed", a.InterpolatedStringLiteral, "parse", lambda _: vtl.parse_string_literal, ("self",)),
        Patch("airspeed", a.InterpolatedStringLiteral, "calculate", lambda _: vtl.interpolate,
              ("self", "namespace", "loader")),
        # Velocity 1.7 identifiers may contain '-': #set($context.responseOverride.header.X-Trace-Id = ...)
        Patch("airspeed", a.NameOrCall, "NAME", lambda _: re.compile(f"({name})", re.IGNORECASE)),
        Patch("airspeed", a.SetDirective, "PLACE",
              lambda _: re.compile(rf"\s*\$({name}(?:\.{name})*)", re.IGNORECASE)),
        Patch("airspeed", a.SetDirective, "parse", lambda _: vtl.parse_set, ("self",)),
        Patch("airspeed", a.SetDirective, "evaluate_raw", lambda _: vtl.set_place,
              ("self", "stream", "namespace", "loader")),
        Patch("airspeed", a.FormalReference, "evaluate_raw", lambda _: vtl.render_reference,
              ("self", "stream", "namespace", "loader")),
        Patch("airspeed", a.NameOrCall, "calculate", vtl.no_method_as_property,
              ("self", "current_object", "loader", "top_namespace")),
        Patch("airspeed", a.ElseBlock, "parse", lambda _: vtl.parse_else_block, ("self",)),
        Patch("airspeed", a.Block, "parse", lambda original: vtl.then(original, vtl.drop_space_before_set),
              ("self",)),
        Patch("airspeed", a.Condition, "parse", lambda original: vtl.then(original, vtl.truth_of_condition),
              ("self",)),  # #if / #elseif
        Patch("airspeed", a.ForeachDirective, "parse", lambda original: vtl.then(original, vtl.foreach_values),
              ("self",)),
        Patch("airspeed", a.BinaryOperator, "OPERATORS", operators),
        Patch("airspeed", a.UnaryOperatorValue, "OPERATORS", unary),
        Patch("airspeed", a, "__additional_methods__", methods),
        Patch("airspeed", a, "WHITESPACE_TO_END_OF_LINE", lambda same: same),  # vtl.parse_else_block reads it
        Patch("airspeed", a, "Text", lambda same: same),  # vtl.drop_space_before_set reads it
    ]  # fmt: skip


def _powertools() -> list[Patch]:
    return [
        # The service's EMF metrics into the emulated CloudWatch (emulator/metrics.py).
        Patch("aws-lambda-powertools", AmazonCloudWatchEMFProvider, "flush_metrics", metrics.captured_emf,
              ("self", "raise_on_empty_metrics")),
    ]  # fmt: skip


def all_patches() -> list[Patch]:
    return [*_moto(), *_jsonpath(), *_airspeed(), *_powertools()]


_lock = threading.Lock()
_applied = False


def check(patches: list[Patch]) -> None:
    """Raise LibraryChanged, naming every difference, unless every library and target is as expected."""
    problems = []
    for library, version in PINNED.items():
        installed = importlib.metadata.version(library)
        if installed != version:
            problems.append(f"{library} {installed} is installed, the emulator patches {library} {version}")
    problems += [problem for patch in patches if (problem := patch.problem()) is not None]
    if problems:
        raise LibraryChanged(
            "the emulator cannot start: " + "; ".join(problems) + ". Install the pinned versions "
            "(make clean && make run), or update emulator/patches.py and what it installs for the new version."
        )


def apply() -> None:
    """Check, then install every patch (once per process)."""
    global _applied
    with _lock:
        if _applied:
            return
        patches = all_patches()
        check(patches)
        for patch in patches:
            setattr(patch.owner, patch.name, patch.replacement(getattr(patch.owner, patch.name)))
        dynamodb.originals_captured()
        _applied = True


def applied() -> bool:
    return _applied
