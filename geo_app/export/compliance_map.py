"""The map of the compliance sheet: the parcels checked, over the control lines.

Drawn like the layout sheet's map (the Gauss-Krüger plane, scale bar, north arrow, the
sample stamp): the district outline for orientation, each reference layer in its kind's
colours from ``kinds.toml`` (land use by class), the parcels, and the pieces of them in
conflict in a warning style (hatched orange), the parcels listed in the table labelled by
id. Only reference features near the parcels are drawn (within about ``near_m`` metres): a
district's farmland layer has tens of thousands of fields, and those far from any parcel
say nothing about it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from matplotlib.axes import Axes
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.patches import Patch, PathPatch
from matplotlib.path import Path
from shapely.geometry.base import BaseGeometry

from geo_app.catalog import Catalog, load_layer_frame
from geo_app.control import CheckResult, kinds
from geo_app.export import mapdraw
from geo_app.export.scene import BBox, district_bbox, with_margin
from geo_app.export.sheet import Rect
from geo_app.export.sheet_map import (
    LABEL_FONT_PT,
    map_axes,
    north_arrow,
    place_labels,
    sample_stamp,
    scale_bar,
)
from geo_app.fonts import CJKFont
from geo_app.i18n import load_strings
from geo_app.workspace import ReferenceLayer, Workspace

# The catalog layer drawn under everything for orientation (when the catalog has it).
CONTEXT_LAYER = "boundary"
# Kinds from the bottom up: land use under the lines, the development boundary on top.
DRAW_ORDER = ("landuse", "other", "farmland", "eco_redline", "dev_boundary")
PARCEL_EDGE = "#1f3a93"
PARCEL_FILL = (0.12, 0.23, 0.58, 0.10)
WARNING_EDGE = "#d84315"
WARNING_FILL = (1.0, 0.55, 0.0, 0.40)
WARNING_HATCH = "////"
# Reference features within this share of the map's longer side of a parcel are drawn, and
# never fewer metres than the minimum.
NEAR_SHARE = 0.05
NEAR_MIN_M = 500.0
METRES_PER_DEGREE = 111_320.0
# Margin around the parcels, as a share of their box; a box under this many degrees is grown.
PARCEL_MARGIN = 0.08
MIN_SPAN_DEG = 0.01
# Land-use classes named in the legend, most features first; the rest are counted.
LEGEND_CLASSES = 10


@dataclass(frozen=True)
class NearFeatures:
    """One reference layer's features near the parcels (lon/lat)."""

    layer: ReferenceLayer
    geometries: np.ndarray
    classes: list[str | None]


def map_bbox(parcels: Sequence[BaseGeometry], catalog: Catalog | None) -> BBox:
    """The parcels' box with a margin; the district's when there are none."""
    shapes = [g for g in parcels if g is not None and not g.is_empty]
    if not shapes:
        from geo_app.catalog import load_catalog

        return with_margin(district_bbox(catalog if catalog is not None else load_catalog()))
    west, south, east, north = shapely.total_bounds(np.asarray(shapes, dtype=object))
    if east - west < MIN_SPAN_DEG:
        west, east = (west + east - MIN_SPAN_DEG) / 2, (west + east + MIN_SPAN_DEG) / 2
    if north - south < MIN_SPAN_DEG:
        south, north = (south + north - MIN_SPAN_DEG) / 2, (south + north + MIN_SPAN_DEG) / 2
    return with_margin((float(west), float(south), float(east), float(north)), PARCEL_MARGIN)


def near_metres(bbox: BBox) -> float:
    """How near a reference feature must be to a parcel to be drawn, in whole 100 m."""
    mid_lat = math.radians((bbox[1] + bbox[3]) / 2)
    width = (bbox[2] - bbox[0]) * METRES_PER_DEGREE * math.cos(mid_lat)
    height = (bbox[3] - bbox[1]) * METRES_PER_DEGREE
    return math.ceil(max(NEAR_MIN_M, NEAR_SHARE * max(width, height)) / 100.0) * 100.0


