"""Reading a generated README: its sections and the shell blocks users copy from them."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

FENCED_SH = re.compile(r"^```sh\n(.*?)^```$", re.MULTILINE | re.DOTALL)


def section(markdown: str, title: str) -> str:
    """The text under a level-2 heading, up to the next one; fails if the heading is missing."""
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", markdown, re.M | re.S)
    assert match, f"the generated README has no '## {title}' section"
    return match.group(1)


def first_block(project: Path, title: str) -> str:
    """The first ```sh block of a README section, exactly as a user would copy it."""
    blocks = FENCED_SH.findall(section((project / "README.md").read_text(), title))
    assert blocks, f"the README's '## {title}' section shows no ```sh block"
    return str(blocks[0])


def serve_block(
    block: str, project: Path, env: dict[str, str], url: str, log: Path, timeout: float
) -> None:
    """Run a README block that ends by serving, in its own session, until url answers 200; then
    stop it all. A block that exits or never answers fails the test with the end of its log."""
    with log.open("w") as output:
        process = subprocess.Popen(
            ["sh", "-c", block],
            cwd=project,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its make, pip and server are stopped together
        )
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                pytest.fail(f"`{block.strip()}` exited {process.returncode}:\n{tail(log)}")
            try:
                with urllib.request.urlopen(url, timeout=5) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.5)
        pytest.fail(f"`{block.strip()}`: {url} did not answer in {timeout:.0f} s:\n{tail(log)}")
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def tail(log: Path, lines: int = 40) -> str:
    """The last lines a command printed."""
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
