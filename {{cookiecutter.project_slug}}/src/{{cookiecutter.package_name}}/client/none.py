"""auth = none: every route is public, so there is nothing to log in to."""

import click

from .http import Credentials

COMMANDS: tuple[click.Command, ...] = ()


def stored_login(url: str) -> Credentials | None:
    """No credentials: requests go out as they are."""
    return None
