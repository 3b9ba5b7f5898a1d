"""`python -m emulator --host 127.0.0.1 --port 3000 --aws-port 4566`: the service on this machine (what `make run`
starts), and the emulated account's AWS APIs beside it."""

from __future__ import annotations

import argparse
import logging
import threading

from emulator.cloud import LocalCloud
from emulator.server import configure_logging, serve
from emulator.template import REGION


def main() -> None:
    parser = argparse.ArgumentParser(description="Run the credit service locally.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=3000)
    parser.add_argument(
        "--aws-port", type=int, default=4566, help="the emulated account's AWS APIs (DynamoDB, Step Functions, SNS)"
    )
    arguments = parser.parse_args()
    configure_logging()
    with LocalCloud() as cloud:
        server = serve(cloud, arguments.host, arguments.port)
        logging.getLogger("emulator").info(
            "credit service emulator listening on http://%s:%d (routes: %s)",
            arguments.host, arguments.port,
            ", ".join(f"{route.method} {route.path}" for route in cloud.stack.routes),
        )  # fmt: skip
        if any(route.authorization == "AWS_IAM" for route in cloud.stack.routes):
            logging.getLogger("emulator").info(
                "ApiAuth=AWS_IAM: unsigned requests are refused (403); signatures are checked for shape, not verified"
            )
        else:
            logging.getLogger("emulator").info(
                "ApiAuth=NONE (a sandbox stack): no signature needed here; the default stack on AWS requires SigV4"
            )
        logging.getLogger("emulator").info(
            "the executions and their steps: http://%s:%d/_local/console", arguments.host, arguments.port
        )
        try:
            aws = cloud.aws_endpoint(arguments.host, arguments.aws_port)
        except OSError as taken:
            server.server_close()
            raise SystemExit(f"{taken}; choose another port: make run AWS_PORT=<port>") from None
        logging.getLogger("emulator").info(
            "the emulated account's AWS APIs on http://%s:%d (aws --endpoint-url http://%s:%d --region %s ...)",
            arguments.host, arguments.aws_port, arguments.host, arguments.aws_port, REGION,
        )  # fmt: skip
        stop = threading.Event()
        threading.Thread(target=cloud.run_schedules, args=(stop,), name="schedules", daemon=True).start()
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            stop.set()
            server.server_close()
            aws.stop()


if __name__ == "__main__":
    main()
