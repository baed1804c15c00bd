"""The 2022 plan as facts: targets and named places read from ``seeds/plan.toml``.

The TOML file is the single source of the plan's figures; code asks this module for them
instead of repeating numbers. Every item names the article section it comes from.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from geo_app.problems import DataError
from geo_app.resources import PROJECT_ROOT, SEEDS_DIR

DEFAULT_PLAN_PATH = SEEDS_DIR / "plan.toml"

KINDS = (
    "target",
    "layout_belt",
    "layout_core",
    "layout_wing",
    "layout_point",
    "tourism_zone",
    "tourism_line",
    "rural_route",
    "festival",
    "village",
    "demo_belt",
    "road_project",
    "facility",
    "industry",
    "programme",
)
UNITS = (
    "ha",
    "km",
    "mu",
    "count",
    "yuan",
    "persons",
    "person_times",
    "percent",
    "head",
    "households",
)
COMPARISONS = ("at_least", "about", "exactly")
MEASURES = ("parcel_hectares", "line_km", "feature_count")

_REQUIRED_TEXT = ("id", "name_zh", "name_en", "kind", "section")
_OPTIONAL_TEXT = (
    "unit",
    "unit_zh",
    "comparison",
    "not_drawn_reason_zh",
    "not_drawn_reason_en",
    "measure",
    "measure_layer",
    "note_zh",
    "note_en",
)
_KNOWN_KEYS = frozenset((*_REQUIRED_TEXT, *_OPTIONAL_TEXT, "quantity", "spatial", "measure_filter"))
_META_REQUIRED = ("title_zh", "title_en", "source", "year")
_ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")


class PlanError(DataError):
    """The plan file is missing or one of its items breaks the data contract."""


@dataclass(frozen=True)
class PlanItem:
    id: str
    name_zh: str
    name_en: str
    kind: str
    section: str
    # Kept as written (int or float) so counts print without a decimal point.
    quantity: int | float | None = None
    unit: str | None = None
    unit_zh: str | None = None
    comparison: str | None = None
    spatial: bool = False
    not_drawn_reason_zh: str | None = None
    not_drawn_reason_en: str | None = None
    measure: str | None = None
    measure_layer: str | None = None
    measure_filter: Mapping[str, Any] = field(default_factory=dict, hash=False)
    note_zh: str | None = None
    note_en: str | None = None

    @property
    def is_target(self) -> bool:
        return self.quantity is not None

    @property
    def has_not_drawn_reason(self) -> bool:
        return self.not_drawn_reason_zh is not None

    def name(self, lang: str = "zh") -> str:
        return self.name_en if lang == "en" else self.name_zh


@dataclass(frozen=True)
class Plan:
    meta: Mapping[str, Any]
    items: tuple[PlanItem, ...]
    path: Path | None = None

    def __iter__(self) -> Iterator[PlanItem]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def __contains__(self, item_id: object) -> bool:
        return any(item.id == item_id for item in self.items)

    def item(self, item_id: str) -> PlanItem:
        for item in self.items:
            if item.id == item_id:
                return item
        raise KeyError(f"the plan has no item {item_id!r}")

    def ids(self) -> tuple[str, ...]:
        return tuple(item.id for item in self.items)

    def targets(self) -> tuple[PlanItem, ...]:
        return tuple(item for item in self.items if item.quantity is not None)

    def spatial_items(self) -> tuple[PlanItem, ...]:
        return tuple(item for item in self.items if item.spatial)

    def by_kind(self, kind: str) -> tuple[PlanItem, ...]:
        return tuple(item for item in self.items if item.kind == kind)


def display_path(path: Path) -> str:
    """The path relative to the project when it is inside it, so messages stay short."""
    try:
        return str(path.resolve().relative_to(PROJECT_ROOT))
    except ValueError:
        return str(path)


def load_plan(path: str | Path | None = None) -> Plan:
    """Read and validate the plan; raise PlanError naming the file, the item and the reason."""
    plan_path = Path(path) if path is not None else DEFAULT_PLAN_PATH
    where = display_path(plan_path)
    try:
        with plan_path.open("rb") as handle:
            document = tomllib.load(handle)
    except FileNotFoundError as exc:
        raise PlanError(f"{where}: plan file is missing") from exc
    except tomllib.TOMLDecodeError as exc:
        raise PlanError(f"{where}: not valid TOML ({exc})") from exc
    meta = document.get("meta")
    if not isinstance(meta, dict):
        raise PlanError(f"{where}: the [meta] table is missing")
    for key in _META_REQUIRED:
        if key not in meta:
            raise PlanError(f"{where}: [meta] lacks the field {key!r}")
    raw_items = document.get("items")
    if not isinstance(raw_items, list) or not raw_items:
        raise PlanError(f"{where}: no [[items]] tables")
    items: list[PlanItem] = []
    seen: set[str] = set()
    for index, raw in enumerate(raw_items, start=1):
        item = _parse_item(raw, f"{where}: item {index}")
        if item.id in seen:
            raise PlanError(f"{where}: item {item.id!r}: duplicate id")
        seen.add(item.id)
        items.append(item)
    return Plan(meta=dict(meta), items=tuple(items), path=plan_path)


def _parse_item(raw: Any, label: str) -> PlanItem:
    if not isinstance(raw, dict):
        raise PlanError(f"{label}: is not a table")
    item_id = raw.get("id")
    if isinstance(item_id, str) and item_id:
        label = f"{label.rsplit(': item', 1)[0]}: item {item_id!r}"
    for key in _REQUIRED_TEXT:
        value = raw.get(key)
        if not isinstance(value, str) or not value.strip():
            raise PlanError(f"{label}: missing field {key!r}")
    for key in _OPTIONAL_TEXT:
        if key in raw and not isinstance(raw[key], str):
            raise PlanError(f"{label}: field {key!r} must be text")
    unknown = sorted(set(raw) - _KNOWN_KEYS)
    if unknown:
        raise PlanError(f"{label}: unknown field(s) {', '.join(map(repr, unknown))}")
    if not _ID_PATTERN.match(raw["id"]):
        raise PlanError(f"{label}: id must be snake_case (a-z, 0-9, _)")
    _check_choice(raw, "kind", KINDS, label)
    _check_choice(raw, "unit", UNITS, label)
    _check_choice(raw, "comparison", COMPARISONS, label)
    _check_choice(raw, "measure", MEASURES, label)
    quantity = raw.get("quantity")
    if quantity is not None:
        if isinstance(quantity, bool) or not isinstance(quantity, int | float):
            raise PlanError(f"{label}: quantity must be a number")
        if "unit" not in raw:
            raise PlanError(f"{label}: quantity without a unit")
    elif "unit" in raw or "comparison" in raw:
        raise PlanError(f"{label}: unit or comparison without a quantity")
    spatial = raw.get("spatial", False)
    if not isinstance(spatial, bool):
        raise PlanError(f"{label}: spatial must be true or false")
    has_zh = "not_drawn_reason_zh" in raw
    if has_zh != ("not_drawn_reason_en" in raw):
        raise PlanError(f"{label}: not_drawn_reason needs both zh and en")
    if has_zh and not spatial:
        raise PlanError(f"{label}: not_drawn_reason on an item that is not spatial")
    measure_filter = raw.get("measure_filter", {})
    if not isinstance(measure_filter, dict):
        raise PlanError(f"{label}: measure_filter must be a table")
    if "measure" in raw:
        if "measure_layer" not in raw:
            raise PlanError(f"{label}: measure without measure_layer")
        if quantity is None:
            raise PlanError(f"{label}: measure without a quantity to compare with")
    elif "measure_layer" in raw or measure_filter:
        raise PlanError(f"{label}: measure_layer or measure_filter without measure")
    return PlanItem(
        id=raw["id"],
        name_zh=raw["name_zh"],
        name_en=raw["name_en"],
        kind=raw["kind"],
        section=raw["section"],
        quantity=quantity,
        unit=raw.get("unit"),
        unit_zh=raw.get("unit_zh"),
        comparison=raw.get("comparison"),
        spatial=spatial,
        not_drawn_reason_zh=raw.get("not_drawn_reason_zh"),
        not_drawn_reason_en=raw.get("not_drawn_reason_en"),
        measure=raw.get("measure"),
        measure_layer=raw.get("measure_layer"),
        measure_filter=dict(measure_filter),
        note_zh=raw.get("note_zh"),
        note_en=raw.get("note_en"),
    )


def _check_choice(raw: dict, key: str, allowed: tuple[str, ...], label: str) -> None:
    if key in raw and raw[key] not in allowed:
        raise PlanError(f"{label}: {key} {raw[key]!r} is not one of {', '.join(allowed)}")
