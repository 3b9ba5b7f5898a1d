"""The emulated AWS account: moto's DynamoDB, SNS and Step Functions interpreter, with the project's real
Lambda handlers invoked in-process where the workflows call a function.

What moto does not do and this module adds:
- Lambda tasks: moto would run function code in Docker (absent here), so the interpreter's invoke is routed to
  the handler that template.yaml names for that function ARN.
- Atomicity of DynamoDB transactions, and their cost in proportion to what they touch (emulator/dynamodb.py).
- StartSyncExecution, and a parse of each workflow definition once rather than at every execution.
"""

from __future__ import annotations

import importlib
import inspect
import json
import logging
import os
import socket
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import wait
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import boto3
from moto import mock_aws
from moto.sns.models import sns_backends
from moto.stepfunctions.parser.models import stepfunctions_parser_backends as stepfunctions_backends

from adapters import clients as function_clients
from adapters import runtime as function_runtime
from adapters.clock import SettableClock
from emulator import dynamodb, interpreter, patches
from emulator.alarms import Alarm, Evaluation, Evaluator
from emulator.executions import Execution, ExecutionJournal, kept_from_environment
from emulator.metrics import recorder
from emulator.template import ACCOUNT_ID, REGION, Stack, load_stack
from emulator.workers import pool

# Settings the emulator gives the functions on top of template.yaml's: no X-Ray daemon or metrics sink here,
# and the emulator prints one line per decision itself.
LOCAL_ENVIRONMENT = {
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
    "AWS_ACCESS_KEY_ID": "local",
    "AWS_SECRET_ACCESS_KEY": "local",  # moto's placeholder, not a secret
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_METRICS_DISABLED": "true",
    "POWERTOOLS_LOG_LEVEL": "WARNING",
}

API_GATEWAY_TIMEOUT_SECONDS = 29.0

THREAD_SWITCH_INTERVAL_SECONDS = 0.001
"""How often the emulator's threads take turns (LocalCloud.start)."""

EXECUTION_INPUT_MAX_BYTES = 262144
"""StartSyncExecution refuses a longer input ("Length Constraints: Maximum length of 262144",
https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartSyncExecution.html)."""

TIMEOUT_ERROR_VARIABLE = "EMULATOR_TIMEOUT_ERROR"
TIMEOUT_ERRORS = ("Sandbox.Timedout", "Lambda.Unknown")
"""How a function that outlives its Timeout reaches Step Functions: both are seen on AWS. Lambda's own error type
is Sandbox.Timedout; Step Functions reports unhandled errors that carry no error type, function timeouts among
them, as Lambda.Unknown (https://docs.aws.amazon.com/step-functions/latest/dg/bp-lambda-serviceexception.html)."""


def _utc(instant: Any) -> datetime:
    """moto's start and stop dates (datetimes, naive ones being UTC) as aware UTC datetimes."""
    when: datetime = instant if isinstance(instant, datetime) else datetime.fromtimestamp(float(instant), UTC)
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def _settle(journaled: Execution, described: Any) -> None:
    """Record in the journal how an execution ended, from what DescribeExecution says of it."""
    journaled.status = str(getattr(described["status"], "value", described["status"]))
    journaled.output, journaled.error, journaled.cause = (
        described.get("output"),
        described.get("error"),
        described.get("cause"),
    )
    stopped = described.get("stopDate")
    journaled.stopped_at = _utc(stopped) if stopped is not None else datetime.now(UTC)


_EXECUTION_ENDS = {
    "SUCCEEDED": "ExecutionsSucceeded",
    "FAILED": "ExecutionsFailed",
    "TIMED_OUT": "ExecutionsTimedOut",
    "ABORTED": "ExecutionsAborted",
}
"""Step Functions' metric for each way an execution ends."""


