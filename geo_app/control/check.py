"""The compliance check (合规性审查): how much of each parcel lies on each control line.

For every parcel, on the exact intersection geometries and with the product's one
ellipsoidal method (GRS80, :mod:`geo_app.geodesy`):

* hectares inside permanent basic farmland and inside the ecological red line;
* hectares outside the urban development boundary;
* hectares per land-use class of the 三调 layer;
* the conflicts these make, by the rule of each kind in ``kinds.toml``.

A kind with no layer loaded is not checked, and says so (``None``), rather than reporting
a parcel as clear. Pieces of one parcel that come from overlapping reference polygons (two
farmland layers covering the same field) are merged before they are measured, so nothing
is counted twice.

The kernel is vectorised: one STRtree per kind, one intersection call for every
parcel-polygon pair that meets, one area call for every piece. ``bench/bench_check.py``
measures it against ``geopandas.overlay`` followed by a pyproj Geod loop.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from geo_app.control.kinds import KindRegistry, kinds
from geo_app.geodesy import hectares
from geo_app.i18n import t
from geo_app.problems import Lang
from geo_app.workspace import ReferenceFeatures, ReferenceLayer, Workspace
from geo_app.workspace.references import envelope

SQUARE_METRES_PER_HECTARE = 10_000.0
# The per-parcel fields of the kinds with a single figure, as the JSON names them.
FIGURES = {"farmland": "farmland_ha", "eco_redline": "eco_redline_ha",
           "dev_boundary": "outside_dev_boundary_ha"}


@dataclass(frozen=True)
class Conflict:
    """One rule a parcel breaks: its kind, and the hectares concerned."""

    kind: str
    hectares: float
    # For land use: the classes concerned, with their hectares.
    classes: tuple[tuple[str, float], ...] = ()

    def text(self, lang: Lang) -> str:
        kind = kinds()[self.kind]
        unit = t("units.ha", lang)
        base = f"{kind.conflict(lang)} {self.hectares:,.4f} {unit}"
        if self.classes:
            listed = ", ".join(f"{name} {ha:,.4f}" for name, ha in self.classes)
            base += f"（{listed}）" if lang == "zh" else f" ({listed})"
        return base

    def as_json(self) -> dict[str, Any]:
        kind = kinds()[self.kind]
        out: dict[str, Any] = {
            "kind": self.kind, "rule": kind.rule, "hectares": self.hectares,
            "message_zh": self.text("zh"), "message_en": self.text("en"),
        }
        if self.classes:
            out["classes"] = dict(self.classes)
        return out


@dataclass
class ParcelCheck:
    parcel_id: str
    hectares: float
    # None: no layer of that kind is loaded, so it was not checked.
    farmland_ha: float | None
    eco_redline_ha: float | None
    outside_dev_boundary_ha: float | None
    landuse_ha: dict[str, float] | None
    # Hectares of the land-use classes that count as cultivated (耕地); None: not checked.
    cultivated_ha: float | None = None
    # Layers of kind "other", by name: hectares inside them (never a conflict).
    other_ha: dict[str, float] = field(default_factory=dict)
    conflicts: list[Conflict] = field(default_factory=list)
    # The pieces to draw in a warning style, by kind (only those in conflict).
    pieces: dict[str, BaseGeometry] = field(default_factory=dict)

    @property
    def in_conflict(self) -> bool:
        return bool(self.conflicts)

    @cached_property
    def conflict_hectares(self) -> float:
        """The parcel's hectares in any conflict: the union of its conflict pieces, measured
        once (the check is complete before anyone asks)."""
        if not self.pieces:
            return 0.0
        return float(hectares([_union(list(self.pieces.values()))])[0])

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.parcel_id,
            "hectares": self.hectares,
            "farmland_ha": self.farmland_ha,
            "eco_redline_ha": self.eco_redline_ha,
            "outside_dev_boundary_ha": self.outside_dev_boundary_ha,
            "landuse_ha": self.landuse_ha,
            "cultivated_ha": self.cultivated_ha,
            "other_ha": self.other_ha,
            "conflicts": [c.as_json() for c in self.conflicts],
        }


@dataclass
class CheckResult:
    parcels: list[ParcelCheck]
    # The layers the check used (the active ones), with their sources and dates.
    layers: list[ReferenceLayer]

    @property
    def checked_kinds(self) -> set[str]:
        return {layer.kind for layer in self.layers}

    def total(self, attribute: str) -> float | None:
        values = [getattr(p, attribute) for p in self.parcels]
        known = [v for v in values if v is not None]
        return float(sum(known)) if known or not values else None

    @property
    def in_conflict(self) -> list[ParcelCheck]:
        return [p for p in self.parcels if p.in_conflict]

    @property
    def conflict_hectares(self) -> float:
        return float(sum(p.conflict_hectares for p in self.in_conflict))

    def landuse_totals(self) -> dict[str, float] | None:
        if "landuse" not in self.checked_kinds:
            return None
        totals: dict[str, float] = {}
        for parcel in self.parcels:
            for name, ha in (parcel.landuse_ha or {}).items():
                totals[name] = totals.get(name, 0.0) + ha
        return dict(sorted(totals.items(), key=lambda item: -item[1]))

    def summary(self) -> dict[str, Any]:
        return {
            "parcels": len(self.parcels),
            "hectares": float(sum(p.hectares for p in self.parcels)),
            "farmland_ha": self.total("farmland_ha"),
            "eco_redline_ha": self.total("eco_redline_ha"),
            "outside_dev_boundary_ha": self.total("outside_dev_boundary_ha"),
            "landuse_ha": self.landuse_totals(),
            "parcels_in_conflict": len(self.in_conflict),
            "conflict_ha": self.conflict_hectares,
            "not_checked": [k for k in ("farmland", "eco_redline", "dev_boundary", "landuse")
                            if k not in self.checked_kinds],
        }

    def as_json(self) -> dict[str, Any]:
        return {
            "parcels": [p.as_json() for p in self.parcels],
            "summary": self.summary(),
            "layers": [
                {"id": layer.layer_id, "kind": layer.kind, "name": layer.name,
                 "source": layer.source, "crs": layer.crs, "features": layer.feature_count,
                 "loaded_at": layer.loaded_at, "loaded_by": layer.loaded_by}
                for layer in self.layers
            ],
        }


# ----------------------------------------------------------------------- the kernel


@dataclass(frozen=True)
class _Pieces:
    """Polygonal pieces of parcel ∩ reference, each with its parcel and its group key."""

    geometries: np.ndarray
    parcel: np.ndarray
    group: np.ndarray


def _overlaps(parcels: np.ndarray, references: np.ndarray, groups: np.ndarray) -> _Pieces:
    """Every parcel-reference intersection with an area, as polygons."""
    if not len(parcels) or not len(references):
        empty = np.zeros(0, dtype=np.int64)
        return _Pieces(np.empty(0, dtype=object), empty, empty)
    tree = shapely.STRtree(references)
    parcel_index, reference_index = tree.query(parcels, predicate="intersects")
    pieces = shapely.intersection(parcels[parcel_index], references[reference_index])
    # Touching edges and corners meet in lines and points: only polygons have an area.
    parts, owner = shapely.get_parts(pieces, return_index=True)
    parts, inner = shapely.get_parts(parts, return_index=True)
    owner = owner[inner]
    polygonal = shapely.get_type_id(parts) == shapely.GeometryType.POLYGON
    parts, owner = parts[polygonal], owner[polygonal]
    return _Pieces(parts, parcel_index[owner], groups[reference_index[owner]])


def _merged(pieces: _Pieces) -> tuple[list[tuple[int, int]], np.ndarray]:
    """Pieces merged per (parcel, group): one geometry each, overlaps counted once."""
    if not len(pieces.geometries):
        return [], np.empty(0, dtype=object)
    order = np.lexsort((pieces.group, pieces.parcel))
    keys = np.stack([pieces.parcel[order], pieces.group[order]], axis=1)
    starts = np.flatnonzero(np.r_[True, (keys[1:] != keys[:-1]).any(axis=1)])
    ends = np.r_[starts[1:], len(order)]
    geometries = pieces.geometries[order]
    merged = np.empty(len(starts), dtype=object)
    for n, (start, end) in enumerate(zip(starts, ends, strict=True)):
        group = geometries[start:end]
        merged[n] = group[0] if end - start == 1 else _union_if_overlapping(group)
    return [(int(a), int(b)) for a, b in keys[starts]], merged


def _union_if_overlapping(pieces: np.ndarray) -> BaseGeometry:
    """The pieces as one multipolygon; unioned only when two of them overlap (clean control
    layers never do, and a union is the costliest step of the check)."""
    left, right = shapely.STRtree(pieces).query(pieces, predicate="intersects")
    pairs = left < right
    # Interiors that meet (not only edges, as neighbouring fields do): a real overlap.
    if shapely.relate_pattern(pieces[left[pairs]], pieces[right[pairs]], "T********").any():
        return shapely.union_all(pieces)
    return shapely.MultiPolygon(list(pieces))


def _union(geometries: Sequence[BaseGeometry]) -> BaseGeometry:
    """The union of pieces, taken part by part (a multipolygon of fields that share an
    edge is not valid as one geometry, but each field is)."""
    return shapely.union_all(shapely.get_parts(np.asarray(list(geometries), dtype=object)))


def _layer_arrays(
    features: Sequence[ReferenceFeatures], by_class: bool
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """The polygons of the layers of one kind, with a group number per polygon: the class
    (land use) or the layer (others)."""
    geometries = [f.geometries for f in features if len(f)]
    if not geometries:
        return np.empty(0, dtype=object), np.zeros(0, dtype=np.int64), []
    names: list[str] = []
    numbers: dict[str, int] = {}
    groups: list[int] = []
    for layer_features in features:
        for cls in layer_features.classes if by_class else [layer_features.layer.name] * len(
            layer_features
        ):
            key = cls if cls is not None else ""
            if key not in numbers:
                numbers[key] = len(names)
                names.append(key)
            groups.append(numbers[key])
    return np.concatenate(geometries), np.asarray(groups, dtype=np.int64), names


def check_parcels(
    ids: Sequence[str],
    geometries: Sequence[BaseGeometry],
    references: Sequence[ReferenceFeatures],
    registry: KindRegistry | None = None,
) -> CheckResult:
    """Check parcels (lon/lat polygons) against the features of reference layers."""
    registry = registry or kinds()
    parcels = np.asarray(list(geometries), dtype=object)
    parcel_ha = hectares(parcels) if len(parcels) else np.zeros(0)
    tolerance_ha = registry.min_conflict_m2 / SQUARE_METRES_PER_HECTARE
    results = [
        ParcelCheck(str(pid), float(ha), None, None, None, None)
        for pid, ha in zip(ids, parcel_ha.tolist(), strict=True)
    ]
    by_kind: dict[str, list[ReferenceFeatures]] = {}
    for features in references:
        by_kind.setdefault(features.layer.kind, []).append(features)
    for kind_key, features in by_kind.items():
        kind = registry[kind_key]
        by_class = kind.rule == "classes"
        polygons, groups, names = _layer_arrays(features, by_class)
        keys, merged = _merged(_overlaps(parcels, polygons, groups))
        areas = hectares(merged) if len(merged) else np.zeros(0)
        inside: dict[int, dict[str, tuple[float, BaseGeometry]]] = {}
        for (parcel, group), geometry, ha in zip(keys, merged, areas.tolist(), strict=True):
            inside.setdefault(parcel, {})[names[group]] = (ha, geometry)
        if kind.rule == "inside":
            _inside(results, inside, kind_key, tolerance_ha, parcels)
        elif kind.rule == "outside":
            _outside(results, inside, kind_key, tolerance_ha, parcels)
        elif kind.rule == "classes":
            _classes(results, inside, kind_key, kind.conflict_classes, tolerance_ha)
        else:
            for n, result in enumerate(results):
                result.other_ha.update(
                    {name: ha for name, (ha, _) in inside.get(n, {}).items()})
    return CheckResult(results, [f.layer for f in references])


def _one_piece(found: dict[str, tuple[float, BaseGeometry]]) -> tuple[float, BaseGeometry]:
    """The pieces of one parcel from several layers of one kind, merged (counted once)."""
    if len(found) == 1:
        return next(iter(found.values()))
    merged = _union([geometry for _, geometry in found.values()])
    return float(hectares([merged])[0]), merged


def _inside(results, inside, kind_key, tolerance_ha, parcels) -> None:
    field_name = FIGURES[kind_key]
    for n, result in enumerate(results):
        found = inside.get(n)
        ha, geometry = _one_piece(found) if found else (0.0, None)
        setattr(result, field_name, ha)
        if ha >= tolerance_ha and geometry is not None:
            result.conflicts.append(Conflict(kind_key, ha))
            result.pieces[kind_key] = geometry


def _outside(results, inside, kind_key, tolerance_ha, parcels) -> None:
    field_name = FIGURES[kind_key]
    outside_geometries = np.empty(len(results), dtype=object)
    for n in range(len(results)):
        found = inside.get(n)
        outside_geometries[n] = (
            parcels[n] if not found
            else shapely.difference(parcels[n], _union([g for _, g in found.values()]))
        )
    areas = hectares(outside_geometries) if len(results) else np.zeros(0)
    for result, geometry, ha in zip(results, outside_geometries, areas.tolist(), strict=True):
        setattr(result, field_name, ha)
        if ha >= tolerance_ha:
            result.conflicts.append(Conflict(kind_key, ha))
            result.pieces[kind_key] = geometry


def _classes(results, inside, kind_key, conflict_classes, tolerance_ha) -> None:
    for n, result in enumerate(results):
        found = inside.get(n, {})
        result.landuse_ha = {
            name or "—": ha
            for name, (ha, _) in sorted(found.items(), key=lambda item: -item[1][0])
        }
        taking = [(name, ha, geometry) for name, (ha, geometry) in found.items()
                  if name in conflict_classes]
        total = float(sum(ha for _, ha, _ in taking))
        result.cultivated_ha = total
        if taking and total >= tolerance_ha:
            result.conflicts.append(Conflict(
                kind_key, total, tuple((name, ha) for name, ha, _ in taking)))
            result.pieces[kind_key] = _union([g for _, _, g in taking])


# ----------------------------------------------------------------------- on a workspace


def reference_features(workspace: Workspace, near: Sequence[BaseGeometry]) -> list[
    ReferenceFeatures
]:
    """The active layers' features whose envelope meets the envelope of ``near``."""
    bounds = envelope(near)
    layers = workspace.reference_layers()
    if bounds is None:
        return [workspace.reference_features(layer.layer_id, (0, 0, -1, -1)) for layer in layers]
    return [workspace.reference_features(layer.layer_id, bounds) for layer in layers]


def check_workspace(
    workspace: Workspace,
    ids: Sequence[str] | None = None,
    geometries: Sequence[BaseGeometry] | None = None,
) -> CheckResult:
    """Check the workspace's parcels (or the given ones) against its reference layers."""
    if ids is None or geometries is None:
        parcels = workspace.parcels()
        ids = [p.parcel_id for p in parcels]
        geometries = [p.geometry for p in parcels]
    return check_parcels(ids, geometries, reference_features(workspace, geometries))
