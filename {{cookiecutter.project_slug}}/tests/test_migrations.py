"""Migrations go up, down and up again on the configured database, with no drift."""

from flask.testing import FlaskCliRunner
from sqlalchemy import inspect

from {{ cookiecutter.package_name }}.extensions import db


def table_names(runner: FlaskCliRunner) -> set[str]:
    with runner.app.app_context():
        names = set(inspect(db.engine).get_table_names())
        db.engine.dispose()
    return names


def test_upgrade_downgrade_and_check(runner: FlaskCliRunner) -> None:
    """downgrade base drops every table, upgrade recreates them, check finds no drift."""
    assert "resources" in table_names(runner)

    result = runner.invoke(args=["db", "downgrade", "base"])
    assert result.exit_code == 0, result.output
    assert table_names(runner) <= {"alembic_version"}

    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert {"resources", "alembic_version"} <= table_names(runner)

    result = runner.invoke(args=["db", "check"])
    assert result.exit_code == 0, result.output


def test_models_match_the_migrations(runner: FlaskCliRunner) -> None:
    """Every model table is created by a migration (flask db check is clean)."""
    assert set(db.metadata.tables) <= table_names(runner)
    result = runner.invoke(args=["db", "check"])
    assert result.exit_code == 0, result.output
