"""No Python traceback reaches a user: what goes wrong outside the API's answers (a refused role, an answer that is
not HTTP or is cut short, a success that is not JSON, a malformed endpoint, a success of a shape the command
cannot show, a defect) is one line
on stderr, `CODE: message`, and an exit code; a traceback only with CREDITS_DEBUG=1."""

from __future__ import annotations

import ssl
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

import cli.client
from cli.client import Client, ExitCode, Fault, Signer
from emulator.cloud import LocalCloud
from emulator.server import serve
from emulator.template import REGION
from tests.cli.conftest import http_answer, run_credits, stub_api


def _one_line(stderr: str, code: str) -> bool:
    return stderr.startswith(f"{code}: ") and stderr.count("\n") == 1 and "Traceback" not in stderr


def test_an_answer_that_is_not_http_is_a_fault_exit_5(org_id: str) -> None:
    # Given an endpoint that answers something other than HTTP
    with stub_api(lambda _: b"SSH-2.0-OpenSSH_9.6\r\n") as (endpoint, _):
        # When staff read a balance there
        answered = run_credits("--endpoint", endpoint, "balance", org_id)

    # Then
    assert answered.exit_code == ExitCode.FAULT
    assert _one_line(answered.stderr, "NO_ANSWER"), answered.stderr


def test_an_answer_cut_short_is_a_fault_exit_5(org_id: str) -> None:
    # Given an endpoint whose answer ends before the length it promised
    cut = http_answer(200, {"orgId": org_id, "plan": "Basic"})[:-10]
    with stub_api(lambda _: cut) as (endpoint, _):
        answered = run_credits("--endpoint", endpoint, "balance", org_id)

    assert answered.exit_code == ExitCode.FAULT
    assert _one_line(answered.stderr, "NO_ANSWER"), answered.stderr
    assert "cut short" in answered.stderr


def test_a_malformed_endpoint_is_a_usage_error_exit_2(org_id: str) -> None:
    # When the endpoint given is not a URL, or has no http(s) scheme (as an option or in the environment)
    results = [
        run_credits("--endpoint", "http://[::1", "balance", org_id),
        run_credits("--endpoint", "127.0.0.1:3000", "balance", org_id),
        run_credits("--endpoint", "ftp://example.com", "balance", org_id),
        run_credits("balance", org_id, env={"CREDITS_ENDPOINT": "http://[::1"}),
    ]

    # Then each is Click's usage error, which names the option
    assert [result.exit_code for result in results] == [ExitCode.USAGE] * 4
    assert all("--endpoint" in result.stderr and "Traceback" not in result.stderr for result in results)


def test_a_success_the_command_cannot_show_is_a_fault_exit_5(org_id: str) -> None:
    # Given an API that answers a top-up with a document of another shape
    odd = {"orgId": org_id, "topUp": "recorded", "replayed": False}
    with stub_api(lambda _: http_answer(201, odd)) as (endpoint, _):
        # When staff top up, as a table and with --json
        table = run_credits("--endpoint", endpoint, "top-up", org_id, "5", "--reason", "r", "--id", "t-1")
        as_json = run_credits("--endpoint", endpoint, "top-up", org_id, "5", "--reason", "r", "--id", "t-1", "--json")

    # Then the table is a fault, printed as nothing but its line; --json prints the answer as it came
    assert table.exit_code == ExitCode.FAULT
    assert table.stdout == ""
    assert _one_line(table.stderr, "UNEXPECTED_ANSWER"), table.stderr
    assert as_json.exit_code == ExitCode.OK
    assert as_json.document == odd


def _not_json(status: int = 200) -> bytes:
    """A success whose body is a proxy's page, not the API's JSON."""
    body = b"<html><body>Welcome</body></html>"
    head = f"HTTP/1.1 {status} OK\r\nContent-Length: {len(body)}\r\nContent-Type: text/html\r\nConnection: close"
    return head.encode() + b"\r\n\r\n" + body


def test_a_success_that_is_not_json_is_a_fault_exit_5_and_prints_nothing(org_id: str) -> None:
    # Given an endpoint that answers 200 with an HTML page (a proxy's, a captive portal's)
    with stub_api(lambda _: _not_json()) as (endpoint, _):
        # When staff read a balance, as a table and with --json
        table = run_credits("--endpoint", endpoint, "balance", org_id)
        as_json = run_credits("--endpoint", endpoint, "balance", org_id, "--json")

    # Then each is a fault, with nothing on stdout and the answer's start on stderr
    for answered in (table, as_json):
        assert answered.exit_code == ExitCode.FAULT
        assert answered.stdout == ""
        assert _one_line(answered.stderr, "NOT_JSON"), answered.stderr
        assert "the API answered 200 with '<html>" in answered.stderr


