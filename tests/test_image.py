"""The image stage: each auth x database x tasks project's own Dockerfile, built and served with
podman.

The ci, license and python_version answers change no file the image runs (only README text, the
license text and metadata, and the FROM tag, which the stand-in base answers under every version),
so one project per auth x database x tasks is built, the first in matrix order. All are built into
one store, and the package each image holds is checked against its project's, byte for byte. Only
the first image is built with its layers (the rebuild test reuses them and proves none is reused
stale); the others commit their final image alone, which spares a commit of the whole virtualenv
per step (16 rather than 25 CPU-seconds a build). The containers run with host networking
against the harness's own database servers (and test identity provider), with the environment
compose.yaml gives the `api` service, and are checked from outside.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
import tomllib
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.bakery import bake
from tests.containers import READY_TIMEOUT, STOP_TIMEOUT, Container, http
from tests.image_stage import Figures, removing
from tests.images import RUN_FLAGS, Podman, build_context, build_once, tail
from tests.matrix import combination_id, combinations
from tests.projects import load_oidc_provider

# The answers that change what an image holds and runs (its lock, its code).
IMAGE_KEYS = ("auth", "database", "tasks")


def image_key(combo: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(combo[key] for key in IMAGE_KEYS)


def image_combinations() -> list[dict[str, Any]]:
    """One combination with docker=yes per auth x database x tasks: the first in matrix order."""
    chosen: dict[tuple[Any, ...], dict[str, Any]] = {}
    for combo in combinations():
        if combo["docker"]:
            chosen.setdefault(image_key(combo), combo)
    return list(chosen.values())


IMAGES = image_combinations()
PACKAGE = "my_flask_api"
WRITER = ("resources:read", "resources:write")
PROBE = (Path(__file__).parent / "image_probe.py").read_text()


def digests(folder: Path) -> dict[str, str]:
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in folder.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }


def compose_environment(project: Path) -> dict[str, str]:
    """The api service's `environment:` of compose.yaml, ${NAME:-default} read as its default."""
    api = yaml.safe_load((project / "compose.yaml").read_text())["services"]["api"]
    return {
        key: re.sub(r"\$\{\w+:-([^}]*)\}", r"\1", str(value))
        for key, value in api["environment"].items()
    }


@contextmanager
def identity_provider(project: Path, auth: str) -> Iterator[Any]:
    """The generated project's own test IdP over HTTP on 127.0.0.1, for auth=oidc."""
    if auth != "oidc":
        yield None
        return
    provider = load_oidc_provider(project)
    provider.start()
    try:
        yield provider
    finally:
        provider.stop()


def sign_in(auth: str, api: Container, provider: Any) -> dict[str, str]:
    """Headers of a caller allowed to read and write resources, got as a user would get them."""
    if auth == "none":
        return {}
    if auth == "oidc":
        client = provider.register("alice", WRITER)
        return {"Authorization": f"Bearer {provider.fetch_token(client)}"}
    password = "Correct-Horse-Battery-9"
    scopes = [arg for scope in WRITER for arg in ("--scope", scope)]
    api.exec(
        *("flask", "--app", PACKAGE, "users", "create", "alice", *scopes, "--password-stdin"),
        stdin=password + "\n",
    )
    login = http(
        "POST", api.url + "/api/auth/v1/login", {"username": "alice", "password": password}
    )
    assert login.status == 200, login.body
    return {"Authorization": f"Bearer {login.body['access_token']}"}


def round_trip(auth: str, resources: str, headers: dict[str, str]) -> str:
    """List, create and read through the auth of the combination; return the kept item's URL."""
    assert http("GET", resources, headers=headers).status == 200, "the tables exist"
    kept = http("POST", resources, {"name": "kept"}, headers)
    assert kept.status == 201, kept.body
    url = f"{resources}/{kept.body['id']}"
    assert http("GET", url, headers=headers).status == 200
    if auth == "none":
        gone = f"{resources}/{http('POST', resources, {'name': 'gone'}, headers).body['id']}"
        assert http("DELETE", gone, headers=headers).status == 428, "writes need If-Match"
        etag = http("GET", gone, headers=headers).headers["ETag"]
        assert http("DELETE", gone, headers={**headers, "If-Match": etag}).status == 204
        assert http("GET", gone, headers=headers).status == 404
    if auth == "oidc":
        forged = {"Authorization": "Bearer " + uuid.uuid4().hex}
        assert http("GET", resources, headers=forged).status == 401, "a token the IdP never made"
    return url


