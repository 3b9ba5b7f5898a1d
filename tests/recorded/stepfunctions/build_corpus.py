"""Writes corpus.json: the Step Functions executions AWS recorded for LocalStack's test suite (github
localstack/localstack, Apache-2.0), as the cases tests/recorded/stepfunctions replays through the emulator.

Not run by the tests (they read corpus.json). To regenerate, with a git mirror of localstack/localstack:

    .venv/app/bin/python -m tests.recorded.stepfunctions.build_corpus /path/to/localstack.git

What is taken from the recording, per case: the snapshot's key (the case id), its recorded-date, the recorded
answer (an execution history, a DescribeExecution or StartSyncExecution answer, or a Choice test's output), and the
input of the recorded execution (its ExecutionStarted event, or the test's own literal where the recording
normalised it). The state machine is the test's template, transcribed as data with the edits the test makes to it
(a Lambda task's Resource, a path put in). Each Lambda function is named by the behaviour of the recorded one
(functions.py). Nothing of LocalStack's code is used: the normalisation is normalise.py's.
"""

from __future__ import annotations

import copy
import json
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "corpus.json"
SNAPSHOTS = "tests/aws/services/stepfunctions/v2/"
TEMPLATES = "tests/aws/services/stepfunctions/templates/"
REGION_ACCOUNT = "arn:aws:lambda:@@region@@:@@account@@:function:"
"""A Lambda function's ARN in a definition: the harness puts in the emulator's region, account and function name."""

Edit = Callable[[dict[str, Any]], None]


@dataclass
class Spec:
    test: str
    """The snapshot key below tests/aws/services/stepfunctions/v2/ (file::Class::test[param])."""
    template: str | dict[str, Any]
    """A template below templates/ (JSON5), or the test's own inline definition."""
    edits: list[Edit] = field(default_factory=list)
    text_edits: list[tuple[str, str]] = field(default_factory=list)
    """Replacements the test makes in the definition's JSON text."""
    functions: dict[str, tuple[str, str]] = field(default_factory=dict)
    """token (@@fn1@@) -> (the recording's placeholder for the function's name, behaviour in functions.py)."""
    inputs: dict[str, Any] | None = None
    """content key -> the execution's input, where the recording normalised it (otherwise read from the history)."""
    paths: dict[str, str] = field(default_factory=dict)
    """Keys whose values the test replaced wherever they are ($..Key), and with what."""
    regex: list[tuple[str, str]] = field(default_factory=list)
    """The test's own regular-expression replacements, applied to the serialised answer as it did."""
    workflow_type: str = "STANDARD"
    content: list[str] | None = None
    """Which of the recorded answers to replay (all that this harness understands, unless given)."""


def resource(state: str, token: str = "@@fn1@@") -> Edit:
    def edit(definition: dict[str, Any]) -> None:
        definition["States"][state]["Resource"] = REGION_ACCOUNT + token

    return edit


def put(path: tuple[str, ...], value: Any) -> Edit:
    def edit(definition: dict[str, Any]) -> None:
        target = definition
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return edit


def catch_also(state: str, error: str) -> Edit:
    def edit(definition: dict[str, Any]) -> None:
        definition["States"][state]["Catch"][0]["ErrorEquals"].append(error)

    return edit


FN = "<lambda_function_name>"
FN1 = "<lambda_function_1_name>"
RAISE = "raise_exception"
CUSTOM = "raise_custom_exception"
IDENTITY = "identity"
LARGE = "large_output"

EH = "errorhandling/statemachines/"
SC = "scenarios/statemachines/"
BASE = "base/statemachines/"
CO = "context_object/statemachines/"
SV = "services/statemachines/"
IF = "intrinsicfunctions/statemachines/"


