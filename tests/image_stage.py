"""The image stage's plugin: the shared podman store, its figures, and its removal at the end.

Every xdist worker of a run builds into one store (in memory, or under the run's shared `outcomes`
directory: `images.store_for`), so identical build contexts are built once and build layers are
shared. Workers send their figures (build seconds, image sizes, when each image test ran) to the
controller through xdist's `workeroutput`; the controller prints them and removes the store once
every worker is done.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.ci import unavailable
from tests.images import Podman, PodmanMissing, ensure_base, remove_store, store_for
from tests.matrix import options

RECORDS = pytest.StashKey[list[dict[str, Any]]]()
STORES = pytest.StashKey[set[str]]()


def pytest_configure(config: pytest.Config) -> None:
    config.stash[RECORDS] = []
    config.stash[STORES] = set()


def _publish(config: pytest.Config) -> None:
    """Keep this worker's figures where xdist hands them to the controller."""
    if hasattr(config, "workeroutput"):
        config.workeroutput["image_stage"] = json.dumps(
            {"records": config.stash[RECORDS], "stores": sorted(config.stash[STORES])}
        )


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    """On the controller: gather a finished worker's figures and store."""
    sent = json.loads(node.workeroutput.get("image_stage", "{}") or "{}")
    node.config.stash[RECORDS].extend(sent.get("records", []))
    node.config.stash[STORES].update(sent.get("stores", []))


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Remove the store once nobody uses it: by the controller, or a run without workers."""
    if not hasattr(session.config, "workeroutput"):
        for store in sorted(session.config.stash[STORES]):
            remove_store(Podman(Path(store)))


def pytest_terminal_summary(terminalreporter: Any) -> None:
    records = terminalreporter.config.stash[RECORDS]
    if not records:
        return
    write = terminalreporter.write_line
    terminalreporter.section("image stage")
    for record in sorted(records, key=lambda r: r["began"]):
        figures = ", ".join(f"{key} {value}" for key, value in record["figures"].items())
        write(f"{record['name']}: {record['ended'] - record['began']:.1f} s ({figures})")
    span = max(r["ended"] for r in records) - min(r["began"] for r in records)
    busy = sum(r["ended"] - r["began"] for r in records)
    write(f"image stage wall time: {span:.0f} s from first start to last end; {busy:.0f} s busy")


@pytest.fixture(scope="session")
def podman(outcomes: Path, request: pytest.FixtureRequest) -> Podman:
    """The run's podman store, holding the stand-in base under every python:X-slim name."""
    try:
        podman = Podman.on(store_for(outcomes))
        request.config.stash[STORES].add(str(podman.store))
        _publish(request.config)
        ensure_base(podman, [str(version) for version in options()["python_version"]])
    except PodmanMissing as missing:
        unavailable(str(missing))
    return podman


class Figures(dict[str, str]):
    """What one image test measured, printed in the summary."""


@pytest.fixture
def image_figures(request: pytest.FixtureRequest) -> Iterator[Figures]:
    """Record how long this image test ran and what it measured, for the summary."""
    figures = Figures()
    began = time.time()
    yield figures
    record = {"name": request.node.name, "began": began, "ended": time.time()}
    request.config.stash[RECORDS].append({**record, "figures": dict(figures)})
    _publish(request.config)


@contextmanager
def removing(podman: Podman, *names: str, volumes: tuple[str, ...] = ()) -> Iterator[None]:
    """Remove these containers (bounded stop) and volumes on the way out, passed or failed."""
    try:
        yield
    finally:
        for name in names:
            podman("rm", "--force", "--time", "10", name, check=False, timeout=60)
        for volume in volumes:
            podman("volume", "rm", "--force", volume, check=False)
