"""What the page shows, prepared without Streamlit: where the data comes from, filter
choices, tables, text for people.

The app's own side (it lives beside streamlit_app.py, not in the core package): the page
only composes widgets, and everything it decides about data is here, testable without a
browser or a Streamlit runtime. The core it builds on is :mod:`geo_app`.
"""

from __future__ import annotations

import dataclasses
import math
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
from pyproj import Geod
from shapely.geometry import Point, shape
from shapely.ops import nearest_points

from geo_app.catalog import (
    ACCURACY_LEVELS,
    DEFAULT_CATALOG_PATH,
    Catalog,
    CatalogError,
    load_catalog,
    load_layer_frame,
    load_layer_geojson,
)
from geo_app.control import CheckResult, check_workspace, kinds
from geo_app.control.kinds import KIND_KEYS
from geo_app.i18n import Strings
from geo_app.ledger import (
    PARCEL_STATUSES,
    TARGET_ITEM_ID,
    UNKNOWN,
    LandSupplyLedger,
    LedgerError,
    filter_key,
)
from geo_app.mapview.popups import format_target
from geo_app.plan import DEFAULT_PLAN_PATH, Plan, PlanItem, load_plan
from geo_app.targets import DRAWINGS, NOT_MEASURED, TargetMeasurement, measure_targets
from geo_app.workspace import ReferenceLayer, Workspace
from geo_app.workspace.layer_file import ParcelLayerFile, with_parcel_file

# Points the app at another catalog (its layer files are read beside it), for a trial
# data set or for tests; unset, the shipped layers/catalog.toml is used.
CATALOG_ENV = "GEO_APP_CATALOG"

STATUS_ORDER = PARCEL_STATUSES
# Clicking a thin line or a point lands a few pixels off it; this is roughly 10 px at the
# zoom levels the district is usually viewed at.
CLICK_TOLERANCE_M = 250.0

_GEOD = Geod(ellps="GRS80")


def catalog_path_from_env(environ: Mapping[str, str] = os.environ) -> Path | None:
    """The catalog named by GEO_APP_CATALOG, or None for the shipped one."""
    value = environ.get(CATALOG_ENV, "").strip()
    return Path(value) if value else None


def default_visible_layers(catalog: Catalog) -> tuple[str, ...]:
    return tuple(spec.id for spec in catalog.layers if spec.default_visible)


def ordered_visible(catalog: Catalog, chosen: Iterable[str]) -> tuple[str, ...]:
    """The chosen layer ids that exist, in the catalog's drawing order."""
    wanted = set(chosen)
    return tuple(spec.id for spec in catalog.layers if spec.id in wanted)


@dataclass(frozen=True)
class FilterChoices:
    """The values each parcel filter can take, in a stable display order."""

    statuses: tuple[str, ...]
    towns: tuple[str, ...]
    quarters: tuple[str, ...]


def _distinct(values: Iterable[Any]) -> list[str]:
    """The values a filter offers, written as the ledger groups them (:func:`filter_key`),
    so a choice always matches what the totals count; ``unknown`` last when present."""
    keys = {filter_key(v) for v in values}
    return sorted(keys - {UNKNOWN}) + ([UNKNOWN] if UNKNOWN in keys else [])


def filter_choices(parcels: pd.DataFrame) -> FilterChoices:
    statuses = _distinct(parcels.get("status", []))
    known = [s for s in STATUS_ORDER if s in statuses]
    return FilterChoices(
        statuses=tuple(known + [s for s in statuses if s not in STATUS_ORDER]),
        towns=tuple(_distinct(parcels.get("town", []))),
        quarters=tuple(_distinct(parcels.get("quarter", []))),
    )


def kept_choices(selected: Iterable[str] | None, available: Sequence[str]) -> list[str]:
    """A stored selection without values the data no longer has (state survives data edits)."""
    return [value for value in (selected or []) if value in available]


def as_filter_values(selected: Sequence[str]) -> tuple[str, ...] | None:
    """An empty multiselect means "no restriction", which the filters spell None."""
    return tuple(selected) if selected else None


# ----------------------------------------------------------------------- text for people


def format_number(value: float, lang: str, decimals: int = 2) -> str:
    """Large figures the way each language writes them: 200 亿 / 20 billion."""
    magnitude = abs(value)
    if lang == "zh":
        steps = ((1e8, "亿"), (1e4, "万"))
    else:
        steps = ((1e9, " billion"), (1e6, " million"))
    for size, word in steps:
        if magnitude >= size:
            return f"{_trim(value / size, decimals)}{word}"
    return _trim(value, decimals)