def near_features(
    workspace: Workspace | None,
    result: CheckResult,
    parcels: Sequence[BaseGeometry],
    bbox: BBox,
    near_m: float,
) -> list[NearFeatures]:
    """The features of each checked layer inside the map and near a parcel."""
    if workspace is None or not result.layers:
        return []
    shapes = np.asarray([g for g in parcels if g is not None and not g.is_empty], dtype=object)
    if not len(shapes):
        return []
    mid_lat = math.radians((bbox[1] + bbox[3]) / 2)
    # Degrees of longitude: a little more than ``near_m`` north-south, never less.
    distance = near_m / (METRES_PER_DEGREE * math.cos(mid_lat))
    # Near by boxes: each parcel's box grown by the distance, met by a feature's box (exact
    # distances to ten thousand fields took a second, and "about" is all the note says).
    west, south, east, north = shapely.bounds(shapes).T
    tree = shapely.STRtree(shapely.box(west - distance, south - distance, east + distance,
                                       north + distance))
    found: list[NearFeatures] = []
    for layer in result.layers:
        features = workspace.reference_features(layer.layer_id, bbox)
        if not len(features):
            continue
        hits, _ = tree.query(features.geometries)
        keep = np.unique(hits)
        found.append(NearFeatures(layer, features.geometries[keep],
                                  [features.classes[i] for i in keep]))
    return found


def legend_size(result: CheckResult, near: Sequence[NearFeatures], conflicts: bool) -> int:
    """How many entries the map's legend will have (before it is drawn, for the layout)."""
    classes = {cls or "—" for n in near if n.layer.kind == "landuse" for cls in n.classes}
    landuse = sum(1 for layer in result.layers if layer.kind == "landuse")
    shown = min(len(classes), LEGEND_CLASSES) + (1 if len(classes) > LEGEND_CLASSES else 0)
    others = sum(1 for layer in result.layers if layer.kind != "landuse")
    return 1 + int(conflicts) + others + landuse + (shown if landuse else 0) + 1


@dataclass(frozen=True)
class DrawnMap:
    legend: list[mapdraw.LegendEntry]


def _kind_handle(kind_key: str, fill: str | None = None) -> Patch:
    kind = kinds()[kind_key]
    width = kind.weight * mapdraw.POINTS_PER_CSS_PIXEL
    return Patch(facecolor=to_rgba(fill or kind.fill_color, kind.fill_opacity),
                 edgecolor=kind.color, linewidth=width,
                 linestyle=mapdraw.dash_pattern(kind.dash, width))


def _layer_label(layer: ReferenceLayer, lang: str) -> str:
    kind = kinds()[layer.kind].label(lang)
    if layer.name == kind:
        return kind
    separator = "：" if lang == "zh" else ": "
    return f"{kind}{separator}{layer.name}"


def compound_path(geometries: np.ndarray) -> Path:
    """All polygons of ``geometries`` as one path, holes wound against their exteriors (so
    they stay holes under any fill rule)."""
    parts = shapely.get_parts(shapely.get_parts(shapely.orient_polygons(geometries)))
    polygons = parts[shapely.get_type_id(parts) == shapely.GeometryType.POLYGON]
    rings = shapely.get_rings(polygons)
    coords, ring = shapely.get_coordinates(rings, return_index=True)
    codes = np.full(len(coords), Path.LINETO, dtype=Path.code_type)
    if len(coords):
        starts = np.r_[0, np.flatnonzero(np.diff(ring)) + 1]
        codes[starts] = Path.MOVETO
        codes[np.r_[starts[1:], len(coords)] - 1] = Path.CLOSEPOLY
    return Path(coords, codes)


