"""Formats other than GeoJSON (GeoPackage, zipped Shapefile, KML …) through GDAL.

Zip archives are inspected before GDAL unpacks anything, so a zip bomb or a zip with no
shapefile in it gets a clear answer.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyogrio
import shapely
from pyproj import CRS

from geo_app.crs import WGS84, CoordinateSystem, UnknownCRSError, from_pyproj
from geo_app.problems import InputError
from geo_app.reading.archives import inspect_zip, kmz_document
from geo_app.reading.base import (
    RawLayer,
    ReadLimits,
    VertexBudget,
    check_feature_count,
    file_error,
    plain,
)
from geo_app.reading.dbf import shapefile_encoding
from geo_app.reading.files import EXTENSION_FORMAT, ContentKind


def read_with_gdal(path: Path, content: ContentKind, limits: ReadLimits) -> RawLayer:
    name = path.name
    if content == "zip":
        _check_zip(path, limits)
    format_name = EXTENSION_FORMAT.get(path.suffix.lower(), "GDAL")
    # A KMZ is read through the KML inside it: opened whole, GDAL drops typed attributes.
    source = (kmz_document(path) if format_name == "KMZ" else None) or str(path)
    with warnings.catch_warnings():
        # GDAL's notes (unsupported measures, field widths …) are not the user's business.
        warnings.simplefilter("ignore")
        try:
            layers = [
                str(layer_name)
                for layer_name, geometry_type in pyogrio.list_layers(source)
                if geometry_type is not None
            ]
        except Exception as exc:  # GDAL raises many kinds of error for unreadable files
            raise _unreadable(name, content, exc) from None
        if not layers:
            raise file_error("no_geometry_layer", name=name)
        # Shapefiles without a .cpg: GBK or UTF-8, chosen from the text and said.
        encoding = shapefile_encoding(path)
        budget = _Budget(limits)
        parts = [
            _read_gdal_layer(path, layer, budget, encoding.encoding, source) for layer in layers
        ]
    crs_set = {part.crs.to_wkt() if part.crs is not None else None for part in parts}
    if len(crs_set) > 1:
        raise file_error("mixed_crs.layers", name=name)
    attributes = pd.concat([part.attributes for part in parts]) if len(parts) > 1 else (
        parts[0].attributes
    )
    geometries = [geometry for part in parts for geometry in part.geometries]
    columns = _plain_columns(attributes)
    declared = _declared_gdal_crs(parts[0].crs)
    if declared is None and content != "zip" and format_name in ("KML", "KMZ"):
        declared = WGS84  # KML is lon/lat WGS84 by definition.
    return RawLayer(
        geometries=geometries,
        properties=[],
        columns=columns,
        fids=[int(i) for i in attributes.index],
        declared_crs=declared,
        format_name=_gdal_format_name(format_name, content),
        lonlat_by_default=False,
        problems=[encoding.problem] if encoding.problem is not None else [],
    )


# Features GDAL hands over at a time: the feature and vertex limits are checked after each
# batch, so a file past them is refused having read at most one batch too many.
BATCH_FEATURES = 20_000


class _Budget:
    """The feature and vertex limits, spent over every layer of a file."""

    def __init__(self, limits: ReadLimits):
        self.limits = limits
        self.features = 0
        self.vertices = VertexBudget(limits.max_vertices)

    def spend(self, features: int, geometries: np.ndarray) -> None:
        self.features += features
        check_feature_count(self.features, self.limits)
        self.vertices.spend(int(shapely.get_num_coordinates(geometries).sum()))


@dataclass
class _LayerPart:
    """One layer as read: attributes indexed by feature id, geometries in the same order."""

    attributes: pd.DataFrame
    geometries: list[Any]
    crs: Any


def _read_gdal_layer(
    path: Path,
    layer: str,
    budget: _Budget,
    encoding: str | None = None,
    source: str | None = None,
) -> _LayerPart:
    """The layer read in Arrow batches (GDAL's columnar stream): each batch's geometries
    are counted against the limits before the next is read."""
    source = source or str(path)
    try:
        count = pyogrio.read_info(source, layer=layer)["features"]
        if count is not None and count > 0:
            check_feature_count(budget.features + int(count), budget.limits)
        with pyogrio.open_arrow(
            source, layer=layer, encoding=encoding, return_fids=True, use_pyarrow=True,
            batch_size=BATCH_FEATURES, datetime_as_string=True,
        ) as (meta, reader):
            frames, geometries = [], []
            geometry_name = meta["geometry_name"] or "wkb_geometry"
            for batch in reader:
                table = pa.Table.from_batches([batch])
                wkb = table.column(geometry_name).to_numpy(zero_copy_only=False)
                shapes = shapely.from_wkb(wkb)
                budget.spend(len(shapes), shapes)
                geometries.append(shapes)
                frames.append(_batch_frame(table.drop_columns([geometry_name]), meta))
        crs = CRS.from_user_input(meta["crs"]) if meta["crs"] else None
    except InputError:
        raise
    except Exception as exc:  # GDAL raises many kinds of error for unreadable files
        raise _unreadable(path.name, "binary", exc) from None
    if not frames:
        attributes = pd.DataFrame(columns=[str(f) for f in meta["fields"]])
        attributes.index.name = "fid"
        return _LayerPart(attributes, [], crs)
    attributes = pd.concat(frames) if len(frames) > 1 else frames[0]
    return _LayerPart(attributes, list(np.concatenate(geometries)), crs)


def _batch_frame(table: pa.Table, meta: dict[str, Any]) -> pd.DataFrame:
    """A batch's attributes as pyogrio's own ``read_dataframe`` gives them: text as text,
    dates and date-times as pandas times, indexed by feature id."""
    frame = table.to_pandas(date_as_object=False)
    for dtype, column in zip(meta["dtypes"], meta["fields"], strict=True):
        if dtype is not None and str(dtype).startswith("datetime") and column in frame:
            frame[column] = _datetimes(frame[column])
    fid = meta["fid_column"]
    frame = frame.set_index(fid)
    frame.index.name = "fid"
    return frame


def _datetimes(column: pd.Series) -> pd.Series:
    """Date-time text as GDAL writes it (ISO 8601) as pandas times; mixed offsets in UTC,
    text that is no time kept as it is."""
    if pd.api.types.is_datetime64_any_dtype(column):
        return column
    try:
        return pd.to_datetime(column, format="ISO8601")
    except (ValueError, TypeError):
        try:
            return pd.to_datetime(column, format="ISO8601", utc=True)
        except (ValueError, TypeError):
            return column


def _plain_columns(attributes: pd.DataFrame) -> dict[str, list[Any]]:
    """Each column as a list of plain values (see :func:`plain`), converted column by
    column: a district layer has a hundred thousand rows, and text columns, the most
    common, need nothing at all."""
    columns = {}
    for name in attributes.columns:
        column = attributes[name]
        dtype = column.dtype
        text = isinstance(dtype, pd.StringDtype) or (
            dtype.kind == "O" and pd.api.types.infer_dtype(column, skipna=True) in (
                "string", "empty")
        )
        if text or dtype.kind == "f":
            # Text stays text and numbers numbers; only the missing become None.
            values = column.astype(object).where(column.notna(), None)
        elif dtype.kind in "iub":
            values = column.astype(object)  # Python ints and bools
        else:
            values = column.astype(object).map(plain)
        columns[str(name)] = values.tolist()
    return columns


def _gdal_format_name(format_name: str, content: ContentKind) -> str:
    if content == "zip" and format_name == "zip":
        return "zipped Shapefile"
    return format_name


def _declared_gdal_crs(crs: Any) -> CoordinateSystem | None:
    try:
        return from_pyproj(crs)
    except UnknownCRSError:
        raise file_error("unknown_file_crs.no_epsg", name=crs.name) from None


# The folders of a path inside a library's message (``/vsizip/`` prefixes included): the
# reader never shows where on the server a file sits, only its name.
_FOLDERS = re.compile(r"(?:/vsi[a-z]+/)?(?:/[^/\s'\"]+)+/(?=[^/\s'\"]+)")


def library_detail(exc: Exception) -> str:
    """The first line of a library's message, without server folders, at most 160 chars."""
    return _FOLDERS.sub("", str(exc).split("\n")[0].split(";")[0])[:160]


def _unreadable(name: str, content: ContentKind, exc: Exception) -> InputError:
    detail = library_detail(exc)
    if content == "zip":
        return file_error("unreadable_zip", name=name, reason=detail)
    return file_error("unreadable.vector", name=name, reason=detail)


_SHAPEFILE_PARTS = (".shx", ".dbf")


_OTHER_VECTOR_MEMBERS = (".gpkg", ".geojson", ".json", ".kml", ".gml", ".fgb")


def _check_zip(path: Path, limits: ReadLimits) -> None:
    """Refuse zips GDAL would choke on, before it unpacks anything."""
    # Unsafe names, links, oversize and bomb-like compression first (geo_app.reading.archives).
    members = inspect_zip(path, limits.max_unzipped_bytes)
    names = [info.filename for info in members]
    lowered = {name.lower() for name in names}
    shapefiles = [name for name in names if name.lower().endswith(".shp")]
    if not shapefiles:
        if any(name.lower().endswith(_OTHER_VECTOR_MEMBERS) for name in names):
            return
        listing = ", ".join(names[:5]) + (" …" if len(names) > 5 else "") or "—"
        raise file_error("zip_without_shapefile", listing=listing)
    for shapefile in shapefiles:
        stem = shapefile[:-4]
        for part in _SHAPEFILE_PARTS:
            if (stem + part).lower() not in lowered:
                raise file_error(
                    "shapefile_incomplete", shapefile=shapefile, companion=Path(stem).name + part
                )
