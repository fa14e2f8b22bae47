"""Password rules and hashing, and the token backend's settings."""

from collections.abc import Callable

import pytest
from argon2 import PasswordHasher
from flask import Flask
from marshmallow import ValidationError
from sqlalchemy import select

from {{ cookiecutter.package_name }}.auth.token.models import User
from {{ cookiecutter.package_name }}.auth.token.passwords import (
    check_classes,
    class_names,
    hash_password,
    password_problem,
    verify_password,
)
from {{ cookiecutter.package_name }}.extensions import db

from auth_token import AuthActions

MakeApp = Callable[..., Flask]
DEFAULT = "lower,upper,digit"


@pytest.mark.parametrize(
    ("password", "classes", "problem"),
    [
        ("Abcdefghijk1", DEFAULT, None),
        ("Abcdefghij1", DEFAULT, "The password must be at least 12 characters long."),
        ("abcdefghijk1", DEFAULT, "The password must contain an upper-case letter."),
        ("ABCDEFGHIJK1", DEFAULT, "The password must contain a lower-case letter."),
        ("Abcdefghijkl", DEFAULT, "The password must contain a digit."),
        (
            "............",
            DEFAULT,
            "The password must contain a lower-case letter, an upper-case letter and a digit.",
        ),
        ("Abcdefghijk1", "lower,upper,digit,symbol", "The password must contain a symbol."),
        ("Abcdefghij1!", "lower,upper,digit,symbol", None),
        ("aaaaaaaaaaaa", "", None),
        ("Ünïcödé-Pässwört-9", DEFAULT, None),
    ],
)
def test_password_rules(password: str, classes: str, problem: str | None) -> None:
    assert password_problem(password, 12, classes) == problem


def test_required_classes_are_checked_when_read() -> None:
    assert class_names(" Lower, digit ,") == ["lower", "digit"]
    check_classes(" Lower, digit ,")
    with pytest.raises(ValidationError, match="unknown emoji"):
        check_classes("lower,emoji")


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("JWT_ACCESS_TOKEN_MINUTES", "0"),
        ("JWT_REFRESH_TOKEN_DAYS", "-1"),
        ("PASSWORD_MIN_LENGTH", "twelve"),
        ("PASSWORD_REQUIRED_CLASSES", "lower,kanji"),
        ("LOGIN_RATE_LIMIT", "often"),
        ("JWT_ISSUER", " "),
        ("ARGON2_MEMORY_COST", "16"),
        ("REFRESH_GRACE_SECONDS", "-1"),
    ],
)
def test_a_malformed_setting_stops_start_up_with_its_name(
    make_app: MakeApp, monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(RuntimeError, match=name):
        make_app()


def test_a_grace_window_of_0_is_off_not_malformed(
    make_app: MakeApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REFRESH_GRACE_SECONDS", "0")
    assert make_app().config["REFRESH_GRACE_SECONDS"] == 0


def test_lifetimes_come_from_the_settings(make_app: MakeApp) -> None:
    app = make_app(JWT_ACCESS_TOKEN_MINUTES=5, JWT_REFRESH_TOKEN_DAYS=2)
    assert app.config["JWT_ACCESS_TOKEN_EXPIRES"].total_seconds() == 5 * 60
    assert app.config["JWT_REFRESH_TOKEN_EXPIRES"].days == 2


def test_production_refuses_a_short_signing_key(make_app: MakeApp) -> None:
    """A real SECRET_KEY too short for HS256 (32 bytes) is refused, unless JWT_SECRET_KEY is set."""
    with pytest.raises(RuntimeError, match="JWT_SECRET_KEY"):
        make_app(APP_ENV="production", SECRET_KEY="short-but-not-a-placeholder")
    with pytest.raises(RuntimeError, match="JWT_SECRET_KEY"):
        make_app(APP_ENV="production", SECRET_KEY="x" * 40, JWT_SECRET_KEY="change-me" * 4)
    app = make_app(
        APP_ENV="production", SECRET_KEY="short-but-not-a-placeholder", JWT_SECRET_KEY="k" * 32
    )
    assert app.config["JWT_SECRET_KEY"] == "k" * 32


def test_hashes_are_argon2id_and_verify(app: Flask) -> None:
    with app.app_context():
        hashed = hash_password("Correct-Horse-7")
        assert hashed.startswith("$argon2id$")
        assert verify_password(hashed, "Correct-Horse-7")
        assert not verify_password(hashed, "Correct-Horse-8")
        assert not verify_password("not-a-hash", "Correct-Horse-7")
        assert not verify_password(None, "Correct-Horse-7")


def test_an_unknown_user_costs_a_hash_check_too(
    auth: AuthActions, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Refusing an unknown user runs argon2 like a wrong password, so timing tells nothing."""
    auth.create_user()
    checked: list[str] = []
    verify = PasswordHasher.verify

    def counting(self: PasswordHasher, hash: str | bytes, password: str | bytes) -> bool:
        checked.append(str(hash))
        return verify(self, hash, password)

    monkeypatch.setattr(PasswordHasher, "verify", counting)
    assert auth.login("alice", "wrong").status_code == 401
    assert auth.login("mallory", "wrong").status_code == 401
    assert len(checked) == 2
    assert all(hashed.startswith("$argon2id$") for hashed in checked)


def test_a_login_rehashes_a_password_hashed_with_other_parameters(
    auth: AuthActions, make_app: MakeApp, app: Flask
) -> None:
    auth.create_user()
    stronger = make_app(ARGON2_TIME_COST=2)
    assert AuthActions(stronger, stronger.test_client()).login().status_code == 200
    with app.app_context():
        assert ",t=2," in db.session.scalars(select(User.password_hash)).one()
