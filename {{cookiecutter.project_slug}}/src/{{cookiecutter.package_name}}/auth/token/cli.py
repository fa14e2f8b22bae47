"""`flask users ...` and `flask tokens ...`: manage who can log in, and stored refresh tokens.

Each user command is a call of accounts.py, which decides what the change does."""

import sys

import click
from flask.cli import AppGroup
from sqlalchemy import select

from ...extensions import db
from . import accounts, registration
from .models import User
from .passwords import generate_password
from .tokens import purge_expired

users = AppGroup("users", help="Manage the users who can log in.")
tokens = AppGroup("tokens", help="Manage the stored refresh tokens and mailed codes.")


def find_user(username: str) -> User:
    if (user := accounts.find_user(username)) is None:
        raise click.ClickException(f"There is no user {username!r}.")
    return user


def read_password(from_stdin: bool, generate: bool) -> str:
    """Take the password from stdin, a generator, or a prompt asked twice."""
    if from_stdin and generate:
        raise click.UsageError("Choose one of --password-stdin and --generate-password.")
    if generate:
        return generate_password()
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    password: str = click.prompt("Password", hide_input=True)
    if click.prompt("Repeat the password", hide_input=True) != password:
        raise click.ClickException("The passwords do not match.")
    return password


def refused(error: accounts.AccountError) -> click.ClickException:
    """The service's refusal, in one line."""
    return click.ClickException(error.message)


@users.command("create")
@click.argument("username")
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    help="A scope the user is granted, e.g. resources:read or users:admin; repeat for more.",
)
@click.option("--email", help="The user's email address.")
@click.option(
    "--password-stdin", "from_stdin", is_flag=True, help="Read the password from standard input."
)
@click.option(
    "--generate-password", "generate", is_flag=True, help="Generate a password and print it once."
)
def create_user(
    username: str, scopes: tuple[str, ...], email: str | None, from_stdin: bool, generate: bool
) -> None:
    """Create a user who can log in with a password."""
    # The name and scopes are checked before a password is asked for.
    try:
        if not accounts.USERNAME.fullmatch(username):
            raise accounts.AccountError("username", accounts.USERNAME_RULE)
        accounts.checked_scopes(scopes)
        if accounts.find_user(username) is not None:
            raise accounts.AccountError("username", f"The user {username!r} already exists.")
        password = read_password(from_stdin, generate)
        user = accounts.create_user(username, password, scopes, email)
    except accounts.AccountError as error:
        raise refused(error) from None
    click.echo(f"Created user {username} with scopes: {user.scopes or '(none)'}.")
    if generate:
        click.echo(f"Password (shown once): {password}")


@users.command("list")
def list_users() -> None:
    """List the users, their state, scopes and email address."""
    for user in db.session.scalars(select(User).order_by(User.username)):
        state = "active" if user.active else "disabled"
        click.echo(f"{user.username}\t{state}\t{user.scopes}\t{user.email or ''}")


@users.command("update")
@click.argument("username")
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    help="The user's scopes from now on, replacing theirs; repeat for more (--no-scopes: none).",
)
@click.option("--no-scopes", is_flag=True, help="Take every scope away.")
@click.option("--email", help="A new email address.")
@click.option("--no-email", is_flag=True, help="Remove the email address.")
def update_user(
    username: str, scopes: tuple[str, ...], no_scopes: bool, email: str | None, no_email: bool
) -> None:
    """Change a user's scopes or email address (promote an admin: --scope users:admin ...)."""
    if (scopes and no_scopes) or (email and no_email):
        raise click.UsageError("Give a value or its --no- option, not both.")
    if not (scopes or no_scopes or email or no_email):
        raise click.UsageError(
            "Nothing to change: give --scope, --no-scopes, --email or --no-email."
        )
    try:
        user = accounts.update_user(
            find_user(username),
            scopes=scopes if scopes or no_scopes else None,
            email=email if email else None if no_email else ...,
        )
    except accounts.AccountError as error:
        raise refused(error) from None
    scopes_now, email_now = user.scopes or "(none)", user.email or "(none)"
    click.echo(f"Updated user {username}: scopes {scopes_now}, email {email_now}.")


@users.command("disable")
@click.argument("username")
def disable_user(username: str) -> None:
    """Disable a user: logins are refused and every token already issued stops working."""
    try:
        accounts.update_user(find_user(username), active=False)
    except accounts.AccountError as error:
        raise refused(error) from None
    click.echo(f"Disabled user {username}.")


@users.command("enable")
@click.argument("username")
def enable_user(username: str) -> None:
    """Enable a disabled user again (tokens revoked on disabling stay revoked)."""
    accounts.update_user(find_user(username), active=True)
    click.echo(f"Enabled user {username}.")


@users.command("delete")
@click.argument("username")
@click.confirmation_option(prompt="Delete the user and every token of theirs?")
def delete_user(username: str) -> None:
    """Delete a user and every token of theirs (never the last active admin)."""
    try:
        accounts.delete_user(find_user(username))
    except accounts.AccountError as error:
        raise refused(error) from None
    click.echo(f"Deleted user {username}.")


@tokens.command("purge")
def purge_tokens() -> None:
    """Delete the refresh tokens, sign-ups and invitations that have expired."""
    count, registrations = purge_expired(), registration.purge_expired()
    db.session.commit()
    click.echo(
        f"Deleted {count} expired refresh token(s) and {registrations} sign-up(s) or invitation(s)."
    )
