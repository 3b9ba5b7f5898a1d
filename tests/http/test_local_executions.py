"""/_local/executions: the executions the emulator ran, newest first, and each one's steps in the order they
happened, found by the request id its answer carried (x-amzn-RequestId) or by its name."""

from __future__ import annotations

from tests.http import support as http


def test_the_steps_of_a_user_limit_denial_show_its_compensation(api, org_id):
    # Given a user at the org's per-user limit of 1, denied another enquiry
    denied = http.denied_for_the_user_limit(api, org_id)

    # When the execution that answered is looked up by the request id of the answer
    reply = api.call("GET", f"/_local/executions/{denied.headers['x-amzn-requestid']}")

    # Then it shows the saga's steps in order: the user step answered the denial, the org's reservation was released,
    # and the execution succeeded with the denial as its answer (a denial is the service working, not a failure)
    assert reply.status == 200, reply.body
    execution = reply.body
    assert (execution["name"], execution["stateMachine"], execution["status"]) == (
        denied.headers["x-amz-apigw-id"].rstrip("="),
        "UseCreditStateMachine",
        "SUCCEEDED",
    )
    assert (execution["httpStatus"], execution["code"], execution["orgId"], execution["enquiryId"]) == (
        402,
        "USER_LIMIT_REACHED",
        org_id,
        "enq-2",
    )
    steps = [step["name"] for step in execution["steps"]]
    assert steps[:6] == [
        "ValidateRequest",
        "IsValid",
        "ReserveOrgCredit",
        "IsOrgDenied",
        "IsAlreadyCharged",
        "ReserveUserCredit",
    ]
    assert "ReleaseOrgCredit" in steps[6:]
    assert steps[-1] == "UserDenied"
    user_step = execution["steps"][5]
    assert (user_step["caught"], user_step["failures"]) == (False, [])
    assert user_step["output"]["user"]["code"] == "USER_LIMIT_REACHED"
    release = execution["steps"][steps.index("ReleaseOrgCredit")]
    assert (release["type"], release["caught"], release["output"] is not None) == ("Task", False, True)
    entered = [step["enteredAt"] for step in execution["steps"]]
    assert entered == sorted(entered)
    # and by its name, the same execution
    assert api.call("GET", f"/_local/executions/{execution['name']}").body["steps"] == execution["steps"]


def test_an_orgs_executions_are_listed_newest_first(api, org_id):
    http.freeze_clock(api, http.MID_NOVEMBER)
    plan = api.set_plan(org_id, "Basic")
    charge = api.use(org_id, "enq-1", "alice")
    balance = api.balance(org_id, "alice")

    listed = api.call("GET", f"/_local/executions?orgId={org_id}")

    assert listed.status == 200, listed.body
    executions = listed.body["executions"]
    assert [execution["requestId"] for execution in executions] == [
        reply.headers["x-amzn-requestid"] for reply in (balance, charge, plan)
    ]
    assert [(execution["stateMachine"], execution["httpStatus"]) for execution in executions] == [
        ("GetBalanceStateMachine", 200),
        ("UseCreditStateMachine", 201),
        ("SetPlanStateMachine", 200),
    ]
    assert executions[1]["userId"] == "alice"
    assert all(execution["durationMs"] >= 0 for execution in executions)


def test_the_list_filters_by_state_machine_and_status_and_is_bounded(api, cloud, org_id):
    http.freeze_clock(api, http.MID_NOVEMBER)
    http.set_plan(api, org_id, "Lite")
    http.charge(api, org_id, 20)
    http.assert_rejected(api.use(org_id, "one-too-many"), 402, "ORG_LIMIT_REACHED")
    cloud.invocation_hooks.append(failing_org_step)
    http.assert_rejected(api.use(org_id, "broken"), 503, "SERVICE_UNAVAILABLE")
    cloud.invocation_hooks.remove(failing_org_step)

    failed = api.call("GET", f"/_local/executions?orgId={org_id}&stateMachine=UseCreditStateMachine&status=FAILED")
    two = api.call("GET", f"/_local/executions?orgId={org_id}&limit=2")

    # A denial succeeded (its answer is a 402); only the fault is listed as failed
    assert [(execution["enquiryId"], execution["code"]) for execution in failed.body["executions"]] == [
        ("broken", "SERVICE_UNAVAILABLE")
    ]
    assert len(two.body["executions"]) == 2
    assert two.body["kept"] >= 20


def failing_org_step(name: str, _event: object) -> None:
    if name == "ReserveOrgCreditFunction":
        raise RuntimeError("the step broke")


def test_an_execution_the_emulator_does_not_keep_is_not_found(api):
    reply = api.call("GET", "/_local/executions/no-such-execution")

    assert (reply.status, reply.body["code"]) == (404, "NOT_FOUND")
    assert api.call("GET", "/_local/executions?limit=0").status == 400
