"""moto's own tests, unmodified, on moto as released and on moto as the emulator patches it (`make moto-suite`).

The emulator changes moto's internals (emulator/patches.py). moto's suite records what moto answers, and the tests
marked `aws_verified` were also run against AWS by moto's authors, so a test that passes on moto as released and
fails once the emulator's patches are installed is a defect of the emulator, unless the emulator deliberately models
something AWS does and moto does not; each such case is listed in known_differences.toml with why AWS agrees with the
emulator, and a source.

1. The sdist of the moto that requirements-dev.txt pins comes from PyPI (pip, sha256 pinned in sdist.txt) into
   .venv/moto-suite/, which keeps it; its tests/ are unpacked beside it, unchanged.
2. SUITES run twice in .venv/app's interpreter, on the moto installed there: without and with the patches
   (moto_suite_plugin.py, `--moto-suite-patched`), the transaction isolation at its default time in flight.
3. Outcomes are compared per test id. The summary (each run's passed, failed, skipped and errors, with the
   `aws_verified` tests counted apart, and the differences) is printed and written to test-output/moto-suite.json.

Exit status 1 when a test passes unpatched and not patched without being listed, or when the runs are not what they
claim (fewer than MINIMUM_TESTS tests, a collection error, different test ids, patches missing or present).
`--compare-only` compares the results of the last runs again (after editing known_differences.toml).
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.metadata
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import tomllib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
CACHE = REPO / ".venv" / "moto-suite"
OUTPUT = REPO / "test-output" / "moto-suite.json"
SDIST_PIN = HERE / "sdist.txt"
KNOWN_DIFFERENCES = HERE / "known_differences.toml"
PYPI = "https://pypi.org/simple"
SUITES = ("tests/test_dynamodb", "tests/test_stepfunctions/parser")
RUNS = ("unpatched", "patched")
MINIMUM_TESTS = 700
"""moto 5.2.5's SUITES hold 740 tests: a run with fewer did not run the suite (an import error, a wrong path)."""
WORKERS = 2
TEST_TIMEOUT_SECONDS = 300
"""A test that hangs (a lock the patches never release) fails instead of stopping the run."""
OUTCOMES = ("passed", "failed", "skipped", "error")
FAILED = "failed"


@dataclass(frozen=True)
class Sdist:
    version: str
    sha256: str

    @property
    def archive(self) -> Path:
        return CACHE / f"moto-{self.version}.tar.gz"

    @property
    def root(self) -> Path:
        """Where its tests are unpacked (moto's pyproject.toml beside them: pytest's markers and options)."""
        return CACHE / f"moto-{self.version}"


def pinned() -> Sdist:
    """The sdist of sdist.txt, which must be the moto of requirements-dev.txt and of .venv/app."""
    found = re.search(r"^moto==(\S+) --hash=sha256:([0-9a-f]{64})$", SDIST_PIN.read_text(), re.MULTILINE)
    if found is None:
        sys.exit(f"{SDIST_PIN}: no line `moto==<version> --hash=sha256:<hex>`")
    sdist = Sdist(found[1], found[2])
    dev = re.search(r"^moto(?:\[[^\]]*\])?==(\S+)", (REPO / "requirements-dev.txt").read_text(), re.MULTILINE)
    installed = importlib.metadata.version("moto")
    if dev is None or dev[1] != sdist.version or installed != sdist.version:
        sys.exit(
            f"moto's suite is pinned at {sdist.version} ({SDIST_PIN.relative_to(REPO)}), requirements-dev.txt pins "
            f"{dev[1] if dev else 'no moto'} and {installed} is installed: pin the same moto, with PyPI's sha256"
        )
    return sdist


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def downloaded(sdist: Sdist) -> Path:
    """The sdist, from the cache if it is there and whole, else from PyPI alone (not the machine's other indexes)."""
    if sdist.archive.exists() and _sha256(sdist.archive) == sdist.sha256:
        return sdist.archive
    CACHE.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=CACHE) as directory:
        command = [sys.executable, "-m", "pip", "download", "--isolated", "--quiet", "--disable-pip-version-check"]
        command += ["--no-deps"]
        command += ["--no-binary", ":all:", "--require-hashes", "--index-url", PYPI, "-r", str(SDIST_PIN)]
        command += ["--dest", directory]
        if os.environ.get("PIP_CERT"):  # --isolated leaves the environment's settings out; the CA bundle is needed
            command += ["--cert", os.environ["PIP_CERT"]]
        subprocess.run(command, check=True)  # noqa: S603  # this interpreter's pip, fixed arguments
        fetched = Path(directory) / sdist.archive.name
        if _sha256(fetched) != sdist.sha256:
            sys.exit(f"{fetched.name} from PyPI does not have the sha256 of {SDIST_PIN.relative_to(REPO)}")
        fetched.replace(sdist.archive)
    return sdist.archive


