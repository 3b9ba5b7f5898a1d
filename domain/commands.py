"""Commands: what a client asks for, validated at the edge into immutable values.

Field names are the REST contract's (camelCase aliases); anything unknown, missing, wrongly typed or out of
range is rejected before any rule runs. These pydantic models are the one source of the request schemas; the
functions validate with what the generator writes from them (functions/common/commands.py).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from domain.history import DEFAULT_PAGE_LIMIT, PAGE_LIMIT
from domain.ids import ID_PATTERN

Identifier = Annotated[str, StringConstraints(pattern=ID_PATTERN)]

MAX_TOP_UP = 100_000


class Command(BaseModel):
    # Python code builds commands by field name; a client's JSON is validated by alias only (see parse_command).
    # The functions do not import these models: `python -m generate` writes each one's core schema and a frozen
    # dataclass of its fields into functions/common/commands.py, which they validate with pydantic-core alone.
    # defer_build: importing this module builds no validator; one is built where a model is first used.
    model_config = ConfigDict(
        frozen=True, extra="forbid", strict=True, validate_by_name=True, validate_by_alias=True, defer_build=True
    )

    org_id: Identifier = Field(alias="orgId")


class ChargeCredit(Command):
    enquiry_id: Identifier = Field(alias="enquiryId")
    user_id: Identifier = Field(alias="userId")


class SetPlan(Command):
    plan: str = Field(max_length=64)


class SetUserLimit(Command):
    # Required but nullable: {"limit": null} removes the cap, {} is a mistake.
    limit: Annotated[int, Field(ge=0, le=1_000_000)] | None


class TopUp(Command):
    credits: int = Field(ge=1, le=MAX_TOP_UP)
    top_up_id: Identifier | None = Field(default=None, alias="topUpId")
    reason: str | None = Field(default=None, max_length=500)


class Refund(Command):
    enquiry_id: Identifier = Field(alias="enquiryId")
    reason: str | None = Field(default=None, max_length=500)


class GetBalance(Command):
    user_id: Identifier | None = Field(default=None, alias="userId")


class ListCharges(Command):
    # What the ledger's listing reads from the query string. The period's form is checked where its meaning is
    # (domain/history.py: a month or TRIAL), and so is the cursor's (an opaque string some page answered).
    period: str | None = Field(default=None, max_length=16)
    user_id: Identifier | None = Field(default=None, alias="userId")
    # A query string's number is text: strict=False reads "50" as 50 (and nothing that is not a whole number).
    limit: int = Field(default=DEFAULT_PAGE_LIMIT, ge=1, le=PAGE_LIMIT, strict=False)
    cursor: str | None = Field(default=None, max_length=1024)


class GetCharge(Command):
    enquiry_id: Identifier = Field(alias="enquiryId")


class ListTopUps(Command):
    period: str | None = Field(default=None, max_length=16)


class AuditBooks(Command):
    # A month or TRIAL, checked where its meaning is (domain/history.py); absent: the org's current window.
    period: str | None = Field(default=None, max_length=16)
