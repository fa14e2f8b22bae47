"""The generated stack on SQLite with 100 rows, side by side with its alternatives.

Its list (first page, and a page by cursor) and /healthz against the floor (bench.floor), the
list traced (OTLP/HTTP to bench.otlp_sink) against untraced, each auth mode against the
unprotected list, and stock Flask-OIDC `accept_token` on the floor (bench.stock_oidc). The oidc
servers use the generated project's own test identity provider over HTTP.
"""

import json
import logging
import sqlite3
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench.otlp_sink import Sink
from bench.report import Row
from bench.servers import PACKAGE, PYTHON, Server, alternate, bare, generated, running
from bench.tables import fill
from bench.walk import LIST, floor_page, same_page, walk, with_cursor
from tests.dbservers import free_port, port_is_open
from tests.projects import load_oidc_provider

SCOPES = ("resources:read", "resources:write")
SQLITE = "SQLite, 100 rows"
SQLITE_ROWS = 100
RESET = "/api/auth/v1/password-reset"

# (comparison, A, B, target ratio A/B): endpoint names of measure() below.
PAIRS = [
    ("list 20, first page, vs bare floor", "generated list", "floor list", 0.85),
    ("list 20 by cursor vs bare floor", "generated cursor page", "floor cursor page", 0.85),
    ("/healthz vs bare floor", "generated healthz", "floor healthz", 0.90),
    # Every request sampled (the SDK's default, parentbased_always_on), exported over OTLP/HTTP.
    ("traced list vs untraced", "traced list", "unprotected list", 0.90),
    ("token-protected vs unprotected", "token list", "unprotected list", 0.92),
    # A personal access token goes through the same cache of checked tokens as an access token.
    ("personal access token vs unprotected", "token PAT list", "unprotected list", 0.92),
    # The answer must not tell whether the account exists: not by its time either.
    ("password reset request: known vs unknown account", "reset known", "reset unknown", 0.90),
    (
        "oidc introspection (cached) vs unprotected",
        "oidc introspection list",
        "unprotected list",
        0.92,
    ),
    ("oidc jwt vs unprotected", "oidc jwt list", "unprotected list", 0.92),
    ("stock Flask-OIDC accept_token vs unprotected", "stock Flask-OIDC list", "floor list", None),
]
# Figures of different pairs, compared without a run of their own.
DERIVED = [
    # With the pair above: the two within 10% of each other, whichever is faster.
    ("password reset request: unknown vs known account", "reset unknown", "reset known", 0.90),
    (
        "oidc introspection (cached) vs stock Flask-OIDC",
        "oidc introspection list",
        "stock Flask-OIDC list",
        9.0,
    ),
    ("oidc jwt vs stock Flask-OIDC", "oidc jwt list", "stock Flask-OIDC list", 9.0),
    # No protected route beats the unprotected one: the two rows above can reach this at most.
    (
        "ceiling of the two above: unprotected vs stock Flask-OIDC",
        "unprotected list",
        "stock Flask-OIDC list",
        None,
    ),
]


