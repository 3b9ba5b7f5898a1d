"""PUT /orgs/{orgId}/user-limit: a cap on what each user may run per month; it applies at once."""

from __future__ import annotations

from tests.http.support import (
    FIRST_INSTANT_OF_DECEMBER,
    LAST_MINUTE_OF_NOVEMBER,
    MID_NOVEMBER,
    assert_rejected,
    balance,
    charge,
    freeze_clock,
    limit_reached_notices,
    set_plan,
    set_user_limit,
)


def test_setting_a_user_limit_answers_the_balance_with_it(api, org_id):
    # Given an org on Basic
    freeze_clock(api, MID_NOVEMBER)
    set_plan(api, org_id, "Basic")

    # When staff cap each user at 5 a month
    reply = api.set_user_limit(org_id, 5)

    # Then the answer is the balance with the cap, and a later read agrees
    assert reply.status == 200
    assert (reply.body["orgId"], reply.body["plan"], reply.body["perUserLimit"]) == (org_id, "Basic", 5)
    assert balance(api, org_id)["perUserLimit"] == 5


def test_a_user_limit_caps_each_user_separately(api, org_id):
    # Given an org capping each user at 2, where alice has run 2 enquiries
    freeze_clock(api, MID_NOVEMBER)
    set_plan(api, org_id, "Basic")
    set_user_limit(api, org_id, 2)
    charge(api, org_id, 2, user_id="alice")

    # When alice runs a third, and bob runs his first
    alices = api.use(org_id, "alice-3", "alice")
    bobs = api.use(org_id, "bob-1", "bob")

    # Then alice is denied and bob is charged
    assert_rejected(alices, 402, "USER_LIMIT_REACHED")
    assert bobs.status == 201
    assert (bobs.body["user"]["used"], bobs.body["user"]["limit"], bobs.body["user"]["remaining"]) == (1, 2, 1)


def test_a_request_denied_for_the_user_limit_uses_no_org_credit(api, org_id):
    # Given an org capping each user at 1, where alice has run 1 enquiry
    freeze_clock(api, MID_NOVEMBER)
    set_plan(api, org_id, "Basic")
    set_user_limit(api, org_id, 1)
    charge(api, org_id, 1, user_id="alice")

    # When alice runs another
    reply = api.use(org_id, "alice-2", "alice")

    # Then it is denied and neither the org nor alice is charged
    assert_rejected(reply, 402, "USER_LIMIT_REACHED")
    after = balance(api, org_id, "alice")
    assert (after["used"], after["remaining"], after["user"]["used"]) == (1, 99, 1)


def test_a_user_limit_denial_on_the_orgs_last_credit_leaves_it_for_another_user(api, org_id):
    # Given an org on Lite capping each user at 19, where alice has run 19 enquiries (one org credit left)
    freeze_clock(api, MID_NOVEMBER)
    set_plan(api, org_id, "Lite")
    set_user_limit(api, org_id, 19)
    charge(api, org_id, 19, user_id="alice")

    # When alice runs another
    assert_rejected(api.use(org_id, "alice-20", "alice"), 402, "USER_LIMIT_REACHED")

    # Then the last org credit is still there, unreported, and bob can use it
    assert limit_reached_notices(api, org_id) == []
    bobs = api.use(org_id, "bob-1", "bob")
    assert bobs.status == 201
    assert (bobs.body["org"]["used"], bobs.body["org"]["remaining"]) == (20, 0)
    assert len(limit_reached_notices(api, org_id, "2026-11")) == 1


def test_a_user_limit_of_zero_stops_every_user(api, org_id):
    # Given an org capping each user at 0
    freeze_clock(api, MID_NOVEMBER)
    set_plan(api, org_id, "Basic")
    set_user_limit(api, org_id, 0)

    # When a user runs an enquiry
    reply = api.use(org_id, "enquiry-1", "alice")

    # Then it is denied and nothing is counted
    assert_rejected(reply, 402, "USER_LIMIT_REACHED")
    assert balance(api, org_id)["used"] == 0


def test_a_lowered_user_limit_applies_at_once_to_users_already_above_it(api, org_id):
    # Given alice has run 3 enquiries without any cap
    freeze_clock(api, MID_NOVEMBER)
    set_plan(api, org_id, "Basic")
    charge(api, org_id, 3, user_id="alice")

    # When staff cap each user at 2
    set_user_limit(api, org_id, 2)

    # Then alice's next enquiry is denied at once
    assert_rejected(api.use(org_id, "alice-4", "alice"), 402, "USER_LIMIT_REACHED")
    assert balance(api, org_id, "alice")["user"] == {"userId": "alice", "used": 3, "remaining": 0}


def test_a_raised_user_limit_applies_at_once_and_the_denied_enquiry_then_runs(api, org_id):
    # Given alice was denied an enquiry by a cap of 1
    freeze_clock(api, MID_NOVEMBER)
    set_plan(api, org_id, "Basic")
    set_user_limit(api, org_id, 1)
    charge(api, org_id, 1, user_id="alice")
    assert_rejected(api.use(org_id, "alice-denied", "alice"), 402, "USER_LIMIT_REACHED")

    # When staff raise the cap to 2 and alice sends the same enquiry
    set_user_limit(api, org_id, 2)
    reply = api.use(org_id, "alice-denied", "alice")

    # Then it is charged (the denial was not remembered)
    assert reply.status == 201
    assert (reply.body["user"]["used"], reply.body["org"]["used"]) == (2, 2)


def test_a_null_user_limit_removes_the_cap(api, org_id):
    # Given alice is at a cap of 1
    freeze_clock(api, MID_NOVEMBER)
    set_plan(api, org_id, "Basic")
    set_user_limit(api, org_id, 1)
    charge(api, org_id, 1, user_id="alice")

    # When staff set the cap to null
    reply = api.set_user_limit(org_id, None)

    # Then there is no cap and alice runs enquiries again
    assert reply.status == 200
    assert reply.body["perUserLimit"] is None
    charged = api.use(org_id, "alice-2", "alice")
    assert charged.status == 201
    assert charged.body["user"]["limit"] is None


def test_the_user_limit_counts_per_month(api, org_id):
    # Given alice used her single credit in the last minute of November
    freeze_clock(api, LAST_MINUTE_OF_NOVEMBER)
    set_plan(api, org_id, "Basic")
    set_user_limit(api, org_id, 1)
    charge(api, org_id, 1, user_id="alice")
    assert_rejected(api.use(org_id, "alice-late", "alice"), 402, "USER_LIMIT_REACHED")

    # When December starts
    freeze_clock(api, FIRST_INSTANT_OF_DECEMBER)
    reply = api.use(org_id, "alice-late", "alice")

    # Then she may run one again
    assert reply.status == 201
    assert (reply.body["period"], reply.body["user"]["used"]) == ("2026-12", 1)
