"""`flask users ...` and `flask tokens ...`: manage who can log in, and stored refresh tokens."""

import re
import sys

import click
from flask.cli import AppGroup
from sqlalchemy import select

from ...extensions import db
from .models import User
from .passwords import check_new_password, generate_password, hash_password
from .tokens import purge_expired, revoke_user

users = AppGroup("users", help="Manage the users who can log in.")
tokens = AppGroup("tokens", help="Manage the stored refresh tokens.")

USERNAME = re.compile(r"[A-Za-z0-9._@+-]{1,150}")
# An OAuth 2 scope token (RFC 6749, section 3.3): printable ASCII but space, " and \.
SCOPE = re.compile(r"[!#-\[\]-~]+")


def find_user(username: str) -> User:
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
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


@users.command("create")
@click.argument("username")
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    help="A scope the user is granted, e.g. resources:read; repeat for more.",
)
@click.option(
    "--password-stdin", "from_stdin", is_flag=True, help="Read the password from standard input."
)
@click.option(
    "--generate-password", "generate", is_flag=True, help="Generate a password and print it once."
)
def create_user(username: str, scopes: tuple[str, ...], from_stdin: bool, generate: bool) -> None:
    """Create a user who can log in with a password."""
    if not USERNAME.fullmatch(username):
        raise click.ClickException(
            "A username is 1 to 150 letters, digits and . _ @ + - characters."
        )
    if bad := [scope for scope in scopes if not SCOPE.fullmatch(scope)]:
        raise click.ClickException(f"Not a scope: {bad[0]!r} (no spaces, quotes or backslashes).")
    if db.session.scalar(select(User.id).where(User.username == username)) is not None:
        raise click.ClickException(f"The user {username!r} already exists.")
    password = read_password(from_stdin, generate)
    if problem := check_new_password(password):
        raise click.ClickException(problem)
    granted = " ".join(sorted(set(scopes)))
    db.session.add(User(username=username, password_hash=hash_password(password), scopes=granted))
    db.session.commit()
    click.echo(f"Created user {username} with scopes: {granted or '(none)'}.")
    if generate:
        click.echo(f"Password (shown once): {password}")


@users.command("list")
def list_users() -> None:
    """List the users, their state and their scopes."""
    for user in db.session.scalars(select(User).order_by(User.username)):
        state = "active" if user.active else "disabled"
        click.echo(f"{user.username}\t{state}\t{user.scopes}")


@users.command("disable")
@click.argument("username")
def disable_user(username: str) -> None:
    """Disable a user: logins are refused and every token already issued stops working."""
    user = find_user(username)
    user.active = False
    revoke_user(user)
    db.session.commit()
    click.echo(f"Disabled user {username}.")


@users.command("enable")
@click.argument("username")
def enable_user(username: str) -> None:
    """Enable a disabled user again (tokens revoked on disabling stay revoked)."""
    find_user(username).active = True
    db.session.commit()
    click.echo(f"Enabled user {username}.")


@tokens.command("purge")
def purge_tokens() -> None:
    """Delete the refresh tokens that have expired."""
    count = purge_expired()
    db.session.commit()
    click.echo(f"Deleted {count} expired refresh token(s).")
