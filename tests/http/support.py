"""What the HTTP tests share: how a rejection must look, and the small steps the rules are built from."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from emulator.cloud import LocalCloud
    from tests.conftest import Api, Reply

MID_NOVEMBER = "2026-11-10T12:00:00Z"
LAST_MINUTE_OF_NOVEMBER = "2026-11-30T23:59:00Z"
FIRST_INSTANT_OF_DECEMBER = "2026-12-01T00:00:00Z"
MID_DECEMBER = "2026-12-10T12:00:00Z"

PLAN_CREDITS = {"Ultimate": 1000, "Enterprise": 500, "Basic": 100, "Lite": 20}
TRIAL_CREDITS = 10

BAD_IDS = [
    # ids a client may try, in the body, the path or the query string: each must be refused (INVALID_ID)
    "",
    " ",
    "enquiry 1",
    " enquiry-1",
    "enquiry-1 ",
    "a" * 129,
    "énquiry",
    "a/b",
    "a#b",
    "a\nb",
    "enquiry-1\n",
    "a,b",
    "a*",
]


INTERNALS = ("Traceback", "stackTrace")
"""What must never reach a client: the service's insides."""


def body_text(reply: Reply) -> str:
    return reply.body if isinstance(reply.body, str) else json.dumps(reply.body)


def assert_no_internals(reply: Reply) -> None:
    text = body_text(reply)
    for marker in INTERNALS:
        assert marker not in text, f"{marker!r} leaked to the client: {text}"


def assert_error_document(reply: Reply, status: int) -> str:
    """An error is a JSON document with a code and a readable message, and nothing internal; returns the code."""
    assert_no_internals(reply)
    assert reply.status == status, (reply.status, reply.body)
    assert isinstance(reply.body, dict), f"not a JSON object: {reply.status} {reply.body!r}"
    assert isinstance(reply.body.get("code"), str), reply.body
    assert reply.body["code"], reply.body
    assert isinstance(reply.body.get("message"), str), reply.body
    assert reply.body["message"], reply.body
    return str(reply.body["code"])


def assert_rejected(reply: Reply, status: int, code: str) -> None:
    """A rejection is an error document with the status and stable code the contract names."""
    assert assert_error_document(reply, status) == code, reply.body


def freeze_clock(api: Api, now: str) -> None:
    reply = api.freeze_clock(now)
    assert reply.status == 200, reply.body


def set_plan(api: Api, org_id: str, plan: str) -> dict[str, Any]:
    reply = api.set_plan(org_id, plan)
    assert reply.status == 200, reply.body
    return dict(reply.body)


def set_user_limit(api: Api, org_id: str, limit: int | None) -> dict[str, Any]:
    reply = api.set_user_limit(org_id, limit)
    assert reply.status == 200, reply.body
    return dict(reply.body)


def top_up(api: Api, org_id: str, credits: int, top_up_id: str | None = None) -> dict[str, Any]:
    reply = api.top_up(org_id, credits, top_up_id)
    assert reply.status == 201, reply.body
    return dict(reply.body)


def balance(api: Api, org_id: str, user_id: str | None = None) -> dict[str, Any]:
    reply = api.balance(org_id, user_id)
    assert reply.status == 200, reply.body
    return dict(reply.body)


def charge(api: Api, org_id: str, count: int, prefix: str = "enq", user_id: str = "user-1") -> None:
    """Run `count` distinct enquiries, each of which must be charged."""
    for number in range(count):
        reply = api.use(org_id, f"{prefix}-{number}", user_id)
        assert reply.status == 201, (number, reply.body)


def notices(api: Api, org_id: str, kind: str, period: str | None = None) -> list[dict[str, Any]]:
    """The notifications of one kind published for the org (the emulator lists every org's)."""
    return [
        notice
        for notice in api.notifications()
        if notice.get("kind") == kind
        and notice.get("orgId") == org_id
        and (period is None or notice.get("period") == period)
    ]


def limit_reached_notices(api: Api, org_id: str, period: str | None = None) -> list[dict[str, Any]]:
    return notices(api, org_id, "LimitReached", period)


def settled_balance(api: Api, cloud: LocalCloud, org_id: str, at_most_seconds: float = 60.0) -> dict[str, Any]:
    """The balance once every execution and invocation has ended, those the gateway stopped waiting for (504)
    included: a test sees what they finally did."""
    assert cloud.wait_until_idle(at_most_seconds), f"executions still running after {at_most_seconds} s"
    return balance(api, org_id)


def denied_for_the_user_limit(api: Api, org_id: str) -> Reply:
    """alice at the org's per-user limit of 1 (Basic, mid-November), denied her second enquiry (enq-2): the answer,
    whose execution went through the compensation."""
    freeze_clock(api, MID_NOVEMBER)
    set_plan(api, org_id, "Basic")
    set_user_limit(api, org_id, 1)
    assert api.use(org_id, "enq-1", "alice").status == 201
    denied = api.use(org_id, "enq-2", "alice")
    assert_rejected(denied, 402, "USER_LIMIT_REACHED")
    return denied


def set_counter(dynamodb: Any, org_id: str, sort_key: str, used: int, table: str = "credits-local") -> None:
    """A counter (USAGE#<window>, USER#<user>#<month>) changed by hand, behind the service's back: an UpdateItem on
    the emulated account's DynamoDB, with `dynamodb` a client of it (in-process, or through the AWS endpoint)."""
    dynamodb.update_item(
        TableName=table,
        Key={"pk": {"S": f"ORG#{org_id}"}, "sk": {"S": sort_key}},
        UpdateExpression="SET used = :used",
        ExpressionAttributeValues={":used": {"N": str(used)}},
    )
