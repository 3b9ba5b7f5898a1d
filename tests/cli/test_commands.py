"""Every command against the emulator, in both output forms: a table for people, and with --json the API's answer
as it was sent."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

from cli.client import ExitCode
from tests.cli.conftest import Credits, Received, http_answer, run_credits, stub_api
from tests.conftest import Api


def _row(text: str, name: str, value: object) -> bool:
    """Whether the table has a row `name ... value`."""
    return re.search(rf"^\s*{re.escape(name)}\s+{re.escape(str(value))}\s*$", text, re.MULTILINE) is not None


def test_plan_set_puts_the_org_on_the_plan_and_prints_its_balance(credits: Credits, api: Api, org_id: str) -> None:
    # When staff put an org on Basic, then on Lite with --json
    table = credits("plan", "set", org_id, "Basic")
    as_json = credits("plan", "set", org_id, "Lite", "--json")

    # Then the table shows the balance on Basic, and --json the API's answer on Lite, which the API now reports
    assert table.exit_code == 0, table.stderr
    assert _row(table.stdout, "plan", "Basic")
    assert _row(table.stdout, "remaining", 100)
    assert as_json.exit_code == 0
    assert as_json.document == api.balance(org_id).body
    assert (as_json.document["plan"], as_json.document["limit"]) == ("Lite", 20)


def test_user_limit_set_caps_each_user_and_none_removes_the_cap(credits: Credits, org_id: str) -> None:
    # Given an org on Basic
    assert credits("plan", "set", org_id, "Basic").exit_code == 0

    # When staff cap its users at 25, then remove the cap with --json
    capped = credits("user-limit", "set", org_id, "25")
    uncapped = credits("user-limit", "set", org_id, "none", "--json")

    # Then
    assert capped.exit_code == 0, capped.stderr
    assert _row(capped.stdout, "per-user limit", 25)
    assert uncapped.exit_code == 0
    assert uncapped.document["perUserLimit"] is None


def test_use_charges_once_and_says_when_an_enquiry_was_charged_before(credits: Credits, org_id: str) -> None:
    # Given an org on Basic whose users may use 25 a month
    assert credits("plan", "set", org_id, "Basic").exit_code == 0
    assert credits("user-limit", "set", org_id, "25").exit_code == 0

    # When a developer uses a credit for an enquiry, and the same enquiry again (table, then --json)
    charged = credits("use", org_id, "enq-1", "--user", "alice")
    replayed = credits("use", org_id, "enq-1", "--user", "alice", "--json")

    # Then it was charged once, and the replay is a success that charged nothing
    assert charged.exit_code == 0, charged.stderr
    assert f"org {org_id}: charged enq-1 to alice" in charged.stdout
    assert _row(charged.stdout, "org remaining", 99)
    assert _row(charged.stdout, "user alice remaining", 24)
    assert replayed.exit_code == 0
    assert (replayed.document["charged"], replayed.document["replayed"]) == (False, True)
    assert replayed.document["org"]["used"] == 1


def test_top_up_adds_credits_once_per_id(credits: Credits, org_id: str) -> None:
    # Given an org on Basic
    assert credits("plan", "set", org_id, "Basic").exit_code == 0

    # When staff top it up by 50 for a ticket, the same ticket again (--json), and once more without an id
    topped = credits("top-up", org_id, "50", "--reason", "uplift", "--id", "zendesk-4711")
    again = credits("top-up", org_id, "50", "--reason", "uplift", "--id", "zendesk-4711", "--json")
    unnamed = credits("top-up", org_id, "5", "--reason", "goodwill", "--json")

    # Then the ticket added 50 once, and the top-up without an id got one the command made up
    assert topped.exit_code == 0, topped.stderr
    assert "topped up 50 credits" in topped.stdout
    assert _row(topped.stdout, "top-up credits", 50)
    assert again.exit_code == 0
    assert again.document["replayed"] is True
    assert again.document["topUpCredits"] == 50
    assert unnamed.document["topUp"]["topUpId"].startswith("cli-")
    assert unnamed.document["topUpCredits"] == 55


def test_top_ups_lists_the_months_top_ups_with_their_reasons(credits: Credits, org_id: str) -> None:
    # Given an org on Basic topped up for a ticket
    assert credits("plan", "set", org_id, "Basic").exit_code == 0
    assert credits("top-up", org_id, "50", "--reason", "uplift", "--id", "zendesk-4711").exit_code == 0

    # When staff list the month's top-ups
    table = credits("top-ups", org_id)
    as_json = credits("top-ups", org_id, "--json")

    # Then
    assert table.exit_code == 0, table.stderr
    assert re.search(r"zendesk-4711\s+50\s+uplift", table.stdout)
    assert as_json.exit_code == 0
    assert [(item["topUpId"], item["credits"]) for item in as_json.document["items"]] == [("zendesk-4711", 50)]


def test_refund_gives_the_credit_back_once(credits: Credits, org_id: str) -> None:
    # Given an enquiry charged to alice
    assert credits("plan", "set", org_id, "Basic").exit_code == 0
    assert credits("use", org_id, "enq-1", "--user", "alice").exit_code == 0

    # When staff refund it, then again (--json)
    refunded = credits("refund", org_id, "enq-1", "--reason", "report failed to deliver")
    again = credits("refund", org_id, "enq-1", "--json")

    # Then the credit came back once
    assert refunded.exit_code == 0, refunded.stderr
    assert "refunded enq-1 to alice" in refunded.stdout
    assert _row(refunded.stdout, "used", 0)
    assert again.exit_code == 0
    assert again.document["replayed"] is True
    assert again.document["used"] == 0


def test_balance_shows_the_org_and_one_user(credits: Credits, api: Api, org_id: str) -> None:
    # Given an enquiry charged to alice
    assert credits("plan", "set", org_id, "Basic").exit_code == 0
    assert credits("use", org_id, "enq-1", "--user", "alice").exit_code == 0

    # When staff ask for the balance with alice's
    table = credits("balance", org_id, "--user", "alice")
    as_json = credits("balance", org_id, "--user", "alice", "--json")

    # Then
    assert table.exit_code == 0, table.stderr
    assert _row(table.stdout, "used", 1)
    assert _row(table.stdout, "user alice used", 1)
    assert as_json.document == api.balance(org_id, "alice").body


def test_usage_lists_a_page_and_all_follows_the_cursor_to_the_last(credits: Credits, org_id: str) -> None:
    # Given an org with five charges
    assert credits("plan", "set", org_id, "Basic").exit_code == 0
    enquiries = [f"enq-{n}" for n in range(1, 6)]
    for enquiry in enquiries:
        assert credits("use", org_id, enquiry, "--user", "alice").exit_code == 0

    # When staff list two a page: one page, then every page (table and --json)
    page = credits("usage", org_id, "--limit", "2", "--json")
    first = credits("usage", org_id, "--limit", "2")
    every = credits("usage", org_id, "--limit", "2", "--all")
    every_json = credits("usage", org_id, "--limit", "2", "--all", "--json")

    # Then one page holds two entries and says how to get the next; --all holds all five, newest first
    assert page.exit_code == 0, page.stderr
    assert len(page.document["items"]) == 2
    assert page.document["cursor"]
    assert f"--cursor {page.document['cursor']}" in first.stdout
    assert every.exit_code == 0, every.stderr
    assert all(re.search(rf"{enquiry}\s+alice\s+\S+\s+CHARGED", every.stdout) for enquiry in enquiries)
    assert "5 entries" in every.stdout
    assert every_json.exit_code == 0
    assert [item["enquiryId"] for item in every_json.document["items"]] == enquiries[::-1]
    assert every_json.document["cursor"] is None
    assert every_json.document["orgId"] == org_id


def test_usage_filters_by_user_and_period(credits: Credits, org_id: str) -> None:
    # Given charges to alice and to bob
    assert credits("plan", "set", org_id, "Basic").exit_code == 0
    assert credits("use", org_id, "enq-a", "--user", "alice").exit_code == 0
    assert credits("use", org_id, "enq-b", "--user", "bob").exit_code == 0
    period = credits("balance", org_id, "--json").document["period"]

    # When staff list bob's charges of the month, and a month long ago
    bobs = credits("usage", org_id, "--user", "bob", "--period", period, "--json")
    long_ago = credits("usage", org_id, "--period", "2001-01", "--json")

    # Then
    assert [item["enquiryId"] for item in bobs.document["items"]] == ["enq-b"]
    assert long_ago.document["items"] == []


def test_charge_shows_one_enquirys_entry(credits: Credits, org_id: str) -> None:
    # Given an enquiry charged to alice
    assert credits("plan", "set", org_id, "Basic").exit_code == 0
    assert credits("use", org_id, "enq-1", "--user", "alice").exit_code == 0

    # When staff look it up
    as_json = credits("charge", org_id, "enq-1", "--json")
    table = credits("charge", org_id, "enq-1")

    # Then both show who was charged and the execution that charged it
    assert as_json.exit_code == 0, as_json.stderr
    assert (as_json.document["userId"], as_json.document["state"]) == ("alice", "CHARGED")
    assert table.exit_code == 0
    assert _row(table.stdout, "user", "alice")
    assert _row(table.stdout, "execution", as_json.document["executionName"])


def test_audit_shows_the_counters_beside_the_ledger(credits: Credits, org_id: str) -> None:
    # Given two charges to alice
    assert credits("plan", "set", org_id, "Basic").exit_code == 0
    for enquiry in ("enq-1", "enq-2"):
        assert credits("use", org_id, enquiry, "--user", "alice").exit_code == 0

    # When staff audit the org's books
    table = credits("audit", org_id)
    as_json = credits("audit", org_id, "--json")

    # Then they agree
    assert table.exit_code == 0, table.stderr
    assert "the books agree" in table.stdout
    assert re.search(r"^\s*used\s+2\s+2\s*$", table.stdout, re.MULTILINE)
    assert as_json.document["drift"] == []
    assert as_json.document["counters"]["used"] == 2


def test_a_top_up_that_may_have_been_added_says_which_id_to_run_it_again_with(org_id: str) -> None:
    # Given an API whose gateway times out (504) after the top-up may have been recorded
    with stub_api(lambda _: http_answer(504, {"message": "Endpoint request timed out"})) as (endpoint, received):
        # When staff top up without an id, then with one
        unnamed = run_credits("--endpoint", endpoint, "top-up", org_id, "50", "--reason", "uplift")
        named = run_credits("--endpoint", endpoint, "top-up", org_id, "50", "--reason", "uplift", "--id", "zd-1")

    # Then the first says to run it again with the id it sent, so that it is added at most once
    made_up = received[0].document["topUpId"]
    assert made_up.startswith("cli-")
    assert unnamed.exit_code == ExitCode.RETRYABLE
    assert unnamed.stderr.endswith(f"topUpId {made_up}: re-run with --id {made_up} to add it at most once\n")
    assert named.exit_code == ExitCode.RETRYABLE
    assert "re-run" not in named.stderr


def _entry(enquiry: str) -> dict[str, str]:
    return {"enquiryId": enquiry, "userId": "alice", "chargedAt": "2026-11-10T12:00:00Z", "state": "CHARGED"}


def _ledger(pages: dict[str | None, bytes]) -> Callable[[Received], bytes]:
    """A stub API's ledger: the answer to each cursor (None: the first page); a 500 after ten requests, so that a
    command that follows the cursors round and round ends."""
    asked = itertools.count()

    def answer(request: Received) -> bytes:
        if next(asked) >= 10:
            return http_answer(500, {"code": "INTERNAL_ERROR", "message": "enough"})
        cursor = parse_qs(urlsplit(request.path).query).get("cursor", [None])[0]
        return pages[cursor]

    return answer


def _page(org_id: str, enquiry: str, cursor: str | None) -> bytes:
    return http_answer(200, {"orgId": org_id, "period": "2026-11", "items": [_entry(enquiry)], "cursor": cursor})


def test_usage_all_stops_at_a_cursor_it_followed_before(org_id: str) -> None:
    # Given an API whose second page answers the cursor that asked for it
    pages = {None: _page(org_id, "enq-2", "c1"), "c1": _page(org_id, "enq-1", "c1")}
    with stub_api(_ledger(pages)) as (endpoint, received):
        # When staff list every page
        listed = run_credits("--endpoint", endpoint, "usage", org_id, "--all")

    # Then it asked for each page once, printed both, and stopped with a fault
    assert len(received) == 2
    assert listed.exit_code == ExitCode.FAULT
    assert "enq-2" in listed.stdout
    assert "enq-1" in listed.stdout
    assert listed.stderr.startswith("CURSOR_LOOP: ")


def test_usage_all_prints_the_pages_it_read_before_a_page_failed(org_id: str) -> None:
    # Given an API whose second page is unavailable
    unavailable = http_answer(503, {"code": "SERVICE_UNAVAILABLE", "message": "retry later"}, {"Retry-After": "1"})
    pages = {None: _page(org_id, "enq-2", "c1"), "c1": unavailable}
    with stub_api(_ledger(pages)) as (endpoint, _):
        # When staff list every page, as a table and with --json
        table = run_credits("--endpoint", endpoint, "usage", org_id, "--all")
        as_json = run_credits("--endpoint", endpoint, "usage", org_id, "--all", "--json")

    # Then the first page is printed with the cursor to go on from, then the error, and the exit code is the 503's
    assert table.exit_code == ExitCode.RETRYABLE
    assert "enq-2" in table.stdout
    assert "--cursor c1" in table.stdout
    assert table.stderr == "SERVICE_UNAVAILABLE: retry later\n"
    assert as_json.exit_code == ExitCode.RETRYABLE
    assert ([item["enquiryId"] for item in as_json.document["items"]], as_json.document["cursor"]) == (["enq-2"], "c1")
