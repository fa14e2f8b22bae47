"""`make bench` keeps working: a one-second run writes its report with every comparison.

No figure is checked: on a shared machine a timing proves nothing. BENCH_SECONDS=1 means one
round per side, one run of each endpoint and no generated suites (BENCH_SUITES=0), and
BENCH_ROWS=10000 a large table filled and walked in a second, so the run stays under a minute.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bench import serving
from bench.growth import DATABASES, titles
from bench.stack import DERIVED, PAIRS
from tests import dbservers
from tests.ci import unavailable
from tests.matrix import TEMPLATE


def require_tools() -> None:
    """wrk and both database servers; missing, a failure under CI=true, else a skip."""
    try:
        if shutil.which("wrk") is None:
            raise dbservers.ServerUnavailable("wrk is not installed (apt-get install -y wrk)")
        dbservers.find_postgres_bindir()
        dbservers.find_mariadb_binaries()
    except dbservers.ServerUnavailable as missing:
        unavailable(str(missing))


@pytest.mark.cost(2)
def test_short_benchmark_writes_its_report(tmp_path: Path) -> None:
    """It prints and writes the table, one row per comparison, the plans and the plot."""
    require_tools()
    env = {
        **os.environ,
        "BENCH_SECONDS": "1",
        "BENCH_SUITES": "0",
        "BENCH_ROWS": "10000",
        "BENCH_OUTPUT": str(tmp_path),
    }
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
    rows = [title for title, *_ in PAIRS + DERIVED]
    rows += [title for name in DATABASES.values() for title in titles(name)]
    rows += serving.titles()
    rows.append("bake one combination vs a trivial template")
    for title in rows:
        assert f"| {title} |" in report
        assert f"| {title} |" in result.stdout
    assert "granian with 2 workers" in report
    for name in DATABASES.values():  # the Data column names each server and its version
        assert re.search(rf"\| {name} [\d.]+, 10 000 vs 1 000 rows \|", report)
    # The plan of a keyset page, on each server, reads the index the list's migration makes.
    assert report.count("ix_resources_created_at_id") >= 2
    assert (tmp_path / "report.png").read_bytes().startswith(b"\x89PNG")
