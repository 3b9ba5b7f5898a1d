"""The local console (GET /_local/console) in a real browser: headless Chromium driven by Selenium (pinned), on the
emulator's HTTP server. Each scenario's execution is shown with the path it took, and a screenshot of it is saved
under test-output/console/. A missing browser fails these tests (tests/browser/browser.py says where it looks)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

from domain.errors import StoreUnavailable
from tests.browser.browser import chromium
from tests.http import support as http
from tests.integration.workflows import Fault, always, inject

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output" / "console"
SAGA = ["ValidateRequest", "IsValid", "ReserveOrgCredit", "IsOrgDenied", "IsAlreadyCharged"]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def browser():
    driver = chromium()
    try:
        yield driver
    finally:
        driver.quit()


def _open(browser: WebDriver, api, execution_name: str) -> dict[str, str]:
    """The console showing the execution; answers each drawn state's classes, by state name."""
    browser.get(f"{api.url}/_local/console#{execution_name}")
    wait = WebDriverWait(browser, 15)
    wait.until(lambda driver: driver.find_element(By.ID, "detail-pane").get_attribute("data-name") == execution_name)
    wait.until(lambda driver: driver.find_elements(By.CSS_SELECTOR, "#graph .state"))
    return {
        state.get_attribute("data-state"): state.get_attribute("class")
        for state in browser.find_elements(By.CSS_SELECTOR, "#graph .state")
    }


def _classes(states: dict[str, str], kind: str) -> set[str]:
    return {name for name, classes in states.items() if kind in classes.split()}


def _taken_edges(browser: WebDriver) -> set[str]:
    return {edge.get_attribute("data-edge") for edge in browser.find_elements(By.CSS_SELECTOR, "#graph .edge.taken")}


def _click_state(browser: WebDriver, name: str) -> dict[str, str]:
    """Click a drawn state; answers the facts its pane shows, and its input and output as the page shows them."""
    browser.find_element(By.CSS_SELECTOR, f'#graph .state[data-state="{name}"]').click()
    WebDriverWait(browser, 10).until(
        lambda driver: driver.find_element(By.ID, "state-pane").get_attribute("data-state") == name
    )
    terms = [element.text for element in browser.find_elements(By.CSS_SELECTOR, "#state-facts dt")]
    values = [element.text for element in browser.find_elements(By.CSS_SELECTOR, "#state-facts dd")]
    return dict(zip(terms, values, strict=True)) | {
        "input": browser.find_element(By.ID, "state-input").text,
        "output": browser.find_element(By.ID, "state-output").text,
    }


def _detail_facts(browser: WebDriver) -> dict[str, str]:
    """The facts the execution's pane shows (Execution, Answered, Org...), by term."""
    terms = [element.text for element in browser.find_elements(By.CSS_SELECTOR, "#detail-facts dt")]
    values = [element.text for element in browser.find_elements(By.CSS_SELECTOR, "#detail-facts dd")]
    return dict(zip(terms, values, strict=True))


def _listed(driver: WebDriver, execution_name: str) -> list[str] | None:
    """The execution's row in the list, (status, HTTP), read in one script: the list redraws itself every 2 s."""
    return driver.execute_script(
        "const row = [...document.querySelectorAll('#executions tbody tr')]"
        ".find((row) => row.dataset.name === arguments[0]);"
        "return row ? [row.children[2].textContent, row.children[3].textContent] : null;",
        execution_name,
    )


def _answer(browser: WebDriver) -> dict:
    return json.loads(browser.find_element(By.ID, "answer").text)


