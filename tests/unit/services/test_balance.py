"""The balance: what the org, and one of its users, has used and has left."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.services import CreditService
from tests.fakes import FixedClock
from tests.unit.services.support import ALICE, BOB, MARCH_10, ORG, charge_many


def test_an_expired_trial_has_no_credits_remaining(service: CreditService, clock: FixedClock) -> None:
    # Given a trial that used four of its ten credits
    service.set_plan(ORG, "Trial")
    charge_many(service, clock, 4)
    # When its fourteen days are over
    clock.set(MARCH_10 + timedelta(days=14))
    balance = service.balance(ORG, ALICE)
    # Then the balance says nothing is left, as a charge would be refused
    assert balance.remaining == 0
    assert balance.user_remaining == 0


def test_the_balance_of_an_org_without_a_plan_is_empty(service: CreditService) -> None:
    balance = service.balance(ORG, None)
    assert (balance.plan, balance.limit, balance.used, balance.remaining) == (None, 0, 0, 0)
    assert balance.user_id is None


@pytest.mark.parametrize(
    ("per_user_limit", "alice_used", "org_used", "expected_remaining"),
    [
        (10, 3, 3, 7),  # the per-user cap is what is smaller
        (10, 3, 98, 2),  # the org has less left than the cap allows
        (None, 3, 3, 97),  # uncapped: what the org has left
        (None, 0, 100, 0),  # uncapped, org used up
    ],
    ids=["cap-smaller", "org-smaller", "uncapped", "uncapped-org-used-up"],
)
def test_a_users_remaining_is_the_smaller_of_their_cap_and_the_orgs_remaining(
    service: CreditService,
    clock: FixedClock,
    per_user_limit: int | None,
    alice_used: int,
    org_used: int,
    expected_remaining: int,
) -> None:
    # Given an org on Basic where alice ran `alice_used` enquiries and bob the rest
    service.set_plan(ORG, "Basic")
    charge_many(service, clock, alice_used, ALICE, prefix="a")
    charge_many(service, clock, org_used - alice_used, BOB, prefix="b")
    service.set_user_limit(ORG, per_user_limit)
    # When alice's balance is asked for
    balance = service.balance(ORG, ALICE)
    # Then it shows what she used and the smaller of what she and the org have left
    assert (balance.user_id, balance.user_used, balance.used) == (ALICE, alice_used, org_used)
    assert balance.user_remaining == expected_remaining


def test_a_user_over_a_lowered_cap_has_nothing_remaining(service: CreditService, clock: FixedClock) -> None:
    service.set_plan(ORG, "Basic")
    charge_many(service, clock, 5)
    service.set_user_limit(ORG, 2)
    balance = service.balance(ORG, ALICE)
    assert (balance.user_used, balance.user_remaining, balance.remaining) == (5, 0, 95)
