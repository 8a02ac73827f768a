"""Debian's Chromium for the browser tests, driven by Playwright (no browser download)."""

import os
import shutil
from contextlib import contextmanager
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
]

needs_chromium = pytest.mark.skipif(
    not Path(CHROMIUM).exists(),
    reason="Debian's chromium is not installed here (.ci/run installs it)",
)


@contextmanager
def chromium():
    """A headless Chromium. Playwright's sync API runs an event loop in this thread; the
    ORM calls of the test itself are still plain synchronous code."""
    from playwright.sync_api import sync_playwright

    allowed = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            try:
                yield browser
            finally:
                browser.close()
    finally:
        if allowed is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = allowed


def consent_and_start(page) -> None:
    """On a study's welcome page: tick the consent box and start; the page is then the
    first item."""
    page.check("#consent")
    with page.expect_navigation():
        page.click("button[type=submit]")
    page.wait_for_url("**/rate/")
