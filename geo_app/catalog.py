"""The layer catalog (``layers/catalog.toml``) and the GeoJSON files it lists.

A layer is data: one GeoJSON file plus one catalog entry. This module reads and checks
both, so the map, the exports and the ledger never need to know a layer by name.
"""

from __future__ import annotations

import json
import re
import threading
import tomllib
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import chain
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import orjson
import shapely
from shapely.geometry import shape

from geo_app import compact_json
from geo_app.plan import Plan, display_path, load_plan
from geo_app.problems import DataError
from geo_app.reading.base import collection_paused
from geo_app.resources import LAYERS_DIR

DEFAULT_CATALOG_PATH = LAYERS_DIR / "catalog.toml"

ACCURACY_LEVELS = ("surveyed", "approximate", "schematic")
PROVENANCE_FIELDS = ("id", "name_zh", "name_en", "plan_ref", "accuracy", "source")
GEOMETRY_KINDS: Mapping[str, tuple[str, ...]] = {
    "point": ("Point", "MultiPoint"),
    "line": ("LineString", "MultiLineString"),
    "polygon": ("Polygon", "MultiPolygon"),
}

_HEX_COLOUR = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
_LAYER_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_LAYER_REQUIRED_TEXT = ("id", "file", "group", "name_zh", "name_en", "geometry")
_LAYER_OPTIONAL_TEXT = (
    "attribution_zh",
    "attribution_en",
    "licence",
    "description_zh",
    "description_en",
)


class CatalogError(DataError):
    """The catalog or one of its layer files is missing or breaks the data contract."""


@dataclass(frozen=True)
class LayerStyle:
    color: str
    weight: float = 2.0
    fill_color: str | None = None
    fill_opacity: float = 0.3
    dash_array: str | None = None
    radius: float | None = None
    color_by: str | None = None
    palette: Mapping[str, str] = field(default_factory=dict, hash=False)

    def colour_for(self, properties: Mapping[str, Any]) -> str:
        """A feature's stroke colour: its palette colour when the style colours by a field."""
        if self.color_by is not None:
            value = properties.get(self.color_by)
            if value is not None and str(value) in self.palette:
                return self.palette[str(value)]
        return self.color

    def fill_for(self, properties: Mapping[str, Any]) -> str:
        if self.color_by is not None:
            return self.colour_for(properties)
        return self.fill_color or self.color


@dataclass(frozen=True)
class LayerSpec:
    id: str
    file: str
    group: str
    name_zh: str
    name_en: str
    geometry: str
    default_visible: bool
    style: LayerStyle
    path: Path
    sample_data: bool = False
    attribution_zh: str | None = None
    attribution_en: str | None = None
    licence: str | None = None
    description_zh: str | None = None
    description_en: str | None = None

    def name(self, lang: str = "zh") -> str:
        """The layer's name; a layer holding sample data says so in its name, so the same
        layer filled with a planner's parcels is never called a sample."""
        name = self.name_en if lang == "en" else self.name_zh
        if not self.sample_data:
            return name
        from geo_app.i18n import t

        return t("layer.sample_name", lang, name=name)

    def attribution(self, lang: str = "zh") -> str | None:
        """The credit in ``lang``; the other language's when only that one is given (a
        credit is never dropped for want of a translation)."""
        return _in_lang(self.attribution_zh, self.attribution_en, lang)

    def description(self, lang: str = "zh") -> str | None:
        return _in_lang(self.description_zh, self.description_en, lang)


def _in_lang(zh: str | None, en: str | None, lang: str) -> str | None:
    return (en or zh) if lang == "en" else (zh or en)


@dataclass(frozen=True)
class LayerGroup:
    id: str
    name_zh: str
    name_en: str
    order: int

    def name(self, lang: str = "zh") -> str:
        return self.name_en if lang == "en" else self.name_zh