def _record_execution(state_machine_arn: str, journaled: Execution, seconds: float) -> None:
    """Step Functions' metrics of an execution that ended, by StateMachineArn: how it ended, and how long it ran."""
    dimensions = {"StateMachineArn": state_machine_arn}
    ended = _EXECUTION_ENDS.get(journaled.status)
    if ended is None:
        raise ValueError(f"execution {journaled.name} ended {journaled.status}, which Step Functions has no metric for")
    recorder.put("AWS/States", ended, 1, dimensions)
    recorder.put("AWS/States", "ExecutionTime", seconds * 1000, dimensions, "Milliseconds")


class ExecutionInputTooLarge(Exception):
    """StartSyncExecution's refusal of an input over EXECUTION_INPUT_MAX_BYTES (a 400 ValidationException)."""


API_AUTH_VARIABLE = "EMULATOR_API_AUTH"


def stack_parameters_from_environment() -> dict[str, str]:
    """The template parameters the emulator deploys with: ApiAuth from EMULATOR_API_AUTH, NONE unless set
    (a sandbox stack; with AWS_IAM the emulator refuses unsigned requests as API Gateway does)."""
    return {"ApiAuth": os.environ.get(API_AUTH_VARIABLE) or "NONE"}


def timeout_error_from_environment() -> str:
    name = os.environ.get(TIMEOUT_ERROR_VARIABLE) or TIMEOUT_ERRORS[0]
    if name not in TIMEOUT_ERRORS:
        raise SystemExit(f"{TIMEOUT_ERROR_VARIABLE} must be one of {', '.join(TIMEOUT_ERRORS)}, not {name!r}")
    return name


@dataclass(frozen=True)
class ExecutionResult:
    """What StartSyncExecution answers."""

    execution_arn: str
    status: str
    output: str | None
    error: str | None
    cause: str | None

    def as_api_response(self) -> dict[str, Any]:
        response: dict[str, Any] = {"executionArn": self.execution_arn, "status": self.status}
        for key in ("output", "error", "cause"):
            value = getattr(self, key)
            if value is not None:
                response[key] = value
        return response


class _LambdaContext:
    def __init__(self, function_name: str, arn: str, timeout_seconds: float) -> None:
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.invoked_function_arn = arn
        self.memory_limit_in_mb = 512
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = "local"
        self._ends_at = time.monotonic() + timeout_seconds

    def get_remaining_time_in_millis(self) -> int:
        """As on Lambda: the time left before the function's Timeout stops this invocation."""
        return max(int((self._ends_at - time.monotonic()) * 1000), 0)


class IntegrationTimeout(Exception):
    """The execution did not end within API Gateway's integration timeout (it goes on, as on AWS)."""


def _function_error(error_type: str, message: str, stack: list[str]) -> dict[str, Any]:
    """What Lambda's Invoke answers for a failed invocation; Step Functions reads errorType as the error name."""
    return {
        "StatusCode": 200,
        "FunctionError": "Unhandled",
        "ExecutedVersion": "$LATEST",
        "Payload": {
            "errorMessage": message,
            "errorType": error_type,
            "requestId": str(uuid.uuid4()),
            "stackTrace": stack,
        },
    }


def _stack_trace(error: BaseException) -> list[str]:
    """The stackTrace Python's Lambda runtime reports: the frames from the handler down (not the runtime's call of
    it), as (file, line, function, source) without Python 3.11's column markers (recorded on AWS in LocalStack's
    test_task_lambda::test_raise_exception: one frame, `File "/var/task/handler.py", line 2, in handler`)."""
    frames = traceback.extract_tb(error.__traceback__)[1:]
    return traceback.format_list([(frame.filename, frame.lineno or 0, frame.name, frame.line) for frame in frames])


