"""The bench's own parts: its statistics, its DynamoDB request counter, its timers, its billing rules and its tables
(the measuring itself runs in `make bench`, not here)."""

from __future__ import annotations

import tomllib
from collections import Counter
from types import SimpleNamespace
from typing import Any

import boto3
import pytest
from botocore.client import BaseClient
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from bench.__main__ import _price
from bench.cold_init import BASELINE, targets
from bench.cost import (
    Carried,
    Consistency,
    DecisionUsage,
    Duration,
    DynamoDBUnits,
    Index,
    ItemRead,
    ItemWrite,
    TableShape,
    dynamodb_units,
    express_billed_mb,
    express_billed_ms,
    index_entry,
    index_write_sizes,
    item_size,
    lambda_billed_ms,
    lambda_settings,
    line_items,
    read_units,
    total_per_million,
    write_units,
)
from bench.counting import DynamoDBRequests, describe, per_decision
from bench.logs import LogBytes
from bench.prices import PRICES, REGION, Price, PriceList
from bench.report import cpu_model, format_table, number, verdict
from bench.stats import Latency, percentile
from bench.timing import Executions, Invocations
from emulator.template import load_stack


def stubbed(service: str) -> tuple[Any, Stubber]:
    """A real botocore client whose answers are stubbed: it goes through _make_api_call and sends nothing."""
    client = boto3.client(
        service,
        region_name="eu-west-2",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    return client, Stubber(client)


# -- percentiles ------------------------------------------------------------------------------------------------


def test_percentile_interpolates_between_the_nearest_ranks():
    samples = [5.0, 1.0, 4.0, 2.0, 3.0]  # in no order

    assert percentile(samples, 0) == 1.0
    assert percentile(samples, 50) == 3.0
    assert percentile(samples, 90) == pytest.approx(4.6)
    assert percentile(samples, 100) == 5.0


def test_p99_of_200_samples_lies_between_the_198th_and_199th():
    samples = [float(value) for value in range(1, 201)]

    assert percentile(samples, 99) == pytest.approx(198.01)


def test_percentile_of_one_sample_is_that_sample():
    assert percentile([7.0], 99) == 7.0


def test_percentile_refuses_no_samples_and_a_rank_outside_0_to_100():
    with pytest.raises(ValueError, match="no samples"):
        percentile([], 50)
    with pytest.raises(ValueError, match="outside"):
        percentile([1.0], 101)


def test_latency_is_summarised_in_milliseconds():
    latency = Latency.of([0.010, 0.020, 0.030])

    assert (latency.count, latency.p50, latency.max) == (3, pytest.approx(20.0), pytest.approx(30.0))


# -- counting DynamoDB requests ---------------------------------------------------------------------------------


def test_the_counter_counts_dynamodb_requests_by_operation_and_nothing_else():
    # Given a DynamoDB client and an SNS client, both answering from stubs
    dynamodb, dynamodb_stub = stubbed("dynamodb")
    sns, sns_stub = stubbed("sns")
    dynamodb_stub.add_response("batch_get_item", {"Responses": {}})
    dynamodb_stub.add_response("transact_write_items", {})
    dynamodb_stub.add_response("transact_write_items", {})
    sns_stub.add_response("publish", {"MessageId": "m-1"})
    requests = DynamoDBRequests()

    # When they make one read, two transactions and one publish while the counter is installed
    with requests.installed(), dynamodb_stub, sns_stub:
        dynamodb.batch_get_item(RequestItems={"t": {"Keys": [{"pk": {"S": "a"}}]}})
        dynamodb.transact_write_items(TransactItems=[{"Delete": {"TableName": "t", "Key": {"pk": {"S": "a"}}}}])
        dynamodb.transact_write_items(TransactItems=[{"Delete": {"TableName": "t", "Key": {"pk": {"S": "b"}}}}])
        sns.publish(TopicArn="arn:aws:sns:eu-west-2:123456789012:t", Message="m")

    # Then the DynamoDB requests are counted, by operation, and the publish is not
    assert requests.take().counts == Counter({"BatchGetItem": 1, "TransactWriteItems": 2})


def test_a_refused_request_and_the_clients_retries_of_it_are_counted():
    dynamodb, stub = stubbed("dynamodb")
    stub.add_client_error("transact_write_items", "TransactionCanceledException", response_meta={"RetryAttempts": 2})
    requests = DynamoDBRequests()

    with requests.installed(), stub, pytest.raises(ClientError):
        dynamodb.transact_write_items(TransactItems=[{"Delete": {"TableName": "t", "Key": {"pk": {"S": "a"}}}}])

    assert requests.take().counts == Counter({"TransactWriteItems": 3})


def test_the_counter_leaves_botocore_as_it_found_it():
    original = BaseClient._make_api_call
    dynamodb, stub = stubbed("dynamodb")
    stub.add_response("get_item", {})
    requests = DynamoDBRequests()

    with requests.installed():
        assert BaseClient._make_api_call is not original
    with stub:
        dynamodb.get_item(TableName="t", Key={"pk": {"S": "a"}})

    assert BaseClient._make_api_call is original
    assert requests.take().counts == Counter()


def test_take_starts_the_count_again():
    requests = DynamoDBRequests()
    requests.record("GetItem", carried=Carried("GetItem"))

    first = requests.take()
    assert (first.counts, first.carried) == (Counter({"GetItem": 1}), (Carried("GetItem"),))
    second = requests.take()
    assert (second.counts, second.carried) == (Counter(), ())


def test_requests_are_described_per_decision():
    counts = Counter({"TransactWriteItems": 100, "BatchGetItem": 50, "GetItem": 1})

    assert per_decision(counts, 50) == pytest.approx(3.02)
    assert describe(counts, 50) == "BatchGetItem 1, GetItem 0.02, TransactWriteItems 2"


# -- the report -------------------------------------------------------------------------------------------------


def test_the_table_is_markdown_with_its_columns_aligned():
    table = format_table(["Measure", "Result"], [["happy path", "3"], ["cold init", "1.25x"]])

    assert table.splitlines() == [
        "| Measure    | Result |",
        "|------------|--------|",
        "| happy path | 3      |",
        "| cold init  | 1.25x  |",
    ]


def test_a_row_with_a_missing_cell_is_refused():
    with pytest.raises(ValueError, match="1 cells"):
        format_table(["Measure", "Result"], [["lonely"]])


def test_a_target_met_exactly_passes():
    assert verdict(3, 3) == "PASS"
    assert verdict(3.02, 3) == "MISS"


def test_whole_numbers_print_without_decimals():
    assert (number(3.0), number(2.5), number(1 / 3)) == ("3", "2.50", "0.33")


def test_the_cpu_model_is_read_from_proc_cpuinfo():
    cpuinfo = "processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC 7R13 Processor\n\nprocessor\t: 1\n"

    assert cpu_model(cpuinfo) == "AMD EPYC 7R13 Processor"
    assert cpu_model("processor\t: 0\nHardware\t: BCM2835\n") == "BCM2835"
    assert cpu_model("processor\t: 0\n") is None


# -- what is cold-started ---------------------------------------------------------------------------------------


def test_every_function_of_the_template_is_cold_started_after_the_baseline():
    stack = load_stack()

    chosen = targets(stack)

    assert chosen[0].module == BASELINE
    assert {target.label for target in chosen[1:]} == set(stack.functions)
    by_label = {target.label: target for target in chosen}
    assert by_label["ValidateFunction"].module == "functions.validate.app"
    assert by_label["ValidateFunction"].environment["TABLE_NAME"] == stack.table_name


# -- what each DynamoDB request carries -------------------------------------------------------------------------

SHAPE = TableShape(("pk", "sk"), (Index("ReservedIndex", ("reservedShard", "reservedAt"), ("executionName",)),))
ENTRY = {
    "pk": {"S": "ORG#a"},
    "sk": {"S": "ENQUIRY#e-1"},
    "state": {"S": "ORG_RESERVED"},
    "executionName": {"S": "r-1"},
    "reservedShard": {"S": "RESERVED#3"},
    "reservedAt": {"S": "2026-11-20T12:00:00+00:00"},
}
PROFILE_KEY = {"pk": {"S": "ORG#a"}, "sk": {"S": "PROFILE"}}
PROFILE = PROFILE_KEY | {"plan": {"S": "Ultimate"}, "version": {"N": "3"}}


def test_a_put_into_the_sparse_index_is_billed_as_a_transactional_write_and_an_index_write():
    # Given a transaction that puts a reserved ledger entry and checks the profile's version; the counter reads
    # each item before the transaction and after it
    dynamodb, stub = stubbed("dynamodb")
    stub.add_response("get_item", {})  # the entry, before: not there yet
    stub.add_response("get_item", {"Item": PROFILE})
    stub.add_response("transact_write_items", {})
    stub.add_response("get_item", {"Item": ENTRY})
    stub.add_response("get_item", {"Item": PROFILE})
    requests = DynamoDBRequests()

    # When it is sent with the counter installed on the table's shape
    with requests.installed(SHAPE), stub:
        dynamodb.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": "t", "Item": ENTRY, "ConditionExpression": "attribute_not_exists(pk)"}},
                {
                    "ConditionCheck": {
                        "TableName": "t",
                        "Key": PROFILE_KEY,
                        "ConditionExpression": "version = :v",
                        "ExpressionAttributeValues": {":v": {"N": "3"}},
                    }
                },
            ]
        )

    # Then one request is counted (the images read are not), and it carried two transactional writes, the put
    # adding one entry (keys and executionName, not state) to the index
    taken = requests.take()
    assert taken.counts == Counter({"TransactWriteItems": 1})
    index_entry_size = item_size({name: value for name, value in ENTRY.items() if name != "state"})
    assert taken.carried == (
        Carried(
            "TransactWriteItems",
            writes=(
                ItemWrite("Put", item_size(ENTRY), True, (index_entry_size,)),
                ItemWrite("ConditionCheck", item_size(PROFILE), True),
            ),
        ),
    )
    assert dynamodb_units(taken.carried) == DynamoDBUnits(transactional_write=4, index_write=1)