@dataclass(frozen=True)
class Catalog:
    layers: tuple[LayerSpec, ...]
    groups: Mapping[str, LayerGroup] = field(hash=False)
    path: Path | None = None

    def layer(self, layer_id: str) -> LayerSpec:
        for spec in self.layers:
            if spec.id == layer_id:
                return spec
        raise KeyError(f"the catalog has no layer {layer_id!r}")

    def ids(self) -> tuple[str, ...]:
        return tuple(spec.id for spec in self.layers)

    def by_group(self) -> dict[str, tuple[LayerSpec, ...]]:
        """Layers per group, groups in display order, layers in drawing order."""
        ordered = sorted(self.groups.values(), key=lambda group: (group.order, group.id))
        return {
            group.id: tuple(spec for spec in self.layers if spec.group == group.id)
            for group in ordered
        }


# --------------------------------------------------------------------------- catalog


def load_catalog(path: str | Path | None = None) -> Catalog:
    """Read and check the catalog; raise CatalogError naming the file, the layer and the reason."""
    catalog_path = Path(path) if path is not None else DEFAULT_CATALOG_PATH
    try:
        stat = catalog_path.stat()
    except FileNotFoundError as exc:
        raise CatalogError(f"{display_path(catalog_path)}: catalog file is missing") from exc
    return _load_catalog_cached(str(catalog_path.resolve()), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=16)