def _error_handling() -> list[Spec]:
    lam = "error_handling/test_task_lambda.py::TestTaskLambda::"
    svc = "error_handling/test_task_service_lambda.py::TestTaskServiceLambda::"
    err = "error_handling/test_states_errors.py::TestStatesErrors::"
    raising = {"@@fn1@@": (FN, RAISE)}
    specs = [
        Spec(lam + "test_raise_exception", EH + "task_lambda_invoke_catch_unknown.json5", [resource("Start")],
             functions=raising),
        Spec(lam + "test_raise_custom_exception", EH + "task_lambda_invoke_catch_tbd.json5",
             [resource("InvokeLambda"), catch_also("InvokeLambda", "CustomException")],
             functions={"@@fn1@@": (FN, CUSTOM)}),
        Spec(lam + "test_raise_exception_catch", EH + "task_lambda_invoke_catch_relevant.json5", [resource("Start")],
             functions=raising),
        Spec(lam + "test_no_such_function", EH + "task_lambda_invoke_catch_unknown.json5", [resource("Start")],
             functions=raising),
        Spec(lam + "test_no_such_function_catch", EH + "task_lambda_invoke_catch_relevant.json5",
             [resource("Start")], functions=raising),
        Spec(svc + "test_raise_exception", EH + "task_service_lambda_invoke_catch_unknown.json5", functions=raising),
        Spec(svc + "test_raise_custom_exception", EH + "task_service_lambda_invoke_catch_tbd.json5",
             [catch_also("InvokeLambda", "CustomException")], functions={"@@fn1@@": (FN, CUSTOM)}),
        Spec(svc + "test_raise_exception_catch", EH + "task_service_lambda_invoke_catch_relevant.json5",
             functions=raising),
        Spec(svc + "test_no_such_function", EH + "task_service_lambda_invoke_catch_unknown.json5",
             functions=raising),
        Spec(svc + "test_no_such_function_catch", EH + "task_service_lambda_invoke_catch_relevant.json5",
             functions=raising),
        Spec(err + "test_service_task_lambada_data_limit_exceeded_on_large_utf8_response",
             EH + "task_service_lambda_invoke_catch_data_limit_exceeded.json5", functions={"@@fn1@@": (FN, LARGE)}),
        Spec(err + "test_service_task_lambada_catch_state_all_data_limit_exceeded_on_large_utf8_response",
             EH + "task_service_lambda_invoke_catch_all.json5", functions={"@@fn1@@": (FN, LARGE)}),
        Spec(err + "test_task_lambda_data_limit_exceeded_on_large_utf8_response",
             EH + "task_service_lambda_invoke_catch_data_limit_exceeded.json5", [resource("InvokeLambda")],
             functions={"@@fn1@@": (FN, LARGE)}),
        Spec(err + "test_task_lambda_catch_state_all_data_limit_exceeded_on_large_utf8_response",
             EH + "task_service_lambda_invoke_catch_all.json5", [resource("InvokeLambda")],
             functions={"@@fn1@@": (FN, LARGE)}),
        Spec(err + "test_start_large_input",
             {"StartAt": "State_1",
              "States": {"State_1": {"Type": "Pass", "Result": {"Arg1": "@@repeat:a:263168@@"}, "End": True}}}),
    ]  # fmt: skip
    for output_path in ("None", "$.Payload", "$.no.such.path"):
        specs.append(
            Spec(f"{svc}test_raise_exception_catch_output_path[{output_path}]",
                 EH + "task_service_lambda_invoke_catch_all_output_path.json5",
                 [put(("States", "InvokeLambda", "OutputPath"), None if output_path == "None" else output_path)],
                 functions={"@@fn1@@": ("lambda_function_name", RAISE)})
        )  # fmt: skip
    return specs


def _timeouts() -> list[Spec]:
    return [
        Spec("timeouts/test_timeouts.py::TestTimeouts::test_fixed_timeout_lambda",
             "timeouts/statemachines/lambda_wait_with_timeout_seconds.json5", [resource("Start")],
             functions={"@@fn1@@": (FN1, "wait_60_seconds")}),
    ]  # fmt: skip


