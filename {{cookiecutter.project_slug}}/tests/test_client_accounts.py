"""auth=token: an admin manages users with the client, and a machine calls the API with a
personal access token from the environment, without logging in."""

import json
from pathlib import Path

import pytest
from flask import Flask

from client_cli import ClientCLI
from {{ cookiecutter.package_name }}.client.token import TOKEN_VARIABLE

from auth_token import PASSWORD, AuthActions

ADMIN_SCOPES = ("users:admin", "resources:read", "resources:write")


@pytest.fixture
def admin_cli(prepared: Flask, served: str, tmp_path: Path) -> ClientCLI:
    """The client logged in as root, an admin, on the served app."""
    AuthActions(prepared, prepared.test_client()).headers("root", ADMIN_SCOPES)
    client = ClientCLI(served, tmp_path / "admin")
    result = client("login", "--username", "root", "--password-stdin", input=PASSWORD + "\n")
    assert result.exit_code == 0, result.stderr
    return client


def lines(client: ClientCLI, *args: str) -> list[dict[str, object]]:
    result = client(*args)
    assert result.exit_code == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_an_admin_manages_a_user_with_the_client(admin_cli: ClientCLI, tmp_path: Path) -> None:
    created = admin_cli(
        "users",
        "create",
        "dana",
        "--password-stdin",
        "--scope",
        "resources:read",
        "--email",
        "dana@example.org",
        input=PASSWORD + "\n",
    )
    assert created.exit_code == 0, created.stderr
    assert json.loads(created.stdout)["scopes"] == ["resources:read"]
    assert [u["username"] for u in lines(admin_cli, "users", "list", "--prefix", "da")] == ["dana"]

    dana = ClientCLI(admin_cli.url, tmp_path / "dana")
    log_in = ("login", "--username", "dana", "--password-stdin")
    assert dana(*log_in, input=PASSWORD + "\n").exit_code == 0
    assert admin_cli.json("users", "disable", "dana")["active"] is False
    assert [u["username"] for u in lines(admin_cli, "users", "list", "--disabled")] == ["dana"]
    assert dana("whoami").exit_code == 1, "disabled: the stored login ends"
    assert admin_cli.json("users", "enable", "dana")["active"] is True
    updated = admin_cli.json("users", "update", "dana", "--no-scopes", "--no-email")
    assert (updated["scopes"], updated["email"]) == ([], None)
    assert admin_cli("users", "delete", "dana").exit_code == 0
    missing = admin_cli("users", "get", "dana")
    assert (missing.exit_code, missing.stderr) == (1, "error: there is no user 'dana'\n")
    refused = admin_cli("users", "disable", "root")
    assert refused.exit_code == 1 and "last active user" in refused.stderr


def test_a_machine_uses_a_token_from_the_environment(client_cli: ClientCLI, tmp_path: Path) -> None:
    made = client_cli.json("tokens", "create", "--name", "cron", "--scope", "resources:read")
    machine = ClientCLI(client_cli.url, tmp_path / "machine", {TOKEN_VARIABLE: made["token"]})
    assert machine.json("whoami") == {
        "username": "alice",
        "email": None,
        "email_verified": False,
        "scopes": ["resources:read"],
    }
    assert machine.json("resources", "list")["items"] == []
    assert not machine.credentials.exists(), "nothing stored"
    listed = client_cli.json("tokens", "list")
    assert [(t["name"], t["last_used_at"] is not None) for t in listed] == [("cron", True)]
    assert "token" not in listed[0]
    assert client_cli("tokens", "revoke", str(made["id"])).exit_code == 0
    refused = machine("resources", "list")
    assert refused.exit_code == 1 and refused.stderr.startswith("error: HTTP 401")