def test_a_batch_read_costs_each_key_asked_for_found_or_not():
    dynamodb, stub = stubbed("dynamodb")
    large = {"pk": {"S": "a"}, "sk": {"S": "b"}, "blob": {"S": "x" * 5000}}  # 5,010 bytes: two 4 KB blocks
    stub.add_response("batch_get_item", {"Responses": {"t": [large]}, "UnprocessedKeys": {}})
    requests = DynamoDBRequests()
    keys = [{"pk": {"S": "a"}, "sk": {"S": name}} for name in ("b", "c", "d")]

    with requests.installed(SHAPE), stub:
        dynamodb.batch_get_item(RequestItems={"t": {"Keys": keys, "ConsistentRead": True}})

    (carried,) = requests.take().carried
    strong = Consistency.STRONG
    assert carried.reads == (ItemRead(5010, strong), ItemRead(0, strong), ItemRead(0, strong))
    assert dynamodb_units([carried]).strong_read == 4


def test_a_refused_transaction_is_counted_but_not_priced():
    dynamodb, stub = stubbed("dynamodb")
    stub.add_response("get_item", {})
    stub.add_client_error("transact_write_items", "TransactionCanceledException")
    requests = DynamoDBRequests()

    with requests.installed(SHAPE), stub, pytest.raises(ClientError):
        dynamodb.transact_write_items(TransactItems=[{"Delete": {"TableName": "t", "Key": PROFILE_KEY}}])

    taken = requests.take()
    assert taken.carried == (Carried("TransactWriteItems", priced=False),)
    assert dynamodb_units(taken.carried) == DynamoDBUnits(unpriced_requests=1)