def test_usage_all_whose_later_page_is_not_json_prints_what_it_read_and_exits_5(org_id: str) -> None:
    # Given an API whose second page is an HTML page
    first = http_answer(200, {"orgId": org_id, "period": "2026-11", "items": [], "cursor": "c1"})
    with stub_api(lambda request: _not_json() if "cursor=c1" in request.path else first) as (endpoint, received):
        # When staff list every page with --json
        listed = run_credits("--endpoint", endpoint, "usage", org_id, "--all", "--json")

    # Then the first page is printed with the cursor to go on from, and the run is a fault
    assert len(received) == 2
    assert listed.exit_code == ExitCode.FAULT
    assert listed.document["cursor"] == "c1"
    assert _one_line(listed.stderr, "NOT_JSON"), listed.stderr


class RefusedRole:
    """Credentials from a role that STS refuses to let the caller assume."""

    def get_frozen_credentials(self) -> object:
        error = {"Error": {"Code": "AccessDenied", "Message": "not authorized to perform sts:AssumeRole"}}
        raise ClientError(error, "AssumeRole")  # type: ignore[arg-type]


def test_a_role_sts_refuses_is_a_fault(org_id: str) -> None:
    # Given a client signing with a role that STS refuses
    with stub_api(lambda _: http_answer(200, {})) as (endpoint, received):
        client = Client(endpoint, Signer(RefusedRole(), REGION))

        # When it calls the API
        with pytest.raises(Fault) as refused:
            client.call("GET", f"/orgs/{org_id}/balance")

    # Then nothing was sent, and the fault names STS's answer
    assert refused.value.code == "CREDENTIALS_FAILED"
    assert "AccessDenied" in refused.value.message
    assert received == []


def _broken(*_: object) -> None:
    raise RuntimeError("the wheel came off")


def test_a_defect_is_one_line_exit_5_and_its_traceback_only_when_asked(
    org_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a command with a defect
    monkeypatch.setattr(cli.client, "send", _broken)
    endpoint = "http://127.0.0.1:9"

    # When staff run it, then again with CREDITS_DEBUG=1
    plain = run_credits("--endpoint", endpoint, "balance", org_id)
    debug = run_credits("--endpoint", endpoint, "balance", org_id, env={"CREDITS_DEBUG": "1"})

    # Then
    line = "INTERNAL: RuntimeError: the wheel came off; run with CREDITS_DEBUG=1 for the traceback\n"
    assert (plain.exit_code, plain.stderr) == (ExitCode.FAULT, line)
    assert debug.exit_code == ExitCode.FAULT
    assert debug.stderr.startswith("Traceback (most recent call last):")
    assert debug.stderr.endswith(line)


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1, as a TLS-inspecting proxy's CA would sign: (certificate, key)."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    command = "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 -subj /CN=127.0.0.1"
    command += " -addext subjectAltName=IP:127.0.0.1"
    subprocess.run([*command.split(), "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    return cert, key


@pytest.fixture
def https_api(cloud: LocalCloud, certificate: tuple[Path, Path]) -> Iterator[str]:
    """The emulator over HTTPS, with a certificate that no CA bundle but its own trusts."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)
    server = serve(cloud, "127.0.0.1", 0)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_the_api_is_called_with_the_ca_bundle_of_aws_ca_bundle(
    https_api: str, certificate: tuple[Path, Path], org_id: str
) -> None:
    # When staff behind TLS inspection name its CA in AWS_CA_BUNDLE, as for the AWS CLI, and when they do not
    trusted = run_credits("--endpoint", https_api, "balance", org_id, env={"AWS_CA_BUNDLE": str(certificate[0])})
    untrusted = run_credits("--endpoint", https_api, "balance", org_id, env={"AWS_CA_BUNDLE": None})

    # Then the API is reached with the bundle, and without it the certificate is refused (one line, exit 5)
    assert trusted.exit_code == ExitCode.OK, trusted.stderr
    assert untrusted.exit_code == ExitCode.FAULT
    assert _one_line(untrusted.stderr, "NO_ANSWER"), untrusted.stderr
