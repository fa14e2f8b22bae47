"""Each auth x database project, served by its command on its real database, keeps its contract.

schemathesis runs all its checks and phases (coverage, fuzzing, stateful) against the baked
project's /openapi.json over HTTP, authenticated as that backend really is: a user logged in
through the API (token) or a token from the test identity provider (oidc). The allowed
exceptions are the project's own schemathesis.toml. Then twenty concurrent PATCHes of one
resource, spread over two server workers, must leave exactly one winner and nineteen 412s.
"""

from __future__ import annotations

import os
import re
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.bakery import bake, fingerprint, run_once
from tests.ci import unavailable
from tests.dbservers import free_port, port_is_open
from tests.matrix import combination_id, combinations
from tests.projects import PYTHON, load_oidc_provider, project_env, run

# Every auth x database pair, the other answers at their defaults; then the jobs API
# (tasks=celery) on a diagonal that still meets every auth and every database once.
PAIRS = [
    {**combinations()[0], "auth": auth, "database": database}
    for auth in ("none", "token", "oidc")
    for database in ("sqlite", "postgresql", "mysql")
] + [
    {**combinations()[0], "auth": auth, "database": database, "tasks": "celery"}
    for auth, database in (("none", "sqlite"), ("token", "postgresql"), ("oidc", "mysql"))
]
EXAMPLES = "10"  # per operation and phase: the run stays around 15 s per project
SERVE_TIMEOUT = 60

# Logout revokes the session of the token it is sent with, and DELETE /sessions/{session_id}
# the session it names (an id the run's own GET /sessions listed): both are sent as a second
# user, logged in afresh each time, so the run's token stays valid for every other operation.
HOOKS = """
import os

import requests
import schemathesis

ENDS_A_SESSION = {"/api/auth/v1/logout", "/api/auth/v1/sessions/{session_id}"}


def fresh_login() -> str:
    credentials = {"username": os.environ["API_USER_2"], "password": os.environ["API_PASSWORD"]}
    response = requests.post(os.environ["API_URL"] + "/api/auth/v1/login", json=credentials)
    response.raise_for_status()
    return response.json()["access_token"]


@schemathesis.auth()
class Bearer:
    def get(self, case, context):
        return os.environ["API_TOKEN"]

    def set(self, case, data, context):
        if case.path in ENDS_A_SESSION:
            data = fresh_login()
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}
"""


@contextmanager
def serve(project: Path, env: dict[str, str], log: Path) -> Iterator[str]:
    """Run the project's own command (migrate, then granian with 2 workers); yield its URL."""
    command = [PYTHON, "-m", "my_flask_api.cli", "--port", "0", "--workers", "2"]
    with log.open("w") as output:
        process = subprocess.Popen(command, cwd=project, env=env, stdout=output, stderr=output)
    try:
        deadline = time.monotonic() + SERVE_TIMEOUT
        while time.monotonic() < deadline and process.poll() is None:
            if match := re.search(r"Serving on (http://\S+)", log.read_text()):
                url = match.group(1)
                try:
                    if requests.get(url + "/healthz", timeout=2).status_code == 200:
                        yield url
                        return
                except requests.ConnectionError:
                    pass
            time.sleep(0.2)
        pytest.fail(f"the API did not answer within {SERVE_TIMEOUT} s:\n{log.read_text()[-4000:]}")
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def concurrent_patches(url: str, headers: dict[str, str]) -> None:
    """Of 20 PATCHes sent at once with one ETag, exactly one wins and the rest get 412."""
    created = requests.post(f"{url}/api/resources/v1", json={"name": "race"}, headers=headers)
    assert created.status_code == 201, created.text
    item = url + created.headers["Location"]
    etag = requests.get(item, headers=headers).headers["ETag"]
    start = threading.Barrier(20)

    def patch(number: int) -> int:
        start.wait(timeout=30)
        body = {"description": f"writer {number}"}
        response = requests.patch(item, json=body, headers={**headers, "If-Match": etag})
        return response.status_code

    with ThreadPoolExecutor(max_workers=20) as pool:
        statuses = list(pool.map(patch, range(20)))
    assert sorted(statuses) == [200] + [412] * 19, statuses
    winner = requests.get(item, headers=headers).json()["description"]
    assert winner == f"writer {statuses.index(200)}"


