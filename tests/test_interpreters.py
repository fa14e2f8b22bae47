"""Each python_version's interpreter is found on PATH or in pyenv, or it says where it looked."""

from __future__ import annotations

import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import interpreters, projects


def fake_python(path: Path, reports: str | None) -> Path:
    """An executable that answers the probe like an interpreter of version `reports`, or fails."""
    path.parent.mkdir(parents=True, exist_ok=True)
    answer = f'echo "{reports} {path}"' if reports else "exit 127"  # like a pyenv shim
    path.write_text(f"#!/bin/sh\n{answer}\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


@pytest.fixture
def machine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty PATH directory and pyenv root, and no interpreter remembered from before."""
    (tmp_path / "bin").mkdir()
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    monkeypatch.setenv("PYENV_ROOT", str(tmp_path / "pyenv"))
    interpreters.find_python.cache_clear()
    yield tmp_path
    interpreters.find_python.cache_clear()


def test_it_takes_the_interpreter_on_path(machine: Path) -> None:
    """It prefers python3.X on PATH when that runs the version."""
    on_path = fake_python(machine / "bin" / "python3.13", "3.13")
    fake_python(machine / "pyenv/versions/3.13.1/bin/python3.13", "3.13")

    assert interpreters.find_python("3.13") == on_path


def test_it_passes_a_broken_shim_for_pyenvs_newest_release(machine: Path) -> None:
    """It skips a shim that exits 127 and takes pyenv's newest final release of that version."""
    fake_python(machine / "bin" / "python3.12", None)
    for name in ("3.12.1", "3.12.10", "3.12.9", "3.12.11t", "3.12-dev"):
        fake_python(machine / f"pyenv/versions/{name}/bin/python3.12", "3.12")

    assert interpreters.find_python("3.12") == machine / "pyenv/versions/3.12.10/bin/python3.12"


def test_it_refuses_an_interpreter_of_another_version(machine: Path) -> None:
    """It does not trust a name: python3.11 that runs 3.10 is not 3.11."""
    fake_python(machine / "bin" / "python3.11", "3.10")

    with pytest.raises(interpreters.InterpreterUnavailable):
        interpreters.find_python("3.11")


def test_it_says_what_it_looked_for_and_where(machine: Path) -> None:
    """Its message names the version, PATH and the pyenv directory it searched."""
    with pytest.raises(interpreters.InterpreterUnavailable) as missing:
        interpreters.find_python("3.14")

    message = str(missing.value)
    assert "Python 3.14" in message
    assert "python3.14 on PATH" in message
    assert f"{machine / 'pyenv' / 'versions'}/3.14.*" in message


@pytest.mark.parametrize(
    ("in_ci", "outcome"), [(True, pytest.fail.Exception), (False, pytest.skip.Exception)]
)
def test_a_missing_interpreter_fails_in_ci_and_skips_elsewhere(
    machine: Path, in_ci: bool, outcome: type[BaseException]
) -> None:
    """Like a missing database server: a failure under CI=true, one skip line elsewhere."""
    with pytest.raises(outcome, match="Python 3.14"):
        projects.python_for("3.14", in_ci=in_ci)