def draw_merged(ax: Axes, geometries: np.ndarray, edge: Any, face: Any, dash: str | None,
                width: float, zorder: float, **style: Any) -> None:
    """Polygons of one style as a single patch: a layer of ten thousand fields is one
    path for the PDF, not ten thousand."""
    if not len(geometries):
        return
    # add_artist, not add_patch: the limits are set, and measuring the data limits of a
    # path this size would take seconds.
    ax.add_artist(PathPatch(compound_path(geometries), facecolor=face, edgecolor=edge,
                            linewidth=width, linestyle=mapdraw.dash_pattern(dash, width),
                            joinstyle="round", zorder=zorder, **style))


def _draw_reference(
    ax: Axes, near: NearFeatures, tolerance: float, zorder: float
) -> dict[str, int]:
    """One layer in its kind's style (land use by class); returns the land-use classes
    drawn with their counts."""
    registry = kinds()
    kind = registry[near.layer.kind]
    geometries = shapely.simplify(mapdraw.to_plane(near.geometries), tolerance,
                                  preserve_topology=True)
    width = kind.weight * mapdraw.POINTS_PER_CSS_PIXEL
    edge = to_rgba(kind.color)
    if kind.rule != "classes":
        draw_merged(ax, geometries, edge, to_rgba(kind.fill_color, kind.fill_opacity),
                    kind.dash, width, zorder)
        return {}
    colours = np.asarray([registry.class_color(cls) for cls in near.classes], dtype=object)
    for colour in dict.fromkeys(colours.tolist()):
        draw_merged(ax, geometries[colours == colour], edge,
                    to_rgba(colour, kind.fill_opacity), kind.dash, width, zorder)
    counts: dict[str, int] = {}
    for cls in near.classes:
        key = cls if cls else "—"
        counts[key] = counts.get(key, 0) + 1
    return counts


def draw_compliance_map(
    figure: Figure,
    rect: Rect,
    bbox: BBox,
    result: CheckResult,
    parcels: Sequence[BaseGeometry],
    near: Sequence[NearFeatures],
    labelled: Sequence[str],
    catalog: Catalog | None,
    sample_data: bool,
    lang: str,
    font: CJKFont,
) -> DrawnMap:
    """Draw the map frame; returns the legend entries of what was drawn. ``parcels`` are in
    the check's order; ``labelled`` are the ids to write beside their parcels."""
    strings = load_strings()
    ax, tolerance = map_axes(figure, rect, bbox)
    # The legend: the parcels and their conflicts first, then the control lines, the land
    # use last (its classes under their heading), the district outline at the end.
    legend: list[mapdraw.LegendEntry] = []
    context = _draw_context(ax, catalog, bbox, tolerance, lang)
    by_kind = {key: [n for n in near if n.layer.kind == key] for key in DRAW_ORDER}
    landuse_classes: dict[str, int] = {}
    for order, key in enumerate(DRAW_ORDER):
        for near_layer in by_kind[key]:
            counts = _draw_reference(ax, near_layer, tolerance, 3 + order)
            for cls, count in counts.items():
                landuse_classes[cls] = landuse_classes.get(cls, 0) + count
    _draw_parcels(ax, parcels, tolerance)
    legend.append(mapdraw.LegendEntry(
        Patch(facecolor=PARCEL_FILL, edgecolor=PARCEL_EDGE, linewidth=0.9),
        strings.get("export.compliance.legend_parcels", lang)))
    if _draw_conflicts(ax, result, tolerance):
        legend.append(mapdraw.LegendEntry(
            Patch(facecolor=WARNING_FILL, edgecolor=WARNING_EDGE, hatch=WARNING_HATCH,
                  linewidth=0.8),
            strings.get("export.compliance.legend_conflict", lang)))
    # The kinds in their own order (a sorted list, not a dict view), land use last.
    ordered = sorted(kinds().keys(), key=lambda key: key == "landuse")
    for key in ordered:
        for layer in result.layers:
            if layer.kind != key:
                continue
            if key == "landuse":
                legend += _landuse_legend(layer, landuse_classes, lang)
            else:
                legend.append(mapdraw.LegendEntry(_kind_handle(key), _layer_label(layer, lang)))
    legend += context
    place_labels(ax, _labels(result, parcels, labelled), font.properties(LABEL_FONT_PT))
    scale_bar(ax, font)
    north_arrow(ax, bbox, lang, font, rect)
    if sample_data:
        sample_stamp(ax, lang, font)
    return DrawnMap(legend)