def _base() -> list[Spec]:
    base = "base/test_base.py::TestSnfBase::"
    times = {"StartTime": "start-time", "execution_starttime": "start-time", "EnteredTime": "entered-time",
             "state_enteredtime": "entered-time"}  # fmt: skip
    specs = [
        Spec(base + "test_state_fail", BASE + "raise_failure.json5"),
        Spec(base + "test_state_fail_path", BASE + "raise_failure_path.json5"),
        Spec(base + "test_state_fail_intrinsic", BASE + "raise_failure_path_intrinsic.json5"),
        Spec(base + "test_state_fail_empty", BASE + "raise_empty_failure.json5"),
        Spec(base + "test_state_pass_result", BASE + "pass_result.json5"),
        Spec(base + "test_state_pass_result_jsonpaths", BASE + "pass_result.json5",
             [put(("States", "State_1", "Result"), {"unsupported1.$": "$.jsonpath", "unsupported2.$": "$$"})]),
        Spec(base + "test_decl_version_1_0", BASE + "decl_version_1_0.json5"),
        Spec(base + "test_query_context_object_values", BASE + "query_context_object_values.json5", paths=times),
        Spec(base + "test_state_pass_result_null_input_output_paths",
             BASE + "pass_result_null_input_output_paths.json5"),
        Spec(base + "test_state_pass_regex_json_path_base", BASE + "pass_result_regex_json_path_base.json5"),
    ]  # fmt: skip
    for path in ("$.items[0]", "$.items[10]"):
        specs.append(
            Spec(f"{base}test_json_path_array_access[{path}]", BASE + "json_path_array_access.json5",
                 [put(("States", "EntryState", "Parameters", "item.$"), path)])
        )  # fmt: skip
    context = "context_object/test_context_object.py::TestSnfBase::"
    literal = "%CONTEXT_OBJECT_LITERAL_PLACEHOLDER%"
    for path in ("$$", "$$.Execution.Input"):
        specs.append(Spec(f"{context}test_input_path[{path}]", CO + "context_object_input_path.json5",
                          text_edits=[(literal, path)]))  # fmt: skip
        specs.append(Spec(f"{context}test_output_path[{path}]", CO + "context_object_output_path.json5",
                          text_edits=[(literal, path)]))  # fmt: skip
    specs += [
        Spec(context + "test_result_selector", CO + "context_object_result_selector.json5",
             text_edits=[(literal, "$$.Execution.Input")], functions={"@@fn1@@": (FN, IDENTITY)}),
        Spec(context + "test_variable", CO + "context_object_variable.json5",
             text_edits=[(literal, "$$.Execution.Input.input-value")]),
        Spec(context + "test_error_cause_path", CO + "context_object_error_cause_path.json5"),
        Spec("comments/test_comments.py::TestComments::test_comment_in_parameters",
             "comment/statemachines/comment_in_parameters.json5"),
    ]  # fmt: skip
    return specs


def _express() -> list[Spec]:
    sync = "express/test_express_sync.py::TestExpressSync::"
    times = {"StartTime": "start-time", "execution_starttime": "start-time", "EnteredTime": "entered-time",
             "state_enteredtime": "entered-time"}  # fmt: skip
    express, answer = "EXPRESS", ["start_execution_sync_response"]
    return [
        Spec(sync + "test_base[BASE_PASS_RESULT]", BASE + "pass_result.json5", workflow_type=express, content=answer),
        Spec(sync + "test_base[BASE_RAISE_FAILURE]", BASE + "raise_failure.json5", workflow_type=express,
             content=answer),
        Spec(sync + "test_query_runtime_memory", BASE + "query_context_object_values.json5", paths=times,
             workflow_type=express, content=answer),
        Spec(sync + "test_catch", EH + "task_service_lambda_invoke_catch_all.json5",
             functions={"@@fn1@@": ("lambda_function_name", RAISE)},
             regex=[(r'\\"requestId\\":\\"([a-f0-9\-]+)\\"', '\\"requestId\\":<request-id>\\"')],
             workflow_type=express, content=answer),
        Spec(sync + "test_retry", SC + "lambda_invoke_with_retry_extended_input.json5",
             [resource("InvokeLambdaWithRetry")], functions={"@@fn1@@": ("lambda_function_name", RAISE)},
             regex=[(r'\\"requestId\\": \\"([a-f0-9\-]+)\\"', '\\"requestId\\": \\"<request-id>\\"')],
             workflow_type=express, content=answer),
    ]  # fmt: skip


