"""The login kept between commands: $XDG_CONFIG_HOME/{{ cookiecutter.project_slug }}/credentials.json, mode 0600.

A JSON object: access_token, refresh_token (when there is one), the API url it belongs to, and
what the backend needs to refresh. It is never printed, and it is sent to no other API url.
"""

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import platformdirs

from .http import Api

APP_NAME = "{{ cookiecutter.project_slug }}"
Tokens = dict[str, Any]


def path() -> Path:
    """Where the login lives: the user's configuration folder, never the working directory."""
    return platformdirs.user_config_path(APP_NAME) / "credentials.json"


def load(url: str) -> Tokens | None:
    """The stored login for the API at url, or None (none, another url's, or unreadable)."""
    try:
        stored = json.loads(path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(stored, dict) or stored.get("url") != url or "access_token" not in stored:
        return None
    return stored


def save(tokens: Tokens) -> None:
    """Replace the stored login at once: written to a private file first, then renamed."""
    folder = path().parent
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=folder, prefix=".credentials-")  # mode 0600
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        json.dump(tokens, handle)
    os.replace(temporary, path())


def delete() -> bool:
    """Forget the login; False if there was none."""
    try:
        path().unlink()
    except FileNotFoundError:
        return False
    return True


class StoredLogin:
    """The login of one API url, sent as a bearer token and refreshed once on a 401."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.tokens = load(url)

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens['access_token']}"} if self.tokens else {}

    def refresh(self, api: Api) -> bool:
        if self.tokens is None:
            return False
        latest = load(self.url)
        if latest and latest["access_token"] != self.tokens["access_token"]:
            self.tokens = latest  # another command refreshed meanwhile: its token is the one
            return True
        if not self.tokens.get("refresh_token"):
            return False
        renewed = self.renew(api, self.tokens)
        if renewed is None:
            return False
        self.tokens = {**self.tokens, **renewed}
        save(self.tokens)
        return True

    def renew(self, api: Api, tokens: Tokens) -> Tokens | None:
        """New tokens for the refresh token (the backend's way), or None if it is refused."""
        raise NotImplementedError
