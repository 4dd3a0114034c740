"""Prometheus metrics of the API and the workers (served at /metrics)."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

REQUEST_SECONDS = Histogram(
    "swingcoach_http_request_duration_seconds",
    "HTTP request latency by route template.",
    ["method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 1, 2.5, 5, 10),
)
ANALYSIS_SECONDS = Histogram(
    "swingcoach_analysis_duration_seconds",
    "Time to analyse one swing's keypoints (device path, in the request).",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5),
)
JOB_SECONDS = Histogram(
    "swingcoach_job_duration_seconds",
    "Time one job attempt ran, by kind and outcome.",
    ["kind", "outcome"],
    buckets=(0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600),
)
JOB_OUTCOMES = Counter(
    "swingcoach_job_attempts_total", "Job attempts by kind and outcome.", ["kind", "outcome"]
)
SWINGS_CREATED = Counter("swingcoach_swings_created_total", "Swings stored, by source.", ["source"])
WEBHOOK_FAILURES = Counter("swingcoach_webhook_failures_total", "Webhook deliveries given up.")
