"""The combinations the matrix covers, computed from cookiecutter.json.

Every choice and boolean key enters a full cartesian product, except the cosmetic keys, which
change no behaviour and are swept one value at a time on top of the defaults. A key added to
cookiecutter.json is covered the day it is added.
"""

from __future__ import annotations

import itertools
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

TEMPLATE = Path(__file__).resolve().parents[1]

# Keys that only change text (target versions, license file): one sweep each suffices. Each
# python_version answer also runs on its own interpreter (test_fresh_install_passes_on_its_python).
COSMETIC = ("python_version", "license")

# Combinations that must be refused, each with the reason: {frozenset(answer items): reason}.
REFUSED: dict[frozenset[tuple[str, Any]], str] = {}


def export_template(destination: Path) -> Path:
    """Copy the template's own files (what git would commit) into destination, to bake from.

    A working tree also holds .venv and build/, which no bake should read.
    """
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=TEMPLATE,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        if (TEMPLATE / name).is_file():  # a tracked file deleted in the working tree is gone
            (destination / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(TEMPLATE / name, destination / name)
    return destination


def options(template: Path = TEMPLATE) -> dict[str, list[Any]]:
    """Return every choice or boolean key with its values, the default first."""
    context = json.loads((template / "cookiecutter.json").read_text())
    found: dict[str, list[Any]] = {}
    for key, value in context.items():
        if key.startswith("_"):
            continue
        if isinstance(value, list):
            found[key] = list(value)
        elif isinstance(value, bool):
            found[key] = [value, not value]
    return found


def combinations(template: Path = TEMPLATE) -> list[dict[str, Any]]:
    """Full product of the behavioural keys, then each cosmetic value over the defaults."""
    choices = options(template)
    behavioural = {key: values for key, values in choices.items() if key not in COSMETIC}
    result = [
        dict(zip(behavioural, values, strict=True))
        for values in itertools.product(*behavioural.values())
    ]
    defaults = {key: values[0] for key, values in behavioural.items()}
    for key in COSMETIC:
        for value in choices.get(key, [])[1:]:
            result.append({**defaults, key: value})
    return [combo for combo in result if frozenset(combo.items()) not in REFUSED]


def combination_id(combo: dict[str, Any]) -> str:
    """A short, stable test id: the values in key order."""
    return "-".join(f"{key}={value}" for key, value in combo.items())