def unpacked(sdist: Sdist) -> Path:
    """Its tests/ and pyproject.toml, unchanged. Not its moto/: the tests import the moto installed in .venv/app."""
    stamp = sdist.root / ".unpacked"
    if stamp.exists() and stamp.read_text() == sdist.sha256:
        return sdist.root
    shutil.rmtree(sdist.root, ignore_errors=True)
    prefix = f"moto-{sdist.version}/"
    with tarfile.open(downloaded(sdist)) as archive:
        members = [
            member
            for member in archive.getmembers()
            if member.name.startswith(prefix + "tests/") or member.name == prefix + "pyproject.toml"
        ]
        archive.extractall(CACHE, members=members, filter="data")
    stamp.write_text(sdist.sha256)
    return sdist.root


def _environment() -> dict[str, str]:
    environment = {
        name: value
        for name, value in os.environ.items()
        # The emulator's settings at their defaults (the isolation's time in flight, the partitions' write units).
        if not name.startswith(("EMULATOR_", "AWS_", "PYTEST_")) and name not in {"TEST_SERVER_MODE", "PYTHONPATH"}
    }
    environment |= {
        "PYTHONPATH": str(HERE),  # moto_suite_plugin; the project itself is appended to sys.path by the plugin
        "MOTO_TEST_ALLOW_AWS_REQUEST": "false",  # moto's aws_verified tests run in mock_aws, never against AWS
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }
    return environment


def run(root: Path, name: str) -> float:
    """One run of SUITES, its outcomes in CACHE/<name>.json and pytest's output in test-output/. Its seconds."""
    results, log = CACHE / f"{name}.json", REPO / "test-output" / f"moto-suite-{name}.log"
    results.unlink(missing_ok=True)
    command = [sys.executable, "-m", "pytest", *SUITES, "-n", str(WORKERS), "-p", "moto_suite_plugin"]
    command += [f"--moto-suite-results={results}", f"--timeout={TEST_TIMEOUT_SECONDS}", "-p", "no:cacheprovider"]
    command += ["-q", "--color=no", "-rfE"] + (["--moto-suite-patched"] if name == "patched" else [])
    print(f"moto-suite: {name} run (pytest's output: {log.relative_to(REPO)})", flush=True)
    started = time.monotonic()
    with log.open("w") as output:
        subprocess.run(command, cwd=root, env=_environment(), stdout=output, stderr=subprocess.STDOUT, check=False)  # noqa: S603  # this interpreter, fixed arguments
    return round(time.monotonic() - started, 1)


def _counts(tests: dict[str, dict[str, Any]], aws_verified: bool | None) -> dict[str, int]:
    counted = Counter(
        test["outcome"] for test in tests.values() if aws_verified is None or bool(test["aws_verified"]) == aws_verified
    )
    return {outcome: counted[outcome] for outcome in OUTCOMES} | {"total": sum(counted.values())}


def _run_problems(name: str, document: dict[str, Any]) -> list[str]:
    """Whether a run is what it claims: the whole suite, collected, run, on the moto it names."""
    tests = document["tests"]
    problems = []
    if len(tests) < MINIMUM_TESTS:
        problems.append(f"{name}: {len(tests)} tests ran, fewer than the {MINIMUM_TESTS} expected of moto's suite")
    if document["collection_errors"]:
        problems.append(f"{name}: collection errors in {sorted(document['collection_errors'])}")
    if document["exitstatus"] not in (0, 1):
        problems.append(f"{name}: pytest ended with exit status {document['exitstatus']} (not tests failing)")
    wanted = name == "patched"
    wrong = [test_id for test_id, test in tests.items() if test.get("patches_installed") is not wanted]
    if wrong:
        problems.append(f"{name}: {len(wrong)} tests ran {'without' if wanted else 'with'} the patches: {wrong[:3]}")
    unfinished = [test_id for test_id, test in tests.items() if test["outcome"] not in OUTCOMES]
    if unfinished:
        problems.append(f"{name}: no outcome for {unfinished[:3]}")
    return problems


def known_differences() -> dict[str, dict[str, str]]:
    """Test id → {why, source}: where the emulator differs from moto because it models AWS more closely."""
    listed = tomllib.loads(KNOWN_DIFFERENCES.read_text()).get("difference", [])
    known = {}
    for entry in listed:
        if not entry.get("why") or not str(entry.get("source", "")).startswith("https://"):
            sys.exit(f"{KNOWN_DIFFERENCES.name}: {entry.get('test')} needs a `why` and an https `source`")
        known[entry["test"]] = {"why": entry["why"], "source": entry["source"]}
    return known


