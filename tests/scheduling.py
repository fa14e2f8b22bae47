"""How `make test` spreads the run over xdist workers (a pytest plugin, loaded by conftest.py).

`--dist loadgroup` hands out work in units: a test's `xdist_group` mark names its unit (the
combinations sharing one generated suite, with their lints, replays and fresh install; the first
image and the rebuild test that reuses its layers), and an unmarked test is a unit of its own. A
worker that is nearly out of work takes the next unit in collection order
(`--no-loadscope-reorder`). This plugin orders the collection:

- dearest first, by the `cost` mark a test declares (0 is the dearest; unmarked tests come
  last), so a run ends on tests of a second or less and the workers finish together;
- units of one cost from different modules taking turns, so the suites alternate with the image
  builds, which wait on the network and the disk while a suite computes.
"""

from __future__ import annotations

import os

import pytest

# Tests without a cost mark: seconds each, run last.
CHEAP = 9


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "cost(rank): how early the scheduler starts the test (0 first; see scheduling)"
    )


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """`-n auto`: one worker more than cores. A run waits about 15 % of its time (on the network,
    the disks and child processes), which a third worker on two cores turns into work."""
    return len(os.sched_getaffinity(0)) + 1


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Sort by cost, then by each unit's turn within its module among the units of that cost."""
    turns: dict[tuple[int, str], dict[str, int]] = {}
    places: dict[str, tuple[int, int]] = {}
    for item in items:
        mark = item.get_closest_marker("cost")
        cost = int(mark.args[0]) if mark else CHEAP
        group = item.get_closest_marker("xdist_group")
        unit = str(group.args[0]) if group else item.nodeid
        units = turns.setdefault((cost, item.path.name), {})
        places[item.nodeid] = (cost, units.setdefault(unit, len(units)))
    items.sort(key=lambda item: places[item.nodeid])
