"""Copy every item of one table into another: the migration path when a table must be replaced (a change to its
local secondary indexes, which exist only if the table is created with them: docs/deploy.md).

    python -m adapters.dynamodb.copy --source OLD_TABLE --target NEW_TABLE [--region eu-west-2]

A strongly consistent Scan, a page at a time, and BatchWriteItem 25 items at a time, asking again for what
DynamoDB leaves unprocessed (throttled) after a growing pause. Items keep every attribute, the indexes' keys
included, so the target's indexes are built from them. It changes nothing in the source. Run it while nothing
writes to the source (docs/deploy.md says how), or a write made meanwhile may be missed.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

BATCH_WRITE_LIMIT = 25
"""Items one BatchWriteItem takes (DynamoDB API reference, BatchWriteItem)."""
UNPROCESSED_ATTEMPTS = 8


def _pages(client: Any, table: str) -> Iterator[list[dict[str, Any]]]:
    arguments: dict[str, Any] = {"TableName": table, "ConsistentRead": True}
    while True:
        page = client.scan(**arguments)
        yield page.get("Items", [])
        if "LastEvaluatedKey" not in page:
            return
        arguments["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _write(client: Any, table: str, items: list[dict[str, Any]], pause: Callable[[float], None]) -> None:
    requests = {table: [{"PutRequest": {"Item": item}} for item in items]}
    for attempt in range(UNPROCESSED_ATTEMPTS):
        requests = client.batch_write_item(RequestItems=requests).get("UnprocessedItems") or {}
        if not requests:
            return
        pause(min(0.05 * 2**attempt, 5.0))
    raise RuntimeError(f"DynamoDB left {len(requests[table])} items unprocessed after {UNPROCESSED_ATTEMPTS} tries")


def copy_table(client: Any, source: str, target: str, pause: Callable[[float], None] = time.sleep) -> int:
    """Copies every item of `source` into `target`; answers how many."""
    if source == target:
        raise ValueError("the source and the target are the same table")
    copied = 0
    for page in _pages(client, source):
        for start in range(0, len(page), BATCH_WRITE_LIMIT):
            batch = page[start : start + BATCH_WRITE_LIMIT]
            _write(client, target, batch, pause)
            copied += len(batch)
    return copied


def main(argv: list[str] | None = None) -> int:
    import boto3  # only the command needs a client

    parser = argparse.ArgumentParser(prog="python -m adapters.dynamodb.copy", description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", required=True)
    parser.add_argument("--target", required=True)
    parser.add_argument("--region", default="eu-west-2")
    options = parser.parse_args(argv)
    copied = copy_table(boto3.client("dynamodb", region_name=options.region), options.source, options.target)
    print(f"copied {copied} items from {options.source} to {options.target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
