"""POST /orgs/{orgId}/refunds: a charged enquiry's credit, the org's and its user's, given back once, while the
window it was charged to is open."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.http import support as http


def test_a_refund_gives_back_one_org_credit_and_one_user_credit(api, org_id):
    # Given an org on Basic whose users may run 2 enquiries a month, and a user who ran both
    http.freeze_clock(api, http.MID_NOVEMBER)
    http.set_plan(api, org_id, "Basic")
    http.set_user_limit(api, org_id, 2)
    http.charge(api, org_id, 2, prefix="enq", user_id="alice")
    http.assert_rejected(api.use(org_id, "enq-3", "alice"), 402, "USER_LIMIT_REACHED")

    # When staff refund one of them, saying why
    reply = api.refund(org_id, "enq-0", "report failed to deliver")

    # Then the refund is recorded and the org's credit is back
    assert reply.status == 201, reply.body
    assert reply.body["replayed"] is False
    assert reply.body["refund"] == {
        "enquiryId": "enq-0",
        "userId": "alice",
        "window": "2026-11",
        "refundedAt": "2026-11-10T12:00:00Z",
        "reason": "report failed to deliver",
    }
    assert (reply.body["used"], reply.body["remaining"]) == (1, 99)
    assert http.balance(api, org_id, "alice")["user"] == {"userId": "alice", "used": 1, "remaining": 1}
    # and the user, who was at the per-user limit, can run one more
    assert api.use(org_id, "enq-3", "alice").status == 201
    http.assert_rejected(api.use(org_id, "enq-4", "alice"), 402, "USER_LIMIT_REACHED")


def test_the_same_refund_again_changes_nothing(api, org_id):
    # Given a refunded enquiry
    http.freeze_clock(api, http.MID_NOVEMBER)
    http.set_plan(api, org_id, "Basic")
    http.charge(api, org_id, 3)
    first = api.refund(org_id, "enq-1", "duplicate report")
    assert first.status == 201

    # When staff send the same refund again
    again = api.refund(org_id, "enq-1", "duplicate report")

    # Then it is answered as the first was, and nothing more comes back
    assert again.status == 200, again.body
    assert again.body["replayed"] is True
    assert again.body["refund"] == first.body["refund"]
    assert http.balance(api, org_id)["used"] == 2


def test_twenty_concurrent_refunds_of_one_enquiry_give_back_one_credit(api, org_id):
    # Given an org that ran 5 enquiries
    http.freeze_clock(api, http.MID_NOVEMBER)
    http.set_plan(api, org_id, "Basic")
    http.charge(api, org_id, 5)

    # When 20 clients refund the same enquiry at once
    with ThreadPoolExecutor(max_workers=20) as pool:
        replies = list(pool.map(lambda _: api.refund(org_id, "enq-2"), range(20)))

    # Then exactly one refunded it; the others were answered with that refund
    assert sorted(reply.status for reply in replies) == [200] * 19 + [201], [reply.body for reply in replies]
    assert {reply.body["refund"]["refundedAt"] for reply in replies} == {"2026-11-10T12:00:00Z"}
    assert http.balance(api, org_id, "user-1")["used"] == 4
    assert http.balance(api, org_id, "user-1")["user"]["used"] == 4


def test_a_refund_of_a_past_months_enquiry_is_refused(api, org_id):
    # Given an enquiry charged in the last minute of November
    http.freeze_clock(api, http.LAST_MINUTE_OF_NOVEMBER)
    http.set_plan(api, org_id, "Basic")
    http.charge(api, org_id, 1)

    # When staff refund it in December
    http.freeze_clock(api, http.FIRST_INSTANT_OF_DECEMBER)
    reply = api.refund(org_id, "enq-0")

    # Then November is closed: nothing comes back, to November or to December
    http.assert_rejected(reply, 409, "WINDOW_CLOSED")
    assert http.balance(api, org_id)["used"] == 0
    http.freeze_clock(api, http.LAST_MINUTE_OF_NOVEMBER)
    assert http.balance(api, org_id)["used"] == 1


def test_a_refund_of_a_trial_enquiry_is_refused_once_the_trial_has_ended(api, org_id):
    # Given a trial org that ran an enquiry, and a refund of another while the trial ran
    http.freeze_clock(api, "2026-11-01T08:00:00Z")
    http.set_plan(api, org_id, "Trial")
    http.charge(api, org_id, 2)
    assert api.refund(org_id, "enq-0").status == 201
    assert http.balance(api, org_id)["used"] == 1

    # When staff refund the other after the trial's fourteen days
    http.freeze_clock(api, "2026-11-15T08:00:00Z")

    # Then the trial is closed
    http.assert_rejected(api.refund(org_id, "enq-1"), 409, "WINDOW_CLOSED")


@pytest.mark.parametrize("how", ["never-charged", "denied"])
def test_a_refund_of_an_enquiry_that_was_not_charged_is_not_found(api, org_id, how):
    # Given an org on Lite that used all of its 20 credits
    http.freeze_clock(api, http.MID_NOVEMBER)
    http.set_plan(api, org_id, "Lite")
    http.charge(api, org_id, 20)
    if how == "denied":
        http.assert_rejected(api.use(org_id, "the-enquiry"), 402, "ORG_LIMIT_REACHED")

    # When staff refund an enquiry it never ran, or one that was denied (denials are not remembered)
    reply = api.refund(org_id, "the-enquiry")

    # Then there is no http.charge to give back
    http.assert_rejected(reply, 404, "ENQUIRY_NOT_FOUND")
    assert http.balance(api, org_id)["used"] == 20


def test_a_refunded_enquiry_is_not_charged_again_under_the_same_id(api, org_id):
    # Given a refunded enquiry
    http.freeze_clock(api, http.MID_NOVEMBER)
    http.set_plan(api, org_id, "Basic")
    http.charge(api, org_id, 1)
    assert api.refund(org_id, "enq-0").status == 201

    # When the user runs it again under the same id
    reply = api.use(org_id, "enq-0")

    # Then it is refused: a report run again is a new enquiry
    http.assert_rejected(reply, 409, "ENQUIRY_REFUNDED")
    assert http.balance(api, org_id)["used"] == 0
    assert api.use(org_id, "enq-0-again").status == 201


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"enquiryId": ""},
        {"enquiryId": "enq 0"},
        {"enquiryId": 5},
        {"enquiryId": "enq-0", "reason": "x" * 501},
        {"enquiryId": "enq-0", "userId": "alice"},
    ],
    ids=["missing", "empty", "space", "number", "long-reason", "unknown-field"],
)
def test_a_bad_refund_request_is_rejected_and_changes_nothing(api, org_id, body):
    # Given a charged enquiry
    http.freeze_clock(api, http.MID_NOVEMBER)
    http.set_plan(api, org_id, "Basic")
    http.charge(api, org_id, 1)

    # When staff send a malformed refund, Then it is a 400 and the http.charge stands
    reply = api.call("POST", f"/orgs/{org_id}/refunds", body)
    assert reply.status == 400, reply.body
    assert set(reply.body) >= {"code", "message"}
    assert http.balance(api, org_id)["used"] == 1


def test_refunds_interleaved_with_charges_keep_the_books_exact(api, cloud, org_id):
    # Given an org on Basic whose two users ran 10 enquiries each
    http.freeze_clock(api, http.MID_NOVEMBER)
    http.set_plan(api, org_id, "Basic")
    http.charge(api, org_id, 10, prefix="alice", user_id="alice")
    http.charge(api, org_id, 10, prefix="bob", user_id="bob")

    # When, at once, each user runs 8 more enquiries and staff refund 5 of each user's earlier ones
    calls = [
        lambda n=n, user=user: api.use(org_id, f"{user}-new-{n}", user) for n in range(8) for user in ("alice", "bob")
    ]
    calls += [lambda n=n, user=user: api.refund(org_id, f"{user}-{n}") for n in range(5) for user in ("alice", "bob")]
    with ThreadPoolExecutor(max_workers=12) as pool:
        replies = [future.result() for future in [pool.submit(call) for call in calls]]

    # Then every request succeeded, and used = charged - refunded, for the org and for each user
    assert sorted(reply.status for reply in replies) == [201] * 26, [reply.body for reply in replies]
    final = http.settled_balance(api, cloud, org_id)
    assert final["used"] == 20 + 16 - 10
    for user in ("alice", "bob"):
        assert http.balance(api, org_id, user)["user"]["used"] == 10 + 8 - 5
