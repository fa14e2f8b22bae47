"""Find a Python interpreter by its version, for the matrix's python_version answers.

It looks for `python3.X` on PATH, then in pyenv's `versions/3.X.*` (newest patch release first),
and keeps the first candidate that runs and reports that version: a pyenv shim on PATH exits 127
for a version pyenv does not have active.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
from pathlib import Path


class InterpreterUnavailable(Exception):
    """No working interpreter of the version asked for; the message says where it looked."""


def pyenv_root() -> Path:
    """Where pyenv keeps its versions: $PYENV_ROOT, or ~/.pyenv."""
    return Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv")


def probe(python: Path) -> tuple[str, Path] | None:
    """Run python: its X.Y version and real executable (not a shim), or None if it does not run."""
    try:
        result = subprocess.run(
            [
                str(python),
                "-c",
                "import sys; print('%d.%d' % sys.version_info[:2], sys.executable)",
            ],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if result.returncode != 0:
        return None
    version, executable = result.stdout.strip().split(" ", 1)
    return version, Path(executable)


def candidates(version: str) -> list[Path]:
    """python3.X on PATH, then pyenv's final releases of 3.X, newest first."""
    found = []
    on_path = shutil.which(f"python{version}")
    if on_path:
        found.append(Path(on_path))
    release = re.compile(rf"{re.escape(version)}\.(\d+)")
    installed = [
        (int(match[1]), path)
        for path in (pyenv_root() / "versions").glob(f"{version}.*")
        if (match := release.fullmatch(path.name))
    ]
    for _patch, path in sorted(installed, reverse=True):
        found.append(path / "bin" / f"python{version}")
    return found


@functools.cache
def find_python(version: str) -> Path:
    """Return an interpreter of Python `version`, or raise InterpreterUnavailable."""
    for python in candidates(version):
        found = probe(python)
        if found and found[0] == version:
            return found[1]
    raise InterpreterUnavailable(
        f"no Python {version}: looked for a working python{version} on PATH and in"
        f" {pyenv_root() / 'versions'}/{version}.*; install it (e.g. `pyenv install {version}`)"
    )
