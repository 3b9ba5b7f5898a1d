"""A pytest plugin for moto's own test suite, run unmodified by tools/moto-suite/run.py (`make moto-suite`).

`--moto-suite-patched` installs the emulator's changes to moto (`emulator.patches.apply()`, the transaction isolation
at its default time in flight included) in every pytest process before a test runs; without it moto is as released.
`--moto-suite-results=PATH` writes each test's outcome to PATH as JSON, from the process that gathers the reports
(pytest-xdist's controller), with two facts taken where the test ran:
- whether moto's own authors mark it verified against AWS: the `aws_verified` marker, or one of the suite's
  `aws_verified` decorators (tests/__init__.py, tests/test_dynamodb/__init__.py, tests/test_stepfunctions/parser/),
  which run the test against AWS when MOTO_TEST_ALLOW_AWS_REQUEST=true;
- whether the emulator's patches were installed in that process when it ran (run.py checks each run is what it says).

The module has a name of its own (not `plugin`): it is imported from PYTHONPATH beside moto's `tests` package.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
AWS_VERIFIED_DECORATORS = ("aws_verified", "dynamodb_aws_verified")
"""The decorators moto's suite defines for tests that can run against AWS (their wrapper's code is named so)."""


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("moto-suite")
    group.addoption("--moto-suite-patched", action="store_true", help="install the emulator's patches to moto first")
    group.addoption("--moto-suite-results", metavar="PATH", help="write each test's outcome to PATH (JSON)")


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("moto_suite_patched"):
        # Appended, not prepended: moto's own `tests` package (the suite's root) must win over the project's.
        if str(REPO) not in sys.path:
            sys.path.append(str(REPO))
        from emulator import patches

        patches.apply()
    results = config.getoption("moto_suite_results")
    if results and not hasattr(config, "workerinput"):  # the controller, or the only process without -n
        config.pluginmanager.register(Recorder(Path(results), config), "moto-suite-recorder")


def _aws_verified(item: pytest.Item) -> str | None:
    if item.get_closest_marker("aws_verified") is not None:
        return "marker"
    function = getattr(item, "function", None)
    while function is not None:
        code = getattr(function, "__code__", None)  # functools.wraps copies __qualname__, not the code's own
        if code is not None and code.co_qualname.split(".")[0] in AWS_VERIFIED_DECORATORS:
            return "decorator"
        function = getattr(function, "__wrapped__", None)
    return None


def _patches_installed() -> bool:
    patches = sys.modules.get("emulator.patches")
    return patches is not None and bool(patches.applied())


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        item.user_properties.append(("aws_verified", _aws_verified(item)))


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    item.user_properties.append(("patches_installed", _patches_installed()))


def _message(report: pytest.TestReport | pytest.CollectReport) -> str:
    crash = getattr(report.longrepr, "reprcrash", None)
    text = crash.message if crash is not None else str(report.longrepr)
    return text[:1000]


class Recorder:
    """Each test's outcome (passed, failed, skipped, error) from its setup, call and teardown reports."""

    def __init__(self, path: Path, config: pytest.Config) -> None:
        self.path = path
        self.patched = bool(config.getoption("moto_suite_patched"))
        self.tests: dict[str, dict[str, Any]] = {}
        self.collection_errors: dict[str, str] = {}

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.collection_errors[report.nodeid] = _message(report)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        properties = dict(report.user_properties)
        test = self.tests.setdefault(
            report.nodeid,
            {"outcome": None, "aws_verified": properties.get("aws_verified"), "message": "", "seconds": 0.0},
        )
        test["seconds"] = round(test["seconds"] + report.duration, 3)
        test["patches_installed"] = properties.get("patches_installed")
        outcome = None
        if report.failed:
            outcome = "failed" if report.when == "call" else "error"
        elif report.skipped:
            outcome = "skipped"  # xfail included (moto's suite has none in these directories)
        elif report.when == "call":
            outcome = "passed"
        if outcome is not None and test["outcome"] in (None, "passed"):
            test["outcome"] = outcome
            test["message"] = _message(report) if outcome != "passed" else ""

    def pytest_sessionfinish(self, exitstatus: int) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        document = {
            "patched": self.patched,
            "exitstatus": int(exitstatus),
            "tests": self.tests,
            "collection_errors": self.collection_errors,
        }
        self.path.write_text(json.dumps(document, indent=1, sort_keys=True) + "\n")
