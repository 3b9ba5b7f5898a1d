"""The adapter's typed attribute values (adapters/dynamodb/attributes.py) are boto3's, for every type it stores:
the same typed value written, the same Python value read back (numbers as Decimal), the same refusals."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, DecimalException
from typing import Any

import pytest
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.dynamodb.attributes import deserialize, serialize
from adapters.dynamodb.items import (
    entry_to_item,
    fence_to_item,
    notice_claim_to_item,
    plain,
    profile_to_item,
    top_up_to_item,
    values,
)
from domain.account import EntryState, LedgerEntry, OrgProfile
from domain.ports import TopUpRecord

BOTO3_SERIALIZER = TypeSerializer()
BOTO3_DESERIALIZER = TypeDeserializer()

STORED = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(-(10**40), 10**40)
    | st.decimals(allow_nan=True, allow_infinity=True)
    | st.text()
)


def _outcome(function: Any, value: Any) -> tuple[str, Any]:
    try:
        return "done", function(value)
    except Exception as error:  # what is compared is which error, if any, each raises
        return "refused", type(error)


@settings(max_examples=1000, deadline=None)
@given(value=STORED)
def test_a_stored_value_is_written_as_boto3_writes_it_and_read_back_as_boto3_reads_it(value: Any) -> None:
    # When both write the value
    ours, theirs = _outcome(serialize, value), _outcome(BOTO3_SERIALIZER.serialize, value)

    # Then they write the same typed value, or both refuse it
    assert ours == theirs
    if ours[0] == "done":
        # And both read it back as the same value of the same type (repr: a NaN, which both pass on as boto3
        # does, equals nothing)
        assert repr(deserialize(ours[1])) == repr(BOTO3_DESERIALIZER.deserialize(ours[1]))


@pytest.mark.parametrize(
    "value", [7, 0, -3, 2**63, 10**37, True, False, "", "héllo", "ORG#acme", None, Decimal("1.50")]
)
def test_a_value_reads_back_as_written_and_a_number_as_a_decimal(value: Any) -> None:
    read = deserialize(serialize(value))
    assert read == value
    assert type(read) is (Decimal if type(value) in (int, Decimal) else type(value))


# Ids by type: a set's str() follows string hashing, which differs between processes (and between test workers).
@pytest.mark.parametrize("value", [1.5, b"bytes", {"a": 1}, [1], {"a", "b"}], ids=lambda value: type(value).__name__)
def test_a_type_the_items_do_not_hold_is_refused_not_written_differently(value: Any) -> None:
    with pytest.raises(TypeError):
        serialize(value)


def test_a_number_dynamodb_cannot_hold_exactly_is_refused() -> None:
    with pytest.raises(DecimalException):
        serialize(10**40 + 1)


def test_the_items_the_adapter_writes_are_as_boto3_writes_them_and_read_back_alike() -> None:
    # Given items of each kind with every attribute set, as the adapter writes them
    at = datetime(2026, 11, 5, 9, 30, tzinfo=UTC)
    items = [
        profile_to_item(OrgProfile("acme", "Basic", at, at, True, 25, 7)),
        entry_to_item(
            "acme",
            LedgerEntry(
                "enq-1",
                "alice",
                "2026-11",
                "2026-11",
                "r-1",
                EntryState.ORG_RESERVED,
                at,
                "Basic",
                3,
                100,
                at,
                at,
                2,
                25,
            ),
        ),
        top_up_to_item("acme", TopUpRecord("tu-1", 500, "2026-11", "uplift", at)),
        fence_to_item("acme", "enq-1", "r-1", at),
        notice_claim_to_item("acme", "LimitReached", "2026-11", "r-1", 1_790_000_000_000),
    ]
    for item in items:
        read = plain(item) or {}
        # Then boto3 reads each the same, and writes what was read back into the same item
        assert read == {name: BOTO3_DESERIALIZER.deserialize(value) for name, value in item.items()}
        assert {name: BOTO3_SERIALIZER.serialize(value) for name, value in read.items()} == item
        assert values(**read) == {f":{name}": BOTO3_SERIALIZER.serialize(value) for name, value in read.items()}