def _trim(value: float, decimals: int) -> str:
    text = f"{value:,.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def format_hectares(value: float) -> str:
    """Hectares as every figure of the product prints them: two decimals."""
    return f"{value:,.2f}"


# ----------------------------------------------------------------------- tables


BASE_COLUMNS = ("id", "name_zh", "name_en", "plan_ref", "accuracy", "source")


def feature_table(collection: Mapping[str, Any]) -> pd.DataFrame:
    """One row per feature with every property as a column, provenance columns first."""
    rows = [dict(feature.get("properties") or {}) for feature in collection.get("features", [])]
    frame = pd.DataFrame(rows)
    if frame.empty:
        return pd.DataFrame(columns=list(BASE_COLUMNS))
    first = [c for c in BASE_COLUMNS if c in frame.columns]
    rest = [c for c in frame.columns if c not in first]
    frame = frame[first + rest]
    # Nested values (lists, tables) show as text; a table cell cannot hold them otherwise.
    # Only a column of mixed values can hold one: its kinds are looked at in C.
    for name in frame.columns:
        if pd.api.types.is_object_dtype(frame[name].dtype) and not _NESTED.isdisjoint(
                map(type, frame[name].tolist())):
            frame[name] = frame[name].map(lambda v: str(v) if isinstance(v, dict | list) else v)
    return frame


# What JSON nests in a property: an object or an array.
_NESTED = frozenset({dict, list})


def filter_table(frame: pd.DataFrame, text: str) -> pd.DataFrame:
    """Rows where any column contains ``text`` (case-insensitive); all rows for blank text."""
    needle = text.strip().casefold()
    if not needle or frame.empty:
        return frame
    hits = frame.astype(str).apply(lambda column: column.str.casefold().str.contains(
        needle, regex=False
    ))
    return frame[hits.any(axis=1)]


def row_of_feature(frame: pd.DataFrame, feature_id: str | None) -> int | None:
    """Position of the feature's row in ``frame``, or None when it is not there."""
    if feature_id is None or "id" not in frame.columns:
        return None
    positions = [i for i, value in enumerate(frame["id"]) if value == feature_id]
    return positions[0] if positions else None


def accuracy_rank(level: str) -> int:
    return ACCURACY_LEVELS.index(level) if level in ACCURACY_LEVELS else len(ACCURACY_LEVELS)


# ----------------------------------------------------------------------- map clicks


@dataclass(frozen=True)
class FeatureHit:
    layer_id: str
    feature_id: str
    distance_m: float
    area_rank: float


def feature_at(
    lon: float,
    lat: float,
    layers: Mapping[str, Mapping[str, Any]],
    tolerance_m: float = CLICK_TOLERANCE_M,
) -> FeatureHit | None:
    """The feature a click at (lon, lat) most plausibly meant, among the drawn layers.

    Points and lines within ``tolerance_m`` win over polygons (they are drawn on top and
    are hard to hit); among polygons containing the click, the smallest wins, so a parcel
    is chosen over the town cell around it. Later layers in ``layers`` are drawn on top and
    win ties.
    """
    click = Point(lon, lat)
    # Metres per degree here, to turn a planar degree distance into metres cheaply.
    lon_m = _GEOD.line_length([lon - 0.5, lon + 0.5], [lat, lat])
    lat_m = _GEOD.line_length([lon, lon], [lat - 0.5, lat + 0.5])
    best: tuple[tuple[int, float, int], FeatureHit] | None = None
    for order, (layer_id, collection) in enumerate(layers.items()):
        for feature in collection.get("features", []):
            properties = feature.get("properties") or {}
            feature_id = properties.get("id")
            geometry = feature.get("geometry")
            if not feature_id or not geometry:
                continue
            geom = shape(geometry)
            if geom.geom_type in ("Polygon", "MultiPolygon"):
                if not geom.covers(click):
                    continue
                # Degrees² is enough to rank polygons by size.
                key = (1, geom.area, -order)
                hit = FeatureHit(layer_id, str(feature_id), 0.0, geom.area)
            else:
                nearest = nearest_points(geom, click)[0]
                distance = math.hypot((nearest.x - lon) * lon_m, (nearest.y - lat) * lat_m)
                if distance > tolerance_m:
                    continue
                key = (0, distance, -order)
                hit = FeatureHit(layer_id, str(feature_id), distance, 0.0)
            if best is None or key < best[0]:
                best = (key, hit)
    return best[1] if best else None


# ----------------------------------------------------------------------- loaded data


