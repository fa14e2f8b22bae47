"""accounts.py: what an account change does, whoever asks for it (the CLI, the API)."""

import threading
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from {{ cookiecutter.package_name }}.auth.token import accounts
from {{ cookiecutter.package_name }}.auth.token.accounts import ADMIN_SCOPE, AccountError
from {{ cookiecutter.package_name }}.auth.token.models import User
from {{ cookiecutter.package_name }}.extensions import db

from auth_token import PASSWORD, AuthActions


def make(username: str, scopes: tuple[str, ...] = (), email: str | None = None) -> User:
    return accounts.create_user(username, PASSWORD, scopes, email)


def refusal(change: Any, *args: Any, **kwargs: Any) -> AccountError:
    with pytest.raises(AccountError) as refused:
        change(*args, **kwargs)
    return refused.value


def test_a_user_is_created_with_an_address_and_logs_in(app: Flask, auth: AuthActions) -> None:
    with app.app_context():
        user = make("dana", ("resources:read",), "Dana@Example.org")
        assert (user.email, user.email_key, user.scopes) == (
            "Dana@Example.org",
            "dana@example.org",
            "resources:read",
        )
    assert auth.login("dana").status_code == 200


@pytest.mark.parametrize(
    ("username", "password", "scopes", "email", "field"),
    [
        ("no spaces", PASSWORD, (), None, "username"),
        ("dana", "short", (), None, "password"),
        ("dana", PASSWORD, ('a"b',), None, "scopes"),
        ("dana", PASSWORD, (), "not-an-address", "email"),
        ("dana", PASSWORD, (), "a@" + "b" * 250 + ".org", "email"),
    ],
    ids=["username", "weak-password", "scope", "email", "long-email"],
)
def test_bad_input_is_refused_naming_its_field(
    app: Flask, username: str, password: str, scopes: tuple[str, ...], email: str, field: str
) -> None:
    with app.app_context():
        error = refusal(accounts.create_user, username, password, scopes, email)
        assert (error.field, error.conflict) == (field, False)
        assert db.session.scalar(select(User.id)) is None


def test_names_and_addresses_are_unique_whatever_their_case(app: Flask) -> None:
    """The database's constraints decide, so two workers creating at once cannot both win."""
    with app.app_context():
        make("dana", email="dana@example.org")
        taken = refusal(make, "dana")
        assert (taken.field, taken.conflict) == ("username", True)
        same_address = refusal(make, "erin", email="DANA@example.ORG")
        assert (same_address.field, same_address.conflict) == ("email", True)
        erin = make("erin")
        moved = refusal(accounts.update_user, erin, email="Dana@Example.org")
        assert moved.field == "email"
        assert db.session.scalars(select(User.username).order_by(User.id)).all() == [
            "dana",
            "erin",
        ]


def test_the_last_active_admin_stays(app: Flask) -> None:
    """Disabling, deleting or demoting the only active admin is refused; with a second, not."""
    with app.app_context():
        alice = make("alice", (ADMIN_SCOPE,))
        for change, kwargs, field in [
            (accounts.update_user, {"active": False}, "active"),
            (accounts.update_user, {"scopes": ["resources:read"]}, "scopes"),
            (accounts.delete_user, {}, "username"),
        ]:
            error = refusal(change, alice, **kwargs)
            assert (error.field, error.conflict) == (field, True)
            assert "last active user with users:admin" in error.message
        stored = db.session.get(User, alice.id)
        assert stored is not None and stored.active and stored.scopes == ADMIN_SCOPE
        make("bob", (ADMIN_SCOPE,))
        accounts.update_user(alice, active=False)
        stored = db.session.get(User, alice.id)
        assert stored is not None and not stored.active


def test_two_admins_disabled_at_once_leave_one(app: Flask) -> None:
    """Each request checks another admin remains; locked rows make the second see the first."""
    with app.app_context():
        ids = [make(name, (ADMIN_SCOPE,)).id for name in ("alice", "bob")]
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def disable(user_id: int) -> None:
        with app.app_context():
            user = db.session.get(User, user_id)
            assert user is not None
            start.wait()
            try:
                accounts.update_user(user, active=False)
                outcomes.append("disabled")
            except AccountError as error:
                outcomes.append("refused" if error.conflict else repr(error))

    threads = [threading.Thread(target=disable, args=(user_id,)) for user_id in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["disabled", "refused"]
    with app.app_context():
        assert len(db.session.scalars(select(User).where(User.active)).all()) == 1


def test_disabling_ends_every_session_and_deleting_removes_the_tokens(
    app: Flask, auth: AuthActions
) -> None:
    with app.app_context():
        make("dana")
    tokens = auth.tokens("dana")
    me = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert auth.client.get("/api/auth/v1/me", headers=me).status_code == 200
    with app.app_context():
        dana = accounts.find_user("dana")
        assert dana is not None
        accounts.update_user(dana, active=False)
    assert auth.client.get("/api/auth/v1/me", headers=me).status_code == 401
    assert auth.login("dana").status_code == 401
    with app.app_context():
        dana = accounts.find_user("dana")
        assert dana is not None
        accounts.delete_user(dana)
        assert accounts.find_user("dana") is None
    refresh = {"Authorization": f"Bearer {tokens['refresh_token']}"}
    assert auth.client.post("/api/auth/v1/refresh", headers=refresh).status_code == 401
