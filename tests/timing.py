"""Where a run's time goes: worker-seconds per test function, printed at the end of every run
(a pytest plugin, loaded by conftest.py).

The figures are summed on the controller from the reports every worker sends (setup, call and
teardown of each test); a stage is a test function (the suites, the fresh installs, the images,
the contract runs, the upgrade...), the cheap ones summed together.
"""

from __future__ import annotations

from collections import defaultdict

import pytest

SECONDS: defaultdict[str, float] = defaultdict(float)
# Stages under this share of the run are summed on one line.
SMALL = 0.01


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    path, _, name = report.nodeid.partition("::")
    function = name.split("[")[0]
    SECONDS[f"{path.rsplit('/', 1)[-1]}::{function}"] += report.duration


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    total = sum(SECONDS.values())
    if not total:
        return
    terminalreporter.section("worker-seconds per stage")
    small = 0.0
    for stage, seconds in sorted(SECONDS.items(), key=lambda pair: -pair[1]):
        if seconds < SMALL * total:
            small += seconds
            continue
        terminalreporter.write_line(f"{seconds:8.1f} s  {seconds / total:5.1%}  {stage}")
    terminalreporter.write_line(f"{small:8.1f} s  {small / total:5.1%}  the other tests")
    terminalreporter.write_line(f"{total:8.1f} s  in all")
