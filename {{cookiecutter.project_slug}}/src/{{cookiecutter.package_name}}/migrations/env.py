"""Alembic environment: migrate the database of the Flask app that runs the command."""

from typing import Any

from alembic import context
from flask import current_app

from {{ cookiecutter.package_name }}.extensions import db

# Logging is configured by the app; alembic's fileConfig would silence the app's loggers.


def _skip_empty(context: Any, revision: Any, directives: list[Any]) -> None:
    """Do not write an empty revision when autogenerate finds no change."""
    autogenerate = getattr(context.config.cmd_opts, "autogenerate", False)
    if autogenerate and directives[0].upgrade_ops.is_empty():
        directives[:] = []
        current_app.logger.info("No changes in schema detected.")


def run_offline() -> None:
    """Emit SQL for the configured URL without connecting (flask db upgrade --sql)."""
    context.configure(
        url=str(db.engine.url).replace("%", "%%"),
        target_metadata=db.metadata,
        literal_binds=True,
        **current_app.extensions["migrate"].configure_args,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    """Run the migrations on a connection of the app's engine."""
    configure_args = dict(current_app.extensions["migrate"].configure_args)
    configure_args.setdefault("process_revision_directives", _skip_empty)
    with db.engine.connect() as connection:
        context.configure(connection=connection, target_metadata=db.metadata, **configure_args)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
