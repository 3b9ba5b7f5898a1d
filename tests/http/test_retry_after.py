"""Every answer a client may retry says when (Retry-After, in seconds): a 503, a 504, a 429 from the stage's
throttle and a 409 ENQUIRY_IN_PROGRESS. No other answer carries it."""

from __future__ import annotations

import functools
from datetime import datetime

import pytest

from domain.services import ChargeRequest
from emulator.cloud import LocalCloud
from emulator.template import StageThrottle
from functions.common.documents import charge_request_document
from tests.conftest import Api, serving
from tests.http.support import MID_NOVEMBER, assert_rejected, freeze_clock, set_plan
from tests.integration.faults import Stall
from tests.integration.workflows import always

RETRY_AFTER = "1"


def _failing(function_name: str) -> object:
    def hook(name: str, _event: object) -> None:
        if name == function_name:
            raise RuntimeError("the step broke")

    return hook


def test_a_503_says_when_to_retry_and_a_charge_or_a_denial_does_not(api: Api, cloud: LocalCloud, org_id: str) -> None:
    # Given an org on Lite, one of whose enquiries is charged and another denied for its users' limit
    freeze_clock(api, MID_NOVEMBER)
    set_plan(api, org_id, "Lite")
    assert api.set_user_limit(org_id, 1).status == 200
    charged = api.use(org_id, "enq-1", "alice")
    denied = api.use(org_id, "enq-2", "alice")

    # When the user step fails for another enquiry
    cloud.invocation_hooks.append(_failing("ReserveUserCreditFunction"))
    unavailable = api.use(org_id, "enq-3", "bob")

    # Then the 503 says when to retry; the charge and the denial say nothing of the kind
    assert_rejected(unavailable, 503, "SERVICE_UNAVAILABLE")
    assert unavailable.headers["retry-after"] == RETRY_AFTER
    assert (charged.status, denied.status) == (201, 402)
    assert "retry-after" not in charged.headers
    assert "retry-after" not in denied.headers


def test_an_enquiry_still_being_charged_is_409_with_when_to_retry(api: Api, cloud: LocalCloud, org_id: str) -> None:
    # Given an org on Basic and an enquiry whose charge is under way (its org credit reserved, not yet charged)
    freeze_clock(api, MID_NOVEMBER)
    set_plan(api, org_id, "Basic")
    now = datetime.fromisoformat(MID_NOVEMBER.replace("Z", "+00:00"))
    charge = charge_request_document(ChargeRequest(org_id, "alice", "enq-1", now, "under-way-1"))
    assert "FunctionError" not in cloud.invoke("ReserveOrgCreditFunction", {"charge": charge})

    # When the client sends the same enquiry
    reply = api.use(org_id, "enq-1", "alice")

    # Then it is told the enquiry is in progress, and when to ask again
    assert_rejected(reply, 409, "ENQUIRY_IN_PROGRESS")
    assert reply.headers["retry-after"] == RETRY_AFTER


def test_an_execution_that_outlives_the_gateways_wait_is_504_with_when_to_retry(
    api: Api, cloud: LocalCloud, org_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given an org on Basic, a validate step that takes half a second, and API Gateway waiting 0.1 s for an execution
    # (29 s on AWS: the emulator's wait shortened, as no workflow outlives it otherwise)
    freeze_clock(api, MID_NOVEMBER)
    set_plan(api, org_id, "Basic")
    cloud.invocation_hooks.append(Stall("ValidateFunction", 0.5, always))
    monkeypatch.setattr(cloud, "start_sync_execution", functools.partial(cloud.start_sync_execution, timeout=0.1))

    # When the client sends an enquiry
    reply = api.use(org_id, "enq-1", "alice")

    # Then the gateway stops waiting with a 504 that says when to retry (the execution goes on, and ends)
    assert_rejected(reply, 504, "TIMEOUT")
    assert reply.headers["retry-after"] == RETRY_AFTER
    assert cloud.wait_until_idle(10)


def test_the_stage_throttle_answers_429_with_when_to_retry_each_route_on_its_own(
    cloud: LocalCloud, org_id: str
) -> None:
    # Given a stage whose throttle admits 2 requests at once on each route, refilled very slowly
    with serving(cloud, throttle=StageThrottle(rate=0.001, burst=2)) as api:
        assert api.set_plan(org_id, "Basic").status == 200

        # When a client reads the balance three times, then lists the ledger
        replies = [api.balance(org_id) for _ in range(3)]
        other_route = api.usage(org_id)

    # Then the third read is refused by the throttle before anything runs, with when to retry; another route has a
    # bucket of its own ("applied at the API method level")
    assert [reply.status for reply in replies] == [200, 200, 429]
    assert_rejected(replies[2], 429, "THROTTLED")
    assert replies[2].headers["retry-after"] == RETRY_AFTER
    assert other_route.status == 200