def _scenarios() -> list[Spec]:
    sc = "scenarios/test_base_scenarios.py::TestBaseScenarios::"
    raising = {"@@fn1@@": (FN, RAISE)}
    specs = [
        Spec(sc + "test_catch_states_runtime", SC + "catch_states_runtime.json5", [resource("RaiseRuntime")],
             functions={"@@fn1@@": (FN, IDENTITY)}),
        Spec(sc + "test_catch_empty", SC + "catch_empty.json5", [resource("StartTask")],
             functions={"@@fn1@@": (FN, IDENTITY)}),
        Spec(sc + "test_lambda_invoke_with_retry_base", SC + "lambda_invoke_with_retry_base.json5",
             [resource("InvokeLambdaWithRetry")], functions={"@@fn1@@": (FN1, RAISE)}),
        Spec(sc + "test_lambda_invoke_with_retry_extended_input", SC + "lambda_invoke_with_retry_extended_input.json5",
             [resource("InvokeLambdaWithRetry")], functions={"@@fn1@@": (FN1, RAISE)},
             paths={"StartTime": "<start-time>", "EnteredTime": "<entered-time>"}),
        Spec(sc + "test_lambda_service_invoke_with_retry_extended_input",
             SC + "lambda_service_invoke_with_retry_extended_input.json5", functions={"@@fn1@@": (FN1, RAISE)},
             paths={"StartTime": "<start-time>", "EnteredTime": "<entered-time>"}),
        Spec(sc + "test_lambda_empty_retry", SC + "lambda_empty_retry.json5", [resource("LambdaTask")],
             functions=raising),
        Spec(sc + "test_retry_interval_features", SC + "retry_interval_features.json5", [resource("LambdaTask")],
             functions=raising),
        Spec(sc + "test_retry_interval_features_jitter_none", SC + "retry_interval_features_jitter_none.json5",
             [resource("LambdaTask")], functions=raising),
        Spec(sc + "test_retry_interval_features_max_attempts_zero",
             SC + "retry_interval_features_max_attempts_zero.json5",
             functions={"@@fn1@@": ("lambda_function_name", RAISE)}),
        Spec(sc + "test_choice_aws_docs_scenario[CHOICE_STATE_AWS_SCENARIO]", SC + "choice_state_aws_scenario.json5"),
        Spec(sc + "test_choice_singleton_composite[CHOICE_STATE_SINGLETON_COMPOSITE]",
             SC + "choice_state_singleton_composite.json5"),
        Spec(sc + "test_choice_unsorted_parameters_positive[CHOICE_STATE_UNSORTED_CHOICE_PARAMETERS]",
             SC + "choice_state_unsorted_choice_parameters.json5"),
        Spec(sc + "test_choice_unsorted_parameters_negative[CHOICE_STATE_UNSORTED_CHOICE_PARAMETERS]",
             SC + "choice_state_unsorted_choice_parameters.json5"),
        Spec(sc + "test_map_state_item_selector[MAP_STATE_ITEM_SELECTOR]", SC + "map_state_item_selector.json5"),
        Spec(sc + "test_escape_sequence_parsing[ESCAPE_SEQUENCES_STRING_LITERALS]",
             SC + "escape_sequences_string_literals.json5"),
        Spec(sc + "test_escape_sequence_parsing[ESCAPE_SEQUENCES_JSONPATH]", SC + "escape_sequences_jsonpath.json5"),
    ]  # fmt: skip
    invalid = {"INVALID_JSONPATH_IN_ERRORPATH": "invalid_jsonpath_in_errorpath",
               "INVALID_JSONPATH_IN_STRING_EXPR_JSONPATH": "invalid_jsonpath_in_string_expr_jsonpath",
               "INVALID_JSONPATH_IN_STRING_EXPR_CONTEXTPATH": "invalid_jsonpath_in_string_expr_contextpath",
               "ST.INVALID_JSONPATH_IN_CAUSEPATH": "invalid_jsonpath_in_causepath",
               "ST.INVALID_JSONPATH_IN_INPUTPATH": "invalid_jsonpath_in_inputpath",
               "ST.INVALID_JSONPATH_IN_OUTPUTPATH": "invalid_jsonpath_in_outputpath"}  # fmt: skip
    for case_id, template in invalid.items():
        specs.append(Spec(f"{sc}test_invalid_jsonpath[{case_id}]", f"{SC}{template}.json5"))
    return specs


def _lambda_tasks() -> list[Spec]:
    lt = "services/test_lambda_task.py::TestTaskLambda::"
    identity = {"@@fn1@@": (FN1, IDENTITY)}
    specs = [
        Spec(lt + "test_invoke_bytes_payload", SV + "lambda_invoke_resource.json5", [resource("step1")],
             functions={"@@fn1@@": (FN1, "hello_world_string")}),
        Spec(lt + "test_invoke_string_payload", SV + "lambda_invoke_resource.json5", [resource("step1")],
             functions=identity),
        Spec(lt + "test_invoke_pipe", SV + "lambda_invoke_pipe.json5",
             [resource("step1"), resource("step2", "@@fn2@@")],
             functions={"@@fn1@@": (FN1, "echo"), "@@fn2@@": ("<lambda_function_2_name>", "echo")}),
        Spec(lt + "test_lambda_task_filter_parameters_input", SV + "lambda_input_parameters_filter.json5",
             [resource("CheckComplete")], functions={"@@fn1@@": ("lambda_function_name", IDENTITY)}),
    ]  # fmt: skip
    for value in ("None", "HelloWorld", "0.0", "0_0", "0_1", "True", "json_value5", "json_value6", "json_value7"):
        specs.append(Spec(f"{lt}test_invoke_json_values[{value}]", SV + "lambda_invoke_resource.json5",
                          [resource("step1")], functions=identity))  # fmt: skip
    return specs


