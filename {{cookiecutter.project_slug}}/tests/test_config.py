"""Configuration sources, their precedence, and the SECRET_KEY guard."""

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask

from {{ cookiecutter.package_name }}.config import check_secret_key

MakeApp = Callable[..., Flask]


def test_environment_variables_are_parsed_by_type(
    make_app: MakeApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MAX_CONTENT_LENGTH", "2048")
    monkeypatch.setenv("SQLALCHEMY_ECHO", "yes")
    app = make_app()
    assert app.config["MAX_CONTENT_LENGTH"] == 2048
    assert app.config["SQLALCHEMY_ECHO"] is True


def test_every_malformed_variable_is_named_at_once(
    make_app: MakeApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MAX_CONTENT_LENGTH", "lots")
    monkeypatch.setenv("SQLALCHEMY_ECHO", "maybe")
    with pytest.raises(RuntimeError) as refused:
        make_app()
    assert "'MAX_CONTENT_LENGTH': ['Not a valid integer.']" in str(refused.value)
    assert "'SQLALCHEMY_ECHO': ['Not a valid boolean.']" in str(refused.value)


@pytest.mark.parametrize(("text", "value"), [("1", True), ("On", True), ("0", False), ("", False)])
def test_booleans(
    make_app: MakeApp, monkeypatch: pytest.MonkeyPatch, text: str, value: bool
) -> None:
    """The usual spellings; an empty value, as a blanked line in .env, leaves the default."""
    monkeypatch.setenv("SQLALCHEMY_ECHO", text)
    assert make_app().config["SQLALCHEMY_ECHO"] is value


def test_dotenv_in_the_working_directory_is_read(
    make_app: MakeApp, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """.env is read from the working directory, as the server command and flask do; a variable
    already set wins over its line."""
    (tmp_path / ".env").write_text("PROXY_FIX_COUNT=3\nMAX_CONTENT_LENGTH=7\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MAX_CONTENT_LENGTH", "9")
    assert "PROXY_FIX_COUNT" not in os.environ
    try:
        app = make_app()
    finally:
        os.environ.pop("PROXY_FIX_COUNT", None)  # .env set it in this process
    assert (app.config["PROXY_FIX_COUNT"], app.config["MAX_CONTENT_LENGTH"]) == (3, 9)


@pytest.mark.parametrize("secret", ["", "change-me", "change-me-please", "  "])
def test_production_refuses_a_placeholder_secret(secret: str) -> None:
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        check_secret_key("production", secret)


@pytest.mark.parametrize("environment", ["development", "testing"])
def test_development_and_testing_accept_any_secret(environment: str) -> None:
    check_secret_key(environment, "")


def test_sources_apply_in_order(
    make_app: MakeApp, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """instance/config.toml < APP_CONFIG_FILE < environment < create_app(config)."""
    (tmp_path / "config.toml").write_text('PROXY_FIX_COUNT = 1\nLOG_LEVEL = "DEBUG"\n')
    config_file = tmp_path / "settings.json"
    config_file.write_text(json.dumps({"PROXY_FIX_COUNT": 2, "MAX_CONTENT_LENGTH": 10}))
    monkeypatch.setenv("APP_CONFIG_FILE", str(config_file))
    monkeypatch.setenv("MAX_CONTENT_LENGTH", "20")
    app = make_app(DATABASE_TIMEOUT_SECONDS=3)
    assert app.config["LOG_LEVEL"] == "DEBUG"
    assert app.config["PROXY_FIX_COUNT"] == 2
    assert app.config["MAX_CONTENT_LENGTH"] == 20
    assert app.config["DATABASE_TIMEOUT_SECONDS"] == 3


def test_a_toml_config_file_is_read(
    make_app: MakeApp, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config_file = tmp_path / "settings.toml"
    config_file.write_text("MAX_CONTENT_LENGTH = 99\nlowercase_is_ignored = 1\n")
    monkeypatch.setenv("APP_CONFIG_FILE", str(config_file))
    app = make_app()
    assert app.config["MAX_CONTENT_LENGTH"] == 99
    assert "lowercase_is_ignored" not in app.config


def test_the_database_url_comes_from_the_environment(
    make_app: MakeApp, monkeypatch: pytest.MonkeyPatch, migrated: str
) -> None:
    """DATABASE_URL in the environment is used when create_app is not given one."""
    monkeypatch.setenv("DATABASE_URL", migrated)
    from {{ cookiecutter.package_name }} import create_app

    app = create_app({"APP_ENV": "testing", "INSTANCE_PATH": "/tmp/unused"})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == migrated


def test_production_app_refuses_a_placeholder(make_app: MakeApp) -> None:
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        make_app(APP_ENV="production", SECRET_KEY="change-me")


def test_the_instance_folder_is_created(make_app: MakeApp, tmp_path: Path) -> None:
    """A fresh checkout can run `flask db upgrade` at once: the folder of its SQLite file exists."""
    folder = tmp_path / "fresh" / "instance"
    make_app(INSTANCE_PATH=str(folder))
    assert folder.is_dir()
