"""Settings, lowest precedence first: defaults, instance/config.toml, APP_CONFIG_FILE,
the environment (and .env), then the mapping given to create_app.
"""

import json
import os
import tomllib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from flask import Flask

RELAXED_ENVIRONMENTS = frozenset({"development", "testing"})
PLACEHOLDER_SECRETS = frozenset({"", "change-me"})


def parse_bool(value: str) -> bool:
    """Read the usual spellings of a boolean from the environment."""
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError(f"not a boolean: {value!r}")


def positive_int(value: str) -> int:
    """Read a count, a lifetime or a timeout: none has a useful zero (a JWT lifetime of zero
    would mean "never expires" to flask-jwt-extended)."""
    number = int(value)
    if number < 1:
        raise ValueError(f"must be at least 1, not {number}")
    return number


def non_negative_int(value: str) -> int:
    """Read a duration where zero turns something off (a cache's lifetime)."""
    number = int(value)
    if number < 0:
        raise ValueError(f"must be 0 or more, not {number}")
    return number


# A variable's name, mapped to its parser and its default.
Settings = Mapping[str, tuple[Callable[[str], Any], Any]]

# Every variable read from the environment, with its parser and default (see .env.example).
SETTINGS: Settings = {
    "APP_ENV": (str, "production"),
    "SECRET_KEY": (str, ""),
    "DATABASE_URL": (str, ""),
    "DATABASE_TIMEOUT_SECONDS": (int, 5),
    "MAX_CONTENT_LENGTH": (int, 1024 * 1024),
    "PROXY_FIX_COUNT": (int, 0),
    "APP_VERSION": (str, ""),
    "LOG_LEVEL": (str, "INFO"),
    "LOG_FORMAT": (str, ""),  # text or json; unset: json in production, text elsewhere
    "METRICS_TOKEN": (str, ""),
    "SENTRY_DSN": (str, ""),
    "SQLALCHEMY_ECHO": (parse_bool, False),
}


def default_database_url(instance_path: str) -> str:
    """Return the database this project was generated for, used when DATABASE_URL is unset."""
{%- if cookiecutter.database == "sqlite" %}
    return "sqlite:///" + str(Path(instance_path) / "{{ cookiecutter.package_name }}.sqlite3")
{%- elif cookiecutter.database == "postgresql" %}
    return "postgresql+psycopg://postgres@127.0.0.1:5432/{{ cookiecutter.package_name }}"
{%- elif cookiecutter.database == "mysql" %}
    return "mysql+pymysql://root@127.0.0.1:3306/{{ cookiecutter.package_name }}?charset=utf8mb4"
{%- endif %}


def engine_options(url: str, timeout: int) -> dict[str, Any]:
    """Bound every connection attempt so /readyz answers within the timeout."""
    backend = url.split(":", 1)[0].split("+", 1)[0]
    if backend == "postgresql":
        return {"pool_pre_ping": True, "connect_args": {"connect_timeout": timeout}}
    if backend in {"mysql", "mariadb"}:
        # MySQL drops idle connections after wait_timeout; recycle before that.
        return {
            "pool_pre_ping": True,
            "pool_recycle": 3600,
            "connect_args": {"connect_timeout": timeout},
        }
    return {}


def from_environment(
    environ: Mapping[str, str], settings: Settings | None = None
) -> dict[str, Any]:
    """Parse the known variables that are set; a malformed value stops start-up with its name."""
    values: dict[str, Any] = {}
    for name, (parse, _default) in (settings or SETTINGS).items():
        if name in environ:
            try:
                values[name] = parse(environ[name])
            except ValueError as error:
                raise RuntimeError(f"{name}: {error}") from None
    return values


def load_file(path: Path) -> dict[str, Any]:
    """Read a JSON or TOML settings file; only upper-case keys are settings, as in Flask."""
    with path.open("rb") as handle:
        data = tomllib.load(handle) if path.suffix == ".toml" else json.load(handle)
    return {key: value for key, value in data.items() if key.isupper()}


def configure(app: Flask, overrides: Mapping[str, Any], extra: Settings | None = None) -> None:
    """Fill app.config from every source, lowest precedence first, then check it.

    extra holds the settings of an optional part (the auth backend), read like the core ones.
    """
    settings = {**SETTINGS, **(extra or {})}
    app.config.update({name: default for name, (_parse, default) in settings.items()})
    instance_file = Path(app.instance_path) / "config.toml"
    if instance_file.is_file():
        app.config.update(load_file(instance_file))
    if config_file := os.environ.get("APP_CONFIG_FILE"):
        app.config.update(load_file(Path(config_file)))
    app.config.update(from_environment(os.environ, settings))
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
    app.config.setdefault("OPENAPI_SWAGGER_UI_PATH", "docs")
    # Served by the app itself (openapi.swagger_ui), not a CDN: docs work on closed networks.
    app.config.setdefault("OPENAPI_SWAGGER_UI_URL", "/docs/assets/")


def check_secret_key(environment: str, secret_key: str) -> None:
    """Refuse to start outside development/testing with a missing or placeholder SECRET_KEY."""
    if environment in RELAXED_ENVIRONMENTS:
        return
    if secret_key.strip() in PLACEHOLDER_SECRETS or secret_key.startswith("change-me"):
        raise RuntimeError(
            f"SECRET_KEY is missing or a placeholder (APP_ENV={environment}); set it in the "
            "environment or .env, e.g. python -c 'import secrets; print(secrets.token_urlsafe(48))'"
        )
