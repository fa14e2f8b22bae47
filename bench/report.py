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
    a: str
    a_value: float
    b: str
    b_value: float
    unit: str
    target: float | None  # the least A/B the issue asks for, if any

    @property
    def ratio(self) -> float:
        return self.a_value / self.b_value if self.b_value else 0.0


def _figure(value: float, unit: str) -> str:
    return f"{value:,.0f} {unit}" if value >= 100 else f"{value:.1f} {unit}"


def table(rows: list[Row], suites: dict[str, float]) -> str:
    lines = ["| Comparison | A | B | A/B | Target |", "| --- | --- | --- | --- | --- |"]
    for row in rows:
        target = f"≥ {row.target:.2f}×" if row.target else ""
        lines.append(
            f"| {row.title} | {row.a}: {_figure(row.a_value, row.unit)} "
            f"| {row.b}: {_figure(row.b_value, row.unit)} | {row.ratio:.2f}× | {target} |"
        )
    for auth, seconds in suites.items():
        lines.append(f"| generated suite wall time, auth={auth} | {seconds:.1f} s | | | |")
    return "\n".join(lines)


def write_report(
    rows: list[Row], suites: dict[str, float], settings: dict[str, float], output: Path
) -> str:
    """Write report.md and report.png into output; return the table."""
    output.mkdir(parents=True, exist_ok=True)
    text = table(rows, suites)
    header = (
        f"# Benchmark\n\n{time.strftime('%Y-%m-%d %H:%M')}, {settings['cores']:.0f} cores, "
        f"Python {platform.python_version()}. gunicorn with 2 sync workers on 127.0.0.1, SQLite "
        f"with 100 rows, `wrk -t2 -c16 -d{settings['seconds']:g}s`, medians of "
        f"{settings['rounds']:.0f} alternated run(s) per side; `make bench` (BENCH_SECONDS) "
        "reruns it. For req/s, higher is better; for bakes (ms), lower is.\n\n"
    )
    (output / "report.md").write_text(header + text + "\n")
    _plot([row for row in rows if row.unit == "req/s"], output / "report.png")
    return text


def _plot(rows: list[Row], path: Path) -> None:
    """Grouped bars: A and B of each comparison side by side, the ratio above."""
    figure, axes = plt.subplots(figsize=(12, 5.5))
    width = 0.38
    for index, row in enumerate(rows):
        a = axes.bar(index - width / 2, row.a_value, width, color="tab:blue")
        axes.bar(index + width / 2, row.b_value, width, color="tab:gray")
        axes.bar_label(a, labels=[f"{row.ratio:.2f}×"], padding=3, fontsize=9)
    axes.set_xticks(range(len(rows)), [textwrap.fill(row.title, 22) for row in rows])
    axes.tick_params(axis="x", labelsize=7)
    axes.set_ylabel("requests per second (median)")
    axes.set_title("A (blue) against B (gray); the label is A/B")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
