"""The browser the console's tests drive: Chromium, headless, through Selenium's ChromeDriver. Where it is:
CHROME_BINARY and CHROMEDRIVER when set (a locally installed Chrome and its driver), else `chromium` and
`chromedriver` on PATH (Debian's packages, which `make browser` installs with apt-get where they are missing).
Selenium is given the driver's path, so it never downloads one (Selenium Manager runs only when none is given)."""

from __future__ import annotations

import os
import shutil

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

BINARIES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def _found(variable: str, names: tuple[str, ...]) -> str:
    given = os.environ.get(variable)
    if given:
        return given
    for name in names:
        path = shutil.which(name)
        if path:
            return path
    pytest.fail(
        f"no browser for the console's tests: set {variable}, or install {names[0]} "
        "(make browser installs Debian's chromium and chromium-driver)",
        pytrace=False,
    )


def chromium() -> webdriver.Chrome:
    options = webdriver.ChromeOptions()
    options.binary_location = _found("CHROME_BINARY", BINARIES)
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1600,1000"):
        options.add_argument(argument)
    service = Service(executable_path=_found("CHROMEDRIVER", ("chromedriver",)))
    return webdriver.Chrome(service=service, options=options)