# -- the billing rules ------------------------------------------------------------------------------------------


def test_an_item_is_sized_by_its_attribute_names_and_values_as_dynamodb_sizes_them():
    assert item_size({"pk": {"S": "ORG#a"}}) == 2 + 5
    assert item_size({"n": {"N": "123.45"}}) == 1 + 3 + 1  # 5 significant digits: 3 bytes, plus 1
    assert item_size({"n": {"N": "1000"}}) == 1 + 1 + 1  # trailing zeroes do not count
    assert item_size({"ok": {"BOOL": True}, "no": {"NULL": True}}) == 2 + 1 + 2 + 1
    assert item_size({"m": {"M": {"k": {"S": "v"}}}, "l": {"L": [{"S": "v"}]}}) == (1 + 3 + 1 + 1 + 1) + (1 + 3 + 1 + 1)
    assert item_size({"é": {"S": "é"}}) == 2 + 2  # UTF-8 bytes
    assert item_size(None) == 0


def test_a_write_is_billed_per_kb_started_and_twice_in_a_transaction():
    assert [write_units(size) for size in (0, 1, 1024, 1025, 3000)] == [1, 1, 1, 2, 3]
    assert [write_units(size, transactional=True) for size in (0, 500, 1024, 1025)] == [2, 2, 2, 4]


def test_a_read_is_billed_per_4_kb_started_by_its_consistency():
    assert read_units(0, Consistency.STRONG) == 1  # an item that is not there costs the minimum
    assert read_units(4096, Consistency.STRONG) == 1
    assert read_units(4097, Consistency.STRONG) == 2
    assert read_units(4097, Consistency.EVENTUAL) == 1
    assert read_units(100, Consistency.EVENTUAL) == 0.5
    assert read_units(8192, Consistency.TRANSACTIONAL) == 4