def compare(sdist: Sdist, seconds: dict[str, float]) -> dict[str, Any]:
    documents = {name: json.loads((CACHE / f"{name}.json").read_text()) for name in RUNS}
    unpatched, patched = (documents[name]["tests"] for name in RUNS)
    problems = [problem for name in RUNS for problem in _run_problems(name, documents[name])]
    if set(unpatched) != set(patched):
        problems.append(f"the runs differ in test ids: {sorted(set(unpatched) ^ set(patched))[:5]}")
    known = known_differences()
    differences, improvements = [], []
    for test_id in sorted(set(unpatched) & set(patched)):
        before, after = unpatched[test_id], patched[test_id]
        if before["outcome"] == "passed" and after["outcome"] != "passed":
            listed = known.get(test_id, {})
            differences.append(
                {"test": test_id, "patched": after["outcome"], "message": after["message"],
                 "aws_verified": after["aws_verified"], "listed": bool(listed), **listed}
            )  # fmt: skip
        elif after["outcome"] == "passed" and before["outcome"] != "passed":
            improvements.append({"test": test_id, "unpatched": before["outcome"], "message": before["message"]})
    differing = {difference["test"] for difference in differences}
    return {
        "moto": sdist.version,
        "sdist_sha256": sdist.sha256,
        "suites": list(SUITES),
        "workers": WORKERS,
        "runs": {
            name: {
                "seconds": seconds.get(name),
                "exitstatus": documents[name]["exitstatus"],
                "all": _counts(documents[name]["tests"], None),
                "aws_verified": _counts(documents[name]["tests"], True),
                "not_aws_verified": _counts(documents[name]["tests"], False),
            }
            for name in RUNS
        },
        "differences": differences,
        "unlisted": sorted(differing - set(known)),
        "listed_but_agreeing": sorted(set(known) - differing),
        "passing_only_patched": improvements,
        "problems": problems,
        "outcomes": _outcomes(unpatched, patched),
    }


def _outcomes(unpatched: dict[str, Any], patched: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        test_id: {
            "unpatched": before["outcome"],
            "patched": patched[test_id]["outcome"],
            "aws_verified": before["aws_verified"],
        }
        for test_id, before in sorted(unpatched.items())
        if test_id in patched
    }


def _row(label: str, counts: dict[str, int]) -> str:
    return f"  {label:<28}" + "".join(f"{counts[outcome]:>9}" for outcome in (*OUTCOMES, "total"))


def report(summary: dict[str, Any]) -> None:
    print(f"\nmoto {summary['moto']}'s own tests ({', '.join(summary['suites'])}), unmodified")
    print(f"  {'':<28}" + "".join(f"{heading:>9}" for heading in (*OUTCOMES, "total")))
    for name, run_summary in summary["runs"].items():
        took = f", {run_summary['seconds']} s" if run_summary["seconds"] is not None else ""
        print(f"  {name}{took}")
        print(_row("  aws_verified", run_summary["aws_verified"]))
        print(_row("  not aws_verified", run_summary["not_aws_verified"]))
        print(_row("  all", run_summary["all"]))
    print(f"\npassing unpatched, not patched: {len(summary['differences'])}")
    for difference in summary["differences"]:
        status = f"listed: {difference['source']}" if difference["listed"] else "NOT LISTED: a defect"
        verified = " (aws_verified)" if difference["aws_verified"] else ""
        print(f"  {difference['test']}{verified}: {difference['patched']}, {status}")
        print(f"      {difference['message'].splitlines()[0] if difference['message'] else ''}")
    for test_id in summary["listed_but_agreeing"]:
        print(f"  listed in {KNOWN_DIFFERENCES.name} but passing patched now: {test_id}")
    if summary["passing_only_patched"]:
        print(f"passing patched, not unpatched: {[entry['test'] for entry in summary['passing_only_patched']]}")
    for problem in summary["problems"]:
        print(f"HARNESS: {problem}")
    print(f"summary: {OUTPUT.relative_to(REPO)}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--compare-only", action="store_true", help="compare the last runs' results again")
    arguments = parser.parse_args()
    sdist = pinned()
    started = time.monotonic()
    seconds: dict[str, float] = {}
    if not arguments.compare_only:
        root = unpacked(sdist)
        seconds = {name: run(root, name) for name in RUNS}
    summary = compare(sdist, seconds)
    summary["wall_seconds"] = round(time.monotonic() - started, 1) if seconds else None
    OUTPUT.parent.mkdir(exist_ok=True)
    OUTPUT.write_text(json.dumps(summary, indent=1) + "\n")
    report(summary)
    return 1 if summary["unlisted"] or summary["problems"] else 0


if __name__ == "__main__":
    sys.exit(main())