@dataclass(frozen=True)
class AppData:
    """Everything the page reads from disk, loaded together so it is always consistent."""

    catalog: Catalog
    plan: Plan
    ledger: LandSupplyLedger
    parcel_layer: str
    targets: tuple[TargetMeasurement, ...]
    choices: FilterChoices
    # Layers whose file cannot be used: layer id -> the reason (file, feature, what is wrong).
    broken_layers: Mapping[str, str] = field(default_factory=dict)

    @property
    def usable_catalog(self) -> Catalog:
        """The catalog without its broken layers: what the map, search and tables use."""
        if not self.broken_layers:
            return self.catalog
        usable = tuple(s for s in self.catalog.layers if s.id not in self.broken_layers)
        return dataclasses.replace(self.catalog, layers=usable)


def data_version(catalog_path: Path | None) -> tuple[tuple[str, int, int], ...]:
    """Size and modification time of every input file: a new value means reload."""
    catalog = load_catalog(catalog_path)
    paths = [catalog.path or DEFAULT_CATALOG_PATH, DEFAULT_PLAN_PATH]
    paths += [spec.path for spec in catalog.layers]
    version = []
    for path in paths:
        stat = Path(path).stat()
        version.append((str(path), stat.st_mtime_ns, stat.st_size))
    return tuple(version)


def load_app_data(
    catalog_path: Path | None = None, parcels: ParcelLayerFile | None = None
) -> AppData:
    """Catalog, plan, land-supply ledger and target measurements.

    ``parcels``: the workspace's parcels, which then replace the parcel layer's file
    everywhere (map, totals, targets, tables, exports); None keeps the catalog's file.
    A layer file that breaks the data contract is reported in ``broken_layers`` and left
    out; the page works without it. Raises CatalogError, PlanError or LedgerError (with the
    file, feature and reason) when the catalog, the plan or the parcels cannot be used.
    """
    catalog = load_catalog(catalog_path)
    plan = load_plan()
    target_item = plan.item(TARGET_ITEM_ID)
    if target_item.measure_layer is None or target_item.quantity is None:
        raise LedgerError(f"plan item {TARGET_ITEM_ID} has no quantity or measure layer")
    if parcels is not None and target_item.measure_layer in catalog.ids():
        catalog = with_parcel_file(catalog, target_item.measure_layer, parcels)
    try:
        parcel_spec = catalog.layer(target_item.measure_layer)
    except KeyError as exc:
        raise CatalogError(str(exc.args[0])) from exc
    broken = {}
    try:
        parcels = load_layer_frame(parcel_spec)
    except CatalogError as exc:
        # The page opens without the parcels rather than not at all: the layer is listed as
        # broken (with its reason) and the totals are of no parcels.
        broken[parcel_spec.id] = str(exc)
        parcels = gpd.GeoDataFrame({"id": []}, geometry=[], crs="EPSG:4326")
    ledger = LandSupplyLedger(
        parcels, float(target_item.quantity), sample_data=parcel_spec.sample_data or None
    )

    for spec in catalog.layers:
        if spec.id in broken:
            continue
        try:
            load_layer_geojson(spec)
        except CatalogError as exc:
            broken[spec.id] = str(exc)

    def frame_of(layer_id: str) -> gpd.GeoDataFrame:
        return load_layer_frame(catalog.layer(layer_id))

    return AppData(
        catalog=catalog,
        plan=plan,
        ledger=ledger,
        parcel_layer=parcel_spec.id,
        targets=measure_targets(
            plan, frame_of, {spec.id for spec in catalog.layers if spec.sample_data}
        ),
        choices=filter_choices(ledger.parcels),
        broken_layers=broken,
    )


# ----------------------------------------------------------------------- tables for people


def breakdown_frame(
    totals: Mapping[str, float], label: Callable[[str], str], category: str, hectares: str
) -> pd.DataFrame:
    """A two-column table (category, hectares rounded to 2 decimals) indexed for charts."""
    frame = pd.DataFrame(
        {category: [label(key) for key in totals], hectares: [round(v, 2) for v in totals.values()]}
    )
    return frame.set_index(category)


@dataclass(frozen=True)
class TargetGroups:
    """The targets as the page shows them: figures of parcels (planners' or sample data),
    targets the map only sketches (counts of our drawings), and targets no layer measures."""

    measured: tuple[TargetMeasurement, ...]
    drawn: tuple[TargetMeasurement, ...]
    others: tuple[TargetMeasurement, ...]


def target_groups(measurements: Sequence[TargetMeasurement]) -> TargetGroups:
    return TargetGroups(
        measured=tuple(m for m in measurements if m.measured is not None and not m.is_drawing),
        drawn=tuple(m for m in measurements if m.is_drawing),
        others=tuple(m for m in measurements if m.measured is None),
    )


