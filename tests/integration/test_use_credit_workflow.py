"""The use-credit saga, run as Step Functions runs it: the real ASL in moto's interpreter, the real handlers,
moto's DynamoDB. Faults are injected with `cloud.invocation_hooks` (called before each handler runs)."""

from __future__ import annotations

import json
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from domain.errors import WriteContended
from emulator.cloud import IntegrationTimeout, LocalCloud
from tests.integration.faults import Stall
from tests.integration.workflows import (
    Fault,
    Workflows,
    always,
    error_document,
    execution_input,
    first_call_only,
    inject,
    notifications_for,
    outcome,
    run_handler,
    swept_enquiries,
)

pytestmark = pytest.mark.timed  # faults injected into steps with timeouts: mostly waiting (tests/conftest.py)

NOW = datetime(2025, 3, 14, 12, 30, tzinfo=UTC)


@pytest.fixture
def workflows(cloud: LocalCloud) -> Workflows:
    cloud.clock.freeze(NOW)  # one period for the whole test; the autouse fixture thaws it
    return Workflows(cloud)


# -- granted -----------------------------------------------------------------------------------------------


def test_a_granted_charge_runs_every_step_of_the_saga_and_counts_one_credit(workflows: Workflows, org_id: str) -> None:
    # Given an org on Basic (100 credits a month)
    workflows.set_plan(org_id, "Basic")

    # When a user runs an enquiry
    result = workflows.use(org_id, "enq-1", "user-1")

    # Then every step of the saga ran, in order, and the enquiry is charged
    assert result.status == "SUCCEEDED", result
    assert workflows.states_entered(result) == [
        "ValidateRequest",
        "IsValid",
        "ReserveOrgCredit",
        "IsOrgDenied",
        "IsAlreadyCharged",
        "ReserveUserCredit",
        "IsUserDenied",
        "Notify",
        "Charged",
    ]
    output = json.loads(result.output or "")
    assert output["charged"] is True
    assert output["replayed"] is False
    assert (output["orgId"], output["userId"], output["enquiryId"], output["period"]) == (
        org_id,
        "user-1",
        "enq-1",
        "2025-03",
    )
    assert (output["org"]["used"], output["org"]["remaining"]) == (1, 99)
    assert output["user"]["used"] == 1
    balance = workflows.balance(org_id, "user-1")
    assert (balance["used"], balance["user"]["used"]) == (1, 1)


def test_the_same_enquiry_asked_again_is_answered_as_already_charged_without_charging_again(
    workflows: Workflows, org_id: str
) -> None:
    # Given an enquiry already charged
    workflows.set_plan(org_id, "Basic")
    assert workflows.use(org_id, "enq-1").status == "SUCCEEDED"

    # When the same user asks for it again (a client retry)
    replay = workflows.use(org_id, "enq-1")

    # Then the saga recognises it and charges nothing more
    assert replay.status == "SUCCEEDED", replay
    assert workflows.states_entered(replay) == [
        "ValidateRequest",
        "IsValid",
        "ReserveOrgCredit",
        "IsOrgDenied",
        "IsAlreadyCharged",
        "AlreadyCharged",
    ]
    output = json.loads(replay.output or "")
    assert (output["charged"], output["replayed"]) == (False, True)
    assert output["org"]["used"] == 1
    assert output["user"]["used"] == 1
    assert workflows.balance(org_id, "user-1")["used"] == 1


def test_concurrent_requests_never_use_more_credits_than_the_month_holds(workflows: Workflows, org_id: str) -> None:
    # Given an org on Lite (20 credits a month)
    workflows.set_plan(org_id, "Lite")

    # When 30 different enquiries arrive at once, from several users
    with ThreadPoolExecutor(max_workers=10) as pool:
        results = list(pool.map(lambda n: workflows.use(org_id, f"enq-{n}", f"user-{n % 3}"), range(30)))

    # Then exactly 20 are charged and the rest refused for the org's limit
    assert Counter(outcome(result) for result in results) == {"charged": 20, "OrgLimitReached": 10}
    assert workflows.balance(org_id)["used"] == 20


