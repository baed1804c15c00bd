"""Parcels in spreadsheets: CSV and XLSX tables, in one of two layouts.

* **A WKT column** (``wkt``, ``geometry``, ``geom``, ``几何`` …): one row per parcel, the
  polygon written as WKT (an EWKT ``SRID=4490;`` prefix names the system), other columns
  are attributes.
* **One vertex per row**: a parcel id column (``parcel_id``, ``id``, ``地块编号`` …) groups
  the rows into parcels, in row order; the coordinates are ``lon``/``lat`` (``经度``/``纬度``),
  ``easting``/``northing`` (``东坐标``/``北坐标``) or ``x``/``y``; an optional ring column
  (``ring``, ``圈号``) numbers the rings, 1 being the outer one. The other columns of a
  parcel's first row are its attributes.

A table with coordinates but no parcel id holds points, not parcels, and is refused with
that explanation. ``x``/``y`` columns whose numbers read as survey X (northing) and Y
(easting), as Chinese survey tables write them, are taken that way and said.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely.errors import ShapelyError

from geo_app.crs import CoordinateSystem, UnknownCRSError, parse_crs
from geo_app.problems import Problem, error, warning
from geo_app.reading.archives import inspect_zip
from geo_app.reading.base import (
    RawLayer,
    ReadLimits,
    VertexBudget,
    check_feature_count,
    file_error,
)
from geo_app.reading.jzd import Vertex, decode_text, polygon_from_rings

WKT_COLUMNS = ("wkt", "geometry", "geom", "the_geom", "shape", "几何", "图形")
ID_COLUMNS = ("parcel_id", "id", "地块编号", "地块号", "编号", "宗地号")
RING_COLUMNS = ("ring", "ring_no", "圈号", "环号")
# (x column names, y column names, what the pair is)
COORDINATE_PAIRS: tuple[tuple[tuple[str, ...], tuple[str, ...], str], ...] = (
    (("lon", "lng", "long", "longitude", "经度"), ("lat", "latitude", "纬度"), "lonlat"),
    (("easting", "east", "东坐标"), ("northing", "north", "北坐标"), "en"),
    (("x", "x坐标"), ("y", "y坐标"), "xy"),
)
_EWKT_SRID = re.compile(r"^\s*SRID\s*=\s*(\d+)\s*;\s*", re.IGNORECASE)


@dataclass(frozen=True)
class Table:
    header: list[str]
    # (row number as a spreadsheet shows it, cells); rows of only blanks are dropped
    rows: list[tuple[int, list[Any]]]
    format_name: str
    notes: tuple[Problem, ...] = ()


def _normal(name: Any) -> str:
    return str(name or "").strip().lower().replace(" ", "_")


def _find(header: Sequence[str], names: Sequence[str]) -> int | None:
    normal = [_normal(h) for h in header]
    for name in names:
        if name in normal:
            return normal.index(name)
    return None


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _cell(value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip()
        return value or None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


# --- reading the table ----------------------------------------------------------------------


def read_csv_table(path: Path, limits: ReadLimits) -> Table:
    text, encoding = decode_text(path.read_bytes())
    notes: tuple[Problem, ...] = ()
    if encoding == "GBK":
        notes = (warning("text_encoding"),)
    try:
        dialect: Any = csv.Sniffer().sniff(text[:4096], delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    rows: list[tuple[int, list[Any]]] = []
    header: list[str] | None = None
    try:
        for cells in reader:
            if all(_blank(c) for c in cells):
                continue
            if header is None:
                header = [str(c).strip() for c in cells]
                continue
            rows.append((reader.line_num, list(cells)))
            if len(rows) > limits.max_vertices:
                break
    except csv.Error as exc:
        raise file_error("broken_csv", line=reader.line_num, reason=exc) from None
    if header is None:
        raise file_error("no_features.table")
    return Table(header, rows, "CSV", notes)


def read_xlsx_table(path: Path, limits: ReadLimits) -> Table:
    # An XLSX is a zip: it gets the same checks as any other archive before it is opened.
    inspect_zip(path, limits.max_unzipped_bytes)
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise file_error("broken_xlsx", reason=str(exc)[:120]) from None
    try:
        for sheet in book.worksheets:
            table = _sheet_table(sheet, limits)
            if table is not None:
                return table
    finally:
        book.close()
    raise file_error("no_features.sheets")


def _sheet_table(sheet: Any, limits: ReadLimits) -> Table | None:
    header: list[str] | None = None
    rows: list[tuple[int, list[Any]]] = []
    for number, cells in enumerate(sheet.iter_rows(values_only=True), start=1):
        if all(_blank(c) for c in cells):
            continue
        if header is None:
            header = [str(c).strip() if c is not None else "" for c in cells]
            continue
        rows.append((number, list(cells)))
        if len(rows) > limits.max_vertices:
            break
    if header is None:
        return None
    return Table(header, rows, f"XLSX ({sheet.title})")


# --- from the table to parcels -------------------------------------------------------------


def table_layer(table: Table, limits: ReadLimits) -> RawLayer:
    header = table.header
    wkt = _find(header, WKT_COLUMNS)
    layer = RawLayer([], [], [], None, table.format_name, lonlat_by_default=False)
    layer.problems += table.notes
    if wkt is not None:
        _wkt_rows(table, wkt, layer, limits)
        return layer
    pair = _coordinate_pair(header)
    if pair is None:
        listed = ", ".join(h for h in header if h)[:200] or "—"
        raise file_error("no_geometry_columns", listed=listed)
    id_column = _find(header, ID_COLUMNS)
    if id_column is None:
        raise file_error("points_not_parcels")
    _vertex_rows(table, id_column, pair, layer, limits)
    return layer


def _coordinate_pair(header: Sequence[str]) -> tuple[int, int, str] | None:
    for xs, ys, kind in COORDINATE_PAIRS:
        x, y = _find(header, xs), _find(header, ys)
        if x is not None and y is not None:
            return x, y, kind
    return None


def _attributes(header: Sequence[str], cells: Sequence[Any], skip: set[int]) -> dict[str, Any]:
    properties: dict[str, Any] = {}
    for index, name in enumerate(header):
        if index in skip or not name:
            continue
        properties[name] = _cell(cells[index]) if index < len(cells) else None
    return properties


def _wkt_rows(table: Table, column: int, layer: RawLayer, limits: ReadLimits) -> None:
    check_feature_count(len(table.rows), limits)
    budget = VertexBudget(limits.max_vertices)
    srids: set[int] = set()
    id_column = _find(table.header, ID_COLUMNS)
    for index, (number, cells) in enumerate(table.rows):
        properties = _attributes(table.header, cells, {column})
        if id_column is not None and _blank(properties.get("id")) and id_column < len(cells):
            # A parcel_id or 地块编号 column names the parcel as an ``id`` column would.
            properties["id"] = _cell(cells[id_column])
        label = str(properties.get("id") or f"#{index}")
        text = cells[column] if column < len(cells) else None
        geometry = None
        if not _blank(text):
            text = str(text)
            match = _EWKT_SRID.match(text)
            if match:
                srids.add(int(match.group(1)))
                text = text[match.end() :]
            try:
                geometry = shapely.from_wkt(text)
            except (ShapelyError, ValueError) as exc:
                detail = str(exc).split("\n")[0][:120]
                layer.problems.append(error("bad_wkt", feature=label, row=number, reason=detail))
                layer.unreadable_rows.add(index)
            else:
                budget.spend(int(shapely.get_num_coordinates(geometry)))
        layer.geometries.append(geometry)
        layer.properties.append(properties)
        layer.fids.append(index)
    layer.declared_crs = _declared_srid(srids)


def _declared_srid(srids: set[int]) -> CoordinateSystem | None:
    if not srids:
        return None
    if len(srids) > 1:
        raise file_error("mixed_crs.srids", srids=sorted(srids))
    srid = srids.pop()
    try:
        return parse_crs(f"EPSG:{srid}")
    except UnknownCRSError:
        raise file_error("unknown_file_crs.srid", srid=srid) from None


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(str(value).strip())
    except ValueError:
        return None


def _looks_like_survey_xy(xs: np.ndarray, ys: np.ndarray) -> bool:
    """X a northing (4.4e6-5.3e6 m here) and Y an easting (with or without zone prefix)."""
    if xs.size == 0:
        return False
    northings = (xs >= 4.4e6) & (xs <= 5.3e6)
    eastings = ((ys >= 3e5) & (ys <= 7e5)) | ((ys >= 1.3e7) & (ys <= 4.6e7))
    return bool(northings.all() and eastings.all())


def _vertex_rows(
    table: Table, id_column: int, pair: tuple[int, int, str], layer: RawLayer, limits: ReadLimits
) -> None:
    x_column, y_column, kind = pair
    ring_column = _find(table.header, RING_COLUMNS)
    parcels: dict[str, dict[str, Any]] = {}
    faults: dict[str, Problem] = {}
    budget = VertexBudget(limits.max_vertices)
    for number, cells in table.rows:
        parcel_id = _cell(cells[id_column]) if id_column < len(cells) else None
        if parcel_id is None:
            raise file_error("missing_parcel_id", row=number)
        key = str(parcel_id)
        if key not in parcels:
            skip = {x_column, y_column} | ({ring_column} if ring_column is not None else set())
            parcels[key] = {
                "line": number,
                "properties": _attributes(table.header, cells, skip),
                "rings": {},
            }
        budget.spend(1)
        x = _number(cells[x_column]) if x_column < len(cells) else None
        y = _number(cells[y_column]) if y_column < len(cells) else None
        if x is None or y is None or not (np.isfinite(x) and np.isfinite(y)):
            faults.setdefault(key, error("coordinates_as_text.row", feature=key, row=number))
            continue
        ring = _cell(cells[ring_column]) if ring_column is not None else None
        ring_key = str(int(ring)) if isinstance(ring, int | float) else str(ring or "1")
        parcels[key]["rings"].setdefault(ring_key, []).append((number, x, y))
    check_feature_count(len(parcels), limits)
    swap = kind == "xy" and _survey_order(parcels)
    if swap:
        layer.problems.append(warning("survey_xy"))
    for index, (key, parcel) in enumerate(parcels.items()):
        rings: dict[str, list[Vertex]] = {
            ring: [(n, b, a) if swap else (n, a, b) for n, a, b in points]
            for ring, points in parcel["rings"].items()
        }
        geometry = None
        if key in faults:
            layer.problems.append(faults[key])
        else:
            geometry, notes = polygon_from_rings(rings, key, parcel["line"])
            layer.problems += notes
        if geometry is None:
            layer.unreadable_rows.add(index)
        properties = {"id": key, **{k: v for k, v in parcel["properties"].items()
                                    if _normal(k) not in ID_COLUMNS}}
        layer.geometries.append(geometry)
        layer.properties.append(properties)
        layer.fids.append(index)


def _survey_order(parcels: dict[str, dict[str, Any]]) -> bool:
    points = [(a, b) for p in parcels.values() for ring in p["rings"].values() for _, a, b in ring]
    if not points:
        return False
    array = np.asarray(points, dtype=float)
    return _looks_like_survey_xy(array[:, 0], array[:, 1])


def read_csv(path: Path, limits: ReadLimits) -> RawLayer:
    return table_layer(read_csv_table(path, limits), limits)


def read_xlsx(path: Path, limits: ReadLimits) -> RawLayer:
    return table_layer(read_xlsx_table(path, limits), limits)
