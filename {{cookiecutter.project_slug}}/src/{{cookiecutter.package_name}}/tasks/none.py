"""tasks=none: no background jobs, so nothing to read or set up."""

from flask import Flask

from ..config import Settings

SETTINGS: Settings = {}


def init_app(app: Flask) -> None:
    """Nothing to set up."""
