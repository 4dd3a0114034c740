"""report.html: one self-contained page (images inlined) that works offline."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape

from swingcoach.analysis.reference import load_references
from swingcoach.report.plots import pro_overlay
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
class SwingPage:
    report: SwingReport
    strip: str  # base64 PNG
    plot: str
    bars: dict[str, Bar]
    overlay: str | None  # base64 PNG of the golfer over the tour swings, per event


def tour_percentile(report: SwingReport, metric: str) -> str:
    value = report.comparison.percentiles.get(metric) if report.comparison else None
    return "" if value is None else f"{value:.0f}"


def render_html(report: Report, strips: list[bytes], plots: list[bytes], source_name: str) -> str:
    references = load_references()
    swings = [
        SwingPage(
            report=swing,
            strip=base64.b64encode(strip).decode(),
            plot=base64.b64encode(plot).decode(),
            bars={
                name: range_bar(metric, references.metrics[name].tolerance)
                for name, metric in swing.metrics.items()
                if metric.value is not None
            },
            overlay=base64.b64encode(pro_overlay(swing.comparison)).decode() if swing.comparison else None,
        )
        for swing, strip, plot in zip(report.swings, strips, plots, strict=True)
    ]
    env = Environment(loader=PackageLoader("swingcoach.report", "templates"), autoescape=select_autoescape())
    return env.get_template("report.html.j2").render(
        report=report,
        swings=swings,
        source_name=Path(report.source.path).name,
        definitions={name: m.definition for name, m in references.metrics.items()},
        percentile=tour_percentile,
        sources=references.sources,
    )