class LocalCloud:
    """Starts the emulated account from template.yaml; `close()` (or the context manager) tears it down."""

    def __init__(self, stack: Stack | None = None) -> None:
        self.stack = stack or load_stack(parameters=stack_parameters_from_environment())
        self.clock = SettableClock()
        self._mock = mock_aws(config={"stepfunctions": {"execute_state_machine": True}})
        self._handlers: dict[str, Callable[[dict[str, Any], Any], Any]] = {}
        self._timeouts: dict[str, float] = {}
        self._started = False
        self.invocation_hooks: list[Callable[[str, dict[str, Any]], None]] = []
        """Called before each handler runs (function logical id, event): lets tests inject faults."""
        self.result_hooks: list[Callable[[str, Any], Any]] = []
        """Called with each handler's result (function logical id, result); what it returns is the result: lets tests
        make a function answer what the workflow cannot use (States.Runtime, States.DataLimitExceeded)."""
        self.timeout_error = timeout_error_from_environment()
        """The error a function timeout is reported as (one of TIMEOUT_ERRORS)."""
        self._running: dict[str, int] = {}
        self._executions_running = 0
        self._running_changed = threading.Condition()
        self.executions = ExecutionJournal(kept_from_environment())
        """The last executions, for /_local/executions (EMULATOR_EXECUTIONS_KEPT of them)."""
        self._machine_ids = {spec.arn: spec.logical_id for spec in self.stack.state_machines.values()}
        self._definitions = {spec.arn: spec.definition for spec in self.stack.state_machines.values()}
        self._throttled: set[str] = set()
        """Functions whose invocations Lambda refuses as throttled (`throttled`)."""
        self.metrics = recorder
        """What CloudWatch would hold (emulator/metrics.py), stamped with this cloud's clock."""
        self._alarms = self._new_alarms()
        self._alarms_lock = threading.Lock()
        self.isolation = dynamodb.isolation
        """DynamoDB's transaction isolation: `isolation.transaction_seconds` is each transaction's time in flight."""

    # -- life cycle ----------------------------------------------------------------------------------------

    def start(self) -> LocalCloud:
        self._environment()
        patches.apply()  # before anything runs or changes: a library that changed stops the start here
        # Python hands the interpreter lock around every 5 ms by default: with dozens of threads retrying, a
        # transaction whose time in flight is over could wait many turns to commit, and stay in flight far
        # longer than EMULATOR_TRANSACTION_MS says (harsher than DynamoDB, and self-reinforcing under a burst).
        self._switch_interval = sys.getswitchinterval()
        sys.setswitchinterval(THREAD_SWITCH_INTERVAL_SECONDS)
        self._mock.start()
        self._started = True
        recorder.clock = self.clock.now
        # The interpreter logs every Fail state as an error; here a Fail state is an ordinary rejection (a 4xx).
        logging.getLogger("moto.stepfunctions.parser").setLevel(logging.CRITICAL)
        interpreter.invocations.invoker = self._invoke
        self._create_resources()
        self._load_handlers()
        return self

    def close(self) -> None:
        if self._started:
            sys.setswitchinterval(self._switch_interval)
            interpreter.invocations.invoker = None
            self._mock.stop()
            self._started = False

    def __enter__(self) -> LocalCloud:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.close()

    def _environment(self) -> None:
        merged: dict[str, str] = {}
        for spec in self.stack.functions.values():
            for key, value in spec.environment.items():
                if merged.get(key, value) != value:
                    raise ValueError(f"functions disagree on {key}; the emulator runs them in one process")
                merged[key] = value
        os.environ.update(merged | LOCAL_ENVIRONMENT)

    def _create_resources(self) -> None:
        dynamodb = self.client("dynamodb")
        table = self.stack.table
        kinds = ("GlobalSecondaryIndexes", "LocalSecondaryIndexes")
        indexes = {kind: table[kind] for kind in kinds if kind in table}
        dynamodb.create_table(
            TableName=self.stack.table_name,
            AttributeDefinitions=table["AttributeDefinitions"],
            KeySchema=table["KeySchema"],
            BillingMode=table.get("BillingMode", "PAY_PER_REQUEST"),
            **indexes,
        )
        for topic_name in self.stack.topic_names:
            self.client("sns").create_topic(Name=topic_name)
        stepfunctions = self.client("stepfunctions")
        role = f"arn:aws:iam::{ACCOUNT_ID}:role/local-state-machine"
        for spec in self.stack.state_machines.values():
            stepfunctions.create_state_machine(
                name=spec.logical_id, definition=spec.definition, roleArn=role, type=spec.workflow_type
            )

    def _load_handlers(self) -> None:
        """Each function a fresh "container": its module's factory (`handler`) builds it from a credit service of its
        own on the emulator's clock; Validate's takes the clock alone. The emulator creates each container's clients
        itself, as `bootstrap` would (adapters.clients.container_clients, bound to this mock), so that tests can reach
        the very client a function sends its requests with (`function_client`)."""
        self._function_clients: dict[tuple[str, str], Any] = {}
        for spec in self.stack.functions.values():
            module_name, _, _ = spec.handler.rpartition(".")
            factory = importlib.import_module(module_name).handler
            (dependency,) = inspect.signature(factory).parameters
            if dependency == "clock":
                built: Any = self.clock
            else:
                dynamodb, sns = function_clients.container_clients()
                self._function_clients[(spec.logical_id, "dynamodb")] = dynamodb
                self._function_clients[(spec.logical_id, "sns")] = sns
                built = function_runtime.bootstrap(dynamodb=dynamodb, sns=sns, clock=self.clock)
            self._handlers[spec.arn] = factory(built)
            self._timeouts[spec.arn] = spec.timeout_seconds

    def function_client(self, function_logical_id: str, service: str) -> Any | None:
        """The client of `service` that the function's container sends its requests with (one per function, created
        once, as on Lambda), or None if the function has none; tests register botocore event handlers on it."""
        if function_logical_id not in self.stack.functions:
            raise KeyError(f"no function {function_logical_id} in the template")
        return self._function_clients.get((function_logical_id, service))

    def client(self, service: str) -> Any:
        return boto3.client(service, region_name=REGION)

    def run_in_container(self, function_logical_id: str, event: dict[str, Any]) -> Any:
        """Run the function's handler in its container on the calling thread, without Lambda's Invoke around it (no
        invocation hooks, no Timeout): for tests, an attempt whose answer is then lost, or a write that lands late."""
        arn = self.stack.functions[function_logical_id].arn
        return self._handlers[arn](event, _LambdaContext(arn.rsplit(":", 1)[-1], arn, self._timeouts[arn]))

    # -- Lambda -----------------------------------------------------------------------------------------------

    def _invoke(self, parameters: dict[str, Any], region: str, state_credentials: Any) -> dict[str, Any]:
        """Lambda's Invoke, in-process: the handler runs on a thread of its own (a pooled one) so that, as on Lambda,
        an invocation that outlives the function's Timeout is answered Sandbox.Timedout (the thread cannot be
        stopped, like a write already sent; the fences of released reservations are what make that harmless)."""
        arn = str(parameters["FunctionName"])
        handler, timeout = self._handlers[arn], self._timeouts[arn]
        event = json.loads(parameters.get("Payload") or b"{}")
        name = arn.rsplit(":", 1)[-1]
        outcome: dict[str, Any] = {}

        context = _LambdaContext(name, arn, timeout)
        dimensions = {"FunctionName": name}
        if name in self._throttled:
            # Invoke refused (429 TooManyRequestsException) before the function runs: Lambda counts a throttle and
            # no invocation; Step Functions names the error Lambda.TooManyRequestsException
            recorder.put("AWS/Lambda", "Throttles", 1, dimensions)
            return _function_error("Lambda.TooManyRequestsException", "Rate Exceeded.", [])
        started = time.perf_counter()

        def run() -> None:
            try:
                self._count_running(name, +1)
                for hook in self.invocation_hooks:
                    hook(name, event)
                result = handler(event, context)
                for result_hook in self.result_hooks:
                    result = result_hook(name, result)
                outcome["result"] = json.loads(json.dumps(result))
            except Exception as error:  # noqa: BLE001  # the Lambda runtime reports any exception this way
                outcome["error"] = error
            finally:
                self._count_running(name, -1)

        done, _ = wait([pool.submit(run, f"lambda-{name}")], timeout)
        # Lambda's metrics of the invocation: a timeout is an error, and lasts the Timeout
        duration_ms = timeout * 1000 if not done else (time.perf_counter() - started) * 1000
        recorder.put("AWS/Lambda", "Invocations", 1, dimensions)
        recorder.put("AWS/Lambda", "Errors", 0 if done and "error" not in outcome else 1, dimensions)
        recorder.put("AWS/Lambda", "Duration", duration_ms, dimensions, "Milliseconds")
        if not done:
            return self._timed_out(context, timeout)
        if "error" in outcome:
            error = outcome["error"]
            return _function_error(type(error).__name__, str(error), _stack_trace(error))
        return {"StatusCode": 200, "ExecutedVersion": "$LATEST", "Payload": outcome["result"]}

    @contextmanager
    def throttled(self, function_logical_id: str) -> Iterator[None]:
        """Run the block with Lambda refusing every invocation of the function as throttled (its concurrency
        exhausted): Invoke answers TooManyRequestsException, which Step Functions names
        Lambda.TooManyRequestsException."""
        if function_logical_id not in self.stack.functions:
            raise KeyError(f"no function {function_logical_id} in the template")
        self._throttled.add(function_logical_id)
        try:
            yield
        finally:
            self._throttled.discard(function_logical_id)

    def _count_running(self, function_name: str, change: int) -> None:
        with self._running_changed:
            self._running[function_name] = self._running.get(function_name, 0) + change
            self._running_changed.notify_all()

    def running_invocations(self, function_logical_id: str | None = None) -> int:
        """Invocations still running (of one function, or of all), those a workflow gave up on included."""
        with self._running_changed:
            if function_logical_id is None:
                return sum(self._running.values())
            return self._running.get(function_logical_id, 0)

    def wait_for_invocations(self, timeout: float) -> bool:
        """Wait until no invocation is running; False if some still are after `timeout` seconds."""
        with self._running_changed:
            return self._running_changed.wait_for(lambda: not any(self._running.values()), timeout)

    def wait_until_idle(self, timeout: float) -> bool:
        """Wait until no execution and no invocation is running (those the gateway or a workflow stopped waiting
        for included); False if some still are after `timeout` seconds."""
        with self._running_changed:
            return self._running_changed.wait_for(
                lambda: self._executions_running == 0 and not any(self._running.values()), timeout
            )

    def _count_execution(self, change: int) -> None:
        with self._running_changed:
            self._executions_running += change
            self._running_changed.notify_all()

    def _timed_out(self, context: _LambdaContext, timeout: float) -> dict[str, Any]:
        """Lambda's answer for an invocation stopped at its Timeout, named as `timeout_error` says."""
        message = f"RequestId: {context.aws_request_id} Error: Task timed out after {timeout:.2f} seconds"
        if self.timeout_error == "Lambda.Unknown":
            # Step Functions found no error type in the payload; its cause carries what the runtime said.
            message = (
                "The cause could not be determined because Lambda did not return an error type. Returned payload: "
                + json.dumps({"errorMessage": message})
            )
        return _function_error(self.timeout_error, message, [])

    @contextmanager
    def function_timeout(self, function_logical_id: str, seconds: float) -> Iterator[None]:
        """Run the block with the function timing out after `seconds` instead of its template Timeout. The
        template gives each function the same Timeout as its task's TimeoutSeconds, so which of the two fires
        first is a race (on AWS too); a test that must see Lambda's own timeout error makes the function's
        shorter."""
        arn = self.stack.functions[function_logical_id].arn
        previous, self._timeouts[arn] = self._timeouts[arn], seconds
        try:
            yield
        finally:
            self._timeouts[arn] = previous

    def invoke(self, function_logical_id: str, event: dict[str, Any] | None = None) -> dict[str, Any]:
        """Invoke a function directly, as a schedule (EventBridge) does; answers Lambda's Invoke response."""
        arn = self.stack.functions[function_logical_id].arn
        return self._invoke({"FunctionName": arn, "Payload": json.dumps(event or {}).encode()}, REGION, None)

    def run_schedules(self, stop: threading.Event) -> None:
        """Invoke each scheduled function at once, then at its rate on the emulator's clock, until `stop` is set (what
        `make run` does in background). A clock moved forward past a run runs it once (EventBridge does not catch
        up on runs missed); one moved back restarts the count; a frozen clock runs nothing more until it moves, so
        the sweep's heartbeat alarm, judged on the same clock, stays satisfied."""
        rates = {spec.logical_id: spec.schedule_seconds for spec in self.stack.functions.values()}
        rates |= {spec.logical_id: spec.schedule_seconds for spec in self.stack.state_machines.values()}
        scheduled = {name: rate for name, rate in rates.items() if rate is not None}
        last: dict[str, datetime] = {}
        while True:
            now = self.clock.now()
            for name, rate in scheduled.items():
                ran = last.get(name)
                if ran is None or not 0 <= (now - ran).total_seconds() < rate:
                    last[name] = now
                    self._run_scheduled(name)
            if stop.wait(1.0):
                return

    def _run_scheduled(self, name: str) -> None:
        """A function invoked as EventBridge would, or a workflow started (on a thread of its own: it may run long)."""
        event = {"source": "aws.events", "detail-type": "Scheduled Event"}
        if name in self.stack.functions:
            response = self.invoke(name, event)
            logging.getLogger("emulator").info("scheduled %s: %s", name, response.get("Payload"))
            return

        def run() -> None:
            result = self.run_workflow(name, event, timeout=3600.0)
            logging.getLogger("emulator").info("scheduled %s: %s %s", name, result.status, result.output)

        threading.Thread(target=run, name=f"scheduled-{name}", daemon=True).start()

    def run_workflow(self, state_machine_logical_id: str, event: dict[str, Any], timeout: float) -> ExecutionResult:
        """Start a workflow as a schedule does (StartExecution) and wait for it to end (a Standard one too)."""
        arn = self.stack.state_machines[state_machine_logical_id].arn
        return self.start_sync_execution(arn, json.dumps(event), timeout=timeout)

    # -- CloudWatch -----------------------------------------------------------------------------------------

    def _new_alarms(self) -> Evaluator:
        """The template's alarms as just created: INSUFFICIENT_DATA, nothing remembered."""
        return Evaluator(Alarm.from_properties(properties) for properties in self.stack.alarms)

    def forget_metrics(self) -> None:
        """Wipe CloudWatch: no metric recorded, every alarm as just created (INSUFFICIENT_DATA, nothing remembered)."""
        with self._alarms_lock:
            self.metrics.clear()
            self._alarms = self._new_alarms()

    def evaluate_alarms(self, now: datetime | None = None) -> list[Evaluation]:
        """Every alarm of the template, evaluated as CloudWatch would on the metrics recorded, as of `now` (the
        emulator's clock unless given). Each evaluation remembers its state, as an alarm does between evaluations."""
        with self._alarms_lock:
            points = self.metrics.points
            return self._alarms.evaluate(points, now or self.clock.now())

    # -- Step Functions -------------------------------------------------------------------------------------

    def start_sync_execution(
        self,
        state_machine_arn: str,
        execution_input: str,
        name: str | None = None,
        timeout: float = API_GATEWAY_TIMEOUT_SECONDS,
    ) -> ExecutionResult:
        """StartSyncExecution, which moto lacks: start the execution, then wait for it to end."""
        if len(execution_input.encode("utf-8")) > EXECUTION_INPUT_MAX_BYTES:
            raise ExecutionInputTooLarge(
                "1 validation error detected: Value at 'input' failed to satisfy constraint: "
                f"Member must have length less than or equal to {EXECUTION_INPUT_MAX_BYTES}"
            )
        backend = stepfunctions_backends[ACCOUNT_ID][REGION]
        began = time.perf_counter()
        recorder.put("AWS/States", "ExecutionsStarted", 1, {"StateMachineArn": state_machine_arn})
        self._count_execution(+1)
        try:
            execution = backend.start_execution(
                state_machine_arn, name=name or str(uuid.uuid4()), execution_input=execution_input
            )
        except BaseException:
            self._count_execution(-1)
            raise
        journaled = Execution(
            execution.name,
            self._machine_ids.get(state_machine_arn, state_machine_arn),
            execution.exec_arn,
            _utc(execution.start_date),
            history=lambda: execution.to_history_output()["events"],
            definition=self._definitions.get(state_machine_arn, "{}"),
        )
        self.executions.started(journaled)
        finished = interpreter.finished(execution.exec_worker)
        # The journal learns how the execution ended when it ends, also after API Gateway stopped waiting (a 504);
        # before the execution stops counting as running, so that whoever waited for it to end sees it ended
        finished.add_done_callback(lambda _: _settle(journaled, execution.to_describe_output()))
        finished.add_done_callback(
            lambda _: _record_execution(state_machine_arn, journaled, time.perf_counter() - began)
        )
        finished.add_done_callback(lambda _: self._count_execution(-1))
        done, _ = wait([finished], timeout)
        if not done:
            raise IntegrationTimeout(execution.exec_arn)
        described = execution.to_describe_output()
        self._forget(state_machine_arn, execution)
        _settle(journaled, described)
        return ExecutionResult(journaled.arn, journaled.status, journaled.output, journaled.error, journaled.cause)

    def _forget(self, state_machine_arn: str, execution: Any) -> None:
        """Keep the last executions only: moto keeps every one, which a long-running emulator cannot afford."""
        machine = stepfunctions_backends[ACCOUNT_ID][REGION].describe_state_machine(state_machine_arn)
        if len(machine.executions) > 200:
            del machine.executions[:100]

    def aws_endpoint(self, host: str, port: int) -> Any:
        """The emulated account's AWS APIs over HTTP on host:port (port 0: any free one), for the AWS CLI and SDKs
        (`--endpoint-url`): moto's server, started in this process, answers from the same in-memory backends the
        emulator runs on, so it reads and writes the table, executions and topic the API uses. Answers the
        started ThreadedMotoServer (get_host_and_port, stop)."""
        from moto.server import ThreadedMotoServer  # the server's Flask is only needed here

        # moto's server binds in a thread of its own and start() waits for it without a timeout: a port already
        # taken would hang the start, so it is tried here first
        with socket.socket() as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((host, port))
            except OSError as taken:
                raise OSError(f"the AWS endpoint cannot listen on {host}:{port}: {taken.strerror}") from None
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per AWS request in the service's log
        server = ThreadedMotoServer(ip_address=host, port=port, verbose=False)
        server.start()
        return server

    def execution_history(self, execution_arn: str) -> list[dict[str, Any]]:
        events = self.client("stepfunctions").get_execution_history(executionArn=execution_arn)["events"]
        return list(events)

    # -- what the emulator shows of SNS ---------------------------------------------------------------------

    def notifications(self) -> list[dict[str, Any]]:
        topic_arn = os.environ["ALERTS_TOPIC_ARN"]
        topic = sns_backends[ACCOUNT_ID][REGION].topics[topic_arn]
        published = []
        for message_id, message, subject, attributes, _group in topic.sent_notifications:
            document = json.loads(message)
            published.append(document | {"messageId": message_id, "subject": subject, "attributes": attributes})
        return published


@contextmanager
def local_cloud() -> Iterator[LocalCloud]:
    cloud = LocalCloud()
    try:
        yield cloud.start()
    finally:
        cloud.close()
