"""Settings, lowest precedence first: defaults, instance/config.toml, APP_CONFIG_FILE,
the environment (and .env), then the mapping given to create_app.
"""

import json
import os
import tomllib
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

from environs import Env, EnvValidationError
from flask import Flask
from marshmallow.validate import OneOf, Range

RELAXED_ENVIRONMENTS = frozenset({"development", "testing"})
PLACEHOLDER_SECRETS = frozenset({"", "change-me"})

# A count, a lifetime or a timeout where zero means nothing useful (a JWT lifetime of zero would
# mean "never expires" to flask-jwt-extended), and a duration where zero turns something off.
POSITIVE = Range(min=1)
NON_NEGATIVE = Range(min=0)


class Setting(NamedTuple):
    """How environs reads one variable from the environment, and its value when nothing sets it."""

    parser: str  # an Env method: "str", "int", "float", "bool" or "list" (comma-separated)
    default: Any
    validate: Callable[[Any], Any] | None = None


Settings = Mapping[str, Setting]

# Every variable read from the environment (see .env.example).
SETTINGS: Settings = {
    "APP_ENV": Setting("str", "production"),
    "SECRET_KEY": Setting("str", ""),
    "DATABASE_URL": Setting("str", ""),
    "DATABASE_TIMEOUT_SECONDS": Setting("int", 5),
    "MAX_CONTENT_LENGTH": Setting("int", 1024 * 1024),
    "PROXY_FIX_COUNT": Setting("int", 0),
    # https: a TLS proxy fronts the app, so every answer carries HSTS (middleware.Envelope).
    "PREFERRED_URL_SCHEME": Setting("str", "http", OneOf(["http", "https"])),
    "APP_VERSION": Setting("str", ""),
    "LOG_LEVEL": Setting("str", "INFO"),
    "LOG_FORMAT": Setting("str", ""),  # text or json; unset: json in production, text elsewhere
    "METRICS_TOKEN": Setting("str", ""),
    "SENTRY_DSN": Setting("str", ""),
    "SQLALCHEMY_ECHO": Setting("bool", False),
}


# Where each database the template offers is found when DATABASE_URL is unset ({instance}: the
# instance folder); this project was generated for DATABASE.
DATABASE = "{{ cookiecutter.database }}"
DEFAULT_DATABASE_URLS = {
    "sqlite": "sqlite:///{instance}/{{ cookiecutter.package_name }}.sqlite3",
    "postgresql": "postgresql+psycopg://postgres@127.0.0.1:5432/{{ cookiecutter.package_name }}",
    "mysql": "mysql+pymysql://root@127.0.0.1:3306/{{ cookiecutter.package_name }}?charset=utf8mb4",
}


def default_database_url(instance_path: str) -> str:
    """Return the database this project was generated for, used when DATABASE_URL is unset."""
    return DEFAULT_DATABASE_URLS[DATABASE].format(instance=instance_path)


def engine_options(url: str, timeout: int) -> dict[str, Any]:
    """Bound every connection attempt so /readyz answers within the timeout."""
    backend = url.split(":", 1)[0].split("+", 1)[0]
    if backend == "postgresql":
        return {"pool_pre_ping": True, "connect_args": {"connect_timeout": timeout}}
    if backend in {"mysql", "mariadb"}:
        # MySQL drops idle connections after wait_timeout; recycle before that. READ COMMITTED,
        # as on PostgreSQL: InnoDB's default (REPEATABLE READ) takes gap locks, with which two
        # refreshes of one token deadlock (the loser waits on a gap the winner inserts into).
        return {
            "pool_pre_ping": True,
            "pool_recycle": 3600,
            "isolation_level": "READ COMMITTED",
            "connect_args": {"connect_timeout": timeout},
        }
    return {}


def from_environment(settings: Settings, config: Mapping[str, Any]) -> dict[str, Any]:
    """Each setting from the environment where it is set (an empty value of a number or a
    boolean counts as unset), else its value in config. Every malformed variable is named at
    once, in one line."""
    env = Env(eager=False)
    values = {}
    for name, setting in settings.items():
        current = config[name]
        if setting.parser != "str" and not os.environ.get(name, "").strip():
            values[name] = current
            continue
        read = getattr(env, setting.parser)
        values[name] = read(name, current, validate=setting.validate)
    try:
        env.seal()
    except EnvValidationError as error:  # the CLI prints a RuntimeError as one line
        raise RuntimeError(str(error)) from None
    return values


def read_file(app: Flask, path: str, silent: bool = False) -> None:
    """Load a TOML or JSON settings file (only upper-case keys are settings, as in Flask); a
    relative path is taken from the working directory."""
    load = tomllib.load if path.endswith(".toml") else json.load
    app.config.from_file(os.path.abspath(path), load=load, silent=silent, text=False)


def configure(app: Flask, overrides: Mapping[str, Any], extra: Settings | None = None) -> None:
    """Fill app.config from every source, lowest precedence first, then check it.

    extra holds the settings of an optional part (the auth backend), read like the core ones.
    """
    settings = {**SETTINGS, **(extra or {})}
    app.config.update({name: setting.default for name, setting in settings.items()})
    read_file(app, os.path.join(app.instance_path, "config.toml"), silent=True)
    if config_file := os.environ.get("APP_CONFIG_FILE"):
        read_file(app, config_file)
    app.config.update(from_environment(settings, app.config))
    app.config.update(overrides)

    if app.config["APP_ENV"] in RELAXED_ENVIRONMENTS and not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = "development-only-secret-key"
    check_secret_key(app.config["APP_ENV"], app.config["SECRET_KEY"])

    if not app.config["LOG_FORMAT"]:
        relaxed = app.config["APP_ENV"] in RELAXED_ENVIRONMENTS
        app.config["LOG_FORMAT"] = "text" if relaxed else "json"
    if app.config["LOG_FORMAT"] not in {"text", "json"}:
        raise RuntimeError(f"LOG_FORMAT: {app.config['LOG_FORMAT']!r} is not text or json")

    url = app.config["DATABASE_URL"] or default_database_url(app.instance_path)
    app.config["SQLALCHEMY_DATABASE_URI"] = url
    app.config.setdefault(
        "SQLALCHEMY_ENGINE_OPTIONS", engine_options(url, app.config["DATABASE_TIMEOUT_SECONDS"])
    )
    app.config.setdefault("OPENAPI_VERSION", "3.0.3")
    app.config.setdefault("OPENAPI_URL_PREFIX", "/")
    app.config.setdefault("OPENAPI_JSON_PATH", "openapi.json")


def check_secret_key(environment: str, secret_key: str) -> None:
    """Refuse to start outside development/testing with a missing or placeholder SECRET_KEY."""
    if environment in RELAXED_ENVIRONMENTS:
        return
    if secret_key.strip() in PLACEHOLDER_SECRETS or secret_key.startswith("change-me"):
        raise RuntimeError(
            f"SECRET_KEY is missing or a placeholder (APP_ENV={environment}); set it in the "
            "environment or .env, e.g. python -c 'import secrets; print(secrets.token_urlsafe(48))'"
        )
