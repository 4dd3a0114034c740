"""Metric values -> 0-100 scores against the reference ranges, an overall score and advice."""

from __future__ import annotations

from swingcoach.analysis.metrics import Measurement
from swingcoach.analysis.reference import MetricReference, References, load_references
from swingcoach.schemas import Advice, MetricResult

ADVICE_BELOW_SCORE = 75.0
MAX_ADVICE = 3


def metric_score(value: float, reference: MetricReference) -> tuple[float, str]:
    """100 inside the range, falling linearly to 0 at `tolerance` outside it."""
    low, high = reference.range
    if value < low:
        return max(0.0, 100.0 * (1 - (low - value) / reference.tolerance)), "low"
    if value > high:
        return max(0.0, 100.0 * (1 - (value - high) / reference.tolerance)), "high"
    return 100.0, "ok"


def unavailable_reason(reference: MetricReference, view: str, has_3d: bool) -> str:
    if reference.needs_3d and not has_3d:
        return "needs a 3D pose (use a backend with 3D or --lift)"
    if reference.views is not None and view not in reference.views:
        return f"not measurable from a {view} view (needs {' or '.join(reference.views)})"
    return "could not be measured in this clip"


def score_metrics(
    measurements: dict[str, Measurement], view: str, has_3d: bool, references: References | None = None
) -> dict[str, MetricResult]:
    references = references or load_references()
    results: dict[str, MetricResult] = {}
    for name, reference in references.metrics.items():
        measured = measurements.get(name)
        common = {
            "label": reference.label,
            "unit": reference.unit,
            "event": reference.event,
            "range": reference.range,
        }
        if measured is None or measured.value is None:
            note = measured.note if measured is not None and measured.note else None
            results[name] = MetricResult(
                value=None,
                status="unavailable",
                note=note or unavailable_reason(reference, view, has_3d),
                **common,
            )
            continue
        score, status = metric_score(measured.value, reference)
        results[name] = MetricResult(
            value=round(measured.value, 2), score=round(score, 1), status=status, **common
        )
    return results


def overall_score(results: dict[str, MetricResult], references: References | None = None) -> float:
    references = references or load_references()
    weighted = [
        (result.score, references.metrics[name].weight)
        for name, result in results.items()
        if result.score is not None
    ]
    total = sum(weight for _, weight in weighted)
    return round(sum(score * weight for score, weight in weighted) / total, 1) if total else 0.0


def advise(results: dict[str, MetricResult], references: References | None = None) -> list[Advice]:
    """Short advice for the worst-scoring metrics, most important first."""
    references = references or load_references()
    weak = [
        (name, result)
        for name, result in results.items()
        if result.score is not None and result.score < ADVICE_BELOW_SCORE and result.status in ("low", "high")
    ]
    weak.sort(key=lambda item: (item[1].score, -references.metrics[item[0]].weight))
    advice = []
    for name, result in weak[:MAX_ADVICE]:
        reference = references.metrics[name]
        text = reference.advice_low if result.status == "low" else reference.advice_high
        advice.append(Advice(metric=name, text=text, score=result.score or 0.0))
    return advice
