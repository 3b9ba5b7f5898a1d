"""The `credits` command as installed (.venv/app/bin/credits) against `make run API_AUTH=AWS_IAM`, the emulator
serving the default stack, which refuses unsigned requests: the command signs with the caller's credentials (here
from the environment, as a CI job or an assumed role gives them). The emulator checks a signature's shape and scope
(region eu-west-2, service execute-api), not its value."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from cli.client import ExitCode
from emulator.server import free_port
from emulator.template import REGION

ROOT = Path(__file__).resolve().parents[2]
CREDITS = ROOT / ".venv" / "app" / "bin" / "credits"

pytestmark = pytest.mark.slow


def _get(url: str) -> tuple[int, dict[str, object]]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as refused:
        return refused.code, json.loads(refused.read())


def _environment(**extra: str) -> dict[str, str]:
    """This process's environment without any AWS or make settings of its own (a make test above this one would
    hand its jobserver down through MAKEFLAGS), plus `extra`."""
    kept = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("AWS_") and name not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")
    }
    return kept | extra


@pytest.fixture(scope="module")
def make_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`make run API_AUTH=AWS_IAM` on free ports; the API's URL. The server's process group is ended after."""
    port, aws_port = free_port(), free_port()
    log = tmp_path_factory.mktemp("make-run") / "make-run.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            # --assume-old: the tests run in .venv/app; make run must not reinstall it under the other test processes
            # (it would when requirements or pyproject.toml changed since the last install).
            [
                "make",
                "--no-print-directory",
                "--assume-old=.venv/app/.installed",
                "run",
                "API_AUTH=AWS_IAM",
                f"PORT={port}",
                f"AWS_PORT={aws_port}",
            ],
            cwd=ROOT,
            env=_environment(),
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                _get(f"{endpoint}/orgs/ready/balance")
                break
            except OSError:
                pass
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, f"make run did not answer within 120 s: {log.read_text()}"
            time.sleep(0.2)
        yield endpoint
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _credits(endpoint: str, *args: str) -> subprocess.CompletedProcess[str]:
    """The installed command, with credentials in the environment and nothing from this machine's AWS config."""
    signing = _environment(
        AWS_ACCESS_KEY_ID="AKIDEXAMPLE",
        AWS_SECRET_ACCESS_KEY="example-secret",
        AWS_DEFAULT_REGION=REGION,
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
        AWS_EC2_METADATA_DISABLED="true",
        COLUMNS="200",
    )
    return subprocess.run(
        [str(CREDITS), "--endpoint", endpoint, *args],
        env=signing,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_installed_credits_signs_what_make_run_api_auth_aws_iam_requires(make_run: str) -> None:
    assert CREDITS.exists(), f"{CREDITS} is not installed: make installs it (the rule $(VENV)/.installed)"
    org_id = f"org-{uuid.uuid4().hex[:12]}"

    # Given an unsigned request, refused by the default stack
    status, refusal = _get(f"{make_run}/orgs/{org_id}/balance")
    assert (status, refusal["code"]) == (403, "MISSING_AUTHENTICATION_TOKEN")

    # When staff put an org on a plan, a developer uses a credit, and staff read the balance, with the command
    plan = _credits(make_run, "plan", "set", org_id, "Basic")
    used = _credits(make_run, "use", org_id, "enq-1", "--user", "alice")
    balance = _credits(make_run, "balance", org_id, "--user", "alice", "--json")
    unsigned = _credits(make_run, "--no-sign", "balance", org_id)

    # Then each signed request was let through; the one sent unsigned was refused
    assert plan.returncode == ExitCode.OK, plan.stderr
    assert "plan             Basic" in plan.stdout
    assert used.returncode == ExitCode.OK, used.stderr
    assert balance.returncode == ExitCode.OK, balance.stderr
    assert (json.loads(balance.stdout)["used"], json.loads(balance.stdout)["user"]["used"]) == (1, 1)
    assert unsigned.returncode == ExitCode.DENIED
    assert unsigned.stderr.startswith("MISSING_AUTHENTICATION_TOKEN: ")
