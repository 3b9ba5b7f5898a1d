"""`python -m bench`: measure, then print the machine it was measured on, a table of measures and a table of what a
decision costs on AWS, priced from the requests counted and the durations measured (bench/prices.py's list).

Exits 0 whatever the numbers (it is a report, a missed target included); 1 when the bench itself failed."""

from __future__ import annotations

import argparse
import logging
import sys
import threading
import time
from dataclasses import dataclass
from http.client import HTTPException

from bench import cold_init, long_session, overhead, scenarios
from bench.client import BenchError, Client
from bench.cold_init import ColdInit, Measured
from bench.cost import (
    DecisionUsage,
    Duration,
    LineItem,
    TableShape,
    branch_states,
    dynamodb_units,
    express_billed_mb,
    lambda_billed_ms,
    lambda_settings,
    line_items,
    total_per_million,
)
from bench.counting import DynamoDBRequests, describe, per_decision
from bench.logs import (
    FunctionOutput,
    LogBytes,
    events_and_bytes,
    execution_records,
    express_execution_arn,
    platform_lines,
)
from bench.prices import PRICES, Price, PriceList
from bench.report import format_table, machine, number, verdict
from bench.scenarios import RequestCount, RequestCounts, Run
from bench.timing import Executions, Invocations, Timed
from emulator.cloud import LocalCloud, stack_parameters_from_environment
from emulator.server import serve
from emulator.template import TEMPLATE_PATH, Stack, load_stack, load_yaml

HOST = "127.0.0.1"
THREADS = 8
REQUESTS_TARGET = 3
"""DynamoDB requests per decision on the happy path: one read, two transactional writes."""
COLD_INIT_TARGET = 1.3
"""A function's cold initialisation, as a multiple of `import boto3` plus one client."""


@dataclass(frozen=True)
class Settings:
    sequential: int
    warmup: int
    burst: int
    counted: int
    month_orgs: int
    new_users: int
    rounds: int
    overhead_rounds: int
    overhead_decisions: int


@dataclass(frozen=True)
class Results:
    settings: Settings
    sequential: Run
    spread: Run
    contended: Run
    contended_requests: RequestCount
    requests: RequestCounts
    cold: ColdInit
    usage: DecisionUsage
    overhead: overhead.Overhead


