"""auth=oidc: the client logs in at the test provider, by device flow or client credentials."""

import json
import re
import subprocess
import sys
import time
from pathlib import Path

from client_cli import ClientCLI
from test_cli import child_env

from auth_oidc import OIDCAuth, ServedOIDC

BOTH = ["resources:read", "resources:write"]


def test_client_credentials_log_a_machine_in(client_cli: ClientCLI) -> None:
    """The provider is found through the API's OpenAPI document; whoami shows the API's view."""
    assert client_cli.json("whoami") == {"subject": "alice", "username": "alice", "scopes": BOTH}
    assert client_cli.json("resources", "create", "--name", "by-machine")["owner"] == "alice"


def test_a_machine_token_without_subject_is_its_client(
    client_cli: ClientCLI, served_auth: ServedOIDC, auth: OIDCAuth
) -> None:
    """Some providers omit "sub" from client-credentials tokens: the client id stands in."""
    auth.provider.machine_subject = False
    try:
        registered = served_auth.login(client_cli, "robot")
    finally:
        auth.provider.machine_subject = True
    me = client_cli.json("whoami")
    assert (me["subject"], me["username"]) == (registered.client_id, registered.client_id)


def test_login_without_a_client_id_is_a_usage_error(served: str, tmp_path: Path) -> None:
    assert ClientCLI(served, tmp_path)("login").exit_code == 2


def device_login(served: str, home: Path, auth: OIDCAuth, approved: bool) -> tuple[str, float]:
    """Run `login` as a user does; approve (or deny) the code it shows, over HTTP."""
    started = time.monotonic()
    login = subprocess.Popen(
        [sys.executable, "-m", "{{ cookiecutter.package_name }}.client", "login"],
        env=child_env(
            API_URL=served,
            XDG_CONFIG_HOME=str(home),
            API_CLIENT_ID=auth.provider.device_client.client_id,
        ),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert login.stderr is not None
    shown = login.stderr.readline()
    match = re.search(r"open (\S+) and enter the code (\S+)", shown)
    assert match, shown
    assert match.group(1) == auth.provider.issuer + "/device"
    auth.provider.approve(match.group(2), subject="carol", approved=approved)
    out, err = login.communicate(timeout=30)
    assert login.returncode == (0 if approved else 1), err
    return (out if approved else err.splitlines()[-1]), time.monotonic() - started


def test_the_device_flow_logs_a_user_in_and_refreshes(
    served: str, tmp_path: Path, auth: OIDCAuth
) -> None:
    out, elapsed = device_login(served, tmp_path, auth, approved=True)
    assert json.loads(out) == {"subject": "carol", "username": "carol", "scopes": BOTH}
    assert elapsed < 15
    client = ClientCLI(served, tmp_path)
    tokens = json.loads(client.credentials.read_text())
    assert tokens["refresh_token"]
    client.credentials.write_text(json.dumps({**tokens, "access_token": "expired"}))
    assert client.json("whoami")["subject"] == "carol"
    refreshed = json.loads(client.credentials.read_text())
    assert refreshed["refresh_token"] not in (None, tokens["refresh_token"])


def test_a_denied_device_code_fails_in_one_line(
    served: str, tmp_path: Path, auth: OIDCAuth
) -> None:
    last_line, _ = device_login(served, tmp_path, auth, approved=False)
    assert last_line.startswith("error: the identity provider refused: access_denied")


def test_logout_forgets_the_tokens(client_cli: ClientCLI) -> None:
    """Logging out when logged out is fine too."""
    for _ in range(2):
        assert client_cli("logout").exit_code == 0
        assert not client_cli.credentials.exists()
