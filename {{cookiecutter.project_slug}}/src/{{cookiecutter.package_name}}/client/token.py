"""auth = token: log in with a password; the API issues an access and a refresh token."""

import sys

import click

from . import credentials
from .credentials import StoredLogin, Tokens
from .http import Api, ClientError, Credentials, emit, json_body, problem_line

AUTH = "/api/auth/v1"


class TokenLogin(StoredLogin):
    """Refresh at the API: the refresh token, as bearer, buys a new pair (it is used up)."""

    def renew(self, api: Api, tokens: Tokens) -> Tokens | None:
        bearer = {"Authorization": f"Bearer {tokens['refresh_token']}"}
        response = api.send("POST", f"{AUTH}/refresh", headers=bearer)
        if response.status_code != 200:
            return None
        renewed: Tokens = json_body(response)
        return renewed


def stored_login(url: str) -> Credentials:
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


COMMANDS = (login, logout, whoami)