def test_index_writes_follow_the_items_way_in_and_out_of_the_sparse_index():
    index = SHAPE.indexes[0]
    reserved = index_entry(ENTRY, SHAPE, index)
    charged = index_entry({"pk": ENTRY["pk"], "sk": ENTRY["sk"], "state": {"S": "CHARGED"}}, SHAPE, index)
    assert charged is None
    assert reserved is not None
    moved = reserved | {"reservedAt": {"S": "2026-11-21T00:00:00+00:00"}}
    renamed = reserved | {"executionName": {"S": "r-2"}}

    assert index_write_sizes(None, reserved, index) == (item_size(reserved),)  # put in
    assert index_write_sizes(reserved, None, index) == (item_size(reserved),)  # removed
    assert index_write_sizes(reserved, moved, index) == (item_size(reserved), item_size(moved))  # key changed
    assert index_write_sizes(reserved, renamed, index) == (item_size(renamed),)  # projected attribute changed
    assert index_write_sizes(reserved, dict(reserved), index) == ()  # nothing the index holds changed
    assert index_write_sizes(None, None, index) == ()  # never in the index


def test_an_index_write_in_a_transaction_is_not_doubled():
    write = ItemWrite("Update", 300, transactional=True, index_writes=(200,))

    assert dynamodb_units([Carried("TransactWriteItems", writes=(write,))]) == DynamoDBUnits(
        transactional_write=2, index_write=1
    )


def test_the_table_shape_is_read_from_the_template():
    shape = TableShape.of(load_stack().table)

    assert shape.keys == ("pk", "sk")
    assert shape.indexes == (
        Index("ActiveIndex", ("activeShard", "pk"), ()),
        Index("ReservedIndex", ("reservedShard", "reservedAt"), ("executionName",)),
        Index("HistoryIndex", ("pk", "historySk"), None),
        Index("UserHistoryIndex", ("pk", "userHistorySk"), None),
    )


def test_lambda_duration_is_rounded_up_to_the_next_millisecond():
    assert [lambda_billed_ms(seconds) for seconds in (0.012, 0.0121, 0.0120001, 0.0000001)] == [12, 13, 13, 1]


def test_express_duration_is_rounded_up_to_the_next_100_ms():
    assert [express_billed_ms(seconds) for seconds in (0.001, 0.1, 0.1001, 0.25, 0.3)] == [100, 100, 200, 300, 300]


def test_express_memory_is_billed_in_64_mb_chunks():
    # The pricing page's example: a 50 KB definition, 400 map steps of 32 KB each: 62.85 MB used, 64 MB billed
    assert express_billed_mb(50 * 1024, 32 * 1024, branch_steps=400) == 64
    # A workflow without Map or Parallel: 50 MB and a few KB
    assert express_billed_mb(9000, 200) == 64
    assert express_billed_mb(9000, 15 * 1024 * 1024) == 128


def test_each_functions_memory_is_its_own_or_the_templates_global():
    template = {
        "Globals": {"Function": {"MemorySize": 512, "Architectures": ["arm64"]}},
        "Resources": {
            "Plain": {"Type": "AWS::Serverless::Function", "Properties": {}},
            "Large": {"Type": "AWS::Serverless::Function", "Properties": {"MemorySize": 1024}},
            "Table": {"Type": "AWS::DynamoDB::Table", "Properties": {}},
        },
    }

    settings = lambda_settings(template)

    assert {name: (s.memory_mb, s.architecture) for name, s in settings.items()} == {
        "Plain": (512, "arm64"),
        "Large": (1024, "arm64"),
    }


def _round_prices() -> PriceList:
    def price(usd: float) -> Price:
        return Price(usd, "unit", REGION, "test")

    million = 1 / 1_000_000
    return PriceList(
        REGION,
        "2026-12-02",
        *(price(usd) for usd in (million, million, 0.01, million, 0.001)),
        price(million),
        price(million),
        price(2.0),
        price(1.0),
        price(0.5),
    )


