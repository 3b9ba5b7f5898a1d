"""Putting an org on a plan: at once, one trial per org, and under concurrent charges."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.errors import InvalidRequest, OrgLimitReached, TrialNotAvailable, WriteContended
from domain.ports import StaleRead
from domain.services import CreditService
from tests.fakes import FixedClock, InMemoryCreditStore
from tests.unit.services.support import MARCH, MARCH_10, ORG, a_charge_in_flight, an_org_on, charge_many, request


def test_setting_a_plan_answers_the_new_balance(service: CreditService) -> None:
    balance = service.set_plan(ORG, "Enterprise")
    assert (balance.plan, balance.period, balance.plan_credits, balance.limit) == ("Enterprise", MARCH, 500, 500)
    assert (balance.used, balance.remaining, balance.trial_ends_at) == (0, 500, None)


def test_setting_the_trial_answers_when_it_ends(service: CreditService) -> None:
    balance = service.set_plan(ORG, "Trial")
    assert (balance.plan, balance.limit, balance.remaining) == ("Trial", 10, 10)
    assert balance.trial_ends_at == MARCH_10 + timedelta(days=14)


def test_setting_an_unknown_plan_is_rejected_before_anything_is_read(
    service: CreditService, store: InMemoryCreditStore
) -> None:
    with pytest.raises(InvalidRequest) as raised:
        service.set_plan(ORG, "Platinum")
    assert raised.value.code == "UNKNOWN_PLAN"
    assert store.calls["save_profile"] == 0
    assert ORG not in store.profiles


def test_setting_the_same_plan_again_writes_nothing(
    service: CreditService, store: InMemoryCreditStore, clock: FixedClock
) -> None:
    an_org_on(service, "Trial")
    clock.advance(timedelta(days=3))
    again = service.set_plan(ORG, "Trial")
    assert store.calls["save_profile"] == 1
    assert again.trial_ends_at == MARCH_10 + timedelta(days=14)


def test_a_second_trial_is_not_available(service: CreditService, store: InMemoryCreditStore) -> None:
    service.set_plan(ORG, "Trial")
    service.set_plan(ORG, "Basic")
    with pytest.raises(TrialNotAvailable):
        service.set_plan(ORG, "Trial")
    assert store.profile(ORG).plan == "Basic"


def test_a_plan_change_carries_the_months_usage_over(
    service: CreditService, store: InMemoryCreditStore, clock: FixedClock
) -> None:
    # Given an org on Basic that used 25 credits this month
    an_org_on(service, "Basic")
    charge_many(service, clock, 25)
    # When it is downgraded to Lite
    balance = service.set_plan(ORG, "Lite")
    # Then the 25 count against Lite's 20: nothing is left and the next charge is refused
    assert (balance.limit, balance.used, balance.remaining) == (20, 25, 0)
    with pytest.raises(OrgLimitReached):
        service.reserve_org_credit(request(clock, "enq-after"))


def test_a_plan_change_that_loses_a_race_reads_again(
    service: CreditService, store: InMemoryCreditStore, pauses: list[float]
) -> None:
    an_org_on(service, "Basic")
    store.fail_next("save_profile", StaleRead("profile"))
    balance = service.set_plan(ORG, "Ultimate")
    assert balance.limit == 1000
    assert store.profile(ORG).plan == "Ultimate"
    assert len(pauses) == 1


def test_a_plan_change_that_keeps_losing_races_gives_up_as_contended(
    service: CreditService, store: InMemoryCreditStore
) -> None:
    store.fail_next("save_profile", StaleRead("profile"), times=1000)
    with pytest.raises(WriteContended):
        service.set_plan(ORG, "Basic")
    assert store.profile(ORG).plan is None


def test_a_plan_change_that_met_a_charge_in_flight_saves_the_same_change_again(
    service: CreditService, store: InMemoryCreditStore
) -> None:
    a_charge_in_flight(service, store, "save_profile", times=3, on="Basic")
    reads = store.calls["account"]

    balance = service.set_plan(ORG, "Enterprise")

    assert (balance.plan, store.profile(ORG).plan) == ("Enterprise", "Enterprise")
    assert store.calls["account"] - reads == 1
