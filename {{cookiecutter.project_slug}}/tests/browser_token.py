"""How a browser logs in with auth=token: a bearer token from /login, or /docs' password flow."""

import json
import urllib.request
from typing import TYPE_CHECKING, Any

from auth_token import LOGIN, PASSWORD, ServedTokens, bearer

if TYPE_CHECKING:
    from playwright.sync_api import Page


def settings(served_auth: ServedTokens) -> dict[str, Any]:
    """Nothing more: /docs logs in on this API."""
    return {}


def headers(base: str, served_auth: ServedTokens) -> dict[str, str]:
    """alice's Authorization, logged in over HTTP."""
    request = urllib.request.Request(
        base + LOGIN,
        data=json.dumps({"username": "alice", "password": PASSWORD}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return bearer(json.load(response)["access_token"])


def log_in(page: "Page", base: str, served_auth: ServedTokens) -> None:
    """In /docs' Authorize dialog: alice's username and password (OAuth 2's password flow)."""
    page.get_by_role("button", name="Authorize").first.click()
    dialog = page.locator(".modal-ux")
    dialog.locator("#oauth_username").fill("alice")
    dialog.locator("#oauth_password").fill(PASSWORD)
    dialog.get_by_role("button", name="Authorize").click()
    dialog.get_by_role("button", name="Logout").wait_for()
    dialog.get_by_role("button", name="Close").click()
