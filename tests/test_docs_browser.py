"""/docs renders the operations in a real headless Chromium, from files the app serves itself.

The machine has no route to a CDN (and air-gapped networks have none either): a page that loads
Swagger UI from one would render blank here. The screenshot stays as a test artifact.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import requests

from tests.bakery import bake
from tests.ci import unavailable
from tests.matrix import TEMPLATE, combinations
from tests.projects import project_env
from tests.test_contract import serve

ARTIFACTS = TEMPLATE / "build" / "test-artifacts"
# Headless, and quiet: no first-run, sync or background connections the closed network refuses.
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--virtual-time-budget=10000",
]


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    unavailable("chromium is not installed: apt-get install -y chromium")


def browse(browser: str, profile: Path, *args: str) -> str:
    result = subprocess.run(
        [browser, *FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def test_docs_render_every_operation_offline(tmp_path: Path, cookies: Any) -> None:
    """Swagger UI lists each path of the spec, and the page asked no other host for anything."""
    browser = chromium()
    combo = combinations()[0]
    project = bake(cookies, combo)
    env = {
        **project_env(project, None),
        "APP_ENV": "development",
        "DATABASE_URL": "sqlite:///" + str(tmp_path / "docs.sqlite3"),
    }
    with serve(project, env, tmp_path / "server.log") as api:
        dom = browse(browser, tmp_path / "profile-dom", "--dump-dom", api + "/docs")
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        screenshot = ARTIFACTS / "docs.png"
        screenshot.unlink(missing_ok=True)
        browse(
            browser,
            tmp_path / "profile-shot",
            "--window-size=1280,900",
            f"--screenshot={screenshot}",
            api + "/docs",
        )
        spec = requests.get(api + "/openapi.json", timeout=10).json()
    rendered = set(re.findall(r'opblock-summary-path" data-path="([^"]+)"', dom))
    assert rendered == set(spec["paths"]), dom[-2000:]
    assert screenshot.stat().st_size > 10_000, "the screenshot is blank"
    served = (tmp_path / "server.log").read_text()
    assert '"GET /docs/assets/swagger-ui-bundle.js' in served, "the assets came from the app"
