"""Lists as tables grow (issue 24): pages of 20 on PostgreSQL and on MariaDB, from a table of
1 000 rows and from one of BENCH_ROWS (1 000 000 by default), and a walk of the large one.

For each database: one throwaway server in the bench's temporary directory, two databases
(small, large), the generated project (auth=none, baked for that database) serving each with its
own command, which migrates them, and the floor serving the large one; then the server fills
both tables itself (bench.tables). Both tables are walked by pages of 100 following `next`:
that times every page of the large one and collects the cursors of the middle page and of the
last page of 20 (the generated list signs its cursors; the floor's are made for the same rows).
wrk then alternates the first, middle and last page of 20 of the large table against the same
page of the small one, and the generated middle page against the floor's.
"""

from pathlib import Path

from bench import floor
from bench.report import Row
from bench.servers import BenchError, Runs, alternate, bare, generated, running
from bench.tables import explain, fill, version
from bench.walk import LIST, WALK, Walk, floor_page, key, same_page, walk, with_cursor
from tests import dbservers

SMALL = 1_000
DATABASES = {"postgresql": "PostgreSQL", "mysql": "MariaDB"}
PAGES = ("first", "middle", "last")
# req/s of a large table's page against the small table's: at most 1.2x the time per request.
PAGE_TARGET = 0.83
FLOOR_TARGET = 0.85
WALK_TARGET = 1.2  # the last tenth of the walk's pages against the first, time per page


def titles(name: str) -> list[str]:
    """The report's rows for the database called name, in order."""
    return [
        *(f"{name}: {where} page of 20, large vs small table" for where in PAGES),
        f"{name}: list 20 by cursor vs bare floor",
        f"{name}: cursor walk of the large table by 100, last vs first tenth",
    ]


def spaced(rows: int) -> str:
    return f"{rows:,}".replace(",", " ")


def start(kind: str, base: Path) -> dbservers.DatabaseServer:
    base.mkdir(parents=True)
    if kind == "postgresql":
        return dbservers.start_postgresql(base)
    return dbservers.start_mariadb(base)


def pages(url: str, walked: Walk) -> dict[str, str]:
    """The first, middle and last page of 20 of a walked list served at url."""
    middle = walked.after(walked.rows // 2).next
    # The page of 20 that has no next: walk on by 20 from the start of the walk's last page,
    # to the page after the last step (the walk's last page, if no step).
    tail = walk(with_cursor(url + LIST, walked.steps[-1].next))
    last = tail.steps[-1].next if tail.steps else walked.steps[-1].next
    return {
        "first": url + LIST,
        "middle": with_cursor(url + LIST, middle),
        "last": with_cursor(url + LIST, last),
    }


def drive(
    kind: str, project: Path, work: Path, seconds: float, rounds: int, large: int
) -> tuple[Runs, Walk, str, str]:
    """Serve, fill, walk and alternate on one database: the runs of each endpoint, the walk of
    the large table, the server's name and version, and the plan of a middle page's query."""
    sizes = {"small": SMALL, "large": large}
    with start(kind, work / kind) as database:
        databases = {size: database.new_database(f"bench_{size}") for size in sizes}
        servers = {
            size: generated(project, work, f"{kind}-{size}", url) for size, url in databases.items()
        }
        servers["floor"] = bare("bench.floor:create_app", work, f"{kind}-floor", databases["large"])
        with running(servers) as urls:
            for size, url in databases.items():
                fill(url, sizes[size])
            walks = {size: walk(urls[size] + WALK) for size in sizes}
            if walks["large"].rows != large:
                raise BenchError(f"the walk saw {walks['large'].rows} of {large} rows")
            endpoints = {
                f"{size}, {where}": (url, {})
                for size in sizes
                for where, url in pages(urls[size], walks[size]).items()
            }
            middle = walks["large"].after(large // 2)
            endpoints["floor, middle"] = (floor_page(urls["floor"], middle), {})
            same_page(endpoints["large, middle"][0], endpoints["floor, middle"][0])
            pairs = [(f"large, {where}", f"small, {where}") for where in PAGES]
            pairs.append(("large, middle", "floor, middle"))
            runs = alternate(endpoints, pairs, seconds, rounds)
        plan = explain(databases["large"], floor.page_query(20, key(middle.last)))
        return runs, walks["large"], version(databases["large"]), plan


def measure(
    kind: str, project: Path, work: Path, seconds: float, rounds: int, large: int
) -> tuple[list[Row], str]:
    """The rows of titles(DATABASES[kind]), and a note on the walk and the query's plan."""
    runs, walked, server, plan = drive(kind, project, work, seconds, rounds, large)
    title = dict(zip([*PAGES, "floor", "walk"], titles(DATABASES[kind]), strict=True))
    data = f"{server}, {spaced(large)} rows"
    rows = [
        Row(
            title[where],
            f"{server}, {spaced(large)} vs {spaced(SMALL)} rows",
            f"{spaced(large)} rows",
            runs.median(f"large, {where}"),
            f"{spaced(SMALL)} rows",
            runs.median(f"small, {where}"),
            "req/s",
            PAGE_TARGET,
            paired=runs.ratio(f"large, {where}", f"small, {where}"),
        )
        for where in PAGES
    ]
    rows.append(
        Row(
            title["floor"],
            f"{data}, middle page",
            "generated list",
            runs.median("large, middle"),
            "floor list",
            runs.median("floor, middle"),
            "req/s",
            FLOOR_TARGET,
            paired=runs.ratio("large, middle", "floor, middle"),
        )
    )
    first, last = walked.tenths()
    rows.append(
        Row(
            title["walk"],
            data,
            "last tenth",
            last * 1000,
            "first tenth",
            first * 1000,
            "ms",
            WALK_TARGET,
            at_most=True,
        )
    )
    note = (
        f"{server}: the walk of {spaced(walked.rows)} rows by 100 took "
        f"{spaced(len(walked.seconds))} pages in {sum(walked.seconds):.1f} s. The plan of the "
        "middle page's query (the floor's; the generated list's has the same WHERE, ORDER BY "
        f"and LIMIT):\n\n```\n{plan}\n```"
    )
    return rows, note
