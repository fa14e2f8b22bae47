"""Headless Chromium for the tests, driven by Playwright, and pages served from other origins.

Playwright drives the system's Chromium (Debian's chromium package): it needs none of the
browsers `playwright install` downloads, which a closed network cannot fetch.
"""

import shutil
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from ci import unavailable

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment
    from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page

# An empty page: a browser on its origin calls the API as a single-page app would.
BLANK_PAGE = (
    b"<!DOCTYPE html><html lang='en'><head><title>Client</title>"
    b"<link rel='icon' href='data:,'></head><body></body></html>"
)


@contextmanager
def chromium() -> Iterator["Browser"]:
    """A headless Chromium, closed on the way out; skip (fail under CI) without one."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("Playwright is not installed: pip install playwright")
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        unavailable("chromium is not installed: apt-get install -y chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        try:
            yield browser
        finally:
            browser.close()


def blank_page(environ: "WSGIEnvironment", start_response: "StartResponse") -> Iterable[bytes]:
    """A WSGI app answering BLANK_PAGE to every request."""
    start_response("200 OK", [("Content-Type", "text/html; charset=utf-8")])
    return [BLANK_PAGE]


def try_it_out(page: "Page", path: str) -> str:
    """In /docs, authorized already: open the GET operation of path, Try it out, Execute; the
    status it answered."""
    operation = page.locator(".opblock-get").filter(has=page.locator(f'[data-path="{path}"]'))
    operation.locator(".opblock-summary").click()
    operation.get_by_role("button", name="Try it out").click()
    operation.get_by_role("button", name="Execute").click()
    status = operation.locator(".live-responses-table tbody .response-col_status").first
    status.wait_for()
    return status.inner_text().strip()


def console_errors(context: "BrowserContext") -> list[str]:
    """The errors any page of context logs from now on (a CSP refusal is one), and its pages'
    uncaught exceptions."""
    errors: list[str] = []

    def record(message: "ConsoleMessage") -> None:
        if message.type == "error":
            errors.append(f"{message.location.get('url')}: {message.text}")

    context.on("console", record)
    context.on("weberror", lambda error: errors.append(str(error.error)))
    return errors