def test_the_bill_itemises_each_service_from_what_was_measured():
    # Given two decisions' executions (150 ms and 50 ms, billed 200 and 100), one decision's invocations (10.1 ms
    # at 512 MB, billed 11; 2 ms at 1024 MB) and one decision's DynamoDB units, at round prices
    usage = DecisionUsage(
        api_requests=1,
        executions=[Duration(0.15, 64), Duration(0.05, 64)],
        execution_decisions=2,
        invocations=[Duration(0.0101, 512), Duration(0.002, 1024)],
        invocation_decisions=1,
        dynamodb=DynamoDBUnits(transactional_write=14, index_write=2, strong_read=5),
        dynamodb_decisions=1,
        # Two decisions' logs: 4 GiB from the workflows, 2 GiB from the functions, kept three months
        logs=LogBytes(
            workflow_events=50, workflow_bytes=4 * 2**30, function_events=30, function_bytes=2 * 2**30, decisions=2
        ),
        log_retention_months=3,
    )

    items = line_items(usage, _round_prices())

    per_million = [
        (item.service, item.unit.split(" (")[0], item.quantity, round(item.per_million, 6)) for item in items
    ]
    assert per_million == [
        ("API Gateway REST", "request", 1, 1.0),
        ("Step Functions Express", "request", 1, 1.0),
        # (0.0625 GB x 0.2 s + 0.0625 GB x 0.1 s) / 2 decisions = 0.009375 GB-s, at $0.01
        ("Step Functions Express", "GB-second", pytest.approx(0.009375), 93.75),
        ("Lambda arm64", "request", 2, 2.0),
        # 0.5 GB x 0.011 s + 1 GB x 0.002 s = 0.0075 GB-s, at $0.001
        ("Lambda arm64", "GB-second", pytest.approx(0.0075), 7.5),
        ("DynamoDB on-demand", "WRU, transactional writes", 14, 14.0),
        ("DynamoDB on-demand", "WRU, index writes", 2, 2.0),
        ("DynamoDB on-demand", "RRU, strongly consistent reads", 5, 5.0),
        # 2 GiB a decision at $2 per GB (vended), 1 GiB at $1, and the 3 GiB kept 3 months at $0.5 per GB-month
        ("CloudWatch Logs", "GB ingested, workflows", 2, 4_000_000.0),
        ("CloudWatch Logs", "GB ingested, functions", 1, 1_000_000.0),
        ("CloudWatch Logs", "GB-month stored", 9, 4_500_000.0),
    ]
    assert total_per_million(items) == pytest.approx(126.25 + 9_500_000)


def test_the_price_list_is_for_the_region_the_stack_deploys_to_and_names_its_sources():
    with open("samconfig.toml", "rb") as handle:
        deployed = tomllib.load(handle)["default"]["deploy"]["parameters"]["region"]

    assert PRICES.region == REGION == deployed
    for price in PRICES.prices():
        assert price.source.startswith("https://")
        assert price.usd > 0
    assert {price.region for price in PRICES.prices() if not price.for_deployed_region} == {"us-east-1"}


def test_a_price_for_another_region_is_marked_in_the_table():
    assert _price(Price(3.5 / 1_000_000, "request", "us-east-1", "s")) == "$3.50 per million (us-east-1)"
    assert _price(Price(0.0000133334, "GB-second", REGION, "s")) == "$0.0000133334 per GB-s"
    assert _price(Price(0.625 / 1_000_000, "write request unit", REGION, "s")) == "$0.625 per million"
    assert _price(Price(0.5, "GB", "us-east-1", "s")) == "$0.50 per GB (us-east-1)"
    assert _price(Price(0.03, "GB-month", REGION, "s")) == "$0.03 per GB-month"


# -- timing through LocalCloud's hooks --------------------------------------------------------------------------


def test_each_invocation_is_timed_from_its_invocation_hook_to_its_result_hook():
    cloud = SimpleNamespace(invocation_hooks=[], result_hooks=[])
    invocations = Invocations()

    with invocations.installed(cloud):  # type: ignore[arg-type]
        (before,), (after,) = cloud.invocation_hooks, cloud.result_hooks
        before("ValidateFunction", {})
        result = after("ValidateFunction", {"ok": True})

    assert result == {"ok": True}
    (timed,) = invocations.take()
    assert timed.name == "ValidateFunction"
    assert timed.seconds >= 0
    assert (cloud.invocation_hooks, cloud.result_hooks) == ([], [])


class _Cloud:
    def start_sync_execution(self, state_machine_arn: str, execution_input: str, name: str | None = None) -> str:
        return f"ran {state_machine_arn}"


def test_each_execution_is_timed_with_its_input_and_the_clouds_own_method_comes_back():
    cloud = _Cloud()
    executions = Executions()

    with executions.installed(cloud):  # type: ignore[arg-type]
        assert cloud.start_sync_execution("arn:sm", '{"a": 1}', name="n") == "ran arn:sm"

    (timed,) = executions.take()
    assert (timed.name, timed.input_bytes) == ("arn:sm", 8)
    assert "start_sync_execution" not in vars(cloud)