def _progress(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


def measure(settings: Settings) -> Results:
    stack = load_stack(parameters=stack_parameters_from_environment())
    # First, while nothing else runs in this process: the children compete with nobody for the two cores.
    _progress(f"cold initialisation ({len(stack.functions)} functions + baseline, {settings.rounds} rounds)")
    cold = cold_init.measure(stack, settings.rounds)

    with LocalCloud(stack) as cloud:
        server = serve(cloud, HOST, 0)
        threading.Thread(target=server.serve_forever, name="emulator", daemon=True).start()
        port = int(server.server_address[1])
        client = Client(HOST, port)
        try:
            client.freeze_clock(scenarios.STEADY_AT)
            _progress(f"sequential latency ({settings.warmup} warm-up + {settings.sequential} decisions)")
            invocations, executions, output = Invocations(), Executions(), FunctionOutput()
            environment = next(iter(stack.functions.values())).environment
            with invocations.installed(cloud), executions.installed(cloud), output.installed(environment):

                def start_timing() -> None:
                    invocations.take()
                    executions.take()
                    output.take()

                sequential = scenarios.sequential(
                    client, "bench-latency", settings.warmup, settings.sequential, on_start=start_timing
                )
                invoked, executed, printed = invocations.take(), executions.take(), output.take()
            logs = log_bytes(cloud, sequential.decisions, invoked, printed)

            per_thread = settings.burst // THREADS
            requests = DynamoDBRequests()
            spread_orgs = [f"bench-spread-{number}" for number in range(THREADS)]
            for org in [*spread_orgs, "bench-contended"]:
                client.set_plan(org, scenarios.PLAN)
            _progress(f"{THREADS} threads, {THREADS} orgs ({per_thread * THREADS} decisions)")
            spread = scenarios.concurrent(HOST, port, scenarios.spread_work(spread_orgs, per_thread), warmup=2)
            _progress(f"{THREADS} threads, one org ({per_thread * THREADS} decisions)")
            contended_work = scenarios.contended_work("bench-contended", THREADS, per_thread)
            with requests.installed():
                contended = scenarios.concurrent(HOST, port, contended_work, warmup=2, on_start=requests.reset)
                contended_requests = RequestCount.of(contended.decisions, requests.take())

            _progress("DynamoDB requests per decision")
            counted = scenarios.request_counts(
                client, requests, TableShape.of(stack.table), settings.counted, settings.month_orgs, settings.new_users
            )
            scenarios.check_no_notifications(client)
            _progress(
                f"metrics and alarms on and off, interleaved ({settings.overhead_decisions} sequential decisions "
                f"and {settings.overhead_rounds} concurrent runs each)"
            )
            costs = overhead.measure(cloud, client, HOST, port, settings.overhead_rounds, settings.overhead_decisions)
            client.thaw_clock()
        finally:
            client.close()
            server.shutdown()
            server.server_close()
    usage = decision_usage(stack, sequential.decisions, invoked, executed, counted.happy_path, logs)
    return Results(settings, sequential, spread, contended, contended_requests, counted, cold, usage, costs)


def log_bytes(cloud: LocalCloud, decisions: int, invoked: list[Timed], printed: list[str]) -> LogBytes:
    """What the sequential decisions would have sent to CloudWatch Logs: their use-credit executions' events at the
    workflow's logging level, and the functions' own lines with the runtime's (bench/logs.py)."""
    template = load_yaml(TEMPLATE_PATH)
    functions = lambda_settings(template)
    journaled = cloud.executions.newest_first(state_machine="UseCreditStateMachine", limit=decisions)
    if len(journaled) != decisions:
        raise BenchError(
            f"the emulator kept {len(journaled)} of the {decisions} executions: raise EMULATOR_EXECUTIONS_KEPT"
        )
    logging = template["Resources"]["UseCreditStateMachine"]["Properties"]["Logging"]
    records = [
        record
        for execution in journaled
        for record in execution_records(
            express_execution_arn(cloud.stack.state_machines[execution.state_machine].arn, execution.name),
            execution.history(),
            logging["Level"],
            bool(logging.get("IncludeExecutionData")),
        )
    ]
    runtime = [
        line
        for timed in invoked
        for line in platform_lines(
            timed.seconds * 1000, lambda_billed_ms(timed.seconds), functions[timed.name].memory_mb
        )
    ]
    workflow_events, workflow_bytes = events_and_bytes(records)
    function_events, function_bytes = events_and_bytes([*printed, *runtime])
    return LogBytes(workflow_events, workflow_bytes, function_events, function_bytes, decisions)


def decision_usage(
    stack: Stack, decisions: int, invoked: list[Timed], executed: list[Timed], counted: RequestCount, logs: LogBytes
) -> DecisionUsage:
    """What the happy-path decisions used: each invocation at its function's memory from the template, each
    execution at the memory its definition and input are billed for, and the DynamoDB units counted."""
    template = load_yaml(TEMPLATE_PATH)
    functions = lambda_settings(template)
    not_arm = sorted({timed.name for timed in invoked if functions[timed.name].architecture != "arm64"})
    if not_arm:
        raise BenchError(f"the price list has Lambda's arm64 prices only, but {', '.join(not_arm)} is not arm64")
    definitions = {spec.arn: spec.definition for spec in stack.state_machines.values()}
    executions = [
        Duration(
            timed.seconds,
            express_billed_mb(
                len(definitions[timed.name].encode("utf-8")), timed.input_bytes, branch_states(definitions[timed.name])
            ),
        )
        for timed in executed
    ]
    invocations = [Duration(timed.seconds, functions[timed.name].memory_mb) for timed in invoked]
    return DecisionUsage(
        api_requests=1,  # a decision is one POST /orgs/{orgId}/usage
        executions=executions,
        execution_decisions=decisions,
        invocations=invocations,
        invocation_decisions=decisions,
        dynamodb=dynamodb_units(counted.carried),
        dynamodb_decisions=counted.decisions,
        logs=logs,
        log_retention_months=int(template["Parameters"]["LogRetentionDays"]["Default"]) / 30,
    )


def _latency(run: Run) -> str:
    latency = run.latency
    return f"p50 {latency.p50:.1f} ms, p95 {latency.p95:.1f}, p99 {latency.p99:.1f}, max {latency.max:.1f}"


def _throughput(run: Run) -> str:
    return f"{run.per_second:.1f} decisions/s (p50 {run.latency.p50:.1f} ms, p99 {run.latency.p99:.1f} ms)"


def _requests_row(label: str, counted: RequestCount, target: int | None = REQUESTS_TARGET) -> list[str]:
    value = per_decision(counted.counts, counted.decisions)
    result = f"{number(value)} ({describe(counted.counts, counted.decisions)})"
    if target is None:
        return [label, result, "", ""]
    return [label, result, f"<= {target}", verdict(value, target)]


OVERHEAD_TARGET = 0.10
"""Recording metrics and judging alarms may cost the emulator this much p50 latency or throughput (issue 20)."""


def _overhead_rows(measured: overhead.Overhead) -> list[list[str]]:
    latency = measured.latency_change
    throughput = -measured.throughput_change
    return [
        [
            f"Latency p50, metrics and alarms on vs off ({measured.decisions} sequential decisions each, "
            f"alternating every {overhead.BATCH})",
            f"{measured.p50_on_ms:.1f} ms vs {measured.p50_off_ms:.1f} ms ({latency:+.1%})",
            f"<= +{OVERHEAD_TARGET:.0%}",
            verdict(latency, OVERHEAD_TARGET),
        ],
        [
            f"Throughput, metrics and alarms on vs off (median of {measured.rounds} runs each, "
            f"{THREADS} threads on {THREADS} orgs)",
            f"{measured.per_second_on:.1f} vs {measured.per_second_off:.1f} decisions/s ({-throughput:+.1%})",
            f">= -{OVERHEAD_TARGET:.0%}",
            verdict(throughput, OVERHEAD_TARGET),
        ],
    ]


def _cold_row(function: Measured, baseline: Measured) -> list[str]:
    ratio = function.seconds / baseline.seconds
    return [
        f"Cold init, {function.label} ({function.module})",
        f"{function.ms:.0f} ms = {ratio:.2f}x",
        f"<= {COLD_INIT_TARGET}x",
        verdict(ratio, COLD_INIT_TARGET),
    ]


def render(results: Results) -> str:
    settings, cold, requests = results.settings, results.cold, results.requests
    per_thread = settings.burst // THREADS
    informative = [
        (f"Latency, sequential ({results.sequential.decisions} decisions, 1 client)", _latency(results.sequential)),
        (f"Throughput, {THREADS} threads on {THREADS} orgs ({results.spread.decisions})", _throughput(results.spread)),
        (f"Throughput, {THREADS} threads on 1 org ({results.contended.decisions})", _throughput(results.contended)),
    ]
    baseline = (f"Cold init, baseline: import boto3 + 1 client (median of {cold.rounds})", f"{cold.baseline.ms:.0f} ms")
    rows = [[label, result, "", ""] for label, result in informative]
    rows += [
        _requests_row(f"DynamoDB requests/decision, happy path ({requests.happy_path.decisions})", requests.happy_path),
        _requests_row(
            f"DynamoDB requests/decision, first of a month ({requests.first_of_month.decisions} orgs)",
            requests.first_of_month,
        ),
        _requests_row(f"DynamoDB requests/decision, new user ({requests.new_user.decisions} users)", requests.new_user),
        _requests_row(
            f"DynamoDB requests/decision, {THREADS} threads on 1 org ({results.contended_requests.decisions})",
            results.contended_requests,
            target=None,  # the target is the happy path's; contention costs re-reads by design
        ),
    ]
    rows += _overhead_rows(results.overhead)
    rows.append([*baseline, "", ""])
    rows += [_cold_row(function, cold.baseline) for function in cold.functions]
    notes = [
        f"HTTP/1.1 keep-alive, one connection per client. Sequential: after {settings.warmup} warm-up decisions. "
        f"Concurrent: {THREADS} threads x {per_thread} decisions, after 2 warm-up decisions each. Every decision a "
        "new enquiry answered 201.",
        f"Orgs on {scenarios.PLAN}, clock frozen at {scenarios.STEADY_AT} (first of a month: "
        f"{scenarios.NEXT_MONTH_AT}); no notification was sent. DynamoDB requests counted in botocore, retries "
        "included.",
        f"Cold init: median of {cold.rounds} fresh interpreters per row, timed inside the child (interpreter "
        "start-up excluded), with the template's and the Lambda runtime's environment.",
        "Metrics and alarms: the emulator recording what CloudWatch would hold (emulator/metrics.py) and, while on, "
        f"a client reading GET /_local/alarms every {overhead.ALARMS_EVERY_SECONDS:g} s as the open console does "
        f"({results.overhead.alarm_reads} reads); the two settings interleaved so that the machine's drift falls on "
        "both. Every other row is measured with them on.",
    ]
    table = format_table(["Measure", "Result", "Target", ""], rows)
    return "\n".join([machine(), "", table, "", *notes, "", render_cost(results, PRICES)])


def _usd(value: float) -> str:
    """Dollars with their cents, and any further digits the price has: $3.50, $0.625, $0.0000133334."""
    digits = f"{value:.10f}".rstrip("0")
    cents = len(digits.partition(".")[2])
    return f"${value:.{max(cents, 2)}f}"


def _price(price: Price) -> str:
    region = "" if price.for_deployed_region else f" ({price.region})"
    if price.unit == "GB-second":
        return f"{_usd(price.usd)} per GB-s{region}"
    if price.unit in ("GB", "GB-month"):
        return f"{_usd(price.usd)} per {price.unit}{region}"
    return f"{_usd(round(price.usd * 1_000_000, 6))} per million{region}"


def _cost_row(item: LineItem) -> list[str]:
    return [item.service, item.unit, f"{item.quantity:.4g}", _price(item.price), f"${item.per_million:,.3f}"]


def render_cost(results: Results, prices: PriceList) -> str:
    usage = results.usage
    items = line_items(usage, prices)
    rows = [_cost_row(item) for item in items]
    rows.append(["Total", "", "", "", f"${total_per_million(items):,.2f}"])
    header = ["Service", "Unit", "Per decision", "Price", "Per million decisions"]
    happy = results.requests.happy_path
    notes = [
        f"What a decision costs on AWS, happy path: prices of {prices.looked_up} for {prices.region} "
        "(bench/prices.py); a region in brackets marks a figure for that region, none having been found for "
        f"{prices.region}. First tiers, no free tier.",
        f"Durations: the {usage.execution_decisions} sequential decisions above, timed in the emulator (this "
        "machine's Python and moto, not Lambda's Graviton or DynamoDB over the network). DynamoDB units: the "
        f"{happy.decisions} happy-path decisions counted, each item sized from the emulated table before and after "
        "its write.",
        f"CloudWatch Logs: the {usage.logs.decisions} sequential decisions' log events as AWS would write them "
        "(bench/logs.py): each execution's history at the workflow's level, and each function's lines at the "
        "template's log level with Lambda's START, END and REPORT lines; 26 bytes added per event.",
        "Not priced: X-Ray, data transfer, Lambda's cold-start INIT.",
    ]
    if usage.dynamodb.unpriced_requests:
        unpriced = usage.dynamodb.unpriced_requests
        notes.append(f"{unpriced} DynamoDB requests (refused, or of an operation the bench cannot price) unpriced.")
    return "\n".join([format_table(header, rows), "", *notes])


def main(arguments: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--sequential", type=int, default=200, help="decisions timed one at a time")
    parser.add_argument("--warmup", type=int, default=20, help="decisions before the sequential ones")
    parser.add_argument("--burst", type=int, default=400, help=f"decisions of each {THREADS}-thread run")
    parser.add_argument("--counted", type=int, default=50, help="happy-path decisions whose requests are counted")
    parser.add_argument("--rounds", type=int, default=7, help="fresh interpreters per function (median)")
    parser.add_argument("--overhead-rounds", type=int, default=6, help="concurrent runs with metrics on, and off")
    parser.add_argument("--overhead-decisions", type=int, default=200, help="sequential decisions on, and off")
    parser.add_argument(
        "--long-session", type=int, default=50_000, help="mixed requests of the long session, last (0: none)"
    )
    options = parser.parse_args(arguments)
    settings = Settings(
        sequential=options.sequential,
        warmup=options.warmup,
        burst=max(options.burst, THREADS),
        counted=options.counted,
        month_orgs=5,
        new_users=10,
        rounds=options.rounds,
        overhead_rounds=options.overhead_rounds,
        overhead_decisions=options.overhead_decisions,
    )
    # Handlers log at WARNING in the emulator; the bench's own output is the table.
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    # and the handlers' INFO lines, which the cost run captures at the template's level, are not printed again
    logging.getLogger().handlers[0].setLevel(logging.WARNING)
    started = time.perf_counter()
    try:
        results = measure(settings)
    except (BenchError, OSError, HTTPException, threading.BrokenBarrierError) as error:
        print(f"bench failed: {type(error).__name__}: {error}", file=sys.stderr)
        return 1
    print(render(results))
    if options.long_session:
        # Last, in a process of its own (python -m emulator, as make run starts it): its memory is the emulator's
        _progress(f"long session ({options.long_session} mixed requests, about {options.long_session // 50} s)")
        try:
            print(long_session.render(long_session.run(options.long_session)))
        except (BenchError, OSError, HTTPException) as error:
            print(f"bench failed: {type(error).__name__}: {error}", file=sys.stderr)
            return 1
    _progress(f"done in {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