def test_concurrent_requests_of_one_user_never_pass_the_user_limit(workflows: Workflows, org_id: str) -> None:
    # Given an org whose users may each run 3 enquiries a month
    workflows.set_plan(org_id, "Basic")
    workflows.set_user_limit(org_id, 3)

    # When one user sends 10 different enquiries at once
    with ThreadPoolExecutor(max_workers=10) as pool:
        results = list(pool.map(lambda n: workflows.use(org_id, f"enq-{n}", "user-1"), range(10)))

    # Then 3 are charged, the rest refused, and the refused ones gave their org credit back
    assert Counter(outcome(result) for result in results) == {"charged": 3, "UserLimitReached": 7}
    balance = workflows.balance(org_id, "user-1")
    assert (balance["used"], balance["user"]["used"]) == (3, 3)


def test_the_same_enquiry_sent_concurrently_is_charged_once(workflows: Workflows, org_id: str) -> None:
    # Given an org on Basic
    workflows.set_plan(org_id, "Basic")

    # When a client sends the same enquiry 8 times at once
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda _: workflows.use(org_id, "enq-1", "user-1"), range(8)))

    # Then one request charges it; the others are answered as a replay or told to retry (409), never charged
    outcomes = Counter(outcome(result) for result in results)
    assert outcomes["charged"] == 1, outcomes
    assert set(outcomes) <= {"charged", "replayed", "EnquiryInProgress"}, outcomes
    assert workflows.balance(org_id, "user-1")["used"] == 1


# -- rejected ----------------------------------------------------------------------------------------------


def test_a_user_at_their_limit_is_refused_and_the_org_reservation_is_released(
    workflows: Workflows, org_id: str
) -> None:
    # Given an org whose users may run one enquiry a month, and a user who has run one
    workflows.set_plan(org_id, "Basic")
    workflows.set_user_limit(org_id, 1)
    assert workflows.use(org_id, "enq-1", "user-1").status == "SUCCEEDED"

    # When the user runs another
    result = workflows.use(org_id, "enq-2", "user-1")

    # Then it is refused with a 402, after the org credit reserved for it was released
    assert result.status == "SUCCEEDED", result  # a business outcome: the answer is the execution's output
    assert outcome(result) == "UserLimitReached"
    cause = error_document(result)
    assert (cause["code"], cause["httpStatus"]) == ("USER_LIMIT_REACHED", 402)
    assert workflows.states_entered(result) == [
        "ValidateRequest",
        "IsValid",
        "ReserveOrgCredit",
        "IsOrgDenied",
        "IsAlreadyCharged",
        "ReserveUserCredit",
        "IsUserDenied",
        "ReleaseOrgCredit",
        "WhyReleased",
        "UserDenied",
    ]
    assert workflows.balance(org_id)["used"] == 1
    # and the enquiry is free for a user who has credit left
    assert workflows.use(org_id, "enq-2", "user-2").status == "SUCCEEDED"


def test_an_org_without_a_plan_is_refused_before_anything_is_reserved(workflows: Workflows, org_id: str) -> None:
    result = workflows.use(org_id, "enq-1")

    assert result.status == "SUCCEEDED", result  # a business outcome: the answer is the execution's output
    assert outcome(result) == "NoActivePlan"
    cause = error_document(result)
    assert (cause["code"], cause["httpStatus"]) == ("NO_ACTIVE_PLAN", 402)
    assert workflows.states_entered(result) == [
        "ValidateRequest",
        "IsValid",
        "ReserveOrgCredit",
        "IsOrgDenied",
        "IsOrgLimitReached",
        "OrgDenied",
    ]


def test_an_org_at_its_monthly_limit_is_refused_until_it_is_topped_up(
    workflows: Workflows, org_id: str, cloud: LocalCloud
) -> None:
    # Given an org on Lite (20 credits a month) that has used them all
    workflows.set_plan(org_id, "Lite")
    for number in range(20):
        assert workflows.use(org_id, f"enq-{number}").status == "SUCCEEDED"

    # When a user runs one more enquiry
    refused = workflows.use(org_id, "enq-20")

    # Then it is refused with a 402 and the count stays at the limit
    assert refused.status == "SUCCEEDED", refused  # a business outcome: the answer is the execution's output
    assert outcome(refused) == "OrgLimitReached"
    cause = error_document(refused)
    assert (cause["code"], cause["httpStatus"]) == ("ORG_LIMIT_REACHED", 402)
    assert workflows.balance(org_id)["used"] == 20
    assert workflows.states_entered(refused) == [
        "ValidateRequest",
        "IsValid",
        "ReserveOrgCredit",
        "IsOrgDenied",
        "IsOrgLimitReached",
        "NotifyLimitReached",
        "OrgDenied",
    ]
    # and customer success heard, once each, that the org was on pace to use its credits and then used the last
    assert Counter(note["kind"] for note in notifications_for(cloud, org_id)) == {"LimitForecast": 1, "LimitReached": 1}

    # When staff top the month up by one credit
    workflows.top_up(org_id, 1)

    # Then the enquiry runs, and the month is used up again
    granted = workflows.use(org_id, "enq-20")
    assert granted.status == "SUCCEEDED", granted
    balance = workflows.balance(org_id)
    assert (balance["used"], balance["limit"], balance["remaining"]) == (21, 21, 0)
    # and LimitReached is not sent a second time in the month
    assert len(notifications_for(cloud, org_id, "LimitReached")) == 1


