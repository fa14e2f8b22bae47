"""In a real browser (headless Chromium): /docs' Authorize takes a personal access token as it
is, and Try it out then calls a protected route with it."""

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest
from flask import Flask

from browser import chromium, console_errors, try_it_out
from {{ cookiecutter.package_name }}.auth.token import accounts
from {{ cookiecutter.package_name }}.auth.token.pats import PAT_SCHEME_NAME

if TYPE_CHECKING:
    from playwright.sync_api import Browser

LIST = "/api/resources/v1"


@pytest.fixture(scope="module")
def browser() -> Iterator["Browser"]:
    with chromium() as launched:
        yield launched


def test_docs_authorize_with_a_token_then_try_it_out(
    browser: "Browser", prepared: Flask, served: str
) -> None:
    with prepared.app_context():
        alice = accounts.find_user("alice")
        assert alice is not None
        token = accounts.issue_pat(alice, "docs", ["resources:read"], 1)[1]
    context = browser.new_context()
    page = context.new_page()
    errors = console_errors(context)
    page.goto(served + "/docs")
    page.get_by_role("button", name="Authorize").first.click()
    form = page.locator(".modal-ux .auth-container").filter(has_text=PAT_SCHEME_NAME)
    form.get_by_label("auth-bearer-value").fill(token)
    form.get_by_role("button", name="Authorize").click()
    form.get_by_role("button", name="Logout").wait_for()
    page.locator(".modal-ux").get_by_role("button", name="Close").first.click()
    assert try_it_out(page, LIST) == "200"
    context.close()
    assert errors == []