def _screenshot(browser: WebDriver, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    browser.set_window_size(1600, 1400)
    assert browser.save_screenshot(str(SCREENSHOTS / f"{name}.png"))


def test_a_charge_is_shown_with_the_path_it_took(browser, api, org_id):
    # Given a charge
    http.freeze_clock(api, http.MID_NOVEMBER)
    http.set_plan(api, org_id, "Basic")
    charged = api.use(org_id, "enq-1", "alice")
    assert charged.status == 201

    # When the console shows the execution that answered it
    states = _open(browser, api, charged.headers["x-amz-apigw-id"].rstrip("="))

    # Then the saga's happy path is drawn as taken, nothing failed, and the answer is the client's
    assert _classes(states, "visited") == {*SAGA, "ReserveUserCredit", "IsUserDenied", "Notify", "Charged"}
    assert _classes(states, "failed") | _classes(states, "caught") == set()
    assert {"IsOrgDenied->IsAlreadyCharged", "IsUserDenied->Notify"} <= _taken_edges(browser)
    assert _answer(browser)["charged"] is True
    reserve = _click_state(browser, "ReserveOrgCredit")
    assert json.loads(reserve["output"])["org"]["reservation"]["used"] == 1
    _screenshot(browser, "charge")


def test_a_user_limit_denial_is_shown_with_its_compensation(browser, api, org_id):
    # Given a user at the per-user limit, denied
    denied = http.denied_for_the_user_limit(api, org_id)

    # When the console shows it
    name = denied.headers["x-amz-apigw-id"].rstrip("=")
    states = _open(browser, api, name)

    # Then the execution SUCCEEDED with the denial as its decision, in the detail and in the list
    assert browser.find_element(By.ID, "detail-title").text == "UseCreditStateMachine · SUCCEEDED"
    assert _detail_facts(browser)["Answered"] == "402 USER_LIMIT_REACHED"
    WebDriverWait(browser, 10).until(
        lambda driver: _listed(driver, name) == ["SUCCEEDED", "402"], "the list does not show it SUCCEEDED, 402"
    )
    # and the user step answered the denial (nothing failed), the org's reservation was released, and the execution
    # ended with the denial as its answer
    assert _classes(states, "failed") | _classes(states, "caught") == set()
    assert {"IsUserDenied", "ReleaseOrgCredit", "WhyReleased", "UserDenied"} <= _classes(states, "visited")
    assert {"IsUserDenied->ReleaseOrgCredit", "WhyReleased->UserDenied"} <= _taken_edges(browser)
    user_step = _click_state(browser, "ReserveUserCredit")
    assert json.loads(user_step["output"])["user"]["code"] == "USER_LIMIT_REACHED"
    assert _answer(browser)["code"] == "USER_LIMIT_REACHED"
    _screenshot(browser, "user-limit-denial")


def test_a_503_after_retries_is_shown_with_its_retries(browser, api, cloud, org_id):
    # Given an org whose org step keeps failing on a DynamoDB it cannot reach: retried, then given up
    http.freeze_clock(api, http.MID_NOVEMBER)
    http.set_plan(api, org_id, "Basic")
    fault = inject(cloud, Fault("ReserveOrgCreditFunction", lambda: StoreUnavailable("throttled"), always))
    try:
        failed = api.use(org_id, "enq-1", "alice")
    finally:
        cloud.invocation_hooks.remove(fault)
    http.assert_rejected(failed, 503, "SERVICE_UNAVAILABLE")

    # When the console shows it
    states = _open(browser, api, failed.headers["x-amz-apigw-id"].rstrip("="))

    # Then the org step shows its retry and is caught, its reservation released, and the execution ends unavailable
    assert _classes(states, "caught") == {"ReserveOrgCredit"}
    assert _classes(states, "failed") == {"Unavailable"}
    assert {"ReleaseOrgCredit", "WhyReleased"} <= _classes(states, "visited")
    org_step = _click_state(browser, "ReserveOrgCredit")
    assert (org_step["Attempts"], org_step["Retries"]) == ("2", "1")
    assert org_step["Failures"] == "StoreUnavailable, StoreUnavailable"
    assert "1 retry" in browser.find_element(By.CSS_SELECTOR, '#graph .state[data-state="ReserveOrgCredit"]').text
    assert _answer(browser)["code"] == "SERVICE_UNAVAILABLE"
    _screenshot(browser, "503-after-retries")


def test_the_list_filters_by_org_and_refreshes_itself(browser, api, org_id):
    # Given the console open on an org's executions
    http.freeze_clock(api, http.MID_NOVEMBER)
    http.set_plan(api, org_id, "Basic")
    browser.get(f"{api.url}/_local/console")
    browser.find_element(By.ID, "filter-org").send_keys(org_id)

    def rows(driver: WebDriver) -> list[tuple[str, str]]:
        # Read in one script, a snapshot: the list redraws itself every 2 s, and an element found before a redraw
        # and read after it is stale (StaleElementReferenceException, seen on a fresh clone's CI run)
        listed = driver.execute_script(
            "return [...document.querySelectorAll('#executions tbody tr')]"
            ".map(row => [row.children[4].textContent, row.dataset.name]);"
        )
        return [(org, name) for org, name in listed]

    WebDriverWait(browser, 10).until(lambda driver: len(rows(driver)) == 1)

    # When the org runs an enquiry while the page is open
    charged = api.use(org_id, "enq-1", "alice")

    # Then the page lists it within its refresh, newest first, and lists that org's executions only
    WebDriverWait(browser, 10).until(lambda driver: len(rows(driver)) == 2)
    listed = rows(browser)
    assert {org for org, _ in listed} == {org_id}
    assert listed[0][1] == charged.headers["x-amz-apigw-id"].rstrip("=")


def test_the_alarms_a_fault_fired_are_listed_with_why(browser, api, cloud, org_id):
    # Given a clean CloudWatch, the sweep run, and a user step that crashes: a 503
    assert cloud.wait_until_idle(30)
    cloud.forget_metrics()
    http.freeze_clock(api, "2027-03-01T08:00:30Z")  # the daily audit's run, judged by the hour
    assert cloud.run_workflow("AuditEveryOrgStateMachine", {}, timeout=60).status == "SUCCEEDED"
    http.freeze_clock(api, "2027-03-01T09:00:30Z")
    cloud.invoke("SweepReservationsFunction", {"source": "aws.events"})
    http.set_plan(api, org_id, "Basic")
    inject(cloud, Fault("ReserveUserCreditFunction", lambda: RuntimeError("a bug"), always))
    http.assert_rejected(api.use(org_id, "enq-1", "alice"), 503, "SERVICE_UNAVAILABLE")

    # When the console is open once CloudWatch has judged that minute
    http.freeze_clock(api, "2027-03-01T09:01:05Z")
    browser.get(f"{api.url}/_local/console")
    wait = WebDriverWait(browser, 15)
    wait.until(lambda driver: driver.find_elements(By.CSS_SELECTOR, "#alarms tbody tr"))
    rows = browser.execute_script(
        "return [...document.querySelectorAll('#alarms tbody tr')]"
        ".map((row) => [...row.cells].map((cell) => cell.textContent))"
    )

    # Then the alarms the crash fired are listed in ALARM, each with CloudWatch's reason, and no other
    listed = {name.removeprefix("credits-local-"): (state, reason) for name, state, _, reason in rows}
    assert set(listed) == {"ReserveUserCredit-errors", "UseCredit-workflow-faults", "api-5xx-rate"}
    assert {state for state, _ in listed.values()} == {"ALARM"}
    assert all(reason.startswith("Threshold Crossed") for _, reason in listed.values())
    summary = browser.find_element(By.ID, "alarm-summary").text
    assert summary.startswith("3 in alarm")
    _screenshot(browser, "alarms")