def _load_catalog_cached(path_text: str, _mtime_ns: int, _size: int) -> Catalog:
    catalog_path = Path(path_text)
    where = display_path(catalog_path)
    try:
        document = tomllib.loads(catalog_path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise CatalogError(f"{where}: not valid TOML ({exc})") from exc
    groups = _parse_groups(document.get("groups"), where)
    raw_layers = document.get("layers")
    if not isinstance(raw_layers, list) or not raw_layers:
        raise CatalogError(f"{where}: no [[layers]] tables")
    layers: list[LayerSpec] = []
    seen: set[str] = set()
    for index, raw in enumerate(raw_layers, start=1):
        spec = _parse_layer(raw, f"{where}: layer {index}", catalog_path.parent, groups)
        if spec.id in seen:
            raise CatalogError(f"{where}: layer {spec.id!r}: duplicate id")
        seen.add(spec.id)
        layers.append(spec)
    return Catalog(layers=tuple(layers), groups=groups, path=catalog_path)


def _parse_groups(raw: Any, where: str) -> dict[str, LayerGroup]:
    if not isinstance(raw, dict) or not raw:
        raise CatalogError(f"{where}: the [groups] tables are missing")
    groups: dict[str, LayerGroup] = {}
    for group_id, table in raw.items():
        label = f"{where}: group {group_id!r}"
        if not isinstance(table, dict):
            raise CatalogError(f"{label}: is not a table")
        for key in ("name_zh", "name_en"):
            if not isinstance(table.get(key), str) or not table[key].strip():
                raise CatalogError(f"{label}: missing field {key!r}")
        order = table.get("order")
        if isinstance(order, bool) or not isinstance(order, int):
            raise CatalogError(f"{label}: order must be a whole number")
        groups[group_id] = LayerGroup(group_id, table["name_zh"], table["name_en"], order)
    return groups


def _parse_layer(
    raw: Any, label: str, layers_dir: Path, groups: Mapping[str, LayerGroup]
) -> LayerSpec:
    if not isinstance(raw, dict):
        raise CatalogError(f"{label}: is not a table")
    if isinstance(raw.get("id"), str) and raw["id"]:
        label = f"{label.rsplit(': layer', 1)[0]}: layer {raw['id']!r}"
    for key in _LAYER_REQUIRED_TEXT:
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            raise CatalogError(f"{label}: missing field {key!r}")
    for key in _LAYER_OPTIONAL_TEXT:
        if key in raw and not isinstance(raw[key], str):
            raise CatalogError(f"{label}: field {key!r} must be text")
    if not _LAYER_ID.match(raw["id"]):
        raise CatalogError(f"{label}: id must be snake_case (a-z, 0-9, _)")
    if raw["group"] not in groups:
        raise CatalogError(f"{label}: group {raw['group']!r} is not one of {', '.join(groups)}")
    if raw["geometry"] not in GEOMETRY_KINDS:
        raise CatalogError(
            f"{label}: geometry {raw['geometry']!r} is not one of {', '.join(GEOMETRY_KINDS)}"
        )
    for key in ("default_visible", "sample_data"):
        if key in raw and not isinstance(raw[key], bool):
            raise CatalogError(f"{label}: {key} must be true or false")
    if "default_visible" not in raw:
        raise CatalogError(f"{label}: missing field 'default_visible'")
    file_name = raw["file"]
    if Path(file_name).is_absolute() or ".." in Path(file_name).parts:
        raise CatalogError(f"{label}: file must be a name inside the layers folder")
    layer_path = layers_dir / file_name
    if not layer_path.is_file():
        raise CatalogError(f"{label}: file {file_name!r} is missing")
    return LayerSpec(
        id=raw["id"],
        file=file_name,
        group=raw["group"],
        name_zh=raw["name_zh"],
        name_en=raw["name_en"],
        geometry=raw["geometry"],
        default_visible=raw["default_visible"],
        style=_parse_style(raw.get("style"), label, raw["geometry"]),
        path=layer_path,
        sample_data=raw.get("sample_data", False),
        attribution_zh=raw.get("attribution_zh"),
        attribution_en=raw.get("attribution_en"),
        licence=raw.get("licence"),
        description_zh=raw.get("description_zh"),
        description_en=raw.get("description_en"),
    )


def _parse_style(raw: Any, label: str, geometry: str) -> LayerStyle:
    if not isinstance(raw, dict):
        raise CatalogError(f"{label}: the [layers.style] table is missing")
    for key in ("color", "fill_color"):
        if key in raw and not _is_colour(raw[key]):
            raise CatalogError(f"{label}: style {key} {raw[key]!r} is not a hex colour")
    if "color" not in raw:
        raise CatalogError(f"{label}: style lacks 'color'")
    if geometry == "polygon" and "fill_color" not in raw:
        raise CatalogError(f"{label}: polygon style lacks 'fill_color'")
    numbers = {}
    for key, low, high in (
        ("fill_opacity", 0.0, 1.0),
        ("weight", 0.0, 50.0),
        ("radius", 0.0, 100.0),
    ):
        if key in raw:
            value = raw[key]
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise CatalogError(f"{label}: style {key} must be a number")
            if not low <= value <= high:
                raise CatalogError(f"{label}: style {key} {value} is outside {low}..{high}")
            numbers[key] = float(value)
    if "dash_array" in raw and not isinstance(raw["dash_array"], str):
        raise CatalogError(f'{label}: style dash_array must be text such as "6 4"')
    palette = raw.get("palette", {})
    if not isinstance(palette, dict):
        raise CatalogError(f"{label}: style palette must be a table")
    for value, colour in palette.items():
        if not _is_colour(colour):
            raise CatalogError(
                f"{label}: palette colour for {value!r} ({colour!r}) is not a hex colour"
            )
    color_by = raw.get("color_by")
    if color_by is not None and (not isinstance(color_by, str) or not palette):
        raise CatalogError(f"{label}: color_by needs a property name and a palette")
    if palette and color_by is None:
        raise CatalogError(f"{label}: palette without color_by")
    return LayerStyle(
        color=raw["color"],
        weight=numbers.get("weight", 2.0),
        fill_color=raw.get("fill_color"),
        fill_opacity=numbers.get("fill_opacity", 0.3),
        dash_array=raw.get("dash_array"),
        radius=numbers.get("radius"),
        color_by=color_by,
        palette=dict(palette),
    )


def _is_colour(value: Any) -> bool:
    return isinstance(value, str) and bool(_HEX_COLOUR.match(value))


# --------------------------------------------------------------------------- layer files


def _resolve(spec_or_id: LayerSpec | str) -> LayerSpec:
    if isinstance(spec_or_id, LayerSpec):
        return spec_or_id
    catalog = load_catalog()
    try:
        return catalog.layer(spec_or_id)
    except KeyError as exc:
        raise CatalogError(
            f"{display_path(DEFAULT_CATALOG_PATH)}: no layer {spec_or_id!r}"
        ) from exc


def load_layer_geojson(spec_or_id: LayerSpec | str) -> dict:
    """The layer's FeatureCollection, checked against the contract; a fresh copy each call."""
    return _read_layer(_resolve(spec_or_id))[0]


def load_layer_frame(spec_or_id: LayerSpec | str) -> gpd.GeoDataFrame:
    """The layer as a GeoDataFrame in EPSG:4326, one row per feature, properties as columns."""
    collection, geometries = _read_layer(_resolve(spec_or_id))
    features = collection["features"]
    with collection_paused():
        records = [dict(feature["properties"]) for feature in features]
        if geometries is None:
            geometries = _geometries([feature["geometry"] for feature in features])
        return gpd.GeoDataFrame(records, geometry=list(geometries), crs="EPSG:4326")


# The text of layer files found to keep the contract, by path, modification time, size and
# kind of geometry; the most recently read kept. A file is checked once per version.
_CHECKED: OrderedDict[tuple[str, int, int, str], str] = OrderedDict()
_CHECKED_KEEP = 64
_CHECKED_LOCK = threading.Lock()


def forget_checked_layers() -> None:
    """Check every layer file again on its next read."""
    with _CHECKED_LOCK:
        _CHECKED.clear()


def _read_layer(spec: LayerSpec) -> tuple[dict, np.ndarray | None]:
    """The layer's collection, parsed for this caller, and its geometries when this read
    was the one that checked the file (they were made for the check), else None. A file
    is parsed once per read: 100,000 parcels take seconds to parse."""
    try:
        stat = spec.path.stat()
    except FileNotFoundError as exc:
        raise CatalogError(f"{display_path(spec.path)}: layer file is missing") from exc
    key = (str(spec.path.resolve()), stat.st_mtime_ns, stat.st_size, spec.geometry)
    with _CHECKED_LOCK:
        text = _CHECKED.get(key)
        if text is not None:
            _CHECKED.move_to_end(key)
    if text is not None:
        return _parse_json(text, spec.path), None
    path = Path(key[0])
    text = path.read_text(encoding="utf-8")
    collection = _parse_json(text, path)
    geometries = check_feature_collection(collection, path, spec.geometry)
    with _CHECKED_LOCK:
        _CHECKED[key] = text
        while len(_CHECKED) > _CHECKED_KEEP:
            _CHECKED.popitem(last=False)
    return collection, geometries


def _parse_json(text: str, path: Path) -> Any:
    """The file's JSON, read by orjson (a workspace's 100,000 parcels: about twice as fast
    as the json module), by the json module where orjson would round an integer. Python's
    cycle collector waits meanwhile: its passes over the millions of objects parsed made
    the parse of 100,000 parcels take 7.5 s instead of 1.6 s."""
    with collection_paused():
        try:
            value = orjson.loads(text)
        except orjson.JSONDecodeError:
            value = None
        if value is None or _may_have_rounded(value):
            try:
                return json.loads(text)
            except json.JSONDecodeError as exc:
                raise CatalogError(f"{display_path(path)}: not valid JSON ({exc})") from exc
        return value


def _may_have_rounded(value: Any) -> bool:
    """Whether a feature's property holds a float so large it may have been an integer."""
    features = value.get("features") if isinstance(value, dict) else None
    if not isinstance(features, list):
        return False
    for feature in features:
        properties = feature.get("properties") if isinstance(feature, dict) else None
        if not isinstance(properties, dict):
            continue
        # An id held as a number may have been written as an integer beyond 64 bits.
        if compact_json.may_have_rounded(properties):
            return True
    return False


def _geometries(raw: list[Any]) -> np.ndarray:
    """Shapely geometries of GeoJSON geometry objects, None where one is unreadable.

    Polygons and multipolygons (every parcel and area layer) are made in one call per type
    from their coordinates gathered into one array (``shapely.from_ragged_array``): made
    one shape at a time, a workspace's 100,000 parcels took 6.9 s, this way 1.1 s (GEOS's
    own GeoJSON reader took 4.6 s). Anything else, and any group whose coordinates are not
    plain 2-D rings, is made one shape at a time as before.
    """
    out = np.empty(len(raw), dtype=object)
    groups: dict[str, list[int]] = {"Polygon": [], "MultiPolygon": [], "other": []}
    for row, geometry in enumerate(raw):
        kind = geometry.get("type") if isinstance(geometry, dict) else None
        groups[kind if kind in ("Polygon", "MultiPolygon") else "other"].append(row)
    for kind in ("Polygon", "MultiPolygon"):
        rows = groups[kind]
        made = _ragged(kind, [raw[row]["coordinates"] for row in rows]) if rows else None
        if made is None:
            groups["other"].extend(rows)
        else:
            out[rows] = made
    for row in groups["other"]:
        out[row] = _one_shape(raw[row])
    return out


def _ragged(kind: str, coordinates: list[Any]) -> np.ndarray | None:
    """Polygons (or multipolygons) from their GeoJSON coordinates in one call; None when
    any is not made of closed 2-D rings of at least four points."""
    polygons = coordinates if kind == "MultiPolygon" else [[c] for c in coordinates]
    points: list[Any] = []
    ring_ends, polygon_ends, part_ends = [0], [0], [0]
    try:
        for parts in polygons:
            for polygon in parts:
                for ring in polygon:
                    if len(ring) < 4 or ring[0] != ring[-1] or set(map(len, ring)) != {2}:
                        return None
                    points.extend(chain.from_iterable(ring))
                    ring_ends.append(len(points) // 2)
                polygon_ends.append(len(ring_ends) - 1)
            part_ends.append(len(polygon_ends) - 1)
        # Numbers only: text that looks like one is not a coordinate.
        flat = np.array(points)
    except (TypeError, ValueError):
        return None
    if flat.ndim != 1 or flat.dtype.kind not in "fi":
        return None
    coords = flat.reshape(-1, 2)
    offsets = (np.array(ring_ends), np.array(polygon_ends))
    if (np.diff(offsets[1]) == 0).any() or (np.diff(part_ends) == 0).any():
        return None  # a polygon without rings or a multipolygon without parts: empty
    coords = coords.astype(float, copy=False)
    if kind == "MultiPolygon":
        return shapely.from_ragged_array(shapely.GeometryType.MULTIPOLYGON, coords,
                                         (*offsets, np.array(part_ends)))
    return shapely.from_ragged_array(shapely.GeometryType.POLYGON, coords, offsets)


def _one_shape(raw: Any) -> Any:
    try:
        return shape(raw)
    except (ValueError, TypeError, AttributeError, IndexError, KeyError,
            shapely.errors.GEOSException):
        return None


def check_feature_collection(collection: Any, path: Path, geometry: str) -> np.ndarray:
    """Raise CatalogError for the first feature that breaks the data contract; else the
    features' geometries, made for the check."""
    where = display_path(path)
    if not isinstance(collection, dict) or collection.get("type") != "FeatureCollection":
        raise CatalogError(f"{where}: not a GeoJSON FeatureCollection")
    features = collection.get("features")
    if not isinstance(features, list):
        raise CatalogError(f"{where}: 'features' is not a list")
    allowed_types = GEOMETRY_KINDS[geometry]
    seen: set[str] = set()
    # Each feature's own fields in turn; the geometries all at once afterwards, and the
    # first feature found wrong by either is the one reported.
    refused: tuple[int, CatalogError] | None = None
    raw_geometries = []
    for index, feature in enumerate(features, start=1):
        label = _feature_label(where, index, feature)
        try:
            if not isinstance(feature, dict) or feature.get("type") != "Feature":
                raise CatalogError(f"{label}: not a GeoJSON Feature")
            properties = feature.get("properties")
            if not isinstance(properties, dict):
                raise CatalogError(f"{label}: has no properties")
            _check_provenance(properties, label)
            if properties["id"] in seen:
                raise CatalogError(f"{label}: duplicate id")
            seen.add(properties["id"])
            raw = feature.get("geometry")
            if not isinstance(raw, dict) or raw.get("type") not in allowed_types:
                _check_geometry(raw, allowed_types, geometry, label)
        except CatalogError as exc:
            refused = (index, exc)
            break
        raw_geometries.append(raw)
    geometries = _geometries(raw_geometries)
    doubtful = _doubtful(geometries)
    for position in doubtful:
        index = int(position) + 1
        if refused is not None and refused[0] < index:
            break
        feature = features[position]
        try:
            _check_geometry(feature["geometry"], allowed_types, geometry,
                            _feature_label(where, index, feature))
        except CatalogError as exc:
            refused = (index, exc)
            break
    if refused is not None:
        raise refused[1]
    return geometries


def _doubtful(geometries: np.ndarray) -> np.ndarray:
    """Positions of the geometries :func:`_check_geometry` may refuse: unreadable, empty,
    outside lon/lat degrees or invalid; it says why, one at a time."""
    if not len(geometries):
        return np.empty(0, dtype=int)
    missing = np.array([g is None for g in geometries], dtype=bool)
    bad = missing.copy()
    ok = np.flatnonzero(~missing)
    shapes = geometries[ok]
    bounds = shapely.bounds(shapes)
    outside = ~(
        (bounds[:, 0] >= -180) & (bounds[:, 0] <= bounds[:, 2]) & (bounds[:, 2] <= 180)
        & (bounds[:, 1] >= -90) & (bounds[:, 1] <= bounds[:, 3]) & (bounds[:, 3] <= 90)
    )
    bad[ok] = shapely.is_empty(shapes) | outside | ~shapely.is_valid(shapes)
    return np.flatnonzero(bad)


def _feature_label(where: str, index: int, feature: Any) -> str:
    if isinstance(feature, dict) and isinstance(feature.get("properties"), dict):
        feature_id = feature["properties"].get("id")
        if isinstance(feature_id, str) and feature_id:
            return f"{where}: feature {feature_id!r}"
    return f"{where}: feature {index}"


def _check_provenance(properties: Mapping[str, Any], label: str) -> None:
    for key in PROVENANCE_FIELDS:
        if key not in properties:
            raise CatalogError(f"{label}: missing field {key!r}")
        value = properties[key]
        if key == "plan_ref" and value is None:
            continue
        if not isinstance(value, str) or not value.strip():
            raise CatalogError(f"{label}: field {key!r} must be non-empty text")
    if properties["accuracy"] not in ACCURACY_LEVELS:
        raise CatalogError(
            f"{label}: unknown accuracy {properties['accuracy']!r} "
            f"(use one of {', '.join(ACCURACY_LEVELS)})"
        )


def _check_geometry(raw: Any, allowed_types: tuple[str, ...], kind: str, label: str) -> None:
    if not isinstance(raw, dict) or raw.get("type") not in allowed_types:
        found = raw.get("type") if isinstance(raw, dict) else raw
        raise CatalogError(f"{label}: geometry {found!r} does not fit a {kind} layer")
    try:
        geom = shape(raw)
    except (ValueError, TypeError, AttributeError, IndexError) as exc:
        raise CatalogError(f"{label}: unreadable geometry ({exc})") from exc
    if geom.is_empty:
        raise CatalogError(f"{label}: empty geometry")
    min_x, min_y, max_x, max_y = shapely.bounds(geom)
    if not (-180 <= min_x <= max_x <= 180 and -90 <= min_y <= max_y <= 90):
        raise CatalogError(f"{label}: coordinates are not WGS84 lon/lat degrees")
    if not geom.is_valid:
        raise CatalogError(f"{label}: invalid geometry ({shapely.is_valid_reason(geom)})")


# --------------------------------------------------------------------------- across layers


def check_layers(catalog: Catalog | None = None, plan: Plan | None = None) -> None:
    """Checks no single file can make: ids unique across layers, plan_refs known to the plan."""
    catalog = catalog if catalog is not None else load_catalog()
    plan = plan if plan is not None else load_plan()
    known_refs = set(plan.ids())
    owner: dict[str, str] = {}
    for spec in catalog.layers:
        where = display_path(spec.path)
        for feature in load_layer_geojson(spec)["features"]:
            properties = feature["properties"]
            feature_id = properties["id"]
            label = f"{where}: feature {feature_id!r}"
            if feature_id in owner:
                raise CatalogError(f"{label}: duplicate id (also in layer {owner[feature_id]!r})")
            owner[feature_id] = spec.id
            plan_ref = properties["plan_ref"]
            if plan_ref is not None and plan_ref not in known_refs:
                raise CatalogError(f"{label}: unknown plan_ref {plan_ref!r}")
    for item in plan.items:
        if item.measure_layer is not None and item.measure_layer not in catalog.ids():
            raise CatalogError(
                f"{display_path(plan.path or Path('plan.toml'))}: item {item.id!r}: "
                f"measure_layer {item.measure_layer!r} is not in the catalog"
            )
