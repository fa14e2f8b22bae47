"""`make bench` keeps working: a one-second run writes its report with every comparison.

No figure is checked: on a shared machine a timing proves nothing. BENCH_SECONDS=1 means one
round per side and no generated suites (BENCH_SUITES=0), so the run stays around 40 s.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bench.run import DERIVED, PAIRS
from tests.conftest import IN_CI
from tests.matrix import TEMPLATE


def test_short_benchmark_writes_its_report(tmp_path: Path) -> None:
    """It prints and writes the table, one row per comparison, and the plot."""
    if shutil.which("wrk") is None:
        message = "wrk is not installed (apt-get install -y wrk)"
        if IN_CI:
            pytest.fail(f"CI=true and {message}", pytrace=False)
        pytest.skip(message)
    env = {**os.environ, "BENCH_SECONDS": "1", "BENCH_SUITES": "0", "BENCH_OUTPUT": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-m", "bench.run"],
        cwd=TEMPLATE,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    report = (tmp_path / "report.md").read_text()
    titles = [title for title, *_ in PAIRS + DERIVED]
    titles.append("bake one combination vs a trivial template")
    for title in titles:
        assert f"| {title} |" in report
        assert f"| {title} |" in result.stdout
    assert "2 sync workers" in report
    assert (tmp_path / "report.png").read_bytes().startswith(b"\x89PNG")
