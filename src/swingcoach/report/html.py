"""report.html: one page that works offline, with its images and video beside it in the folder.

Images are files, not inlined, so a 20-swing session stays a small page that opens fast on a phone:
a session summary first (scores, recurring faults, a table linking to each swing), then one section
per swing."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape

from swingcoach.analysis.reference import load_references
from swingcoach.schemas import MetricResult, Report, SwingReport


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
class Fault:
    label: str
    swings: list[int]  # numbers of the swings whose advice names it


def recurring_faults(swings: list[SwingReport]) -> list[Fault]:
    """The advice's metrics across the session, most frequent first."""
    counts = Counter(item.metric for swing in swings for item in swing.advice)
    return [
        Fault(
            label=next(s.metrics[metric].label for s in swings if metric in s.metrics),
            swings=[s.index + 1 for s in swings if any(a.metric == metric for a in s.advice)],
        )
        for metric, _ in counts.most_common()
    ]


def tour_percentile(report: SwingReport, metric: str) -> str:
    value = report.comparison.percentiles.get(metric) if report.comparison else None
    return "" if value is None else f"{value:.0f}"


def render_html(report: Report) -> str:
    references = load_references()
    swings = [
        SwingPage(
            report=swing,
            files=swing_files(swing.index),
            bars={
                name: range_bar(metric, references.metrics[name].tolerance)
                for name, metric in swing.metrics.items()
                if metric.value is not None
            },
        )
        for swing in report.swings
    ]
    scores = [s.score for s in report.swings if s.score is not None]
    env = Environment(loader=PackageLoader("swingcoach.report", "templates"), autoescape=select_autoescape())
    return env.get_template("report.html.j2").render(
        report=report,
        swings=swings,
        scores=scores,
        faults=recurring_faults(report.swings),
        source_name=Path(report.source.path).name,
        definitions={name: m.definition for name, m in references.metrics.items()},
        percentile=tour_percentile,
        sources=references.sources,
    )
