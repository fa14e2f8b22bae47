"""How /docs logs in with auth=none: it does not, every route is public."""

from typing import TYPE_CHECKING, Any

from auth_none import Anonymous

if TYPE_CHECKING:
    from playwright.sync_api import Page


def settings(served_auth: Anonymous) -> dict[str, Any]:
    return {}


def log_in(page: "Page", base: str, served_auth: Anonymous) -> None:
    """/docs has no Authorize dialog: every route is public."""