def token_login(server: Server, project: Path) -> str:
    """Create a user with the flask CLI, then log in through the API, as a client would."""
    password = "Bench-password-7"
    create = [
        PYTHON,
        "-m",
        "flask",
        "--app",
        PACKAGE,
        "users",
        "create",
        "bench",
        "--password-stdin",
    ]
    create += [arg for scope in SCOPES for arg in ("--scope", scope)]
    create += ["--email", "bench@example.org"]
    subprocess.run(
        create,
        cwd=project,
        env=server.env,
        input=password + "\n",
        text=True,
        capture_output=True,
        timeout=120,
        check=True,
    )
    body = json.dumps({"username": "bench", "password": password}).encode()
    request = urllib.request.Request(
        server.url + "/api/auth/v1/login", body, {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return str(json.load(response)["access_token"])


@contextmanager
def mail_catcher() -> Iterator[str]:
    """aiosmtpd's own command on a free port (as a project's README runs it); its MAIL_URL."""
    port = free_port()
    command = [PYTHON, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}"]
    catcher = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            if port_is_open(port):
                break
            time.sleep(0.1)
        yield f"smtp://127.0.0.1:{port}?tls=none"
    finally:
        catcher.terminate()
        catcher.wait(timeout=30)


def verify_address(work: Path, username: str) -> None:
    """Mark the user's address verified, as the code mailed to it would."""
    with sqlite3.connect(work / "token.sqlite3") as connection:
        connection.execute("UPDATE users SET email_verified = 1 WHERE username = ?", (username,))


def personal_token(server: Server, access_token: str) -> str:
    """A personal access token with the bench scopes, made with the login's access token."""
    body = json.dumps({"name": "bench", "scopes": list(SCOPES)}).encode()
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {access_token}"}
    request = urllib.request.Request(server.url + "/api/auth/v1/tokens", body, headers)
    with urllib.request.urlopen(request, timeout=30) as response:
        return str(json.load(response)["token"])


def sqlite(work: Path, name: str) -> str:
    return f"sqlite:///{work / name}.sqlite3"


def cursor_pages(generated_url: str, floor_url: str) -> tuple[str, str]:
    """The page of 20 in the middle of the table, from each: the generated list's by the cursor
    its walk collects, the floor's by one made for the same row."""
    step = walk(generated_url + LIST).after(SQLITE_ROWS // 2)
    return same_page(with_cursor(generated_url + LIST, step.next), floor_page(floor_url, step))


def measure(projects: dict[str, Path], work: Path, seconds: float, rounds: int) -> list[Row]:
    """Serve everything at once on SQLite, then alternate the pairs' A and B."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # the provider's per-request lines
    provider = load_oidc_provider(projects["oidc"])
    provider.start()
    spans = Sink()  # the traced server's collector
    spans.start()
    catcher = mail_catcher()
    mail_url = catcher.__enter__()
    try:
        secrets_file = work / "client_secrets.json"
        api = provider.api_client
        secrets_file.write_text(
            json.dumps(
                {
                    "web": {
                        "issuer": provider.issuer,
                        "client_id": api.client_id,
                        "client_secret": api.client_secret,
                    }
                }
            )
        )
        oidc = dict(
            OIDC_ISSUER=provider.issuer,
            OIDC_CLIENT_ID=api.client_id,
            OIDC_CLIENT_SECRET=api.client_secret,
            OIDC_AUDIENCE=provider.audience,
        )
        secrets = str(secrets_file)
        servers = {
            "floor": bare("bench.floor:create_app", work, "floor", sqlite(work, "floor")),
            "stock": bare(
                "bench.stock_oidc:create_app",
                work,
                "stock",
                sqlite(work, "stock"),
                BENCH_OIDC_SECRETS=secrets,
            ),
            "none": generated(projects["none"], work, "none", sqlite(work, "none")),
            "traced": generated(
                projects["none"],
                work,
                "traced",
                sqlite(work, "traced"),
                OTEL_EXPORTER_OTLP_ENDPOINT=spans.url,
            ),
            "token": generated(
                projects["token"],
                work,
                "token",
                sqlite(work, "token"),
                MAIL_URL=mail_url,
                MAIL_FROM="Bench <bench@example.org>",
                PASSWORD_RESET_RATE_LIMIT="1000000 per minute",
            ),
            "introspection": generated(
                projects["oidc"],
                work,
                "introspection",
                sqlite(work, "introspection"),
                **oidc,
                OIDC_TOKEN_VALIDATION="introspection",
            ),
            "jwt": generated(
                projects["oidc"],
                work,
                "jwt",
                sqlite(work, "jwt"),
                **oidc,
                OIDC_TOKEN_VALIDATION="jwt",
            ),
        }
        with running(servers) as urls:
            for name in servers:
                fill(sqlite(work, name), SQLITE_ROWS)
            opaque = provider.fetch_token(provider.register("bench", SCOPES, expires_in=86400))
            signed = provider.fetch_token(
                provider.register("bench-jwt", SCOPES, expires_in=86400, token_format="jwt")
            )
            bearer = {
                "token": token_login(servers["token"], projects["token"]),
                "introspection": opaque,
                "jwt": signed,
                "stock": opaque,
            }
            by_cursor, floor_by_cursor = cursor_pages(urls["none"], urls["floor"])
            endpoints: dict[str, tuple[str, dict[str, str]]] = {}
            for label, server, url in [
                ("generated list", "none", urls["none"] + LIST),
                ("unprotected list", "none", urls["none"] + LIST),
                ("traced list", "traced", urls["traced"] + LIST),
                ("floor list", "floor", urls["floor"] + LIST),
                ("generated cursor page", "none", by_cursor),
                ("floor cursor page", "floor", floor_by_cursor),
                ("generated healthz", "none", urls["none"] + "/healthz"),
                ("floor healthz", "floor", urls["floor"] + "/healthz"),
                ("token list", "token", urls["token"] + LIST),
                ("oidc introspection list", "introspection", urls["introspection"] + LIST),
                ("oidc jwt list", "jwt", urls["jwt"] + LIST),
                ("stock Flask-OIDC list", "stock", urls["stock"] + LIST),
            ]:
                headers = {"Authorization": f"Bearer {bearer[server]}"} if server in bearer else {}
                endpoints[label] = (url, headers)
            pat = personal_token(servers["token"], bearer["token"])
            endpoints["token PAT list"] = (urls["token"] + LIST, {"Authorization": f"Bearer {pat}"})
            verify_address(work, "bench")
            for label in ("reset known", "reset unknown"):
                endpoints[label] = (urls["token"] + RESET, {})
            bodies = {
                "reset known": json.dumps({"login": "bench"}),
                "reset unknown": json.dumps({"login": "nobody-at-all"}),
            }
            pairs = [(a, b) for _t, a, b, _r in PAIRS]
            runs = alternate(endpoints, pairs, seconds, rounds, bodies)
    finally:
        catcher.__exit__(None, None, None)
        spans.stop()
        provider.stop()
    return [
        Row(
            title,
            SQLITE,
            a,
            runs.median(a),
            b,
            runs.median(b),
            "req/s",
            target,
            paired=runs.ratio(a, b),
        )
        for title, a, b, target in PAIRS + DERIVED
    ]
