"""A headless Chromium driven by Selenium, for the tests that open pages in a real browser.

Not a test module. `chromium()` skips the test with the reason when Chromium, its driver or
Selenium is missing, unless ``SFD_REQUIRE_BROWSER=1`` (set by ``.ci/run``), where it fails:
CI must run the browser tests.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from typing import Any

import pytest

REQUIRE = "SFD_REQUIRE_BROWSER"
BROWSER, DRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
# Flags that work as root in a container: no sandbox, no GPU, nothing fetched in the
# background (the page under test must be the only thing the browser loads).
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--window-size=1400,1000")


def _missing() -> str | None:
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "Selenium is not installed (pip install selenium)"
    for path, package in ((BROWSER, "chromium"), (DRIVER, "chromium-driver")):
        if not shutil.which(path):
            return f"{path} is not installed (apt-get install {package})"
    return None


@contextlib.contextmanager
def chromium(*, javascript: bool = True) -> Iterator[Any]:
    """A fresh headless Chromium (its own profile directory) that keeps the console log;
    with `javascript` False, pages run no script."""
    why = _missing()
    if why is not None:
        if os.environ.get(REQUIRE) == "1":
            pytest.fail(f"{REQUIRE}=1 but {why}")
        pytest.skip(why)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    with tempfile.TemporaryDirectory(prefix="sfd-chromium-") as profile:
        options = webdriver.ChromeOptions()
        options.binary_location = BROWSER
        for flag in FLAGS:
            options.add_argument(flag)
        options.add_argument(f"--user-data-dir={profile}")
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        if not javascript:
            options.add_experimental_option(
                "prefs", {"profile.managed_default_content_settings.javascript": 2})
        driver = webdriver.Chrome(service=Service(DRIVER), options=options)
        try:
            yield driver
        finally:
            driver.quit()
