"""The bench's own parts: its statistics, its DynamoDB request counter and its table (the measuring itself runs in
`make bench`, not here)."""

from __future__ import annotations

from collections import Counter
from typing import Any

import boto3
import pytest
from botocore.client import BaseClient
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from bench.cold_init import BASELINE, targets
from bench.counting import DynamoDBRequests, describe, per_decision
from bench.report import cpu_model, format_table, number, verdict
from bench.stats import Latency, percentile
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
    assert requests.take() == Counter({"BatchGetItem": 1, "TransactWriteItems": 2})


def test_a_refused_request_and_the_clients_retries_of_it_are_counted():
    dynamodb, stub = stubbed("dynamodb")
    stub.add_client_error("transact_write_items", "TransactionCanceledException", response_meta={"RetryAttempts": 2})
    requests = DynamoDBRequests()

    with requests.installed(), stub, pytest.raises(ClientError):
        dynamodb.transact_write_items(TransactItems=[{"Delete": {"TableName": "t", "Key": {"pk": {"S": "a"}}}}])

    assert requests.take() == Counter({"TransactWriteItems": 3})


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
    assert requests.take() == Counter()


def test_take_starts_the_count_again():
    requests = DynamoDBRequests()
    requests.record("GetItem")

    assert requests.take() == Counter({"GetItem": 1})
    assert requests.take() == Counter()


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