def test_an_org_whose_trial_has_ended_is_refused(workflows: Workflows, org_id: str, cloud: LocalCloud) -> None:
    # Given an org that started its 14-day trial, with credits left
    workflows.set_plan(org_id, "Trial")
    assert workflows.use(org_id, "enq-1").status == "SUCCEEDED"

    # When a user runs an enquiry the moment the trial ends
    cloud.clock.freeze(NOW + timedelta(days=14))
    result = workflows.use(org_id, "enq-2")

    # Then it is refused with a 402, and nothing more is counted
    assert result.status == "SUCCEEDED", result  # a business outcome: the answer is the execution's output
    assert outcome(result) == "TrialExpired"
    cause = error_document(result)
    assert (cause["code"], cause["httpStatus"]) == ("TRIAL_EXPIRED", 402)
    assert workflows.balance(org_id)["used"] == 1


def test_an_enquiry_charged_to_one_user_is_refused_to_another(workflows: Workflows, org_id: str) -> None:
    workflows.set_plan(org_id, "Basic")
    assert workflows.use(org_id, "enq-1", "user-1").status == "SUCCEEDED"

    result = workflows.use(org_id, "enq-1", "user-2")

    assert result.status == "SUCCEEDED", result  # a business outcome: the answer is the execution's output
    assert outcome(result) == "EnquiryChargedToAnotherUser"
    assert error_document(result)["httpStatus"] == 409
    assert workflows.balance(org_id)["used"] == 1


def test_a_request_without_an_enquiry_id_is_refused_as_invalid(workflows: Workflows, org_id: str) -> None:
    workflows.set_plan(org_id, "Basic")

    result = workflows.run("UseCreditStateMachine", org_id, {"userId": "user-1"})

    assert result.status == "SUCCEEDED", result  # a business outcome: the answer is the execution's output
    assert outcome(result) == "InvalidRequest"
    cause = error_document(result)
    assert (cause["code"], cause["httpStatus"]) == ("MISSING_FIELD", 400)
    assert workflows.states_entered(result) == ["ValidateRequest", "IsValid", "Refused"]
    assert workflows.balance(org_id)["used"] == 0


# -- faults ------------------------------------------------------------------------------------------------


def test_a_failing_user_step_releases_the_org_credit_and_answers_service_unavailable(
    workflows: Workflows, org_id: str, cloud: LocalCloud
) -> None:
    # Given an org on Basic, and a user step that crashes
    workflows.set_plan(org_id, "Basic")
    fault = inject(cloud, Fault("ReserveUserCreditFunction", lambda: RuntimeError("boom"), always))

    # When a user runs an enquiry
    result = workflows.use(org_id, "enq-1")

    # Then the saga compensates and answers 503
    assert result.status == "FAILED", result
    assert result.error == "ServiceUnavailable"
    cause = error_document(result)
    assert (cause["code"], cause["httpStatus"]) == ("SERVICE_UNAVAILABLE", 503)
    assert fault.calls == 1  # an unexpected error is not retried
    assert workflows.states_entered(result)[-3:] == ["ReleaseOrgCredit", "WhyReleased", "Unavailable"]
    # and nothing stays charged
    assert workflows.balance(org_id)["used"] == 0

    # When the fault is gone and the client retries the same enquiry
    cloud.invocation_hooks.clear()
    retried = workflows.use(org_id, "enq-1")

    # Then it is charged, once
    assert retried.status == "SUCCEEDED", retried
    assert json.loads(retried.output or "")["charged"] is True
    assert workflows.balance(org_id)["used"] == 1


