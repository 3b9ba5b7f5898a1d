"""`python -m emulator --host 127.0.0.1 --port 3000`: the service on this machine (what `make run` starts)."""

from __future__ import annotations

import argparse
import logging
import threading

from emulator.cloud import LocalCloud
from emulator.server import configure_logging, serve


def main() -> None:
    parser = argparse.ArgumentParser(description="Run the credit service locally.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=3000)
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
        stop = threading.Event()
        threading.Thread(target=cloud.run_schedules, args=(stop,), name="schedules", daemon=True).start()
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            stop.set()
            server.server_close()


if __name__ == "__main__":
    main()
