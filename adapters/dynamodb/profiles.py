"""The org's profile (PROFILE) and its per-user limit's version (USER_LIMIT): saved together, under optimistic
concurrency, and checked unchanged by the transactions that decided with them."""

from __future__ import annotations

from adapters.dynamodb.items import profile_to_item, user_limit_to_item
from adapters.dynamodb.keys import profile_key, user_limit_key
from adapters.dynamodb.table import Table
from adapters.dynamodb.transactions import Transaction
from domain.account import OrgProfile

_VERSION_IS = "version = :v"


class Profiles:
    def __init__(self, table: Table) -> None:
        self._table = table

    def save(self, profile: OrgProfile, expected_version: int) -> None:
        """Store the profile if it is still at `expected_version` (0: there is none yet), else StaleRead."""
        none_yet = "attribute_not_exists(pk) OR " if expected_version == 0 else ""
        work = self._table.transaction("profile")
        work.put("profile", profile_to_item(profile), none_yet + _VERSION_IS, v=expected_version)
        work.put("user limit", user_limit_to_item(profile))
        work.commit()


def check_profile_version(work: Transaction, org_id: str, version: int) -> None:
    """The profile a decision was made with is still the org's (a plan change makes it decide again)."""
    never_versioned = "attribute_not_exists(version) OR " if version == 0 else ""
    work.check("profile", profile_key(org_id), never_versioned + _VERSION_IS, v=version)


def check_user_limit_version(work: Transaction, org_id: str, version: int) -> None:
    """The per-user limit a user step decided with is still the org's. USER_LIMIT, not PROFILE: a user step then
    does not conflict with the org steps of the same burst. Absent: written before USER_LIMIT existed, and no
    profile change since, so the limit read still holds."""
    work.check("user limit", user_limit_key(org_id), "attribute_not_exists(pk) OR " + _VERSION_IS, v=version)