def _intrinsic_functions() -> list[Spec]:
    fn = "intrinsic_functions/"
    of = {
        "test_array.py::TestArray::test_array_0": "array/array_0",
        "test_array.py::TestArray::test_array_2": "array/array_2",
        "test_array.py::TestArray::test_array_partition": "array/array_partition",
        "test_array.py::TestArray::test_array_contains": "array/array_contains",
        "test_array.py::TestArray::test_array_range": "array/array_range",
        "test_array.py::TestArray::test_array_get_item": "array/array_get_item",
        "test_array.py::TestArray::test_array_length": "array/array_length",
        "test_array.py::TestArray::test_array_unique": "array/array_length",  # the test runs ARRAY_LENGTH
        "test_encode_decode.py::TestEncodeDecode::test_base_64_encode": "encode_decode/base64encode",
        "test_encode_decode.py::TestEncodeDecode::test_base_64_decode": "encode_decode/base64decode",
        "test_generic.py::TestGeneric::test_format_1": "generic/format_1",
        "test_generic.py::TestGeneric::test_format_2": "generic/format_2",
        "test_generic.py::TestGeneric::test_context_json_path": "generic/format_context_path",
        "test_generic.py::TestGeneric::test_nested_calls_1": "generic/nested_calls_1",
        "test_generic.py::TestGeneric::test_nested_calls_2": "generic/nested_calls_2",
        "test_generic.py::TestGeneric::test_escape_sequence": "generic/escape_sequence",
        "test_hash_calculations.py::TestHashCalculations::test_hash": "hash_calculations/hash",
        "test_json_manipulation.py::TestJsonManipulation::test_string_to_json": "json_manipulation/string_to_json",
        "test_json_manipulation.py::TestJsonManipulation::test_json_to_string": "json_manipulation/json_to_string",
        "test_json_manipulation.py::TestJsonManipulation::test_json_merge": "json_manipulation/json_merge",
        "test_json_manipulation.py::TestJsonManipulation::test_json_merge_escaped_argument":
            "json_manipulation/json_merge_escaped_argument",
        "test_math_operations.py::TestMathOperations::test_math_add": "math_operations/math_add",
        "test_string_operations.py::TestStringOperations::test_string_split": "string_operations/string_split",
        "test_string_operations.py::TestStringOperations::test_string_split_context_object":
            "string_operations/string_split_context_object",
    }  # fmt: skip
    return [Spec(fn + test, f"{IF}{template}.json5") for test, template in of.items()]


TYPE_COMPARISONS: list[tuple[Any, Any]] = [
    (None, True), (None, False), (0, True), (0, False), (0.0, True), (0.0, False), (1, True), (1, False),
    (1.1, True), (1.1, False), ("", True), ("", False), (" ", True), (" ", False), ("HelloWorld", True),
    ("HelloWorld", False), ("2012-10-09T19:00:55", True), ("2012-10-09T19:00:55", False),
    ("2012-10-09T19:00:55Z", True), ("2012-10-09T19:00:55Z", False), ("2012-10-09T19:00:55+01:00", True),
    ("2012-10-09T19:00:55+01:00", False), ("2023-02-24", True), ("2023-02-24", False), ([], True), ([], False),
    ([""], True), ([""], False), ({}, True), ({}, False), ({"A": 0}, True), ({"A": 0}, False), (True, True),
    (False, True), (False, True), (False, False),
]  # fmt: skip
"""choice_operators/utils.py's comparisons (Variable, Value), transcribed: the recording normalised its dates."""

TYPE_COMPARISONS_VARS: list[Any] = [None, 0, 0.0, 1, 1.1, "", " ", [], [""], {}, {"A": 0}, False, True]


