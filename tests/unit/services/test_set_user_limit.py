"""Capping what each of the org's users may run per month."""

from __future__ import annotations

import pytest

from domain.errors import UserLimitReached
from domain.services import CreditService
from tests.fakes import FixedClock, InMemoryCreditStore
from tests.unit.services.support import ORG, request


def test_setting_a_per_user_limit_answers_it_in_the_balance(service: CreditService, store: InMemoryCreditStore) -> None:
    service.set_plan(ORG, "Basic")
    assert service.set_user_limit(ORG, 5).per_user_limit == 5
    assert service.set_user_limit(ORG, None).per_user_limit is None
    assert store.profile(ORG).per_user_limit is None


def test_a_per_user_limit_of_zero_lets_no_user_charge(
    service: CreditService, store: InMemoryCreditStore, clock: FixedClock
) -> None:
    service.set_plan(ORG, "Basic")
    service.set_user_limit(ORG, 0)
    charge_request = request(clock)
    reserved = service.reserve_org_credit(charge_request)
    with pytest.raises(UserLimitReached):
        service.reserve_user_credit(charge_request, reserved.user_hint)
