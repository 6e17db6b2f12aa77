"""A headless Chromium, driven through Debian's chromedriver, and a live sandbox for it to load.

The browser and its driver are Debian's ``chromium`` and ``chromium-driver``: nothing is
downloaded at test time. ``.ci/run`` installs them on a fresh machine; run as root, this setup
installs them too, and otherwise says what to install.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.remote.webdriver import WebDriver

from standin import Sandbox, build_app, create_sandbox
from standin._core.clock import Clock
from standin._core.liveserver import live_server
from tests.conftest import NOW
from tests.debian import ensure_debian_packages

CHROMEDRIVER = Path("/usr/bin/chromedriver")
CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    # This machine's network is closed: Chromium's own background connections would only fail
    # (and slow the start), so none is made.
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


def ensure_chromium() -> None:
    """Debian's Chromium and chromedriver, installed now if missing and this is root."""
    ensure_debian_packages(
        "the console's browser tests",
        {CHROMIUM: "chromium", CHROMEDRIVER: "chromium-driver"},
    )


@pytest.fixture(scope="session")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebDriver]:
    ensure_chromium()
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    options.add_argument("--window-size=1280,900")
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def console_sandbox() -> Sandbox:
    frozen = Clock()
    frozen.freeze(NOW)
    return create_sandbox(clock=frozen)


@pytest.fixture
def console_url(console_sandbox: Sandbox) -> Iterator[str]:
    """The sandbox served on a loopback port; the console is at its root."""
    with live_server(build_app(console_sandbox), timeout_graceful_shutdown=1) as url:
        yield url


def screenshot(driver: WebDriver, name: str) -> Path:
    """Saves the whole page as ``build/screenshots/<name>.png`` (a test artifact)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    # The whole page: the window grows to the page's height at its current width.
    width = driver.get_window_size()["width"]
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(width, max(900, int(height)))
    driver.save_screenshot(str(path))
    return path
