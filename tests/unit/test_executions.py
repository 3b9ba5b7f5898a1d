"""The emulator's journal of executions (emulator/executions.py): bounded, newest first, and each execution's
steps read from its history events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from emulator.executions import Answered, Execution, ExecutionJournal, steps

T0 = datetime(2026, 11, 10, 12, 0, tzinfo=UTC)


def _execution(number: int, org_id: str = "acme", status: str = "SUCCEEDED") -> Execution:
    execution = Execution(f"run-{number}", "UseCreditStateMachine", f"arn:run-{number}", T0, status=status)
    execution.answered = Answered(
        f"request-{number}", 201, None, {"charged": True}, org_id=org_id, enquiry_id=f"enq-{number}", user_id="alice"
    )
    return execution


def test_the_journal_keeps_the_last_n_executions_only():
    journal = ExecutionJournal(kept=3)
    for number in range(5):
        journal.started(_execution(number))

    assert [execution.name for execution in journal.newest_first()] == ["run-4", "run-3", "run-2"]
    assert journal.find("run-1") is None
    assert journal.find("request-3") is not None


def test_the_journal_filters_by_org_and_status():
    journal = ExecutionJournal(kept=10)
    journal.started(_execution(1))
    journal.started(_execution(2, org_id="other"))
    journal.started(_execution(3, status="FAILED"))

    assert [execution.name for execution in journal.newest_first(org_id="acme")] == ["run-3", "run-1"]
    assert [execution.name for execution in journal.newest_first(status="FAILED")] == ["run-3"]


def _event(kind: str, seconds: float, **details: object) -> dict[str, object]:
    return {"type": kind, "timestamp": T0 + timedelta(seconds=seconds), "details": {}} | (
        {f"{kind[0].lower()}{kind[1:]}EventDetails": details} if details else {}
    )


def test_steps_count_retries_and_mark_a_caught_failure():
    history = [
        _event("ExecutionStarted", 0, input="{}"),
        _event("TaskStateEntered", 0.0, name="Reserve", input='{"a": 1}'),
        _event("LambdaFunctionScheduled", 0.0),
        _event("LambdaFunctionFailed", 0.1, error="WriteContended", cause="busy"),
        _event("LambdaFunctionScheduled", 0.3),
        _event("LambdaFunctionSucceeded", 0.4, output="{}"),
        _event("TaskStateExited", 0.4, name="Reserve", output='{"b": 2}'),
        _event("TaskStateEntered", 0.4, name="ReserveUser", input="{}"),
        _event("LambdaFunctionScheduled", 0.4),
        _event("LambdaFunctionFailed", 0.5, error="UserLimitReached", cause='{"code": "USER_LIMIT_REACHED"}'),
        _event("TaskStateExited", 0.5, name="ReserveUser", output="{}"),
        _event("FailStateEntered", 0.6, name="Reject", input="{}"),
        _event("ExecutionFailed", 0.6, error="UserLimitReached", cause="{}"),
    ]

    reserve, user, reject = steps(history)

    assert (reserve["attempts"], reserve["retries"], reserve["caught"]) == (2, 1, False)
    assert reserve["durationMs"] == 400.0
    assert (reserve["input"], reserve["output"]) == ({"a": 1}, {"b": 2})
    assert (user["caught"], user["failures"]) == (
        True,
        [{"error": "UserLimitReached", "cause": {"code": "USER_LIMIT_REACHED"}}],
    )
    assert (reject["type"], reject["exitedAt"], reject["failures"][0]["error"]) == ("Fail", None, "UserLimitReached")
