"""auth = token: `users ...` for admins (scope users:admin), `tokens ...` for your personal
access tokens. Users are named by username, as `flask users` names them; the API's ids are
looked up."""

import json
import sys
from typing import Any

import click

from .http import Api, ClientError, emit

USERS = "/api/users/v1"
TOKENS = "/api/auth/v1/tokens"


def user_url(api: Api, username: str) -> str:
    """The URL of the user of that name, found by the list's username prefix."""
    page = api.call("GET", USERS, params={"username_prefix": username, "page_size": 100})[0]
    for user in page["items"]:
        if user["username"] == username:
            return f"{USERS}/{user['id']}"
    raise ClientError(f"there is no user {username!r}")


def change(api: Api, username: str, body: dict[str, Any]) -> None:
    """PATCH the user with the ETag of a GET just before: nobody's change is overwritten."""
    url = user_url(api, username)
    etag = api.call("GET", url)[1].headers.get("ETag", "")
    emit(api.call("PATCH", url, json=body, headers={"If-Match": etag})[0])


@click.group()
def users() -> None:
    """Manage users (admins: scope users:admin)."""


@users.command("list")
@click.option("--prefix", help="Only usernames that start with this.")
@click.option("--active/--disabled", default=None, help="Only active, or only disabled, users.")
@click.pass_obj
def list_users(api: Api, prefix: str | None, active: bool | None) -> None:
    """Print every user, one JSON object per line, page by page."""
    params: dict[str, Any] = {"page_size": 100}
    if prefix is not None:
        params["username_prefix"] = prefix
    if active is not None:
        params["active"] = str(active).lower()
    while True:
        page = api.call("GET", USERS, params=params)[0]
        for user in page["items"]:
            click.echo(json.dumps(user, ensure_ascii=False))
        if page["next"] is None:
            return
        params["cursor"] = page["next"]


@users.command("get")
@click.argument("username")
@click.pass_obj
def get_user(api: Api, username: str) -> None:
    """Print one user."""
    emit(api.call("GET", user_url(api, username))[0])


@users.command("create")
@click.argument("username")
@click.option("--scope", "scopes", multiple=True, help="A scope to grant; repeat for more.")
@click.option("--email", help="The user's email address.")
@click.option(
    "--password-stdin", is_flag=True, help="Read the password from standard input (one line)."
)
@click.pass_obj
def create_user(
    api: Api, username: str, scopes: tuple[str, ...], email: str | None, password_stdin: bool
) -> None:
    """Create a user who logs in with a password; prints the user."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    elif sys.stdin.isatty():
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True, err=True)
    else:
        raise click.UsageError("No terminal to ask the password on: use --password-stdin.")
    body = {"username": username, "password": password, "scopes": list(scopes), "email": email}
    emit(api.create(USERS, body))


@users.command("update")
@click.argument("username")
@click.option("--scope", "scopes", multiple=True, help="The scopes from now on; repeat for more.")
@click.option("--no-scopes", is_flag=True, help="Take every scope away.")
@click.option("--email", help="A new email address.")
@click.option("--no-email", is_flag=True, help="Remove the email address.")
@click.pass_obj
def update_user(
    api: Api,
    username: str,
    scopes: tuple[str, ...],
    no_scopes: bool,
    email: str | None,
    no_email: bool,
) -> None:
    """Change a user's scopes or email address; prints the user."""
    body: dict[str, Any] = {}
    if scopes or no_scopes:
        body["scopes"] = list(scopes)
    if email or no_email:
        body["email"] = email
    if not body or (scopes and no_scopes) or (email and no_email):
        raise click.UsageError("Give --scope or --no-scopes, --email or --no-email (not both).")
    change(api, username, body)


@users.command("disable")
@click.argument("username")
@click.pass_obj
def disable_user(api: Api, username: str) -> None:
    """Disable a user: every session and token of theirs ends."""
    change(api, username, {"active": False})


@users.command("enable")
@click.argument("username")
@click.pass_obj
def enable_user(api: Api, username: str) -> None:
    """Enable a disabled user again."""
    change(api, username, {"active": True})


@users.command("delete")
@click.argument("username")
@click.pass_obj
def delete_user(api: Api, username: str) -> None:
    """Delete a user and every token of theirs."""
    url = user_url(api, username)
    etag = api.call("GET", url)[1].headers.get("ETag", "")
    api.call("DELETE", url, headers={"If-Match": etag})


@click.group()
def tokens() -> None:
    """Manage your personal access tokens, for machines."""


@tokens.command("create")
@click.option("--name", required=True, help="What the token is for.")
@click.option("--scope", "scopes", multiple=True, help="One of your scopes; repeat for more.")
@click.option("--days", type=click.IntRange(min=1), default=30, show_default=True)
@click.pass_obj
def create_token(api: Api, name: str, scopes: tuple[str, ...], days: int) -> None:
    """Make a token and print it, with the token itself: it is shown this once."""
    body = {"name": name, "scopes": list(scopes), "expires_in_days": days}
    emit(api.call("POST", TOKENS, json=body)[0])


@tokens.command("list")
@click.pass_obj
def list_tokens(api: Api) -> None:
    """Print your live tokens (never the tokens themselves)."""
    emit(api.call("GET", TOKENS)[0])


@tokens.command("revoke")
@click.argument("token_id", metavar="ID", type=click.IntRange(min=1))
@click.pass_obj
def revoke_token(api: Api, token_id: int) -> None:
    """Revoke one of your tokens."""
    api.call("DELETE", f"{TOKENS}/{token_id}")
