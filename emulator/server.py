"""The HTTP front of the emulator (stdlib ThreadingHTTPServer: one thread per connection)."""

from __future__ import annotations

import logging
import socket
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from emulator.cloud import LocalCloud
from emulator.gateway import MAX_BODY_BYTES, Gateway, IncomingRequest, RequestIds, Response, error
from emulator.template import Route, StageThrottle


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 512  # bursts of concurrent clients must queue, not be refused
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], gateway: Gateway) -> None:
        super().__init__(address, _Handler)
        self.gateway = gateway


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    # TCP_NODELAY: the answer goes out as headers, then body; with Nagle's algorithm the body waited for the
    # client's delayed ACK of the headers, about 40 ms of every request on a kept-alive connection.
    disable_nagle_algorithm = True

    def _serve(self) -> None:
        length_header = self.headers.get("Content-Length") or "0"
        try:
            length = int(length_header)
        except ValueError:
            length = -1
        if length < 0:
            self._reply(error(400, "MALFORMED_REQUEST", "Content-Length is not a number"))
            return
        if length > MAX_BODY_BYTES:
            self.close_connection = True
            self._reply(error(413, "PAYLOAD_TOO_LARGE", f"the body is over {MAX_BODY_BYTES} bytes"))
            return
        raw = self.rfile.read(length) if length else b""
        try:
            body = raw.decode("utf-8")
        except UnicodeDecodeError:
            self._reply(error(400, "MALFORMED_JSON", "the body is not UTF-8 text"))
            return
        url = urlsplit(self.path)
        request = IncomingRequest(
            method=self.command,
            path=url.path,
            query=dict(parse_qsl(url.query, keep_blank_values=True)),
            headers=dict(self.headers.items()),
            body=body,
        )
        self._reply(self.server.gateway.handle(request))

    def _reply(self, response: Response) -> None:
        if "x-amzn-RequestId" not in response.headers:
            # Refused before the gateway saw it (a body too large, a malformed request): ids all the same
            ids = RequestIds.of({})
            response.headers.update(ids.headers())
            if isinstance(response.body, dict) and "code" in response.body:
                response.body.setdefault("requestId", ids.request_id)
        payload = response.text().encode("utf-8")
        self.send_response(response.status)
        headers = {"Content-Type": "application/json"} | response.headers  # the console's files say their own
        self.send_header("Content-Length", str(len(payload)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_PUT = do_POST = do_DELETE = do_PATCH = do_OPTIONS = _serve

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Errors the stdlib raises itself (unsupported method, malformed request line) answer JSON too."""
        self.close_connection = True
        status = "METHOD_NOT_ALLOWED" if code == 501 else "MALFORMED_REQUEST"
        reply = error(405 if code == 501 else code, status, message or "the request could not be read")
        if self.command == "HEAD":
            self.send_response(reply.status)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self._reply(reply)

    def log_message(self, format: str, *args: object) -> None:  # the stdlib's signature
        """The gateway logs each request on one line; the stdlib's access log would repeat it."""


def serve(
    cloud: LocalCloud, host: str, port: int, routes: list[Route] | None = None, throttle: StageThrottle | None = None
) -> _Server:
    return _Server((host, port), Gateway(cloud, routes=routes, throttle=throttle))


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port of `host` that nothing listens on now: for an emulator started in another process (python -m
    emulator, make run), or an endpoint that answers nothing. Another process may take it before it is bound."""
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def configure_logging() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    for noisy in ("botocore", "boto3", "moto", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