def target_rows(
    measurements: Sequence[TargetMeasurement],
    catalog: Catalog,
    strings: Strings,
    lang: str,
) -> pd.DataFrame:
    """One row per quantitative target: the goal, what the layers measure, and how."""
    column = lambda name: strings.get(f"app.targets.column.{name}", lang)  # noqa: E731
    rows = []
    for result in measurements:
        item = result.item
        rows.append(
            {
                column("item"): item.name(lang),
                column("section"): item.section,
                column("goal"): format_target(item, strings, lang) or "",
                column("measured"): _measured_text(result, strings, lang),
                column("outcome"): strings.get(f"app.targets.outcome.{result.outcome}", lang),
                column("share"): None if result.share is None else round(result.share * 100, 1),
                column("method"): _method_text(result, catalog, strings, lang),
            }
        )
    return pd.DataFrame(rows)


def _unit_text(item: PlanItem, strings: Strings, lang: str) -> str:
    if lang == "zh" and item.unit_zh:
        return item.unit_zh
    name = f"units.{item.unit}"
    return strings.get(name, lang) if name in strings else (item.unit or "")


def _measured_text(result: TargetMeasurement, strings: Strings, lang: str) -> str:
    if result.measured is None:
        return "—"
    decimals = 0 if result.item.measure == "feature_count" else 2
    value = format_number(result.measured, lang, decimals=decimals)
    unit = _unit_text(result.item, strings, lang)
    text = f"{value} {unit}".strip()
    # A count of drawings says so in its own cell, so it cannot be read as a figure of
    # progress when the row is copied out of the table. (Sample parcels are named as such
    # by the outcome and the method cells.)
    if result.basis == DRAWINGS:
        return strings.get("app.targets.value.drawn", lang, value=text)
    return text


def _method_text(
    result: TargetMeasurement, catalog: Catalog, strings: Strings, lang: str
) -> str:
    item = result.item
    if result.outcome == NOT_MEASURED:
        reason = item.note_en if lang == "en" else item.note_zh
        return reason or strings.get("app.targets.method.none", lang)
    if result.problem is not None:
        return result.problem
    layer_id = item.measure_layer or ""
    layer = catalog.layer(layer_id).name(lang) if layer_id in catalog.ids() else layer_id
    parts = [
        strings.get(
            f"app.targets.method.{item.measure}", lang, layer=layer, count=result.feature_count
        )
    ]
    if item.measure_filter:
        criteria = ", ".join(f"{key} = {value}" for key, value in item.measure_filter.items())
        parts.append(strings.get("app.targets.method.where", lang, criteria=criteria))
    if result.accuracy_counts:
        counts = ", ".join(
            f"{strings.get(f'accuracy.{level}', lang) if f'accuracy.{level}' in strings else level}"
            f" {count}"
            for level, count in sorted(
                result.accuracy_counts.items(), key=lambda entry: accuracy_rank(entry[0])
            )
        )
        parts.append(strings.get("app.targets.method.accuracy", lang, counts=counts))
    if result.sample_data:
        parts.append(strings.get("app.targets.method.sample", lang))
    if result.samples_left_out:
        parts.append(
            strings.get("app.targets.method.samples_left_out", lang, count=result.samples_left_out)
        )
    if result.is_drawing:
        parts.append(strings.get("app.targets.method.drawings", lang))
        note = item.note_en if lang == "en" else item.note_zh
        if note:
            parts.append(note)
    separator = "；" if lang == "zh" else "; "
    return separator.join(parts)


_MARKDOWN_SPECIALS = frozenset("\\`*_{}[]()<>#+-.!|~$:")


def escape_markdown(text: str) -> str:
    """Text that Streamlit's Markdown labels show literally (no links, emphasis or HTML)."""
    return "".join(f"\\{char}" if char in _MARKDOWN_SPECIALS else char for char in text)


# ----------------------------------------------------------------------- control lines


@dataclass(frozen=True)
class ControlState:
    """The workspace's reference layers and the compliance check of its parcels, for one
    state of both (computed once per change, see :func:`control_token`)."""

    layers: tuple[ReferenceLayer, ...]
    # The parcels checked (lon/lat), in the check's order.
    parcel_ids: tuple[str, ...]
    parcel_geometries: tuple[Any, ...]
    # None when no reference layer is loaded: nothing was checked.
    check: CheckResult | None
    # Each conflicting parcel's hectares in any conflict (measured once: a union and an
    # ellipsoidal area per parcel).
    conflict_ha: Mapping[str, float] = field(default_factory=dict)

    @property
    def not_checked(self) -> list[str]:
        """The kinds that can conflict and have no layer loaded."""
        loaded = {layer.kind for layer in self.layers}
        return [key for key in KIND_KEYS if kinds()[key].can_conflict and key not in loaded]


