"""Replays a recorded case through the emulator: its state machine created with boto3 in the emulated account, its
Lambda functions run in-process (registered with the running LocalCloud for the case only), its execution started
and waited for, and the emulator's answer normalised as the recording was (normalise.py)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from moto.stepfunctions.parser.models import stepfunctions_parser_backends

from emulator import interpreter
from emulator.cloud import LocalCloud
from emulator.template import ACCOUNT_ID, REGION
from tests.recorded.stepfunctions import functions
from tests.recorded.stepfunctions.normalise import Names, canonical, differences, normalise

HERE = Path(__file__).resolve().parent
CORPUS = json.loads((HERE / "corpus.json").read_text())
CASES: list[dict[str, Any]] = CORPUS["cases"]
KNOWN: dict[str, dict[str, Any]] = json.loads((HERE / "differences.json").read_text())
"""case id -> what differs (`what`), what it could hide (`could_hide`), and the difference itself (`differences`)."""

ROLE_ARN = f"arn:aws:iam::{ACCOUNT_ID}:role/recorded-cases"
EXECUTION_SECONDS = 30.0
LAMBDA_TIMEOUT_SECONDS = 60.0
"""The recorded functions' Timeout: longer than any task's TimeoutSeconds in the cases."""


def expand(text: str) -> str:
    """A definition's repeated text, kept short in the corpus ("@@repeat:a:263168@@")."""
    while (start := text.find("@@repeat:")) >= 0:
        end = text.index("@@", start + 2)
        _, character, count = text[start + 2 : end].split(":")
        text = text[:start] + character * int(count) + text[end + 2 :]
    return text


@dataclass
class Run:
    """One case's concrete names in the emulator."""

    case: dict[str, Any]
    tokens: dict[str, str]
    """@@fn1@@ -> the function's name here."""
    state_machine_name: str
    execution_name: str

    def fill(self, text: str) -> str:
        text = text.replace("@@region@@", REGION).replace("@@account@@", ACCOUNT_ID)
        for token, name in self.tokens.items():
            text = text.replace(token, name)
        return expand(text)

    def names(self, execution_arn: str) -> Names:
        replacements = [(name, self.case["functions"][token]["placeholder"]) for token, name in self.tokens.items()]
        replacements.append((ROLE_ARN, self.case["role"]))
        if self.case["kind"] == "sync":
            # StartSyncExecution's ARN on AWS: ...:express:<state machine>:<name>:<id>
            replacements += [(self.state_machine_name, "<ArnPart_0idx>"),
                             (self.execution_name, "<SyncExecArn_Part1_0idx>")]  # fmt: skip
            if execution_arn.split(":")[5] == "express":
                replacements.append((execution_arn.split(":")[-1], "<SyncExecArn_Part2_0idx>"))
        else:
            replacements += [(self.state_machine_name, "<ArnPart_0idx>"), (self.execution_name, self.case["execution"])]
        return Names(replacements, ACCOUNT_ID, REGION, self.case["paths"], [tuple(r) for r in self.case["regex"]])


@contextmanager
def registered_functions(cloud: LocalCloud, case: dict[str, Any]) -> Iterator[dict[str, str]]:
    """The case's functions, known to the emulated Lambda by ARN and by name while the block runs (a task's
    Resource names the ARN; lambda:invoke's FunctionName, here, the name)."""
    stalled = functions.Stalled()
    tokens: dict[str, str] = {}
    keys: list[str] = []
    for token, function in case["functions"].items():
        name = f"lambda_func_{uuid.uuid4().hex[:12]}"
        behaviour = function["behaviour"]
        if behaviour == "wait_60_seconds":
            handler = functions.wait_60_seconds(stalled)
        else:
            handler = functions.BEHAVIOURS[behaviour]()
        for key in (f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{name}", name):
            cloud._handlers[key] = handler
            cloud._timeouts[key] = LAMBDA_TIMEOUT_SECONDS
            keys.append(key)
        tokens[token] = name
    try:
        yield tokens
    finally:
        stalled.release.set()
        for key in keys:
            cloud._handlers.pop(key, None)
            cloud._timeouts.pop(key, None)


class StateMachines:
    """The state machines created so far in this process, by definition and type: a definition is created once."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.created: dict[tuple[str, str], tuple[str, str]] = {}

    def arn_and_name(self, definition: str, workflow_type: str) -> tuple[str, str]:
        key = (definition, workflow_type)
        if key not in self.created:
            name = f"statemachine_{uuid.uuid4().hex[:12]}"
            created = self.client.create_state_machine(
                name=name, definition=definition, roleArn=ROLE_ARN, type=workflow_type
            )
            self.created[key] = (created["stateMachineArn"], name)
        return self.created[key]

    def delete_all(self) -> None:
        """Leave the session's account with the stack's state machines only."""
        for arn, _ in self.created.values():
            self.client.delete_state_machine(stateMachineArn=arn)
        self.created.clear()


def _wait(execution_arn: str) -> None:
    backend = stepfunctions_parser_backends[ACCOUNT_ID][REGION]
    execution = backend.describe_execution(execution_arn)
    interpreter.finished(execution.exec_worker).result(EXECUTION_SECONDS)


def replay(cloud: LocalCloud, machines: StateMachines, case: dict[str, Any]) -> Any:
    """The emulator's answer to the case, normalised as the recording's was."""
    with registered_functions(cloud, case) as tokens:
        definition = expand(case["definition"])
        run = Run(case, tokens, "", f"{uuid.uuid4()}")
        arn, run.state_machine_name = machines.arn_and_name(run.fill(definition), case["type"])
        execution_input = run.fill(case["input"])
        if case["kind"] == "sync":
            result = cloud.start_sync_execution(arn, execution_input, name=run.execution_name)
            answer: Any = result.as_api_response()
            execution_arn = result.execution_arn
        else:
            client = machines.client
            started = client.start_execution(stateMachineArn=arn, name=run.execution_name, input=execution_input)
            execution_arn = started["executionArn"]
            _wait(execution_arn)
            if case["kind"] == "describe":
                answer = client.describe_execution(executionArn=execution_arn)
                answer.pop("ResponseMetadata", None)
            else:
                answer = client.get_execution_history(executionArn=execution_arn)["events"]
                if case["kind"] == "choice":
                    answer = json.loads(answer[-1]["executionSucceededEventDetails"]["output"])
                    return canonical(answer)
        return canonical(normalise(answer, run.names(execution_arn)))


def recorded_input_agrees(case: dict[str, Any]) -> bool:
    """A Choice case's input, transcribed from the test, normalises to the input the recording kept."""
    names = Names([], ACCOUNT_ID, REGION)
    return bool(normalise({"input": case["input"]}, names)["input"] == case["recorded_input"])


def compared(case: dict[str, Any], answer: Any) -> list[dict[str, Any]]:
    return [found.as_json() for found in differences(canonical(case["expected"]), answer)]