def test_a_failing_notification_does_not_undo_a_granted_charge(
    workflows: Workflows, org_id: str, cloud: LocalCloud
) -> None:
    # Given an org on Basic, and notifications that always fail
    workflows.set_plan(org_id, "Basic")
    fault = inject(cloud, Fault("NotifyFunction", lambda: RuntimeError("SNS is down"), always))

    # When a user runs an enquiry
    result = workflows.use(org_id, "enq-1")

    # Then the enquiry is still charged
    assert fault.calls >= 1
    assert result.status == "SUCCEEDED", result
    assert json.loads(result.output or "")["charged"] is True
    assert workflows.states_entered(result)[-2:] == ["Notify", "Charged"]
    assert workflows.balance(org_id, "user-1")["used"] == 1


def test_a_contended_org_reservation_is_retried_and_charges_once(
    workflows: Workflows, org_id: str, cloud: LocalCloud
) -> None:
    # Given an org on Basic, and an org step that loses to concurrent writers once
    workflows.set_plan(org_id, "Basic")
    fault = inject(cloud, Fault("ReserveOrgCreditFunction", lambda: WriteContended("contended"), first_call_only))

    # When a user runs an enquiry
    result = workflows.use(org_id, "enq-1")

    # Then the workflow retried the step and charged the enquiry once
    assert result.status == "SUCCEEDED", result
    assert fault.calls == 2
    assert workflows.lambda_failures(result) == ["WriteContended"]
    assert json.loads(result.output or "")["org"]["used"] == 1
    assert workflows.balance(org_id)["used"] == 1


def test_an_org_step_retried_after_its_write_committed_does_not_charge_twice(
    workflows: Workflows, org_id: str, cloud: LocalCloud
) -> None:
    # Given an org step whose first run commits its reservation but whose answer is lost
    workflows.set_plan(org_id, "Basic")

    def commit(event: dict[str, Any]) -> object:
        return run_handler(cloud, "ReserveOrgCreditFunction", event)

    fault = inject(
        cloud,
        Fault("ReserveOrgCreditFunction", lambda: WriteContended("lost"), first_call_only, before_failing=commit),
    )

    # When a user runs an enquiry
    result = workflows.use(org_id, "enq-1")

    # Then the retry recognises its own reservation: one credit used
    assert result.status == "SUCCEEDED", result
    assert fault.calls == 2
    output = json.loads(result.output or "")
    assert (output["charged"], output["org"]["used"], output["user"]["used"]) == (True, 1, 1)
    balance = workflows.balance(org_id, "user-1")
    assert (balance["used"], balance["user"]["used"]) == (1, 1)


def test_a_user_step_retried_after_its_write_committed_does_not_charge_the_user_twice(
    workflows: Workflows, org_id: str, cloud: LocalCloud
) -> None:
    # Given a user step whose first run commits the charge but whose answer is lost
    # (and it is the user's last credit: the retry must not take it for a limit reached)
    workflows.set_plan(org_id, "Basic")
    workflows.set_user_limit(org_id, 1)

    def commit(event: dict[str, Any]) -> object:
        return run_handler(cloud, "ReserveUserCreditFunction", event)

    fault = inject(
        cloud,
        Fault("ReserveUserCreditFunction", lambda: WriteContended("lost"), first_call_only, before_failing=commit),
    )

    # When a user runs an enquiry
    result = workflows.use(org_id, "enq-1")

    # Then the retry recognises the charge: the org and the user each count one
    assert result.status == "SUCCEEDED", result
    assert fault.calls == 2
    output = json.loads(result.output or "")
    assert (output["charged"], output["org"]["used"], output["user"]["used"]) == (True, 1, 1)
    balance = workflows.balance(org_id, "user-1")
    assert (balance["used"], balance["user"]["used"]) == (1, 1)


