"""DynamoDB's typed attribute values ({"S": ...}, {"N": ...}) for the scalar types this adapter stores.

boto3's TypeSerializer and TypeDeserializer do the same for every type, but importing them imports boto3 (and
s3transfer) into functions that otherwise use botocore alone: about 0.07x of a bare boto3 client's cold start,
counted in instructions. These do what boto3's do for the types the items hold (strings, numbers, booleans, null),
numbers through the same decimal context, so a number DynamoDB could not store is refused here too, and refuse
any other type rather than write it differently. tests/unit/test_dynamodb_attributes.py holds them to boto3's.
"""

from __future__ import annotations

from decimal import Clamped, Context, Decimal, Inexact, Overflow, Rounded, Underflow
from typing import Any

NUMBERS = Context(Emin=-128, Emax=126, prec=38, traps=[Clamped, Overflow, Inexact, Rounded, Underflow])
"""DynamoDB's numbers: 38 significant digits, exponents -128 to 126; anything rounded is an error
(boto3.dynamodb.types.DYNAMODB_CONTEXT)."""


def serialize(value: Any) -> dict[str, Any]:
    """A Python value as DynamoDB's typed value."""
    if value is None:
        return {"NULL": True}
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, int | Decimal):
        number = str(NUMBERS.create_decimal(value))
        if number in ("Infinity", "NaN"):
            raise TypeError("Infinity and NaN not supported")
        return {"N": number}
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, float):
        raise TypeError("Float types are not supported. Use Decimal types instead.")
    raise TypeError(f"the credit tracker's items store no {type(value).__name__}: {value!r}")


def deserialize(typed: dict[str, Any]) -> Any:
    """A typed value as Python's: numbers as Decimal, as boto3's deserializer gives them."""
    if len(typed) != 1:
        raise TypeError(f"a typed value has one type: {typed!r}")
    ((kind, value),) = typed.items()
    if kind == "S":
        return value
    if kind == "N":
        return NUMBERS.create_decimal(value)
    if kind == "BOOL":
        return value
    if kind == "NULL":
        return None
    raise TypeError(f"the credit tracker's items hold no {kind} values")