@pytest.mark.cost(3)
@pytest.mark.parametrize("combo", PAIRS, ids=[combination_id(c) for c in PAIRS])
def test_served_project_keeps_its_contract(
    combo: dict[str, Any],
    tmp_path: Path,
    cookies: Any,
    database_url: Any,
    redis_url: str | None,
    outcomes: Path,
) -> None:
    """schemathesis finds nothing, and concurrent writers lose nothing, on the real database."""
    project = bake(cookies, combo)

    def check() -> None:
        url = database_url(combo["database"], "st_" + combination_id(combo))
        env = {
            **project_env(project, url),
            "DRAIN_SECONDS": "0",  # stopped at once: draining is tested on its own
            "APP_ENV": "production",
            "SECRET_KEY": "contract-test-" + "k" * 40,
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "LOGIN_RATE_LIMIT": "100000 per minute",
        }
        if url is None:
            env["DATABASE_URL"] = "sqlite:///" + str(tmp_path / "served.sqlite3")
        if combo["tasks"] == "celery":
            # Jobs are queued for real, on a queue (and limiter keys) of this run's own.
            if not redis_url:  # under CI=true the redis_url fixture has failed already
                unavailable("no redis-server for the jobs API")
            own = "contract-" + uuid.uuid4().hex
            env.update(REDIS_URL=redis_url, TASKS_QUEUE=own, RATELIMIT_KEY_PREFIX=own)
        if combo["auth"] == "token":
            # The reset route sends mail: the catcher a project's README runs, on a free port.
            env.update(MAIL_FROM="API <no-reply@example.org>")
            env.update(PASSWORD_RESET_RATE_LIMIT="100000 per minute")
        with auth_for(combo["auth"], project, env, tmp_path) as headers, mail_catcher(env):
            with serve(project, env, tmp_path / "server.log") as api:
                if combo["auth"] == "token":
                    headers.update(token_login(api, env))
                st_env = {**env, "API_URL": api, "API_TOKEN": headers.get("Authorization", "")[7:]}
                command = [str(Path(PYTHON).parent / "schemathesis"), "run", api + "/openapi.json"]
                command += ["--checks", "all", "--max-examples", EXAMPLES, "--seed", "1"]
                command += ["--request-timeout", "10", "--no-color"]
                if headers:
                    (tmp_path / "st_hooks.py").write_text(HOOKS)
                    st_env["SCHEMATHESIS_HOOKS"] = "st_hooks"
                    st_env["PYTHONPATH"] = f"{tmp_path}{os.pathsep}{env['PYTHONPATH']}"
                # schemathesis exits non-zero on any failure; run() then fails with its report
                run(command, project, st_env, timeout=600)
                concurrent_patches(api, headers)

    run_once(outcomes, f"contract-{combo['database']}-" + fingerprint(project), check)


@contextmanager
def mail_catcher(env: dict[str, str]) -> Iterator[None]:
    """With MAIL_FROM set: aiosmtpd's own command on a free port, as a project's README says to
    see mail locally, and MAIL_URL pointing at it."""
    if "MAIL_FROM" not in env:
        yield
        return
    port = free_port()
    command = [PYTHON, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}"]
    catcher = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            if port_is_open(port) or catcher.poll() is not None:
                break
            time.sleep(0.1)
        assert port_is_open(port), f"the mail catcher did not listen on {port}"
        env["MAIL_URL"] = f"smtp://127.0.0.1:{port}?tls=none"
        yield
    finally:
        catcher.terminate()
        catcher.wait(timeout=30)


def token_login(api: str, env: dict[str, str]) -> dict[str, str]:
    credentials = {"username": env["API_USER"], "password": env["API_PASSWORD"]}
    response = requests.post(api + "/api/auth/v1/login", json=credentials, timeout=30)
    assert response.status_code == 200, response.text
    return {"Authorization": "Bearer " + response.json()["access_token"]}


@contextmanager
def auth_for(
    auth: str, project: Path, env: dict[str, str], tmp_path: Path
) -> Iterator[dict[str, str]]:
    """Make the caller the run uses; yield its headers (token: filled in once served)."""
    if auth == "none":
        yield {}
    elif auth == "token":
        env["API_USER"], env["API_PASSWORD"] = "schemathesis", "Contract-test-pass-7"
        env["API_USER_2"] = "schemathesis-2"
        # Every login the fuzzer sends checks an argon2 hash: the generated suite's cheap cost
        # (what this run checks is the contract, not the hashing's strength).
        env.update(ARGON2_TIME_COST="1", ARGON2_MEMORY_COST="64")
        flask = [PYTHON, "-m", "flask", "--app", "my_flask_api"]
        run([*flask, "db", "upgrade"], project, env)
        for user in (env["API_USER"], env["API_USER_2"]):
            create = [*flask, "users", "create", user, "--password-stdin"]
            create += ["--scope", "resources:read", "--scope", "resources:write"]
            result = subprocess.run(
                create,
                cwd=project,
                env=env,
                input=env["API_PASSWORD"] + "\n",
                text=True,
                capture_output=True,
                timeout=120,
                check=False,
            )
            assert result.returncode == 0, result.stdout + result.stderr
        yield {}
    else:
        provider = load_oidc_provider(project)
        provider.start()
        try:
            env.update(
                OIDC_ISSUER=provider.issuer,
                OIDC_CLIENT_ID=provider.api_client.client_id,
                OIDC_CLIENT_SECRET=provider.api_client.client_secret,
                OIDC_AUDIENCE=provider.audience,
            )
            client = provider.register("schemathesis", ("resources:read", "resources:write"))
            yield {"Authorization": "Bearer " + provider.fetch_token(client)}
        finally:
            provider.stop()
