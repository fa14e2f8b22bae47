"""How /docs logs in with auth=oidc: the authorization code flow with PKCE, through the test
provider's login page."""

from typing import TYPE_CHECKING, Any

from oidc_provider.code_flow import USERS

from auth_oidc import ServedOIDC

if TYPE_CHECKING:
    from playwright.sync_api import Page


def settings(served_auth: ServedOIDC) -> dict[str, Any]:
    """/docs logs in as the provider's public client for browsers."""
    return {"OIDC_DOCS_CLIENT_ID": served_auth.auth.provider.docs_client.client_id}


def log_in(page: "Page", base: str, served_auth: ServedOIDC) -> None:
    """In /docs' Authorize dialog: the code flow, alice signing in on the provider's page in the
    popup Swagger UI opens, which comes back to /docs/oauth2-redirect (registered here)."""
    served_auth.auth.provider.docs_client.redirect_uris.add(base + "/docs/oauth2-redirect")
    page.get_by_role("button", name="Authorize").first.click()
    flow = page.locator(".auth-container").filter(has_text="authorization_code with PKCE")
    flow.get_by_text("select all").click()
    with page.expect_popup() as opened:
        flow.get_by_role("button", name="Authorize").click()
    popup = opened.value
    popup.get_by_label("Username").fill("alice")
    popup.get_by_label("Password").fill(USERS["alice"])
    with popup.expect_event("close"):
        popup.get_by_role("button", name="Sign in").click()
    flow.get_by_role("button", name="Logout").wait_for()
    flow.get_by_role("button", name="Close").click()
