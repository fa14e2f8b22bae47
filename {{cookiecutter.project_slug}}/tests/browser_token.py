"""How /docs logs in with auth=token: the password flow."""

from typing import TYPE_CHECKING, Any

from auth_token import PASSWORD, ServedTokens

if TYPE_CHECKING:
    from playwright.sync_api import Page


def settings(served_auth: ServedTokens) -> dict[str, Any]:
    """Nothing more: /docs logs in on this API."""
    return {}


def log_in(page: "Page", base: str, served_auth: ServedTokens) -> None:
    """In /docs' Authorize dialog: alice's username and password (OAuth 2's password flow; the
    dialog's other form takes a personal access token, test_docs_pat.py)."""
    page.get_by_role("button", name="Authorize").first.click()
    dialog = page.locator(".modal-ux")
    form = dialog.locator(".auth-container").filter(has_text="bearerAuth")
    form.locator("#oauth_username").fill("alice")
    form.locator("#oauth_password").fill(PASSWORD)
    form.get_by_role("button", name="Authorize").click()
    form.get_by_role("button", name="Logout").wait_for()
    dialog.get_by_role("button", name="Close").first.click()