def check_contents(api: Container, project: Path) -> None:
    """uid 10001 serves, owns /data, cannot change the code; the code is this project's own;
    no compiler, pip or uv cache, or tests in the runtime stage."""
    app = json.loads(api.exec("python", "-", "app", PACKAGE, stdin=PROBE))
    assert app == {"data_owner": "10001:10001", "package_writable": []}
    top = api.podman("top", api.name, "pid", "huser", "user").stdout.split("\n")[1:]
    assert ["1", "10001", "app"] in [line.split() for line in top], "PID 1 runs as uid 10001"
    ours = {f"{name} {digest}" for name, digest in digests(project / "tests").items()}
    names = sorted({line.split()[0] for line in ours} - {"__init__.py"})
    image = json.loads(api.exec("python", "-", "root", PACKAGE, *names, user="0", stdin=PROBE))
    assert image["package"] == digests(project / "src" / PACKAGE), "not this project's package"
    assert image["compilers"] == [] and image["installer_caches"] == []
    assert not ours.intersection(image["tests"]), "the project's tests are in the image"


def start_worker(podman: Podman, tag: str, api: Container, name: str) -> None:
    """The image's other role: a worker container beside the API container, with its settings.
    Started with the API (it touches the database only for a job), it boots while the API
    migrates and is checked."""
    args = ["run", "--detach", "--name", name, "--network", "host", *RUN_FLAGS]
    args += ["--log-driver", "k8s-file", "--entrypoint", "my-flask-api-worker"]
    args += ["--env-file", str(api.env_file)] if api.env_file else []
    for key, value in api.env.items():
        args += ["--env", f"{key}={value}"]
    args += ["--volume", f"{api.volume}:/data"] if api.volume else []
    podman(*args, tag)


def run_a_job(podman: Podman, api: Container, headers: dict[str, str], name: str) -> None:
    """The worker container runs the job the API container queued, then SIGTERM ends it warmly."""
    started = http("POST", api.url + "/api/jobs/v1", {"kind": "resource-report"}, headers)
    assert started.status == 202, started.body
    location = api.url + started.headers["Location"]
    deadline = time.monotonic() + READY_TIMEOUT
    job = http("GET", location, headers=headers).body
    while job["status"] in {"pending", "running"} and time.monotonic() < deadline:
        time.sleep(0.25)
        job = http("GET", location, headers=headers).body
    logs = podman("logs", name, check=False)
    assert job["status"] == "succeeded", f"{job}\n{tail(logs.stdout + logs.stderr)}"
    assert job["result"]["total"] >= 1
    podman("stop", "--time", str(STOP_TIMEOUT), name, timeout=STOP_TIMEOUT + 30)
    exited = podman("inspect", "--format", "{{.State.ExitCode}}", name).stdout.strip()
    logs = podman("logs", name, check=False)
    assert exited == "0" and "Warm shutdown" in logs.stdout + logs.stderr, tail(logs.stderr)


# The first image and the rebuild test that reuses its layers are one unit of work (an xdist
# group, see tests/scheduling.py): one worker, one store's layers.
FIRST = "image-first"


