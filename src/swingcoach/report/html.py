"""report.html: one page that works offline, with its images and video beside it in the folder.

Images are files, not inlined, so a 20-swing session stays a small page that opens fast on a phone:
a session summary first (scores, recurring faults, a table linking to each swing), then one section
per swing. The page is written as it is rendered, its swings read one at a time, so an hour's
session never holds every swing's report at once."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape

from swingcoach.analysis.reference import References, load_references
from swingcoach.schemas import Handedness, MetricResult, Report, SwingReport, View


@dataclass(frozen=True)
class Bar:
    band_left: float
    band_width: float
    value: float
    css: str


def range_bar(metric: MetricResult, tolerance: float) -> Bar:
    """Positions (percent) of the tour band and the golfer's value on an axis reaching `tolerance`
    beyond the band on each side."""
    low, high = metric.range
    axis_low, axis_high = low - tolerance, high + tolerance
    span = axis_high - axis_low

    def pct(x: float) -> float:
        return round(100 * min(max((x - axis_low) / span, 0.0), 1.0), 1)

    score = metric.score or 0.0
    css = "s-ok" if metric.status == "ok" else "s-mid" if score >= 60 else f"s-{metric.status}"
    return Bar(pct(low), round(pct(high) - pct(low), 1), pct(metric.value or 0.0), css)


@dataclass(frozen=True)
class SwingFiles:
    """The images of one swing in the report folder."""

    strip: str
    plot: str
    overlay: str


def swing_files(index: int) -> SwingFiles:
    number = index + 1
    return SwingFiles(f"swing{number}_events.jpg", f"swing{number}_angles.png", f"swing{number}_pros.png")


@dataclass(frozen=True)
class SwingPage:
    report: SwingReport
    files: SwingFiles
    bars: dict[str, Bar]


@dataclass(frozen=True)
class SwingRow:
    """What the session summary (and the command line's table) shows of one swing."""

    index: int
    start_frame: int
    end_frame: int
    start_time_s: float
    handedness: Handedness
    view: View
    score: float | None
    scored_metrics: int | None
    headline: str  # the top advice, else the first warning, else empty
    faults: tuple[tuple[str, str], ...]  # (metric, label) of each piece of advice

    @classmethod
    def of(cls, report: SwingReport) -> SwingRow:
        faults = tuple((item.metric, report.metrics[item.metric].label) for item in report.advice)
        return cls(
            index=report.index,
            start_frame=report.start_frame,
            end_frame=report.end_frame,
            start_time_s=report.start_time_s,
            handedness=report.handedness,
            view=report.view,
            score=report.score,
            scored_metrics=report.scored_metrics,
            headline=faults[0][1] if faults else report.warnings[0] if report.warnings else "",
            faults=faults,
        )


@dataclass(frozen=True)
class Fault:
    label: str
    swings: list[int]  # numbers of the swings whose advice names it


def recurring_faults(rows: list[SwingRow]) -> list[Fault]:
    """The advice's metrics across the session, most frequent first."""
    counts = Counter(metric for row in rows for metric, _ in row.faults)
    labels = {metric: label for row in rows for metric, label in row.faults}
    return [
        Fault(
            label=labels[metric],
            swings=[row.index + 1 for row in rows if any(m == metric for m, _ in row.faults)],
        )
        for metric, _ in counts.most_common()
    ]


def tour_percentile(report: SwingReport, metric: str) -> str:
    value = report.comparison.percentiles.get(metric) if report.comparison else None
    return "" if value is None else f"{value:.0f}"


def swing_page(swing: SwingReport, references: References) -> SwingPage:
    return SwingPage(
        report=swing,
        files=swing_files(swing.index),
        bars={
            name: range_bar(metric, references.metrics[name].tolerance)
            for name, metric in swing.metrics.items()
            if metric.value is not None
        },
    )


def write_html(path: Path, report: Report, rows: list[SwingRow], swings: Iterable[SwingReport]) -> None:
    """report.html for `report`'s source and models (its own `swings` unused), the summary from
    `rows` and one section per swing of `swings`, read as the page is written."""
    references = load_references()

    def pages() -> Iterator[SwingPage]:
        for swing in swings:
            yield swing_page(swing, references)

    scores = [row.score for row in rows if row.score is not None]
    env = Environment(loader=PackageLoader("swingcoach.report", "templates"), autoescape=select_autoescape())
    stream = env.get_template("report.html.j2").generate(
        report=report,
        rows=rows,
        swings=pages(),
        scores=scores,
        faults=recurring_faults(rows),
        source_name=Path(report.source.path).name,
        definitions={name: m.definition for name, m in references.metrics.items()},
        percentile=tour_percentile,
        sources=references.sources,
    )
    with path.open("w", encoding="utf-8") as out:
        out.writelines(stream)
