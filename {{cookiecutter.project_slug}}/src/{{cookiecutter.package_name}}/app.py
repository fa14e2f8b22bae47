"""The application factory."""

import os
from collections.abc import Mapping
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from dotenv import find_dotenv, load_dotenv
from flask import Flask

from . import auth, cors, docs, draining, errors, middleware, observability, tasks
from .api import BLUEPRINTS, idempotency
from .config import Setting, configure
from .extensions import db, ma, migrate
from .openapi import Api, BodyErrors, ProblemDocuments

DISTRIBUTION = "{{ cookiecutter.project_slug }}"


def app_version() -> str:
    """Return the version a build stamped in APP_VERSION, else the installed package's."""
    if stamped := os.environ.get("APP_VERSION"):
        return stamped
    try:
        return version(DISTRIBUTION)
    except PackageNotFoundError:  # running from a source tree that is not installed
        return "0+unknown"


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Create and configure an instance of the API."""
    overrides = dict(config or {})
    # .env is read from the working directory (or the nearest folder above) into the environment,
    # where INSTANCE_PATH and APP_CONFIG_FILE are looked up too; variables already set win.
    # (environs' read_env would keep its values in its Env instance instead.)
    load_dotenv(find_dotenv(usecwd=True))
    instance_path = overrides.pop("INSTANCE_PATH", None) or os.environ.get("INSTANCE_PATH")
    app = Flask(__name__, instance_path=instance_path, instance_relative_config=True)
    # As in the Flask tutorial: the SQLite database and config.toml live here.
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    # The settings each part declares, read like the core ones.
    settings: dict[str, Setting] = {}
    for part in (auth, tasks, cors, draining, idempotency):
        settings.update(part.SETTINGS)
    configure(app, overrides, settings)
    app.config["API_TITLE"] = "{{ cookiecutter.project_name }}"
    app.config["API_VERSION"] = app.config["APP_VERSION"] or app_version()

    # logs, metrics, error reports and traces, first: traces follow the database engines made next
    observability.init_app(app)

    # extensions
    db.init_app(app)
    migrate.init_app(app, db)
    ma.init_app(app)
    api = Api(app, spec_kwargs={"extra_plugins": [ProblemDocuments(), BodyErrors()]})
    # tasks first: the auth backend may register background work with it
    tasks.init_app(app)
    auth.init_app(app, api)

    # request handling shared by every route
    middleware.init_app(app)
    cors.init_app(app)
    errors.register_error_handlers(app)

    # commands
    app.cli.add_command(idempotency.cli)

    # blueprints
    app.register_blueprint(docs.blp)
    for blueprint in (*BLUEPRINTS, *auth.BLUEPRINTS):
        api.register_blueprint(blueprint)
    return app
