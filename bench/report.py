"""The report: a markdown table of the medians and their ratios, and a bar chart of them."""

import platform
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display: write files only
import matplotlib.pyplot as plt  # noqa: E402


@dataclass(frozen=True)
class Row:
    title: str
    data: str  # the database and rows the row was measured on
    a: str
    a_value: float
    b: str
    b_value: float
    unit: str
    target: float | None  # the least A/B the issue asks for (the most, if at_most)
    at_most: bool = False
    paired: float | None = None  # A/B of runs side by side (servers.Runs.ratio), if measured

    @property
    def ratio(self) -> float:
        if self.paired is not None:
            return self.paired
        return self.a_value / self.b_value if self.b_value else 0.0


def _figure(value: float, unit: str) -> str:
    return f"{value:,.0f} {unit}" if value >= 100 else f"{value:.1f} {unit}"


def table(rows: list[Row], suites: dict[str, float]) -> str:
    lines = [
        "| Comparison | Data | A | B | A/B | Target |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for row in rows:
        target = f"{'≤' if row.at_most else '≥'} {row.target:.2f}×" if row.target else ""
        lines.append(
            f"| {row.title} | {row.data} | {row.a}: {_figure(row.a_value, row.unit)} "
            f"| {row.b}: {_figure(row.b_value, row.unit)} | {row.ratio:.2f}× | {target} |"
        )
    for auth, seconds in suites.items():
        lines.append(f"| generated suite wall time, auth={auth} | SQLite | {seconds:.1f} s | | | |")
    return "\n".join(lines)


def write_report(
    rows: list[Row],
    suites: dict[str, float],
    settings: dict[str, float],
    output: Path,
    notes: list[str],
) -> str:
    """Write report.md and report.png into output; return the table."""
    output.mkdir(parents=True, exist_ok=True)
    text = table(rows, suites)
    header = (
        f"# Benchmark\n\n{time.strftime('%Y-%m-%d %H:%M')}, {settings['cores']:.0f} cores, "
        f"Python {platform.python_version()}. granian with 2 workers, 4 threads each, on "
        "127.0.0.1, as the generated command serves "
        "(the rows named after a server: that server with 2 workers; the FastAPI floor: "
        "uvicorn, 2 workers; cores: the CPU its processes used meanwhile), "
        f"`wrk -t2 -c16 -d{settings['seconds']:g}s`, medians of {settings['rounds']:.0f} "
        "alternated run(s) per side; A/B is the median of the rounds' ratios, A's run of a round "
        "against B's of the same round (where A and B were not run in one, the medians' ratio); "
        f"load average before the run {settings['load']:.2f} "
        "(other work on the machine skews the figures). `make bench` (BENCH_SECONDS, "
        "BENCH_ROWS) reruns it. The Data column names the database and the rows of the "
        "resources table each row was measured on; the PostgreSQL and MariaDB servers are "
        "throwaway ones with the test suite's settings (durability off, small buffers).\n\n"
        "For req/s, higher is better and the target is the least A/B: a large table's page at "
        "≥ 0.83× the small table's req/s is one at most 1.2× slower. For ms (bakes, the cursor "
        "walk's median time per page), lower is better; the walk's target is the most A/B, the "
        "last tenth of the pages against the first.\n\n"
    )
    (output / "report.md").write_text("\n\n".join([header + text, *notes]) + "\n")
    _plot([row for row in rows if row.unit == "req/s"], output / "report.png")
    return text


def _plot(rows: list[Row], path: Path) -> None:
    """Grouped bars: A and B of each comparison side by side, the ratio above."""
    figure, axes = plt.subplots(figsize=(max(12, 0.8 * len(rows)), 7.5))
    width = 0.38
    for index, row in enumerate(rows):
        a = axes.bar(index - width / 2, row.a_value, width, color="tab:blue")
        axes.bar(index + width / 2, row.b_value, width, color="tab:gray")
        axes.bar_label(a, labels=[f"{row.ratio:.2f}×"], padding=3, fontsize=9)
    labels = [textwrap.fill(row.title, 32) for row in rows]
    axes.set_xticks(range(len(rows)), labels, rotation=35, ha="right", rotation_mode="anchor")
    axes.tick_params(axis="x", labelsize=7)
    axes.set_ylabel("requests per second (median)")
    axes.set_title("A (blue) against B (gray); the label is A/B")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