def test_a_reservation_left_behind_by_a_failed_compensation_does_not_block_the_enquiry_forever(
    workflows: Workflows, org_id: str, cloud: LocalCloud
) -> None:
    # Given a request whose user step crashed and whose compensation could not run either
    workflows.set_plan(org_id, "Basic")
    user_step = inject(cloud, Fault("ReserveUserCreditFunction", lambda: RuntimeError("boom"), always))
    compensation = inject(cloud, Fault("ReleaseOrgCreditFunction", lambda: RuntimeError("table down"), always))
    failed = workflows.use(org_id, "enq-1")
    assert (failed.status, failed.error) == ("FAILED", "ServiceUnavailable")
    assert user_step.calls == 1
    assert compensation.calls == 1  # a crash is not transient: not retried, the reservation left for the sweep

    # When the faults clear and the client retries after the failed execution can no longer be running
    # (an Express execution lasts at most five minutes)
    cloud.invocation_hooks.clear()
    cloud.clock.freeze(NOW + timedelta(minutes=10))
    retried = workflows.use(org_id, "enq-1")

    # Then the enquiry is charged, and counted once
    assert retried.status == "SUCCEEDED", retried
    assert json.loads(retried.output or "")["charged"] is True
    assert workflows.balance(org_id)["used"] == 1


def test_the_sweep_gives_back_a_reservation_whose_compensation_failed(
    workflows: Workflows, org_id: str, cloud: LocalCloud
) -> None:
    # Given a request whose user step crashed and whose compensation could not run either: a credit is held
    cloud.clock.freeze(NOW)
    workflows.set_plan(org_id, "Basic")
    inject(cloud, Fault("ReserveUserCreditFunction", lambda: RuntimeError("boom"), always))
    inject(cloud, Fault("ReleaseOrgCreditFunction", lambda: RuntimeError("table down"), always))
    assert workflows.use(org_id, "enq-1").error == "ServiceUnavailable"
    cloud.invocation_hooks.clear()
    assert workflows.balance(org_id)["used"] == 1

    # When the scheduled sweep runs within the grace period, Then it leaves the reservation alone
    cloud.clock.freeze(NOW + timedelta(minutes=4))
    assert swept_enquiries(cloud, org_id) == []
    assert workflows.balance(org_id)["used"] == 1

    # When it runs after the grace period, Then the credit is given back, once
    cloud.clock.freeze(NOW + timedelta(minutes=6))
    assert swept_enquiries(cloud, org_id) == ["enq-1"]
    assert swept_enquiries(cloud, org_id) == []
    assert workflows.balance(org_id)["used"] == 0

    # And the enquiry can be charged afresh
    retried = workflows.use(org_id, "enq-1")
    assert json.loads(retried.output or "")["charged"] is True
    assert workflows.balance(org_id)["used"] == 1


def test_the_sweep_leaves_charged_enquiries_alone(workflows: Workflows, org_id: str, cloud: LocalCloud) -> None:
    # Given charged enquiries made long ago
    cloud.clock.freeze(NOW)
    workflows.set_plan(org_id, "Basic")
    workflows.use(org_id, "enq-1")
    workflows.use(org_id, "enq-2")

    # When the sweep runs much later
    cloud.clock.freeze(NOW + timedelta(hours=1))
    swept = swept_enquiries(cloud, org_id)

    # Then nothing of theirs is given back
    assert swept == []
    assert workflows.balance(org_id)["used"] == 2


# -- the emulator's own bookkeeping ------------------------------------------------------------------------


def test_an_execution_the_gateway_stopped_waiting_for_keeps_the_emulator_busy_until_it_ends(
    cloud: LocalCloud, workflows: Workflows, org_id: str
) -> None:
    # Given an org on Basic, and a validate step that stalls until the test ends it
    workflows.set_plan(org_id, "Basic")
    stalled = threading.Event()
    cloud.invocation_hooks.append(Stall("ValidateFunction", 10, always, until=stalled))

    # When the gateway stops waiting for a charge after 0.1 s
    name = f"stopped-waiting-{org_id}"
    with pytest.raises(IntegrationTimeout):
        cloud.start_sync_execution(
            cloud.stack.state_machines["UseCreditStateMachine"].arn,
            execution_input(org_id, {"enquiryId": "enq-1", "userId": "user-1"}),
            name=name,
            timeout=0.1,
        )

    # Then the emulator is busy while the execution goes on, and idle once it has charged the enquiry
    journaled = cloud.executions.find(name)
    assert journaled is not None
    assert journaled.status == "RUNNING"
    assert not cloud.wait_until_idle(0.05)
    stalled.set()
    assert cloud.wait_until_idle(10)
    assert workflows.balance(org_id)["used"] == 1
    # and its journal entry (/_local/executions) says how it ended
    assert (journaled.status, journaled.duration_ms is not None) == ("SUCCEEDED", True)
