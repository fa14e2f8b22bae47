"""In a real browser (headless Chromium): a page on another origin calls the API as CORS_ORIGINS
allows, and /docs logs in as the auth backend does, then calls a protected route, under its CSP.

One browser and one served app for the module: each is slow to start next to a test here.
"""

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

import browser_{{ cookiecutter.auth }} as backend
from browser import blank_page, chromium, console_errors, try_it_out
from serving import serving

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

LIST = "/api/resources/v1"
# From a page on another origin: create a resource (a preflight: JSON body, Authorization),
# then read it (its ETag) and the list (the request id), as a single-page app would.
CALL_THE_API = """async ({api, list, headers}) => {
    const created = await fetch(api + list, {
        method: "POST",
        headers: {...headers, "Content-Type": "application/json"},
        body: JSON.stringify({name: "made-in-a-browser"}),
    });
    const location = created.headers.get("Location");
    const one = await fetch(new URL(location, api), {headers});
    const listed = await fetch(api + list, {headers});
    return {
        created: created.status,
        etag: one.headers.get("ETag"),
        listed: listed.status,
        requestId: listed.headers.get("X-Request-ID"),
        names: (await listed.json()).items.map((item) => item.name),
    };
}"""
READ_THE_LIST = """async ({api, list, headers}) => {
    try {
        await fetch(api + list, {headers});
        return "read";
    } catch (error) {
        return error.name;  // a TypeError: the browser withheld the answer
    }
}"""


@pytest.fixture(scope="module")
def browser() -> Iterator["Browser"]:
    with chromium() as launched:
        yield launched


@pytest.fixture(scope="module")
def origins() -> Iterator[tuple[str, str]]:
    """Two other origins serving an empty page: the first is in CORS_ORIGINS, the second not."""
    with serving(blank_page) as allowed, serving(blank_page) as other:
        yield allowed, other


@pytest.fixture(scope="module")
def served_settings(origins: tuple[str, str], served_auth: Any) -> dict[str, Any]:
    return {"CORS_ORIGINS": [origins[0]], **backend.settings(served_auth)}


@pytest.fixture
def page(browser: "Browser") -> Iterator["Page"]:
    """A page in a fresh browser context (no cookies, storage or cache from other tests)."""
    context = browser.new_context()
    yield context.new_page()
    context.close()


def test_an_allowed_origin_calls_the_api_and_reads_its_headers(
    page: "Page", served: str, origins: tuple[str, str], served_auth: Any
) -> None:
    page.goto(origins[0])
    headers, _secrets = served_auth.over_http(served)
    result = page.evaluate(CALL_THE_API, {"api": served, "list": LIST, "headers": headers})
    assert result["created"] == 201, result
    assert result["etag"], "ETag is not exposed"
    assert result["listed"] == 200
    assert len(result["requestId"]) >= 16, "X-Request-ID is not exposed"
    assert "made-in-a-browser" in result["names"]


def test_another_origin_is_blocked_by_the_browser(
    page: "Page", served: str, origins: tuple[str, str], served_auth: Any
) -> None:
    page.goto(origins[1])
    headers, _secrets = served_auth.over_http(served)
    read = page.evaluate(READ_THE_LIST, {"api": served, "list": LIST, "headers": headers})
    assert read == "TypeError"


def test_docs_log_in_and_call_a_protected_route(
    page: "Page", served: str, served_auth: Any, tmp_path: Path
) -> None:
    """Authorize, then Try it out on the list: 200, and no page logged an error (the CSP
    refused nothing /docs needs). With auth=none there is nothing to authorize."""
    errors = console_errors(page.context)
    page.goto(served + "/docs")
    backend.log_in(page, served, served_auth)
    assert try_it_out(page, LIST) == "200"
    screenshot = tmp_path / "docs.png"
    page.screenshot(path=screenshot, full_page=True)
    assert screenshot.stat().st_size > 10_000
    assert errors == []
