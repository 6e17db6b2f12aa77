"""The console at ``/`` in headless Chromium: what an integrator does with it, end to end.

Each test acts through the page (forms, buttons, the live journal) and checks both what the page
shows and what the sandbox itself now holds.
"""

from __future__ import annotations

import httpx
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions as shown
from selenium.webdriver.support.select import Select
from selenium.webdriver.support.ui import WebDriverWait

from standin import Sandbox, build_app, create_sandbox
from standin._core.clock import isoformat
from standin._core.liveserver import live_server
from tests.console.conftest import screenshot

WAIT_SECONDS = 10


def wait(driver: WebDriver) -> WebDriverWait[WebDriver]:
    return WebDriverWait(driver, WAIT_SECONDS)


def open_console(driver: WebDriver, url: str, width: int = 1280) -> None:
    driver.set_window_size(width, 900)
    driver.get(url + "/")
    wait(driver).until(lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-ready"))


def text_of(driver: WebDriver, selector: str) -> str:
    return driver.find_element(By.CSS_SELECTOR, selector).text


def test_the_console_shows_the_clock_apis_credentials_and_limits(
    browser: WebDriver, console_url: str, console_sandbox: Sandbox
) -> None:
    open_console(browser, console_url)
    assert text_of(browser, "#clock-now") == "2026-11-20T12:00:30.000Z"
    assert text_of(browser, "#clock-mode") == "frozen"
    assert [
        row.get_attribute("data-api")
        for row in browser.find_elements(By.CSS_SELECTOR, "#apis tbody tr")
    ] == list(console_sandbox.apis)
    assert f"{console_url}/atmotube" in text_of(browser, '#apis tr[data-api="atmotube"]')
    atmotube = browser.find_element(By.CSS_SELECTOR, '#credentials details[data-api="atmotube"]')
    atmotube.find_element(By.TAG_NAME, "summary").click()
    assert "3f6c1b9e-2a7d-4c58-9e1f-5b8d0a4c7e21" in atmotube.text
    limiters = browser.find_elements(By.CSS_SELECTOR, "#limits tbody tr")
    assert {row.get_attribute("data-limiter") for row in limiters} == {
        f"{api}.{name}"
        for api, named in console_sandbox.limits.describe().items()
        for name in named
    }


def test_advancing_the_clock_shows_the_new_time(
    browser: WebDriver, console_url: str, console_sandbox: Sandbox
) -> None:
    open_console(browser, console_url)
    seconds = browser.find_element(By.CSS_SELECTOR, "#clock-advance [name=seconds]")
    seconds.clear()
    seconds.send_keys("3600")
    browser.find_element(By.CSS_SELECTOR, "#clock-advance button").click()
    wait(browser).until(
        shown.text_to_be_present_in_element(
            (By.CSS_SELECTOR, "#clock-now"), "2026-11-20T13:00:30.000Z"
        )
    )
    assert console_sandbox.clock.now().isoformat() == "2026-11-20T13:00:30+00:00"


def test_setting_the_clock_shows_the_set_time(
    browser: WebDriver, console_url: str, console_sandbox: Sandbox
) -> None:
    open_console(browser, console_url)
    browser.find_element(By.CSS_SELECTOR, "#clock-set [name=instant]").send_keys(
        "2027-01-01T00:00:00Z"
    )
    browser.find_element(By.CSS_SELECTOR, "#clock-set button").click()
    wait(browser).until(
        shown.text_to_be_present_in_element(
            (By.CSS_SELECTOR, "#clock-now"), "2027-01-01T00:00:00.000Z"
        )
    )
    assert text_of(browser, "#clock-mode") == console_sandbox.clock.mode
    assert console_sandbox.clock.now().isoformat() == "2027-01-01T00:00:00+00:00"


def test_a_fault_added_in_the_console_is_listed_and_answers_requests(
    browser: WebDriver, console_url: str, console_sandbox: Sandbox
) -> None:
    open_console(browser, console_url)
    form = browser.find_element(By.ID, "fault-add")
    Select(form.find_element(By.NAME, "api")).select_by_value("atmotube")
    form.find_element(By.NAME, "path").send_keys("/api/v1/data")
    form.find_element(By.NAME, "status").send_keys("503")
    form.find_element(By.NAME, "body").send_keys('{"message": "down for the test"}')
    form.find_element(By.TAG_NAME, "button").click()
    row = wait(browser).until(
        lambda d: d.find_element(By.CSS_SELECTOR, "#faults tbody tr[data-fault]")
    )
    [fault] = console_sandbox.faults.list()
    assert row.get_attribute("data-fault") == fault.id
    cells = [cell.text for cell in row.find_elements(By.TAG_NAME, "td")]
    assert cells == ["atmotube", "any", "/api/v1/data", "503", "", "∞", "Remove"]
    answer = httpx.get(f"{console_url}/atmotube/api/v1/data")
    assert (answer.status_code, answer.json()) == (503, {"message": "down for the test"})

    row.find_element(By.TAG_NAME, "button").click()
    wait(browser).until(
        lambda d: not d.find_elements(By.CSS_SELECTOR, "#faults tbody tr[data-fault]")
    )
    assert console_sandbox.faults.list() == []


def test_a_request_sent_by_the_test_appears_in_the_live_journal_with_its_details(
    browser: WebDriver, console_url: str, console_sandbox: Sandbox
) -> None:
    open_console(browser, console_url)
    api_key = console_sandbox.credentials()["atmotube"]["api_key"]
    sent = httpx.get(
        f"{console_url}/atmotube/api/v1/data",
        params={"api_key": api_key, "mac": "C2:4E:91:7A:3B:10", "format": "json"},
        headers={"X-Console-Test": "journal"},
    )
    entry = wait(browser).until(
        lambda d: next(
            (
                li
                for li in d.find_elements(By.CSS_SELECTOR, "#journal li")
                if "/atmotube/api/v1/data" in li.text
            ),
            None,
        )
    )
    summary = entry.find_element(By.TAG_NAME, "summary")
    assert f"{sent.status_code} GET /atmotube/api/v1/data?" in summary.text
    assert "api_key=%2A%2A%2A" in summary.text
    assert "tenant default" in summary.text
    summary.click()
    details = entry.find_element(By.CSS_SELECTOR, ".entry")
    wait(browser).until(lambda d: details.is_displayed())
    assert "x-console-test: journal" in details.text
    assert api_key not in details.text
    screenshot(browser, "console-journal-1280")


def test_the_journal_filters_by_status(
    browser: WebDriver, console_url: str, console_sandbox: Sandbox
) -> None:
    open_console(browser, console_url)
    api_key = console_sandbox.credentials()["atmotube"]["api_key"]
    httpx.get(f"{console_url}/atmotube/api/v1/data", params={"api_key": "wrong"})
    httpx.get(f"{console_url}/atmotube/api/v1/data", params={"api_key": api_key})
    every_tenant = browser.find_element(By.CSS_SELECTOR, "#journal-filters [name=all-tenants]")
    every_tenant.click()
    wait(browser).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#journal li")) == 2)
    browser.find_element(By.CSS_SELECTOR, "#journal-filters [name=status]").send_keys("401")
    wait(browser).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#journal li")) == 1)
    assert statuses(browser) == ["401"]


def statuses(driver: WebDriver) -> list[str]:
    return [el.text for el in driver.find_elements(By.CSS_SELECTOR, "#journal .status")]


def test_a_changed_rate_limit_is_saved_to_the_sandbox(
    browser: WebDriver, console_url: str, console_sandbox: Sandbox
) -> None:
    open_console(browser, console_url)
    row = browser.find_element(By.CSS_SELECTOR, '#limits tr[data-limiter="atmotube.requests"]')
    limit = row.find_element(By.NAME, "limit")
    limit.clear()
    limit.send_keys("7")
    row.find_element(By.NAME, "enabled").click()
    row.find_element(By.TAG_NAME, "button").click()
    wait(browser).until(shown.text_to_be_present_in_element((By.ID, "status"), "saved"))
    settings = console_sandbox.limits.describe()["atmotube"]["requests"]
    assert (settings["limit"], settings["enabled"]) == (7, False)


def shows_exactly(driver: WebDriver, selectors_and_texts: dict[str, str]) -> bool:
    """Whether each selector's element shows exactly its text (a wait's condition: a count
    that only contains the wanted one, 12/60 for 2/60, does not pass)."""
    return all(text_of(driver, css) == text for css, text in selectors_and_texts.items())


def test_the_counts_shown_are_exact_after_known_requests_and_change_after_another(
    browser: WebDriver, console_url: str, console_sandbox: Sandbox
) -> None:
    open_console(browser, console_url)
    cell = '#limits tr[data-limiter="atmotube.requests"] td.used'
    assert text_of(browser, cell) == "none counted"
    assert text_of(browser, "#journal-count") == "No requests match yet."
    api_key = console_sandbox.credentials()["atmotube"]["api_key"]
    for _ in range(2):
        sent = httpx.get(f"{console_url}/atmotube/api/v1/data", params={"api_key": api_key})
        assert sent.status_code == 400  # no mac: counted all the same
    after_two = {cell: f"{api_key} 2/60 · frees 12:01:00", "#journal-count": "2 newest first"}
    wait(browser).until(lambda d: shows_exactly(d, after_two))
    httpx.get(f"{console_url}/atmotube/api/v1/data", params={"api_key": api_key})
    after_three = {cell: f"{api_key} 3/60 · frees 12:01:00", "#journal-count": "3 newest first"}
    wait(browser).until(lambda d: shows_exactly(d, after_three))
    usage = console_sandbox.limits.usage(console_sandbox.clock.time(), 10)
    assert [(k["key"], k["used"]) for k in usage["atmotube"]["requests"]["keys"]] == [(api_key, 3)]


def test_a_vendor_trigger_raises_a_locus_alert(browser: WebDriver, console_url: str) -> None:
    open_console(browser, console_url)
    card = browser.find_element(By.CSS_SELECTOR, 'form[data-trigger="/locus/alerts"]')
    card.find_element(By.TAG_NAME, "button").click()
    answer = card.find_element(By.CLASS_NAME, "answer")
    wait(browser).until(lambda d: answer.text)
    assert '"componentId": 456' in answer.text
    assert '"alertType": "Device Fault"' in answer.text


def test_an_apis_docs_list_its_operations(browser: WebDriver, console_url: str) -> None:
    browser.set_window_size(1280, 900)
    browser.get(f"{console_url}/docs/atmotube")
    path = wait(browser).until(lambda d: d.find_element(By.CSS_SELECTOR, ".opblock-summary-path"))
    assert path.text.replace("\u200b", "") == "/api/v1/data"
    assert "Atmotube" in text_of(browser, ".information-container .title")
    screenshot(browser, "docs-atmotube-1280")
    browser.set_window_size(800, 900)
    screenshot(browser, "docs-atmotube-800")


def test_a_new_tenant_is_picked_and_shows_its_own_credentials(
    browser: WebDriver, console_url: str, console_sandbox: Sandbox
) -> None:
    open_console(browser, console_url)
    browser.find_element(By.ID, "new-tenant").click()
    wait(browser).until(shown.text_to_be_present_in_element((By.ID, "status"), "created"))
    [tenant] = [t for t in console_sandbox.tenants.all() if not t.is_default]
    assert text_of(browser, "#status") == f"Tenant {tenant.id} created"
    assert Select(browser.find_element(By.ID, "tenant")).first_selected_option.text == tenant.id
    atmotube = browser.find_element(By.CSS_SELECTOR, '#credentials details[data-api="atmotube"]')
    atmotube.find_element(By.TAG_NAME, "summary").click()
    assert tenant.credentials["atmotube"]["api_key"] in atmotube.text
    assert console_sandbox.credentials()["atmotube"]["api_key"] not in atmotube.text


def test_the_console_fits_1280_and_800_pixels_wide(browser: WebDriver, console_url: str) -> None:
    for width in (1280, 800):
        open_console(browser, console_url, width)
        overflow = browser.execute_script(
            "return document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow == 0, f"the page is {overflow} px wider than a {width} px window"
        for table in browser.find_elements(By.CSS_SELECTOR, "section table"):
            assert fits(browser, table), f"a table is cut off at {width} px: {table.text[:60]}"
        for box in browser.find_elements(By.CSS_SELECTOR, "section, .card"):
            assert browser.execute_script(
                "return arguments[0].scrollWidth <= arguments[0].clientWidth", box
            ), f"text runs out of a box at {width} px: {box.text[:60]}"
        screenshot(browser, f"console-{width}")


def fits(driver: WebDriver, table: WebElement) -> bool:
    """Whether every column of ``table`` is inside its panel (no column cut off)."""
    return bool(
        driver.execute_script(
            "const t = arguments[0], s = t.closest('section');"
            "return t.getBoundingClientRect().right <= s.getBoundingClientRect().right + 1;",
            table,
        )
    )


def test_with_an_admin_token_the_console_asks_for_it_and_then_works(
    browser: WebDriver,
) -> None:
    sandbox = create_sandbox(["atmotube"], admin_token="adm1n")
    with live_server(build_app(sandbox), timeout_graceful_shutdown=1) as url:
        open_console(browser, url)
        assert "needs its admin token" in text_of(browser, "#status")
        assert "3f6c1b9e" not in browser.find_element(By.TAG_NAME, "body").text
        browser.find_element(By.ID, "admin-token").send_keys("adm1n")
        browser.find_element(By.CSS_SELECTOR, "#session button[type=submit]").click()
        wait(browser).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#credentials details"))
        assert text_of(browser, "#status") == "Tenant default"


def test_with_a_tenant_token_the_console_shows_that_tenant_alone_on_a_shared_server(
    browser: WebDriver,
) -> None:
    sandbox = create_sandbox(["atmotube"], admin_token="adm1n", shared=True)
    tenant, token = sandbox.create_tenant_with_token()
    with live_server(build_app(sandbox), timeout_graceful_shutdown=1) as url:
        open_console(browser, url)
        assert "needs its admin token (or your tenant token)" in text_of(browser, "#status")
        browser.find_element(By.ID, "admin-token").send_keys(token)
        browser.find_element(By.CSS_SELECTOR, "#session button[type=submit]").click()
        wait(browser).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#credentials details"))
        assert text_of(browser, "#status") == f"Tenant {tenant.id}"
        options = Select(browser.find_element(By.ID, "tenant")).options
        assert [option.get_attribute("value") for option in options] == [tenant.id]
        assert not browser.find_element(By.ID, "new-tenant").is_enabled()
        credentials = browser.find_element(By.ID, "credentials")
        credentials.find_element(By.TAG_NAME, "summary").click()
        shown = credentials.text
    assert tenant.credentials["atmotube"]["api_key"] in shown
    assert sandbox.credentials()["atmotube"]["api_key"] not in shown


def test_markup_in_a_journaled_request_is_shown_as_text_never_run(
    browser: WebDriver, console_url: str
) -> None:
    open_console(browser, console_url)
    browser.find_element(By.CSS_SELECTOR, "#journal-filters [name=all-tenants]").click()
    markup = "<img src=x onerror=document.body.dataset.hacked=1>"
    httpx.get(f"{console_url}/atmotube/{markup}", headers={"X-Note": markup})
    entry = wait(browser).until(lambda d: d.find_element(By.CSS_SELECTOR, "#journal li"))
    entry.find_element(By.TAG_NAME, "summary").click()
    assert f"/atmotube/{markup}" in entry.text
    assert f"x-note: {markup}" in entry.find_element(By.CSS_SELECTOR, ".entry").text
    assert browser.find_elements(By.CSS_SELECTOR, "#journal img") == []
    assert browser.find_element(By.TAG_NAME, "body").get_attribute("data-hacked") is None


def test_in_real_time_the_clock_ticks_on_the_page_and_freezing_stops_it(
    browser: WebDriver, console_url: str, console_sandbox: Sandbox
) -> None:
    open_console(browser, console_url)
    browser.find_element(By.ID, "clock-real").click()
    wait(browser).until(shown.text_to_be_present_in_element((By.ID, "clock-mode"), "real"))
    assert console_sandbox.clock.mode == "real"
    first = text_of(browser, "#clock-now")
    wait(browser).until(lambda d: text_of(d, "#clock-now") != first)

    browser.find_element(By.ID, "clock-freeze").click()
    wait(browser).until(shown.text_to_be_present_in_element((By.ID, "clock-mode"), "frozen"))
    assert console_sandbox.clock.mode == "frozen"
    assert text_of(browser, "#clock-now") == isoformat(console_sandbox.clock.now())
