"""Layer data made ready for a browser: simplified, rounded, measured once per file version.

Hectares are computed here from the original geometry, before any simplification, so the
figure a popup shows is the same one the ledger reports. The prepared layers are cached by
file path, modification time and size: editing a layer file refreshes the map.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely.geometry import mapping, shape

from geo_app.basemaps.display_datum import to_display_datum
from geo_app.catalog import Catalog, LayerSpec, load_layer_geojson
from geo_app.geodesy import hectares
from geo_app.mapview.options import Bounds
from geo_app.plan import Plan

COORDINATE_DECIMALS = 6


@dataclass(frozen=True)
class DisplayFeature:
    """One feature: its original properties, its display geometry and what was measured."""

    properties: Mapping[str, Any]
    geometry: Mapping[str, Any]
    bounds: Bounds
    hectares: float | None = None

    @property
    def id(self) -> str:
        return str(self.properties.get("id", ""))


def _to_display(geom: Any, simplify_deg: float, datum: str) -> Any:
    if simplify_deg > 0 and geom.geom_type not in ("Point", "MultiPoint"):
        simpler = shapely.simplify(geom, simplify_deg, preserve_topology=True)
        if not simpler.is_empty:
            geom = simpler
    geom = to_display_datum(geom, datum)
    return shapely.transform(geom, lambda xy: np.round(xy, COORDINATE_DECIMALS))


def _bounds(geom: Any) -> Bounds:
    west, south, east, north = shapely.bounds(geom).tolist()
    return ((south, west), (north, east))


def prepare_features(
    features: Iterable[Mapping[str, Any]], simplify_deg: float = 0.0, datum: str = "wgs84"
) -> tuple[DisplayFeature, ...]:
    """Display features for a list of GeoJSON features (not cached: for prepared data)."""
    features = list(features)
    geoms = np.array([shape(f["geometry"]) for f in features], dtype=object)
    areas = hectares(geoms) if len(geoms) else np.zeros(0)
    is_areal = np.isin(shapely.get_type_id(geoms), [3, 6]) if len(geoms) else np.zeros(0, bool)
    prepared = []
    for feature, geom, area, areal in zip(features, geoms, areas, is_areal, strict=True):
        display = _to_display(geom, simplify_deg, datum)
        prepared.append(
            DisplayFeature(
                properties=dict(feature.get("properties") or {}),
                geometry=mapping(display),
                bounds=_bounds(display),
                hectares=float(area) if areal else None,
            )
        )
    return tuple(prepared)


@lru_cache(maxsize=128)
def _prepared_file(
    spec: LayerSpec, _mtime_ns: int, _size: int, simplify_deg: float, datum: str
) -> tuple[DisplayFeature, ...]:
    return prepare_features(load_layer_geojson(spec)["features"], simplify_deg, datum)


def layer_features(
    spec: LayerSpec, simplify_deg: float = 0.0, datum: str = "wgs84"
) -> tuple[DisplayFeature, ...]:
    """The layer's display features, cached by file version and drawing settings."""
    stat = Path(spec.path).stat()
    return _prepared_file(spec, stat.st_mtime_ns, stat.st_size, simplify_deg, datum)


def union_bounds(bounds: Iterable[Bounds]) -> Bounds | None:
    items = list(bounds)
    if not items:
        return None
    return (
        (min(b[0][0] for b in items), min(b[0][1] for b in items)),
        (max(b[1][0] for b in items), max(b[1][1] for b in items)),
    )


def parcel_layer_ids(catalog: Catalog, plan: Plan) -> frozenset[str]:
    """Layers whose polygons are parcels: those the plan measures in parcel hectares."""
    measured = {
        item.measure_layer
        for item in plan.items
        if item.measure == "parcel_hectares" and item.measure_layer
    }
    return frozenset(spec.id for spec in catalog.layers if spec.id in measured)
