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


def score_metrics(
    measurements: dict[str, Measurement],
    bad_events: frozenset[str] = frozenset(),
    references: References | None = None,
) -> dict[str, MetricResult]:
    """Every reference metric scored; one measured at a badly tracked event is shown, not scored."""
    references = references or load_references()
    results: dict[str, MetricResult] = {}
    for name, reference in references.metrics.items():
        measured = measurements.get(name, Measurement(None, "not measured"))
        common = {
            "label": reference.label,
            "unit": reference.unit,
            "event": reference.event,
            "range": reference.range,
            "source": measured.source,
        }
        if measured.value is None:
            results[name] = MetricResult(value=None, status="unavailable", note=measured.note, **common)
            continue
        value = round(measured.value, 2)
        failed = sorted(bad_events.intersection(measured.events))
        if failed:
            note = f"measured at badly tracked frames ({', '.join(failed)}): not scored"
            results[name] = MetricResult(value=value, status="unreliable", note=note, **common)
            continue
        score, status = metric_score(measured.value, reference)
        results[name] = MetricResult(value=value, score=round(score, 1), status=status, **common)
    return results


def overall_score(results: dict[str, MetricResult], references: References | None = None) -> float | None:
    """Weighted mean of the scored metrics; None when none could be scored."""
    references = references or load_references()
    weighted = [
        (result.score, references.metrics[name].weight)
        for name, result in results.items()
        if result.score is not None
    ]
    total = sum(weight for _, weight in weighted)
    return round(sum(score * weight for score, weight in weighted) / total, 1) if total else None


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
