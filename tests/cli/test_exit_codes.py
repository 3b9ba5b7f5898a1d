"""What a run of `credits` exits with: 0 for a success (a replay too), 2 for a wrong command line, 3 for a denial,
4 for an answer that says to ask again (once --retry is spent, each retry after the seconds Retry-After says), 5
for a fault. Errors go to stderr as `CODE: message (requestId ...)`."""

from __future__ import annotations

import re
import threading
import time

from cli.client import Client, ExitCode
from emulator.cloud import LocalCloud
from emulator.server import free_port
from emulator.template import StageThrottle
from tests.cli.conftest import Credits, http_answer, run_credits, stub_api
from tests.conftest import Api, serving

NO_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": None,
    "AWS_SECRET_ACCESS_KEY": None,
    "AWS_SESSION_TOKEN": None,
    "AWS_PROFILE": None,
    "AWS_DEFAULT_PROFILE": None,
    "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/credentials",
    "AWS_CONFIG_FILE": "/nonexistent/config",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": None,
    "AWS_CONTAINER_CREDENTIALS_FULL_URI": None,
    "AWS_WEB_IDENTITY_TOKEN_FILE": None,
    "AWS_EC2_METADATA_DISABLED": "true",
}
"""An environment in which botocore finds no credentials, and does not ask the instance metadata service."""


def _error_line(stderr: str, code: str) -> bool:
    return re.search(rf"^{code}: .+ \(requestId [\w-]+\)$", stderr, re.MULTILINE) is not None


class FailingOnce:
    """An invocation hook: the function's first invocation raises (the workflow answers 503 with Retry-After), the
    ones after it run."""

    def __init__(self, function: str, times: int = 1) -> None:
        self.function, self.left = function, times
        self._lock = threading.Lock()

    def __call__(self, name: str, _event: object) -> None:
        if name != self.function:
            return
        with self._lock:
            if self.left <= 0:
                return
            self.left -= 1
        raise RuntimeError("the step broke")


def test_a_success_and_its_replay_exit_0(credits: Credits, org_id: str) -> None:
    assert credits("plan", "set", org_id, "Basic").exit_code == ExitCode.OK
    assert credits("use", org_id, "enq-1", "--user", "alice").exit_code == ExitCode.OK
    assert credits("use", org_id, "enq-1", "--user", "alice").exit_code == ExitCode.OK


def test_an_org_without_a_plan_is_denied_with_3_and_the_apis_code_on_stderr(credits: Credits, org_id: str) -> None:
    # When a developer uses a credit of an org that has no plan (table, then --json)
    denied = credits("use", org_id, "enq-1", "--user", "alice")
    denied_json = credits("use", org_id, "enq-1", "--user", "alice", "--json")

    # Then both exit 3 and say why on stderr; --json prints the API's error document on stdout
    assert denied.exit_code == ExitCode.DENIED
    assert denied.stdout == ""
    assert _error_line(denied.stderr, "NO_ACTIVE_PLAN")
    assert denied_json.exit_code == ExitCode.DENIED
    assert (denied_json.document["code"], denied_json.document["httpStatus"]) == ("NO_ACTIVE_PLAN", 402)
    assert denied_json.document["requestId"] in denied_json.stderr


def test_a_user_over_their_limit_is_denied_with_3(credits: Credits, org_id: str) -> None:
    # Given an org whose users may use 1 credit a month, and alice's used
    assert credits("plan", "set", org_id, "Lite").exit_code == ExitCode.OK
    assert credits("user-limit", "set", org_id, "1").exit_code == ExitCode.OK
    assert credits("use", org_id, "enq-1", "--user", "alice").exit_code == ExitCode.OK

    # When alice runs another enquiry
    denied = credits("use", org_id, "enq-2", "--user", "alice")

    # Then
    assert denied.exit_code == ExitCode.DENIED
    assert _error_line(denied.stderr, "USER_LIMIT_REACHED")


def test_an_unknown_enquiry_is_denied_with_3(credits: Credits, org_id: str) -> None:
    assert credits("plan", "set", org_id, "Basic").exit_code == ExitCode.OK

    missing = credits("charge", org_id, "enq-never")
    refund = credits("refund", org_id, "enq-never")

    assert (missing.exit_code, refund.exit_code) == (ExitCode.DENIED, ExitCode.DENIED)
    assert _error_line(missing.stderr, "ENQUIRY_NOT_FOUND")
    assert _error_line(refund.stderr, "ENQUIRY_NOT_FOUND")


def test_a_wrong_command_line_exits_2_and_sends_nothing(credits: Credits, api: Api, org_id: str) -> None:
    # When the command line lacks the user, names no command, or gives a limit that is not one
    results = [
        credits("use", org_id, "enq-1"),
        credits("frobnicate", org_id),
        credits("user-limit", "set", org_id, "lots"),
        credits("usage", org_id, "--retry", "-1"),
    ]

    # Then each exits 2, and the org is untouched (it has no plan: nothing was sent)
    assert [result.exit_code for result in results] == [ExitCode.USAGE] * 4
    assert api.balance(org_id).body["plan"] is None


def test_a_503_exits_4_and_says_when_to_ask_again(credits: Credits, cloud: LocalCloud, org_id: str) -> None:
    # Given an org on Basic whose user step breaks
    assert credits("plan", "set", org_id, "Basic").exit_code == ExitCode.OK
    cloud.invocation_hooks.append(FailingOnce("ReserveUserCreditFunction", times=100))

    # When a developer uses a credit without --retry
    unavailable = credits("use", org_id, "enq-1", "--user", "alice")

    # Then it exits 4 at once, with the API's code
    assert unavailable.exit_code == ExitCode.RETRYABLE
    assert _error_line(unavailable.stderr, "SERVICE_UNAVAILABLE")
    assert "asking again" not in unavailable.stderr


