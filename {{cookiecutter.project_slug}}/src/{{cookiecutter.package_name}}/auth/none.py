"""auth = none: every route is public and every caller is anonymous."""

from typing import Any

from flask import Blueprint, Flask

from ..config import Settings
from .base import Identity

SCHEME_NAME = ""
SETTINGS: Settings = {}
BLUEPRINTS: tuple[Blueprint, ...] = ()

ANONYMOUS = Identity(subject="", name="anonymous", scopes=frozenset())


def init_app(app: Flask) -> None:
    """Nothing to set up."""


def security_scheme(app: Flask) -> dict[str, Any]:
    """No scheme: nothing is protected."""
    return {}


def authenticate() -> Identity:
    """Everyone is the anonymous caller."""
    return ANONYMOUS