def control_token(workspace: Workspace) -> tuple[str, tuple[int, ...]]:
    """Changes whenever the reference layers change (two small reads)."""
    return workspace.references_changed_at(), tuple(
        layer.layer_id for layer in workspace.reference_layers()
    )


def control_state(workspace: Workspace) -> ControlState:
    """The check of every parcel of the workspace against its active reference layers:
    the same figures as ``geo-app check --workspace``."""
    layers = tuple(workspace.reference_layers())
    parcels = workspace.parcels()
    ids = tuple(p.parcel_id for p in parcels)
    geometries = tuple(p.geometry for p in parcels)
    check = check_workspace(workspace, list(ids), list(geometries)) if layers else None
    conflict_ha = {} if check is None else {
        p.parcel_id: p.conflict_hectares for p in check.in_conflict
    }
    return ControlState(layers, ids, geometries, check, conflict_ha)


@dataclass(frozen=True)
class ConflictFigures:
    """How much of the given parcels' land conflicts with the control lines."""

    hectares: float
    parcels: int
    total_ha: float

    @property
    def share(self) -> float:
        return self.hectares / self.total_ha if self.total_ha > 0 else math.nan


def conflict_figures(state: ControlState, parcel_ids: Iterable[str]) -> ConflictFigures | None:
    """The conflicts of the parcels ``parcel_ids`` (those the filters leave); None when
    nothing was checked."""
    if state.check is None:
        return None
    wanted = set(parcel_ids)
    chosen = [p for p in state.check.parcels if p.parcel_id in wanted]
    conflicting = [p for p in chosen if p.in_conflict]
    return ConflictFigures(
        hectares=float(sum(state.conflict_ha[p.parcel_id] for p in conflicting)),
        parcels=len(conflicting),
        total_ha=float(sum(p.hectares for p in chosen)),
    )


COMPLIANCE_COLUMNS = ("id", "name", "hectares", "conflict_ha", "conflicts", "farmland",
                      "eco_redline", "outside_dev", "cultivated", "landuse")
# The columns of a kind, left out when no layer of it is loaded (nothing was checked).
KIND_COLUMNS = {"farmland": ("farmland",), "eco_redline": ("eco_redline",),
                "dev_boundary": ("outside_dev",), "landuse": ("cultivated", "landuse")}


def compliance_table(
    state: ControlState,
    names: Mapping[str, str],
    strings: Strings,
    lang: str,
    parcel_ids: Iterable[str] | None = None,
    only_conflicts: bool = False,
) -> pd.DataFrame:
    """One row per parcel: its hectares in conflict and its conflicts, then its hectares on
    each control line, in the page's language. The columns of a kind with no layer loaded
    are left out (not checked is not 0).

    ``names``: each parcel's name by id; ``parcel_ids``: the parcels to list (None: all).
    """
    checked = {layer.kind for layer in state.layers}
    left_out = {name for kind, names_ in KIND_COLUMNS.items() if kind not in checked
                for name in names_}
    shown = [name for name in COMPLIANCE_COLUMNS if name not in left_out]
    headers = [strings.get(f"app.compliance.column.{name}", lang) for name in shown]
    check = state.check
    if check is None:
        return pd.DataFrame(columns=headers)
    wanted = None if parcel_ids is None else set(parcel_ids)
    conflict_classes = kinds()["landuse"].conflict_classes
    separator = "；" if lang == "zh" else "; "
    rows = []
    for parcel in check.parcels:
        if wanted is not None and parcel.parcel_id not in wanted:
            continue
        if only_conflicts and not parcel.in_conflict:
            continue
        landuse = parcel.landuse_ha or {}
        values = {
            "id": parcel.parcel_id,
            "name": names.get(parcel.parcel_id, parcel.parcel_id),
            "hectares": parcel.hectares,
            "conflict_ha": state.conflict_ha.get(parcel.parcel_id, 0.0),
            "conflicts": separator.join(c.text(lang) for c in parcel.conflicts)
            or strings.get("app.compliance.clear", lang),
            "farmland": parcel.farmland_ha,
            "eco_redline": parcel.eco_redline_ha,
            "outside_dev": parcel.outside_dev_boundary_ha,
            "cultivated": float(sum(ha for name, ha in landuse.items()
                                    if name in conflict_classes)),
            "landuse": separator.join(f"{name} {ha:,.4f}" for name, ha in landuse.items()),
        }
        rows.append([values[name] for name in shown])
    return pd.DataFrame(rows, columns=headers)
