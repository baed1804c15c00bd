"""The kinds of reference layer, their map style and their rule, from ``kinds.toml``."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

from geo_app.problems import DataError, Lang

KINDS_TOML = Path(__file__).with_name("kinds.toml")
Rule = Literal["inside", "outside", "classes", "none"]
RULES: tuple[Rule, ...] = ("inside", "outside", "classes", "none")


@dataclass(frozen=True)
class Kind:
    """One kind of reference layer: its name, its rule and how the map draws it."""

    key: str
    zh: str
    en: str
    rule: Rule
    conflict_zh: str
    conflict_en: str
    order: int
    color: str
    fill_color: str
    fill_opacity: float
    weight: float
    dash: str
    conflict_classes: frozenset[str] = frozenset()
    class_fields: tuple[str, ...] = ()

    def label(self, lang: Lang) -> str:
        return self.zh if lang == "zh" else self.en

    def conflict(self, lang: Lang) -> str:
        return self.conflict_zh if lang == "zh" else self.conflict_en

    @property
    def can_conflict(self) -> bool:
        return self.rule != "none"


@dataclass(frozen=True)
class KindRegistry:
    kinds: dict[str, Kind]
    min_conflict_m2: float
    landuse_colors: dict[str, str]

    def __getitem__(self, key: str) -> Kind:
        return self.kinds[key]

    def keys(self) -> list[str]:
        return sorted(self.kinds, key=lambda key: self.kinds[key].order)

    def class_color(self, value: str | None) -> str:
        """The map colour of a land-use class: its own, its first-level code's, or grey."""
        if value:
            text = value.strip()
            if text in self.landuse_colors:
                return self.landuse_colors[text]
            if text[:2] in self.landuse_colors and text[:2].isdigit():
                return self.landuse_colors[text[:2]]
        return self.kinds["landuse"].fill_color


def _kind(key: str, entry: dict) -> Kind:
    try:
        kind = Kind(
            key=key,
            zh=str(entry["zh"]),
            en=str(entry["en"]),
            rule=entry["rule"],
            conflict_zh=str(entry["conflict_zh"]),
            conflict_en=str(entry["conflict_en"]),
            order=int(entry["order"]),
            color=str(entry["color"]),
            fill_color=str(entry["fill_color"]),
            fill_opacity=float(entry["fill_opacity"]),
            weight=float(entry["weight"]),
            dash=str(entry["dash"]),
            conflict_classes=frozenset(str(c) for c in entry.get("conflict_classes", ())),
            class_fields=tuple(str(c) for c in entry.get("class_fields", ())),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise DataError(f"kinds.toml: [kinds.{key}] is incomplete ({exc})") from None
    if kind.rule not in RULES:
        raise DataError(f"kinds.toml: [kinds.{key}] rule {kind.rule!r} is none of {RULES}")
    return kind


@lru_cache(maxsize=1)
def kinds() -> KindRegistry:
    with KINDS_TOML.open("rb") as handle:
        document = tomllib.load(handle)
    return KindRegistry(
        kinds={key: _kind(key, entry) for key, entry in document["kinds"].items()},
        min_conflict_m2=float(document["min_conflict_m2"]),
        landuse_colors={str(k): str(v) for k, v in document.get("landuse_colors", {}).items()},
    )


KIND_KEYS: tuple[str, ...] = tuple(kinds().keys())