@pytest.mark.cost(1)
@pytest.mark.parametrize(
    "combo",
    [
        pytest.param(
            combo,
            id=combination_id(combo),
            marks=[pytest.mark.xdist_group(FIRST)] if combo is IMAGES[0] else [],
        )
        for combo in IMAGES
    ],
)
def test_image_builds_and_serves(
    combo: dict[str, Any],
    tmp_path: Path,
    cookies: Any,
    podman: Podman,
    outcomes: Path,
    database_url: Any,
    redis_url: str | None,
    image_figures: Figures,
) -> None:
    """The image builds, migrates by itself, serves as uid 10001, is healthy, authenticates,
    stops cleanly on SIGTERM, and a second start migrates nothing and serves the same data.
    With tasks=celery, the same image as a worker runs a job the API queued."""
    project = bake(cookies, combo)
    auth = combo["auth"]
    layers = image_key(combo) == image_key(IMAGES[0])  # the rebuild test reuses its layers
    tag, seconds = build_once(podman, project, outcomes, combination_id(combo), layers)
    image_figures["build"] = f"{seconds:.0f} s" if seconds else "shared"
    size = int(podman("image", "inspect", "--format", "{{.Size}}", tag).stdout)
    image_figures["size"] = f"{size / 1e6:.0f} MB"
    config = podman("image", "inspect", "--format", "{{json .Config.Healthcheck}}", tag).stdout
    assert "/healthz" in config, "the image keeps its HEALTHCHECK (--format docker)"

    env = compose_environment(project)
    if url := database_url(combo["database"], "image_" + combination_id(combo)):
        env["DATABASE_URL"] = url
    if combo["tasks"] == "celery":
        assert redis_url, "CI=true fails without a Redis server; elsewhere it is needed here"
        queue = "image-" + uuid.uuid4().hex  # this test's own queue on the harness's Redis
        env |= {"REDIS_URL": redis_url, "TASKS_QUEUE": queue, "RATELIMIT_KEY_PREFIX": queue}
    names = [f"api-{uuid.uuid4().hex[:10]}" for _ in range(3)]
    volume = f"{names[0]}-data" if combo["database"] == "sqlite" else None
    with (
        removing(podman, *names, volumes=(volume,) if volume else ()),
        identity_provider(project, auth) as provider,
    ):
        if provider is not None:
            env |= {
                "OIDC_ISSUER": provider.issuer,
                "OIDC_CLIENT_ID": provider.api_client.client_id,
                "OIDC_CLIENT_SECRET": provider.api_client.client_secret,
                "OIDC_AUDIENCE": provider.audience,
            }
        if volume:
            podman("volume", "create", volume)
        first = Container(podman, tag, names[0], env, project / ".env", volume)
        if combo["tasks"] == "celery":
            start_worker(podman, tag, first, names[2])
        began = time.monotonic()
        first.start()
        image_figures["first start"] = f"{time.monotonic() - began:.1f} s"
        assert "Running upgrade" in first.logs(), "the entrypoint applies the migrations"
        check_contents(first, project)
        # It serves on a free port, not 8000: passing, the healthcheck proves it reads PORT.
        health = podman("healthcheck", "run", first.name, check=False)
        assert health.returncode == 0, f"HEALTHCHECK failed: {health.stdout}{health.stderr}"

        headers = sign_in(auth, first, provider)
        kept = round_trip(auth, first.url + "/api/resources/v1", headers)
        if combo["tasks"] == "celery":
            began = time.monotonic()
            run_a_job(podman, first, headers, names[2])
            image_figures["job"] = f"{time.monotonic() - began:.1f} s"

        stopped_in = first.stop()
        assert stopped_in < STOP_TIMEOUT and first.exit_code() == 0, first.logs()
        assert "Draining for 5 s" in first.logs(), "docker stop's SIGTERM drains first"
        image_figures["stop"] = f"{stopped_in:.1f} s"

        # The first stop drained (DRAIN_SECONDS, 5 s by default); the second need not.
        undrained = {**env, "DRAIN_SECONDS": "0"}
        second = Container(podman, tag, names[1], undrained, project / ".env", volume, first.port)
        second.start()
        assert "Running upgrade" not in second.logs(), "a second start migrates nothing"
        again = http("GET", kept, headers=headers)
        assert (again.status, again.body["name"]) == (200, "kept")
        second.stop()


def test_the_other_answers_change_nothing_the_image_runs(
    baked: Callable[[dict[str, Any]], Path],
) -> None:
    """Every docker=yes combination's build context is its auth x database x tasks image's, but
    for text the image never runs: README, license, package metadata and the FROM tag."""
    built = {image_key(c): build_context(baked(c)) for c in IMAGES}
    for combo in (c for c in combinations() if c["docker"]):
        context = build_context(baked(combo))
        image = built[image_key(combo)]
        differ = {
            name for name in context.keys() | image.keys() if context.get(name) != image.get(name)
        }
        assert differ <= {"README.md", "LICENSE", "pyproject.toml", "Dockerfile"}, combo
        assert runs(context) == runs(image), combination_id(combo)


def runs(context: dict[str, bytes]) -> tuple[Any, ...]:
    """What the image runs of a build context: the Dockerfile but its FROM tag, and what
    pyproject.toml says to install."""
    dockerfile = re.sub(r"FROM python:[0-9.]+-slim", "FROM python", context["Dockerfile"].decode())
    project = tomllib.loads(context["pyproject.toml"].decode())["project"]
    installs = {key: project.get(key) for key in ("dependencies", "scripts", "requires-python")}
    return dockerfile, installs


@pytest.mark.xdist_group(FIRST)
def test_a_rebuild_after_a_code_change_carries_it(
    tmp_path: Path, cookies: Any, podman: Podman, outcomes: Path, image_figures: Figures
) -> None:
    """Rebuilt after a new module is added, the image holds it: no layer is reused stale."""
    combo = IMAGES[0]
    project = bake(cookies, combo)
    tag, _seconds = build_once(podman, project, outcomes, combination_id(combo), layers=True)
    marker = uuid.uuid4().hex
    (project / "src" / PACKAGE / "rebuilt.py").write_text(f'MARKER = "{marker}"\n')
    changed = tag + "-changed"
    image_figures["rebuild after a code change"] = f"{podman.build(project, changed):.1f} s"
    name = f"rebuilt-{uuid.uuid4().hex[:10]}"
    with removing(podman, name):
        probe = f"from {PACKAGE}.rebuilt import MARKER; print(MARKER)"
        result = podman(
            "run", "--name", name, *RUN_FLAGS, "--entrypoint", "python", changed, "-c", probe
        )
    assert result.stdout.strip() == marker
