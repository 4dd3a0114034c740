"""Reference ranges, sources and advice texts, loaded from `references.toml`."""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path

from pydantic import BaseModel

REFERENCE_FILE = Path(__file__).with_name("references.toml")


class MetricReference(BaseModel):
    label: str
    unit: str
    event: str
    range: tuple[float, float]
    tolerance: float
    weight: float
    source: str
    definition: str
    advice_low: str
    advice_high: str


class References(BaseModel):
    sources: dict[str, str]
    metrics: dict[str, MetricReference]


@cache
def load_references(path: Path = REFERENCE_FILE) -> References:
    with path.open("rb") as f:
        return References.model_validate(tomllib.load(f))
