"""Each function's cold initialisation, as a ratio to the least any Python Lambda using DynamoDB pays.

A fresh interpreter per measurement (a new container), timed inside the child with perf_counter so the
interpreter's own start-up, the same for every child, is left out of both sides of the ratio."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass

from bench.client import BenchError
from emulator.template import REGION, ROOT, Stack

BASELINE = ""
"""The target that stands for `import boto3; boto3.client("dynamodb")` rather than a handler module."""

_CHILD = """
import importlib, sys, time
target = sys.argv[1]
started = time.perf_counter()
if target:
    importlib.import_module(target)
else:
    import boto3
    boto3.client("dynamodb")
print(time.perf_counter() - started)
"""

# What the Lambda runtime sets on top of the template's variables. LAMBDA_TASK_ROOT matters: outside Lambda the
# X-Ray SDK (imported by Powertools' Tracer) builds a client of its own for centralised sampling, which inside
# Lambda it does not; without it the bench would charge every function for work Lambda never does. Credentials
# are fake (nothing is called at import); no config files, as in Lambda, so a developer's ~/.aws changes nothing.
_RUNTIME_ENVIRONMENT = {
    "LAMBDA_TASK_ROOT": str(ROOT),
    "AWS_EXECUTION_ENV": "AWS_Lambda_python3.13",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",  # a placeholder, not a secret
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
}


@dataclass(frozen=True)
class Target:
    label: str
    module: str
    environment: Mapping[str, str]


@dataclass(frozen=True)
class Measured:
    label: str
    module: str
    seconds: float

    @property
    def ms(self) -> float:
        return self.seconds * 1000


@dataclass(frozen=True)
class ColdInit:
    baseline: Measured
    functions: list[Measured]
    rounds: int


def targets(stack: Stack) -> list[Target]:
    """The baseline, then every function of the template: its handler's module, with its environment."""
    common: dict[str, str] = {}
    for spec in stack.functions.values():
        common |= spec.environment
    found = [Target("Baseline", BASELINE, common)]
    for logical_id, spec in sorted(stack.functions.items()):
        module = spec.handler.rpartition(".")[0]
        found.append(Target(logical_id, module, spec.environment))
    return found


def _child_environment(target: Target) -> dict[str, str]:
    inherited = {key: os.environ[key] for key in ("PATH", "HOME", "LANG") if key in os.environ}
    function = {"AWS_LAMBDA_FUNCTION_NAME": target.label}
    return inherited | dict(target.environment) | _RUNTIME_ENVIRONMENT | function


def measure_once(target: Target) -> float:
    """Seconds the child spent importing the target (and creating the clients it creates at import)."""
    try:
        completed = subprocess.run(  # noqa: S603  # this interpreter, a fixed snippet, a module of the template
            [sys.executable, "-c", _CHILD, target.module],
            cwd=ROOT,
            env=_child_environment(target),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    except subprocess.TimeoutExpired as error:
        raise BenchError(f"cold init of {target.label} took over {error.timeout} s") from error
    if completed.returncode != 0:
        raise BenchError(f"cold init of {target.label} failed:\n{completed.stderr.strip()}")
    return float(completed.stdout.strip().splitlines()[-1])


def measure(stack: Stack, rounds: int = 7) -> ColdInit:
    """The median of `rounds` measurements of each target, taken in turn within each round so that a slow spell
    of the machine hits the baseline and the functions alike. One round first is thrown away: it writes any
    missing bytecode caches, so that every measured child loads compiled bytecode, as the baseline's boto3 does."""
    chosen = targets(stack)
    samples: dict[str, list[float]] = {target.label: [] for target in chosen}
    for round_number in range(rounds + 1):
        for target in chosen:
            seconds = measure_once(target)
            if round_number > 0:
                samples[target.label].append(seconds)
    measured = [Measured(target.label, target.module, statistics.median(samples[target.label])) for target in chosen]
    return ColdInit(baseline=measured[0], functions=measured[1:], rounds=rounds)
