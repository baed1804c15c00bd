"""Drawing rules kept as data in ``display.toml``: accuracy looks, highlight, backdrop."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from geo_app.catalog import ACCURACY_LEVELS

DISPLAY_TOML = Path(__file__).with_name("display.toml")


@dataclass(frozen=True)
class DisplayRules:
    accuracy: Mapping[str, Mapping[str, Any]]
    highlight: Mapping[str, Any]
    backdrop: Mapping[str, Any]
    points: Mapping[str, Any]


@lru_cache(maxsize=1)
def display_rules() -> DisplayRules:
    with DISPLAY_TOML.open("rb") as handle:
        document = tomllib.load(handle)
    accuracy = document["accuracy"]
    missing = [level for level in ACCURACY_LEVELS if level not in accuracy]
    if missing:
        raise ValueError(f"display.toml: no [accuracy.{missing[0]}] table")
    return DisplayRules(
        accuracy=accuracy,
        highlight=document["highlight"],
        backdrop=document["backdrop"],
        points=document["points"],
    )
