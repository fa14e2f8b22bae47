"""auth = none: every route is public and every caller is anonymous."""

from typing import Any

from flask import Blueprint, Flask

from ..config import Settings
from .base import DocsLogin, Identity

SCHEME_NAME = ""
OTHER_SCHEMES: dict[str, dict[str, Any]] = {}
SETTINGS: Settings = {}
BLUEPRINTS: tuple[Blueprint, ...] = ()

ANONYMOUS = Identity(subject="", name="anonymous", scopes=frozenset())


def init_app(app: Flask) -> None:
    """Nothing to set up."""


def security_scheme(app: Flask) -> dict[str, Any]:
    """No scheme: nothing is protected."""
    return {}


def docs_login(app: Flask) -> DocsLogin:
    """/docs has nothing to log in to."""
    return DocsLogin()


def authenticate() -> Identity:
    """Everyone is the anonymous caller."""
    return ANONYMOUS
