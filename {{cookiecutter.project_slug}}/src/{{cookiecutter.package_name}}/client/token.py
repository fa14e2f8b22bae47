"""auth = token: log in with a password; the API issues an access and a refresh token. Or,
for a machine, a personal access token in TOKEN_VARIABLE, sent as it is: no login."""

import os
import sys

import click

from . import credentials
from .accounts import tokens, users
from .credentials import StoredLogin, Tokens
from .http import Api, ClientError, Credentials, emit, json_body, problem_line

AUTH = "/api/auth/v1"
TOKEN_VARIABLE = "{{ cookiecutter.project_slug | upper | replace('-', '_') }}_TOKEN"


class TokenLogin(StoredLogin):
    """Refresh at the API: the refresh token, as bearer, buys a new pair (it is used up)."""

    def renew(self, api: Api, tokens: Tokens) -> Tokens | None:
        bearer = {"Authorization": f"Bearer {tokens['refresh_token']}"}
        response = api.send("POST", f"{AUTH}/refresh", headers=bearer)
        if response.status_code != 200:
            return None
        renewed: Tokens = json_body(response)
        return renewed


class EnvironmentToken:
    """A personal access token from the environment: sent as it is, never stored or renewed."""

    def __init__(self, token: str) -> None:
        self.token = token

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def refresh(self, api: Api) -> bool:
        return False


def stored_login(url: str) -> Credentials:
    """TOKEN_VARIABLE's token where it is set, else the stored login of url."""
    if token := os.environ.get(TOKEN_VARIABLE, "").strip():
        return EnvironmentToken(token)
    return TokenLogin(url)


@click.command()
@click.option("--username", required=True, help="Your user name.")
@click.option(
    "--password-stdin", is_flag=True, help="Read the password from standard input (one line)."
)
@click.pass_obj
def login(api: Api, username: str, password_stdin: bool) -> None:
    """Log in and keep the tokens for the next commands; prints who you are."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    elif sys.stdin.isatty():
        password = click.prompt("Password", hide_input=True, err=True)
    else:
        raise click.UsageError("No terminal to ask the password on: use --password-stdin.")
    body = {"username": username, "password": password}
    api.credentials = None  # an earlier login's token is not sent, nor refreshed, on a new login
    tokens, _ = api.call("POST", f"{AUTH}/login", json=body)
    credentials.save({"url": api.url, **tokens})
    api.credentials = TokenLogin(api.url)
    emit(api.call("GET", f"{AUTH}/me")[0])


@click.command()
@click.pass_obj
def logout(api: Api) -> None:
    """Revoke the login on the server and forget it here."""
    if api.credentials is None or not api.credentials.headers():
        credentials.delete()
        return
    try:
        response = api.send("POST", f"{AUTH}/logout", headers=api.credentials.headers())
        if response.status_code == 401 and api.credentials.refresh(api):
            response = api.send("POST", f"{AUTH}/logout", headers=api.credentials.headers())
    finally:
        credentials.delete()
    if response.status_code not in (204, 401):  # 401: the login had ended already
        raise ClientError(problem_line(response))


@click.command()
@click.pass_obj
def whoami(api: Api) -> None:
    """Print the user the stored token belongs to and its scopes."""
    emit(api.call("GET", f"{AUTH}/me")[0])


COMMANDS = (login, logout, whoami, users, tokens)
