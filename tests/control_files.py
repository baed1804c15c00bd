"""Reference layers with answers known by construction, and an independent measure.

Squares in lon/lat near the district seat: two farmland fields that share an edge and a
field in two parts (a multipolygon); a red line with a hole; a development boundary; a
land-use layer with a 三调 DLMC column. The parcels each test one case: half in
farmland, across the boundary, inside the red line's hole, touching a field only along an
edge, a two-part parcel, across the shared edge of two fields.

The expected hectares are measured independently of the product: the exact intersection
with the union of a kind's polygons (shapely), its area on GRS80 by pyproj's Geod.
"""

from __future__ import annotations

import json
from pathlib import Path

import shapely
from pyproj import Geod
from shapely.geometry import box, mapping

GEOD = Geod(ellps="GRS80")

FARMLAND = {
    "F1": box(125.60, 43.60, 125.62, 43.62),
    "F2": box(125.62, 43.60, 125.64, 43.62),
    "F3": shapely.MultiPolygon([box(125.50, 43.50, 125.51, 43.51),
                                box(125.52, 43.50, 125.53, 43.51)]),
}
RED_LINE = {
    "R1": shapely.Polygon(
        [(125.70, 43.60), (125.74, 43.60), (125.74, 43.64), (125.70, 43.64)],
        [[(125.71, 43.61), (125.73, 43.61), (125.73, 43.63), (125.71, 43.63)]],
    ),
}
DEV_BOUNDARY = {"B1": box(125.58, 43.55, 125.66, 43.63)}
# 三调: DLMC names; 旱地 is cultivated land (耕地, class 0103), 林地 is not.
LANDUSE = {
    "L1": ("旱地", "0103", box(125.60, 43.60, 125.61, 43.62)),
    "L2": ("乔木林地", "0301", box(125.61, 43.60, 125.64, 43.62)),
}
PARCELS = {
    "half_in_farmland": box(125.59, 43.605, 125.61, 43.615),
    "across_boundary": box(125.65, 43.56, 125.67, 43.57),
    "in_red_line_hole": box(125.715, 43.615, 125.725, 43.625),
    "touching_edge": box(125.64, 43.60, 125.65, 43.61),
    "two_parts": shapely.MultiPolygon([box(125.625, 43.605, 125.635, 43.615),
                                       box(125.735, 43.605, 125.745, 43.615)]),
    "across_fields": box(125.615, 43.605, 125.625, 43.615),
}


def geodesic_ha(geometry) -> float:
    if geometry.is_empty:
        return 0.0
    area, _ = GEOD.geometry_area_perimeter(shapely.orient_polygons(geometry))
    return abs(area) / 1e4


def inside_ha(parcel, polygons) -> float:
    return geodesic_ha(shapely.intersection(parcel, shapely.union_all(list(polygons))))


def outside_ha(parcel, polygons) -> float:
    return geodesic_ha(shapely.difference(parcel, shapely.union_all(list(polygons))))


def feature_collection(features: dict, properties=None) -> dict:
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"BSM": key, **(properties or {}).get(key, {})},
         "geometry": mapping(geometry)}
        for key, geometry in features.items()
    ]}


def write_geojson(path: Path, collection: dict) -> Path:
    path.write_text(json.dumps(collection, ensure_ascii=False), encoding="utf-8")
    return path


def landuse_collection() -> dict:
    return feature_collection(
        {key: geometry for key, (_, _, geometry) in LANDUSE.items()},
        {key: {"DLMC": name, "DLBM": code} for key, (name, code, _) in LANDUSE.items()},
    )


def parcels_collection() -> dict:
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"id": key, "status": "planned"},
         "geometry": mapping(geometry)}
        for key, geometry in PARCELS.items()
    ]}