def test_retry_asks_again_after_retry_after_and_succeeds(credits: Credits, cloud: LocalCloud, org_id: str) -> None:
    # Given an org on Basic whose user step breaks once
    assert credits("plan", "set", org_id, "Basic").exit_code == ExitCode.OK
    cloud.invocation_hooks.append(FailingOnce("ReserveUserCreditFunction"))

    # When a developer uses a credit with --retry 2
    started = time.monotonic()
    charged = credits("use", org_id, "enq-1", "--user", "alice", "--retry", "2", "--json")
    took = time.monotonic() - started

    # Then the 503's Retry-After (1 s) was waited for, the second answer charged, and the run exits 0
    assert charged.exit_code == ExitCode.OK, charged.stderr
    assert charged.document["charged"] is True
    assert re.search(r"^SERVICE_UNAVAILABLE: .*; asking again in 1 s \(1 of 2\)$", charged.stderr, re.MULTILINE)
    assert took >= 1.0


def test_a_429_that_outlasts_the_retries_exits_4(cloud: LocalCloud, org_id: str) -> None:
    # Given a stage that admits one request a route, refilled very slowly
    with serving(cloud, throttle=StageThrottle(rate=0.001, burst=1)) as throttled:
        assert run_credits("--endpoint", throttled.url, "balance", org_id).exit_code == ExitCode.OK

        # When staff read the balance again with --retry 1
        started = time.monotonic()
        refused = run_credits("--endpoint", throttled.url, "balance", org_id, "--retry", "1")
        took = time.monotonic() - started

    # Then it asked twice, a second apart, and exits 4 with the throttle's code
    assert refused.exit_code == ExitCode.RETRYABLE
    assert "THROTTLED: " in refused.stderr
    assert "asking again in 1 s (1 of 1)" in refused.stderr
    assert took >= 1.0


def test_a_500_is_a_fault_exit_5(credits: Credits, cloud: LocalCloud, org_id: str) -> None:
    # Given an org step that answers what the workflow cannot use (the execution fails with States.Runtime)
    assert credits("plan", "set", org_id, "Basic").exit_code == ExitCode.OK
    cloud.result_hooks.append(lambda name, result: {"replayed": True} if name == "ReserveOrgCreditFunction" else result)

    # When a developer uses a credit
    failed = credits("use", org_id, "enq-1", "--user", "alice", "--retry", "3")

    # Then it exits 5 at once (a 500 says nothing of retrying)
    assert failed.exit_code == ExitCode.FAULT
    assert _error_line(failed.stderr, "INTERNAL_ERROR")
    assert "asking again" not in failed.stderr


def test_no_answer_is_a_fault_exit_5(org_id: str) -> None:
    unreachable = run_credits("--endpoint", f"http://127.0.0.1:{free_port()}", "balance", org_id)

    assert unreachable.exit_code == ExitCode.FAULT
    assert unreachable.stderr.startswith("NO_ANSWER: GET http://127.0.0.1:")


def test_sign_without_credentials_is_a_fault_exit_5(api: Api, org_id: str) -> None:
    # When staff insist on signing where botocore finds no credentials
    refused = run_credits("--endpoint", api.url, "--sign", "balance", org_id, env=NO_CREDENTIALS)
    # and, by default, a sandbox is asked unsigned there
    unsigned = run_credits("--endpoint", api.url, "balance", org_id, env=NO_CREDENTIALS)

    # Then
    assert refused.exit_code == ExitCode.FAULT
    assert refused.stderr.startswith("NO_CREDENTIALS: ")
    assert unsigned.exit_code == ExitCode.OK, unsigned.stderr


def test_retry_does_not_wait_longer_than_30_s_and_says_how_long_was_asked(org_id: str) -> None:
    # Given an API that asks to be asked again in a day
    throttled = http_answer(429, {"code": "THROTTLED", "message": "slow down"}, {"Retry-After": "86400"})
    slept: list[float] = []
    lines: list[str] = []
    with stub_api(lambda _: throttled) as (endpoint, received):
        # When the client may ask again once
        answer = Client(endpoint, retries=1, notice=lines.append, sleep=slept.append).call("GET", f"/orgs/{org_id}")

    # Then it neither waited nor asked again: the answer stands (exit 4), and it says how long the API asked
    assert answer.exit_code == ExitCode.RETRYABLE
    assert (slept, len(received)) == ([], 1)
    assert lines == [
        "THROTTLED: slow down; the API asked to wait 86400 s before asking again, longer than --retry waits (30 s): "
        "not asking again"
    ]


def test_an_endpoint_asked_without_credentials_says_the_request_goes_unsigned(api: Api, org_id: str) -> None:
    # When staff without credentials call an endpoint, and again saying --no-sign
    unsigned = run_credits("--endpoint", api.url, "balance", org_id, env=NO_CREDENTIALS)
    quiet = run_credits("--endpoint", api.url, "--no-sign", "balance", org_id, env=NO_CREDENTIALS)

    # Then the sandbox answers both; the first says on one line that its request went unsigned
    assert (unsigned.exit_code, quiet.exit_code) == (ExitCode.OK, ExitCode.OK)
    assert unsigned.stderr.startswith("UNSIGNED: ")
    assert unsigned.stderr.count("\n") == 1
    assert "--no-sign" in unsigned.stderr
    assert quiet.stderr == ""