def _draw_context(
    ax: Axes, catalog: Catalog | None, bbox: BBox, tolerance: float, lang: str
) -> list[mapdraw.LegendEntry]:
    from geo_app.catalog import load_catalog
    from geo_app.export.scene import visible_part

    catalog = catalog if catalog is not None else load_catalog()
    if CONTEXT_LAYER not in catalog.ids():
        return []
    spec = catalog.layer(CONTEXT_LAYER)
    frame = visible_part(load_layer_frame(spec), bbox)
    if not len(frame):
        return []
    geometries = mapdraw.to_plane(frame.geometry.values)
    if spec.geometry != "point":
        geometries = shapely.simplify(geometries, tolerance, preserve_topology=True)
    properties = frame.drop(columns=frame.geometry.name).to_dict("records")
    drawn = mapdraw.draw_layer(ax, spec, geometries, properties, 2, lang)
    return mapdraw.legend_entries([drawn], lang)


def _landuse_legend(
    layer: ReferenceLayer, classes: dict[str, int], lang: str
) -> list[mapdraw.LegendEntry]:
    strings = load_strings()
    entries = [mapdraw.LegendEntry(Patch(facecolor="none", edgecolor="none"),
                                   _layer_label(layer, lang), True)]
    ranked = sorted(classes.items(), key=lambda item: (-item[1], item[0]))
    registry = kinds()
    for cls, _ in ranked[:LEGEND_CLASSES]:
        entries.append(mapdraw.LegendEntry(
            _kind_handle("landuse", registry.class_color(cls if cls != "—" else None)), cls))
    if len(ranked) > LEGEND_CLASSES:
        entries.append(mapdraw.LegendEntry(
            Patch(facecolor="none", edgecolor="none"),
            strings.get("export.compliance.legend_more_classes", lang,
                        count=len(ranked) - LEGEND_CLASSES)))
    return entries


def _draw_parcels(ax: Axes, parcels: Sequence[BaseGeometry], tolerance: float) -> None:
    shapes = [g for g in parcels if g is not None and not g.is_empty]
    if not shapes:
        return
    geometries = shapely.simplify(mapdraw.to_plane(shapes), tolerance, preserve_topology=True)
    draw_merged(ax, geometries, to_rgba(PARCEL_EDGE), PARCEL_FILL, None, 0.9, 20)


def _draw_conflicts(ax: Axes, result: CheckResult, tolerance: float) -> bool:
    pieces = np.asarray([piece for parcel in result.in_conflict
                         for piece in parcel.pieces.values() if piece is not None], dtype=object)
    # A piece may be a collection (a difference can leave lines beside its polygons).
    parts = shapely.get_parts(shapely.get_parts(pieces))
    polygons = parts[shapely.get_type_id(parts) == shapely.GeometryType.POLYGON]
    if not len(polygons):
        return False
    geometries = shapely.simplify(mapdraw.to_plane(polygons), tolerance, preserve_topology=True)
    draw_merged(ax, geometries, to_rgba(WARNING_EDGE), WARNING_FILL, None, 0.6, 25,
                hatch=WARNING_HATCH, hatchcolor=WARNING_EDGE)
    return True


def _labels(
    result: CheckResult, parcels: Sequence[BaseGeometry], labelled: Sequence[str]
) -> list[tuple[float, float, str]]:
    wanted = set(labelled)
    points = []
    for check, geometry in zip(result.parcels, parcels, strict=True):
        if check.parcel_id in wanted and geometry is not None and not geometry.is_empty:
            point = mapdraw.to_plane([shapely.point_on_surface(geometry)])[0]
            points.append((point.x, point.y, check.parcel_id))
    return points

