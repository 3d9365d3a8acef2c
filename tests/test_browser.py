"""The course in a real browser: headless Chromium drives JupyterLab served on loopback with the
single-machine configuration (deploy/local/), as a student would use it.

* a lecture notebook opens, its first code cell runs on the kernel and prints its output;
* Nbgrader > Assignment List shows the assignment released through the exchange, and
  fetching it puts the notebook into the student's directory.

Screenshots go to $HEPCOURSE_TEST_ARTIFACTS (default tests/artifacts/, git-ignored), also on
failure. Needs Debian's `chromium` and `chromium-driver` (`make system` installs them, and
`make test` runs that first); without them the tests are skipped and say so.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
from pathlib import Path

import pytest

# helpers shared with the deploy tests (tests/ is on sys.path: pytest's default import mode)
from test_deploy import ASSIGNMENT, COURSE_ID, course_server, make_course_with_release

ROOT = Path(__file__).resolve().parents[1]
LECTURE = "00_introduction.ipynb"
ARTIFACTS = Path(os.environ.get("HEPCOURSE_TEST_ARTIFACTS") or ROOT / "tests" / "artifacts")

CHROMIUM = next(filter(None, map(shutil.which, ("chromium", "chromium-browser", "google-chrome"))), None)
CHROMEDRIVER = shutil.which("chromedriver")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(
        not (CHROMIUM and CHROMEDRIVER),
        reason=f"headless browser test needs chromium and chromedriver "
               f"(found chromium={CHROMIUM}, chromedriver={CHROMEDRIVER}); "
               "install them with `make system` (tools/install_system_packages.sh)"),
]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """JupyterLab on 127.0.0.1 for a course directory holding the lecture and a released assignment."""
    tmp = tmp_path_factory.mktemp("browser")
    course, exchange = make_course_with_release(tmp, lectures=(LECTURE,))
    # no "Would you like to get notified about Jupyter news?" toast over the screenshots
    settings = tmp / "jupyter" / "lab-settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True, exist_ok=True)
    (settings / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False}))
    # render every cell, not only those in view, so that the test finds the first code cell
    notebook_settings = tmp / "jupyter" / "lab-settings" / "@jupyterlab" / "notebook-extension"
    notebook_settings.mkdir(parents=True, exist_ok=True)
    (notebook_settings / "tracker.jupyterlab-settings").write_text(json.dumps({"windowingMode": "none"}))
    with course_server(tmp, course, exchange) as server:
        server.course = course
        yield server


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--window-size=1400,900", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync",
                # loopback only: every other address goes to a closed port
                "--proxy-server=http://127.0.0.1:9",
                f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}"):
        options.add_argument(arg)
    # explicit driver and browser paths: Selenium Manager is not asked to download anything
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


def screenshot(driver, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"browser-{name}.png"
    driver.save_screenshot(str(path))
    return path


@contextlib.contextmanager
def screenshot_on_failure(driver, name: str):
    """Save what the browser showed when a step failed, next to the other screenshots."""
    try:
        yield
    except BaseException:
        with contextlib.suppress(Exception):
            screenshot(driver, f"FAILED-{name}")
        raise


def _wait(driver, seconds: float, condition, message: str):
    """Poll ``condition`` until it is truthy. JupyterLab re-renders cells (e.g. once a kernel
    has started), so element references may go stale between polls: conditions look their
    elements up afresh each time and a stale reference just means "poll again"."""
    from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
    from selenium.webdriver.support.ui import WebDriverWait

    try:
        return WebDriverWait(driver, seconds, poll_frequency=0.25,
                             ignored_exceptions=(StaleElementReferenceException,)).until(condition)
    except TimeoutException:
        raise AssertionError(f"{message} (waited {seconds} s)") from None


def test_lecture_opens_and_its_first_code_cell_runs(lab, browser):
    with screenshot_on_failure(browser, "lecture"):
        _run_first_cell_of_the_lecture(lab, browser)


def _run_first_cell_of_the_lecture(lab, browser):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    browser.get(f"{lab.url}/lab/tree/lectures/{LECTURE}?token={lab.token}")
    # the kernel has started when the status bar says "Python 3 (ipykernel) | Idle"
    _wait(browser, 60, lambda d: d.find_elements(
        By.XPATH, "//*[contains(@class, 'jp-StatusBar-TextItem') and contains(., '| Idle')]"),
        f"JupyterLab did not open {LECTURE} with an idle kernel\n{lab.log_tail()}")
    assert LECTURE.removesuffix(".ipynb")[:10] in browser.title, browser.title

    def first_code_cell():
        return browser.find_element(By.CSS_SELECTOR, ".jp-Notebook .jp-CodeCell")

    def prompt_text():
        return first_code_cell().find_element(By.CSS_SELECTOR, ".jp-InputPrompt").text.strip()

    _wait(browser, 20, lambda d: prompt_text() in ("[ ]:", ""),
          "the notebook shows no unexecuted first code cell")

    def select_and_run(driver):
        cell = first_code_cell()
        driver.execute_script("arguments[0].scrollIntoView({block: 'start'})", cell)
        cell.find_element(By.CSS_SELECTOR, ".jp-InputPrompt").click()  # selects it (command mode)
        if "jp-mod-selected" not in (first_code_cell().get_attribute("class") or ""):
            return False
        ActionChains(driver).key_down(Keys.SHIFT).send_keys(Keys.ENTER).key_up(Keys.SHIFT).perform()
        return True

    _wait(browser, 20, select_and_run, "could not select the first code cell")

    # the kernel imports TensorFlow/Keras and the course package: ~15-20 s on 2 cores
    _wait(browser, 75, lambda d: prompt_text() == "[1]:",
          f"the first code cell of {LECTURE} got no execution count\n{lab.log_tail()}")

    def outputs(mime: str) -> str:
        return "\n".join(el.text for el in first_code_cell().find_elements(
            By.CSS_SELECTOR, f'.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.{mime}"]'))

    # stdout may be drawn a moment after the execution count (iopub vs shell messages)
    _wait(browser, 15, lambda d: "Keras 3." in outputs("stdout") or outputs("error"),
          f"the first cell printed no Keras version; stdout: {outputs('stdout')!r}")
    assert not outputs("error"), f"the first cell raised:\n{outputs('error')[:2000]}"
    stdout = outputs("stdout")
    assert re.search(r"profile: \w+\s+data cache: ", stdout), f"unexpected output of the first cell: {stdout!r}"
    cell = first_code_cell()
    browser.execute_script("arguments[0].scrollIntoView({block: 'start'})", cell)
    screenshot(browser, "01-lecture-first-cell")


def test_assignment_list_shows_and_fetches_the_released_assignment(lab, browser):
    with screenshot_on_failure(browser, "assignment-list"):
        _list_and_fetch_the_assignment(lab, browser)


def _list_and_fetch_the_assignment(lab, browser):
    from selenium.webdriver.common.by import By

    if not browser.current_url.startswith(lab.url):
        browser.get(f"{lab.url}/lab?token={lab.token}")
    menu = _wait(browser, 60, lambda d: [m for m in d.find_elements(By.CSS_SELECTOR, ".lm-MenuBar-item")
                                         if m.text.strip() == "Nbgrader"],
                 "JupyterLab has no Nbgrader menu (is the @jupyter/nbgrader lab extension disabled?)")
    menu[0].click()
    item = _wait(browser, 10, lambda d: d.find_elements(
        By.CSS_SELECTOR, '.lm-Menu-item[data-command="nbgrader:open-assignment-list"]'),
        "the Nbgrader menu has no Assignment List item")
    item[0].click()

    released = _wait(browser, 30, lambda d: [el for el in d.find_elements(By.ID, "released_assignments_list")
                                             if ASSIGNMENT in el.text],
                     f"the assignment list does not show the released {ASSIGNMENT}\n{lab.log_tail()}")[0]
    assert COURSE_ID in released.text, released.text
    screenshot(browser, "02-assignment-list")

    fetch = [b for b in released.find_elements(By.TAG_NAME, "button") if b.text.strip() == "Fetch"]
    assert fetch, f"no Fetch button next to {ASSIGNMENT}: {released.text!r}"
    fetch[0].click()
    _wait(browser, 30, lambda d: [el for el in d.find_elements(By.ID, "fetched_assignments_list")
                                  if ASSIGNMENT in el.text],
          f"after Fetch, {ASSIGNMENT} does not appear under Downloaded assignments\n{lab.log_tail()}")
    fetched = lab.course / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    assert fetched.exists(), f"Fetch did not write {fetched}"
    screenshot(browser, "03-assignment-fetched")
