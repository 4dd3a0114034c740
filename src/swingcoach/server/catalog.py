"""The curated catalog of drills and practice equipment (`catalog.toml`), each tied to the swing
faults it addresses."""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, field_validator

from swingcoach.analysis.reference import load_references

CATALOG_FILE = Path(__file__).with_name("catalog.toml")


class CatalogItem(BaseModel):
    id: str
    kind: Literal["drill", "equipment"]
    title: str
    description: str
    url: str | None = None
    faults: list[str]

    @field_validator("faults")
    @classmethod
    def _known_faults(cls, faults: list[str]) -> list[str]:
        metrics = load_references().metrics
        for fault in faults:
            metric, _, status = fault.partition(":")
            if metric not in metrics or status not in ("low", "high"):
                raise ValueError(f"unknown fault {fault!r}: use <metric>:<low|high> of references.toml")
        return faults


def drill_ids() -> set[str]:
    return {item.id for item in load_catalog() if item.kind == "drill"}


@cache
def load_catalog(path: Path = CATALOG_FILE) -> list[CatalogItem]:
    with path.open("rb") as f:
        items = [CatalogItem.model_validate(item) for item in tomllib.load(f)["items"]]
    if len({item.id for item in items}) != len(items):
        raise ValueError(f"{path}: item ids must be unique")
    return items
