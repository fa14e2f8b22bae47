"""auth=token: the client logs in with a password, keeps the tokens privately, refreshes once."""

import json
import stat

import requests

from client_cli import ClientCLI

from auth_token import PASSWORD

ME = "/api/auth/v1/me"


def stored(client: ClientCLI) -> dict[str, str]:
    data: dict[str, str] = json.loads(client.credentials.read_text())
    return data


def test_login_keeps_the_tokens_in_a_private_file(client_cli: ClientCLI) -> None:
    """0600 under $XDG_CONFIG_HOME/<project>; the tokens are never printed."""
    result = client_cli("login", "--username", "alice", "--password-stdin", input=PASSWORD)
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == {
        "username": "alice",
        "email": None,
        "email_verified": False,
        "scopes": ["resources:read", "resources:write"],
    }
    tokens = stored(client_cli)
    assert stat.S_IMODE(client_cli.credentials.stat().st_mode) == 0o600
    assert tokens["url"] == client_cli.url
    for secret in (tokens["access_token"], tokens["refresh_token"]):
        assert secret not in result.stdout + result.stderr
    assert client_cli.json("whoami")["username"] == "alice"


def test_a_wrong_password_is_one_line(client_cli: ClientCLI) -> None:
    result = client_cli("login", "--username", "alice", "--password-stdin", input="wrong\n")
    assert result.exit_code == 1
    assert result.stderr == "error: HTTP 401 Unauthorized: Wrong username or password.\n"


def test_without_a_terminal_the_password_must_come_from_stdin(client_cli: ClientCLI) -> None:
    assert client_cli("login", "--username", "alice").exit_code == 2


def test_a_401_refreshes_once_and_saves_the_rotated_pair(client_cli: ClientCLI) -> None:
    before = stored(client_cli)
    client_cli.credentials.write_text(json.dumps({**before, "access_token": "expired"}))
    assert client_cli.json("whoami")["username"] == "alice"
    after = stored(client_cli)
    assert after["access_token"] not in ("expired", before["access_token"])
    assert after["refresh_token"] != before["refresh_token"]


def test_a_refused_refresh_reports_the_401(client_cli: ClientCLI) -> None:
    tokens = {**stored(client_cli), "access_token": "expired", "refresh_token": "revoked"}
    client_cli.credentials.write_text(json.dumps(tokens))
    result = client_cli("whoami")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: HTTP 401 Unauthorized: ")


def test_logout_revokes_on_the_server_and_forgets(client_cli: ClientCLI) -> None:
    bearer = {"Authorization": f"Bearer {stored(client_cli)['access_token']}"}
    assert requests.get(client_cli.url + ME, headers=bearer, timeout=10).status_code == 200
    assert client_cli("logout").exit_code == 0
    assert not client_cli.credentials.exists()
    assert requests.get(client_cli.url + ME, headers=bearer, timeout=10).status_code == 401
    assert client_cli("whoami").exit_code == 1