@dataclass
class ChoiceSpec:
    test: str
    operator: str
    comparisons: list[tuple[Any, Any]]
    literal: bool = True
    """The test writes the Value into the definition (else the definition reads it from the input: a Path form)."""


def _choice_operators() -> list[ChoiceSpec]:
    ops = "choice_operators/"
    return [
        ChoiceSpec(ops + "test_is_operators.py::TestIsOperators::test_is_null", "IsNull", TYPE_COMPARISONS),
        ChoiceSpec(ops + "test_is_operators.py::TestIsOperators::test_is_present", "IsPresent", TYPE_COMPARISONS),
        ChoiceSpec(ops + "test_boolean_equals.py::TestBooleanEquals::test_boolean_equals", "BooleanEquals",
                   TYPE_COMPARISONS),
        ChoiceSpec(ops + "test_string_operators.py::TestStrings::test_string_equals", "StringEquals",
                   [*[(var, "HelloWorld") for var in TYPE_COMPARISONS_VARS], (" ", "     "), ("\t\n", "\t\r\n"),
                    ("Hello", "Hello")]),
    ]  # fmt: skip


# --------------------------------------------------------------------------------------------------------------


class Mirror:
    def __init__(self, git_dir: str) -> None:
        self.git_dir = git_dir
        self.commit = self._git("rev-parse", "HEAD").strip()

    def _git(self, *args: str) -> str:
        return subprocess.run(["git", "-C", self.git_dir, *args], capture_output=True, text=True, check=True).stdout

    def text(self, path: str) -> str:
        return self._git("show", f"{self.commit}:{path}")

    def snapshot(self, test: str) -> dict[str, Any]:
        path = SNAPSHOTS + test.split("::", 1)[0].removesuffix(".py") + ".snapshot.json"
        recorded: dict[str, Any] = json.loads(self.text(path))[SNAPSHOTS + test]
        return recorded

    def template(self, path: str) -> dict[str, Any]:
        loaded: dict[str, Any] = json.loads(json5_to_json(self.text(TEMPLATES + path)))
        return loaded


def json5_to_json(text: str) -> str:
    """The JSON5 of LocalStack's templates as JSON: comments, trailing commas, single quotes and bare keys."""
    out: list[str] = []
    i, n = 0, len(text)
    trailing = re.compile(r"(?:\s|//[^\n]*|/\*.*?\*/)*[}\]]", re.S)
    bare_key = re.compile(r"[A-Za-z_$][\w$]*(?=\s*:)")
    while i < n:
        c = text[i]
        if c in "\"'":
            j, body = i + 1, []
            while text[j] != c:
                step = 2 if text[j] == "\\" else 1
                body.append(text[j : j + step])
                j += step
            literal = "".join(body)
            if c == "'":
                literal = literal.replace("\\'", "'").replace('"', '\\"')
            out.append(f'"{literal}"')
            i = j + 1
        elif text.startswith("//", i):
            end = text.find("\n", i)
            i = n if end < 0 else end
        elif text.startswith("/*", i):
            i = text.index("*/", i) + 2
        elif c == "," and trailing.match(text, i + 1):
            i += 1
        elif (key := bare_key.match(text, i)) and re.search(r"[{,]\s*$", "".join(out[-4:])):
            out.append(json.dumps(key.group(0)))
            i = key.end()
        else:
            out.append(c)
            i += 1
    return "".join(out)


def _definition(mirror: Mirror, spec: Spec) -> str:
    template = copy.deepcopy(spec.template) if isinstance(spec.template, dict) else mirror.template(spec.template)
    for edit in spec.edits:
        edit(template)
    text = json.dumps(template)
    for old, new in spec.text_edits:
        text = text.replace(old, new)
    return text


def _recorded_input(started: Any, spec: Spec) -> str:
    """The execution's input as recorded, with the functions' placeholders as tokens. The recording parsed an input
    that is a JSON object; any other input it kept as the text it was."""
    text = started if isinstance(started, str) else json.dumps(started)
    for token, (placeholder, _) in spec.functions.items():
        text = text.replace(placeholder, token)
    suspicious = re.findall(r'"(?:date|datetime|timestamp)"|<[\w:-]+>', text)
    if suspicious:
        raise ValueError(f"{spec.test}: the recorded input was normalised ({suspicious}); give the test's literal")
    return text


def _role_placeholder(recorded: Any) -> str:
    text = json.dumps(recorded)
    found = {name for name in ("snf_role_arn", "sfn_role_arn") if name in text}
    return found.pop() if len(found) == 1 else "snf_role_arn"


