"""Read any vector file a planner may hand over, safely, into lon/lat features.

Limits are checked before any heavy work (file size, unpacked zip size, JSON nesting,
feature and vertex counts), so a hostile or accidental monster file is refused quickly.
GeoJSON is parsed here with :mod:`json`, which gives precise messages (line and column of
broken JSON, text where numbers belong, unclosed rings); 界址点 coordinate text and CSV/XLSX
coordinate tables have their own readers (:mod:`geo_app.reading.planner_formats`); other formats
(GeoPackage, zipped Shapefile, KML, KMZ …) go through GDAL via pyogrio.

The coordinate system comes from the file, or from the caller (``--crs``), or is guessed
from the numbers and the guess is said out loud. Everything is then converted to WGS84
lon/lat, the system the area and the map work in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from pyproj.exceptions import ProjError

from geo_app.crs import GK42, GK126, WGS84, Converter, CoordinateSystem, parse_crs
from geo_app.geodesy import SQUARE_METRES_PER_HECTARE
from geo_app.problems import InputError, Problem
from geo_app.reading.base import (
    DEFAULT_LIMITS,
    LIMIT_SETTINGS,
    CrsOrigin,
    LimitSettingError,
    RawLayer,
    ReadLimits,
    collection_paused,
    file_error,
    plain,
)
from geo_app.reading.crs_choice import CrsGuess, choose_crs, guess_crs
from geo_app.reading.files import (
    check_is_readable_file,
    check_name_matches_content,
    read_all,
    read_head,
    sniff,
)
from geo_app.reading.gdal import read_with_gdal
from geo_app.reading.geojson import json_nesting_depth, parse_geojson

__all__ = [
    "DEFAULT_LIMITS",
    "LIMIT_SETTINGS",
    "CrsGuess",
    "CrsOrigin",
    "InputError",
    "LimitSettingError",
    "ReadLimits",
    "VectorData",
    "guess_crs",
    "json_nesting_depth",
    "read_vector",
]


@dataclass
class VectorData:
    """Features of one file, converted to WGS84 lon/lat."""

    # Attributes plus geometry in EPSG:4326; rows in file order, index 0..n-1.
    frame: gpd.GeoDataFrame
    # Per row: the ``id`` property when present, else the layer's feature id (fid).
    ids: list[Any]
    # Per row: how messages name the feature ("p-1", or "#3" when it has no id).
    labels: list[str]
    # Per row: True when the row has its own ``id`` property.
    has_id: list[bool]
    source_crs: CoordinateSystem
    crs_origin: CrsOrigin
    format_name: str
    # Warnings, and errors about single features, found while reading.
    problems: list[Problem] = field(default_factory=list)
    # Rows whose geometry could not be built; their problem is already in ``problems``.
    unreadable_rows: frozenset[int] = frozenset()
    # The geometries in the file's own coordinates (``source_crs``), when asked for.
    source_geometries: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.frame)

    def own_plane_hectares(self) -> np.ndarray | None:
        """Each feature's Gauss-Krüger zone-42 plane hectares (CM 126°E) measured in the
        file's own coordinates: only for a file in that plane (EPSG:4530, or 4551, the same
        plane without the zone prefix) read with ``keep_source``; else None (then the plane
        figure needs a conversion, see :func:`geo_app.geodesy.plane_hectares`)."""
        source = self.source_crs
        if self.source_geometries is None or source.is_gcj02 or source.epsg not in (
            GK42.epsg, GK126.epsg
        ):
            return None
        return shapely.area(self.source_geometries) / SQUARE_METRES_PER_HECTARE


def read_vector(
    path: str | Path,
    crs: str | CoordinateSystem | None = None,
    limits: ReadLimits = DEFAULT_LIMITS,
    *,
    keep_source: bool = False,
) -> VectorData:
    """Read ``path`` into WGS84 lon/lat features.

    ``crs`` overrides (or supplies) the file's coordinate system; it may be an alias of
    :func:`geo_app.crs.parse_crs`. ``limits`` are the readers' own unless a planner's
    setting (:data:`LIMIT_SETTINGS`) changes one; ``keep_source`` keeps the geometries in
    the file's own coordinates too. Raises :class:`InputError` when the file cannot be used
    at all, :class:`UnknownCRSError` for an unknown ``crs`` name and
    :class:`LimitSettingError` for an unusable setting.
    """
    override = parse_crs(crs) if crs is not None else None
    path = Path(path)
    # The planner's settings (GEO_APP_MAX_FEATURES …) hold for every file read.
    limits = limits.configured()
    check_is_readable_file(path, limits)
    head = read_head(path)
    if not head.strip() and path.stat().st_size == len(head):
        raise file_error("empty_file.whitespace")
    content = sniff(head)
    # 界址点 text and CSV/XLSX coordinate tables; imported here, as they build on this package.
    from geo_app.reading.planner_formats import own_reader

    reader = own_reader(path, content, head)
    with collection_paused():
        if reader is not None:
            raw = reader(path, limits)
        else:
            check_name_matches_content(path, content, head)
            if content == "json":
                raw = parse_geojson(read_all(path), limits)
            else:
                raw = read_with_gdal(path, content, limits)
        return _to_lonlat(raw, override, keep_source)


def _to_lonlat(
    raw: RawLayer, override: CoordinateSystem | None, keep_source: bool = False
) -> VectorData:
    geometries = np.asarray(raw.geometries, dtype=object)
    # The coordinates are taken out once: to judge the coordinate system, then to convert.
    coords = shapely.get_coordinates(geometries)
    finite = np.isfinite(coords).all(axis=1)
    source, origin, crs_problems = choose_crs(raw, override, coords[finite, 0], coords[finite, 1])
    lonlat = geometries
    if source.epsg != WGS84.epsg or source.is_gcj02:
        converter = Converter(source, WGS84)
        try:
            with np.errstate(all="ignore"):
                # New geometries in a new array; the file's own stay as they were.
                lonlat = shapely.set_coordinates(geometries.copy(), converter.transform_xy(coords))
        except (ProjError, ValueError) as exc:
            raise file_error("conversion_failed", crs=source.key, reason=exc) from None
    ids, labels, has_id = _identities(raw)
    properties = raw.attribute_frame()
    if "geometry" in properties.columns:
        properties = properties.rename(columns={"geometry": "geometry_property"})
    frame = gpd.GeoDataFrame(properties, geometry=list(lonlat), crs="EPSG:4326")
    return VectorData(
        frame=frame,
        ids=ids,
        labels=labels,
        has_id=has_id,
        source_crs=source,
        crs_origin=origin,
        format_name=raw.format_name,
        problems=crs_problems + raw.problems,
        unreadable_rows=frozenset(raw.unreadable_rows),
        source_geometries=geometries if keep_source else None,
    )


def _identities(raw: RawLayer) -> tuple[list[Any], list[str], list[bool]]:
    values = raw.id_values()
    if all(value is None for value in values):
        # No feature has an id of its own (most GDAL layers): the feature ids name them.
        return list(raw.fids), [f"#{fid}" for fid in raw.fids], [False] * len(raw.fids)
    ids, labels, has_id = [], [], []
    for fid, raw_value in zip(raw.fids, values, strict=True):
        value = plain(raw_value)
        usable = isinstance(value, str | int | float) and not isinstance(value, bool)
        if isinstance(value, str) and not value.strip():
            usable = False
        ids.append(value if usable else fid)
        labels.append(str(value) if usable else f"#{fid}")
        has_id.append(usable)
    return ids, labels, has_id