def _cases(mirror: Mirror, spec: Spec) -> list[dict[str, Any]]:
    recorded = mirror.snapshot(spec.test)
    content: dict[str, Any] = recorded["recorded-content"]
    definition = _definition(mirror, spec)
    cases = []
    keys = spec.content or [key for key in content if key != "creation_response"]
    for key in keys:
        answer = content[key]
        if key == "describe_execution":
            history_key = "get_execution_history"
            kind = "describe"
        elif key == "start_execution_sync_response":
            history_key, kind = None, "sync"
        else:
            history_key, kind = key, "history"
        if spec.inputs and key in spec.inputs:
            execution_input = json.dumps(spec.inputs[key])
        elif history_key is not None:
            started = content[history_key]["events"][0]["executionStartedEventDetails"]["input"]
            execution_input = _recorded_input(started, spec)
        else:
            execution_input = _recorded_input(answer["input"], spec)
        index = int(key.rsplit("_", 1)[1]) if key.startswith("exec_hist_resp_") else 0
        cases.append({
            "id": SNAPSHOTS + spec.test + ("" if len(keys) == 1 else f"#{key}"),
            "recorded": recorded["recorded-date"],
            "kind": kind,
            "type": spec.workflow_type,
            "definition": definition,
            "input": execution_input,
            "functions": {token: {"placeholder": p, "behaviour": b} for token, (p, b) in spec.functions.items()},
            "role": _role_placeholder(answer),
            "execution": f"<ExecArnPart_{index}idx>",
            "paths": spec.paths,
            "regex": spec.regex,
            "expected": answer["events"] if kind == "history" else _without_metadata(answer),
        })  # fmt: skip
    return cases


def _without_metadata(answer: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in answer.items() if key != "ResponseMetadata"}


def _choice_cases(mirror: Mirror, spec: ChoiceSpec) -> list[dict[str, Any]]:
    recorded = mirror.snapshot(spec.test)
    template = mirror.template("choiceoperators/statemachines/template.json5")
    text = json.dumps(template).replace("%ComparisonOperatorType%", spec.operator)
    recorded_cases = recorded["recorded-content"]["cases"]
    if len(recorded_cases) != len(spec.comparisons):
        raise ValueError(f"{spec.test}: {len(recorded_cases)} recorded cases, {len(spec.comparisons)} transcribed")
    cases = []
    for index, ((variable, value), answer) in enumerate(zip(spec.comparisons, recorded_cases, strict=True)):
        definition = text.replace('"$.Value"', json.dumps(value)) if spec.literal else text
        execution_input = json.dumps({"Variable": variable, "Value": value})
        cases.append({
            "id": f"{SNAPSHOTS}{spec.test}#cases/{index}",
            "recorded": recorded["recorded-date"],
            "kind": "choice",
            "type": "STANDARD",
            "definition": definition,
            "input": execution_input,
            "functions": {},
            "role": "snf_role_arn",
            "execution": "<ExecArnPart_0idx>",
            "paths": {},
            "regex": [],
            "recorded_input": answer["input"],
            "expected": answer["output"],
        })  # fmt: skip
    return cases


def build(git_dir: str) -> dict[str, Any]:
    mirror = Mirror(git_dir)
    specs = [*_error_handling(), *_timeouts(), *_base(), *_express(), *_scenarios(), *_lambda_tasks(),
             *_intrinsic_functions()]  # fmt: skip
    cases = [case for spec in specs for case in _cases(mirror, spec)]
    cases += [case for spec in _choice_operators() for case in _choice_cases(mirror, spec)]
    ids = [case["id"] for case in cases]
    if len(set(ids)) != len(ids):
        raise ValueError("two cases share an id")
    return {
        "source": {
            "repository": "https://github.com/localstack/localstack",
            "license": "Apache-2.0",
            "commit": mirror.commit,
            "snapshots": SNAPSHOTS + "**/*.snapshot.json",
            "templates": TEMPLATES + "**",
        },
        "cases": cases,
    }


def main() -> None:
    corpus = build(sys.argv[1])
    CORPUS.write_text(json.dumps(corpus, indent=1, ensure_ascii=False) + "\n")
    print(f"{len(corpus['cases'])} cases written to {CORPUS}")


if __name__ == "__main__":
    main()
