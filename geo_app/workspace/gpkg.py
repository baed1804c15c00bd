"""The few pieces of the OGC GeoPackage format the workspace writes with plain SQLite.

The workspace makes its own tables and writes rows in its own transactions, so a change is
as atomic and as durable as SQLite makes it; no GDAL write path is involved. What GDAL,
QGIS and pyogrio need to read the file is written here: the core tables
(``gpkg_spatial_ref_sys``, ``gpkg_contents``, ``gpkg_geometry_columns``), the application
id in the file header, and geometries in "GeoPackage binary" (a short header with the
SRS id and the envelope, then ordinary WKB), and the SQL functions that the triggers of a
spatial index added by GDAL or QGIS call.
"""

from __future__ import annotations

import sqlite3
import struct
from collections.abc import Callable, Sequence
from typing import Any

import shapely
from shapely.geometry.base import BaseGeometry

# "GPKG" in ASCII, and version 1.4.0 (SQLite header fields).
APPLICATION_ID = 0x47504B47
USER_VERSION = 10400
LONLAT_SRS_ID = 4326

_MAGIC = b"GP"
# Envelope indicator -> bytes of envelope doubles (none, xy, xyz, xym, xyzm).
_ENVELOPE_BYTES = {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}


class GeoPackageBlobError(ValueError):
    """A geometry cell that is not GeoPackage binary."""


def geometry_blob(geometry: BaseGeometry, srs_id: int = LONLAT_SRS_ID) -> bytes:
    """GeoPackage binary: little-endian header, xy envelope (none when empty), then WKB."""
    empty = geometry.is_empty
    flags = 0b0000_0001  # little-endian header numbers
    if empty:
        flags |= 0b0001_0000
    else:
        flags |= 1 << 1  # envelope [minx, maxx, miny, maxy]
    header = _MAGIC + bytes((0, flags)) + struct.pack("<i", srs_id)
    if not empty:
        minx, miny, maxx, maxy = geometry.bounds
        header += struct.pack("<4d", minx, maxx, miny, maxy)
    return header + shapely.to_wkb(geometry, byte_order=1)


def geometry_from_blob(blob: bytes | None) -> BaseGeometry | None:
    if blob is None:
        return None
    if len(blob) < 8 or blob[:2] != _MAGIC:
        raise GeoPackageBlobError("not a GeoPackage geometry")
    flags = blob[3]
    envelope = (flags >> 1) & 0b111
    if envelope not in _ENVELOPE_BYTES:
        raise GeoPackageBlobError(f"unknown envelope indicator {envelope}")
    start = 8 + _ENVELOPE_BYTES[envelope]
    return shapely.from_wkb(bytes(blob[start:]))


# --- the SQL functions of GeoPackage triggers ----------------------------------------------
# GDAL and QGIS add a spatial index (the gpkg_rtree_index extension) when an analyst asks for
# one; its triggers call these functions on every insert, update and delete of a parcel.
# SQLite has none of them, so each workspace connection brings its own: without them the
# app could no longer change a single parcel of a workspace someone had indexed.

_ENVELOPE = struct.Struct("<4d")


def _is_empty(blob: bytes | None) -> int | None:
    if blob is None:
        return None
    if len(blob) < 8 or blob[:2] != _MAGIC:
        raise GeoPackageBlobError("not a GeoPackage geometry")
    return (blob[3] >> 4) & 1


def _envelope(blob: bytes | None) -> tuple[float, float, float, float] | None:
    """[minx, maxx, miny, maxy] from the header, or from the geometry when it has none."""
    if blob is None or _is_empty(blob):
        return None
    if (blob[3] >> 1) & 0b111:
        return _ENVELOPE.unpack_from(blob, 8)
    geometry = geometry_from_blob(blob)
    assert geometry is not None
    minx, miny, maxx, maxy = geometry.bounds
    return minx, maxx, miny, maxy


def _bound(index: int) -> Callable[[bytes | None], float | None]:
    def bound(blob: bytes | None) -> float | None:
        envelope = _envelope(blob)
        return None if envelope is None else envelope[index]

    return bound


TRIGGER_FUNCTIONS: dict[str, Callable[[bytes | None], Any]] = {
    "ST_IsEmpty": _is_empty,
    "ST_MinX": _bound(0),
    "ST_MaxX": _bound(1),
    "ST_MinY": _bound(2),
    "ST_MaxY": _bound(3),
}


def add_trigger_functions(connection: sqlite3.Connection) -> None:
    """Give ``connection`` the functions a GeoPackage spatial index's triggers call."""
    for name, function in TRIGGER_FUNCTIONS.items():
        connection.create_function(name, 1, function, deterministic=True)


def _lonlat_wkt() -> str:
    from pyproj import CRS

    return CRS.from_epsg(LONLAT_SRS_ID).to_wkt("WKT1_GDAL")


_CORE_TABLES = (
    """CREATE TABLE gpkg_spatial_ref_sys (
        srs_name TEXT NOT NULL,
        srs_id INTEGER NOT NULL PRIMARY KEY,
        organization TEXT NOT NULL,
        organization_coordsys_id INTEGER NOT NULL,
        definition TEXT NOT NULL,
        description TEXT)""",
    """CREATE TABLE gpkg_contents (
        table_name TEXT NOT NULL PRIMARY KEY,
        data_type TEXT NOT NULL,
        identifier TEXT UNIQUE,
        description TEXT DEFAULT '',
        last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
        min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE,
        srs_id INTEGER,
        CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id))""",
    """CREATE TABLE gpkg_geometry_columns (
        table_name TEXT NOT NULL,
        column_name TEXT NOT NULL,
        geometry_type_name TEXT NOT NULL,
        srs_id INTEGER NOT NULL,
        z TINYINT NOT NULL,
        m TINYINT NOT NULL,
        CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name),
        CONSTRAINT uk_gc_table_name UNIQUE (table_name),
        CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name),
        CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id))""",
)


def create_core_tables(connection: sqlite3.Connection) -> None:
    """The tables every GeoPackage has, with the three spatial reference systems it requires.

    Runs inside the caller's transaction; the header pragmas are part of it too.
    """
    connection.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    connection.execute(f"PRAGMA user_version = {USER_VERSION}")
    for statement in _CORE_TABLES:
        connection.execute(statement)
    connection.executemany(
        "INSERT INTO gpkg_spatial_ref_sys VALUES (?, ?, ?, ?, ?, ?)",
        [
            ("WGS 84 geodetic", LONLAT_SRS_ID, "EPSG", LONLAT_SRS_ID, _lonlat_wkt(),
             "longitude/latitude coordinates in decimal degrees on the WGS 84 spheroid"),
            ("Undefined cartesian SRS", -1, "NONE", -1, "undefined",
             "undefined cartesian coordinate reference system"),
            ("Undefined geographic SRS", 0, "NONE", 0, "undefined",
             "undefined geographic coordinate reference system"),
        ],
    )


def register_features(
    connection: sqlite3.Connection,
    table: str,
    geometry_column: str,
    geometry_type: str,
    description: str,
    srs_id: int = LONLAT_SRS_ID,
) -> None:
    connection.execute(
        "INSERT INTO gpkg_contents (table_name, data_type, identifier, description, srs_id) "
        "VALUES (?, 'features', ?, ?, ?)",
        (table, table, description, srs_id),
    )
    connection.execute(
        "INSERT INTO gpkg_geometry_columns VALUES (?, ?, ?, ?, 0, 0)",
        (table, geometry_column, geometry_type, srs_id),
    )


def register_attributes(connection: sqlite3.Connection, table: str, description: str) -> None:
    connection.execute(
        "INSERT INTO gpkg_contents (table_name, data_type, identifier, description) "
        "VALUES (?, 'attributes', ?, ?)",
        (table, table, description),
    )


def touch_contents(
    connection: sqlite3.Connection, table: str, bounds: Sequence[float] | None
) -> None:
    """Record the change time and the layer's extent, which readers use to zoom to it."""
    values = list(bounds) if bounds is not None else [None] * 4
    connection.execute(
        "UPDATE gpkg_contents SET last_change = strftime('%Y-%m-%dT%H:%M:%fZ','now'), "
        "min_x = ?, min_y = ?, max_x = ?, max_y = ? WHERE table_name = ?",
        (*values, table),
    )



def geometry_blobs(geometries: Sequence[BaseGeometry], srs_id: int = LONLAT_SRS_ID) -> list[
    bytes
]:
    """:func:`geometry_blob` of many non-empty geometries at once (WKB and envelopes are
    computed for the whole array: a reference layer holds a hundred thousand polygons)."""
    wkbs = shapely.to_wkb(geometries, byte_order=1)
    bounds = shapely.bounds(geometries)
    prefix = _MAGIC + bytes((0, 0b0000_0011)) + struct.pack("<i", srs_id)
    pack = struct.Struct("<4d").pack
    return [
        prefix + pack(minx, maxx, miny, maxy) + wkb
        for (minx, miny, maxx, maxy), wkb in zip(bounds.tolist(), wkbs, strict=True)
    ]


def geometries_from_blobs(blobs: Sequence[bytes]) -> list[BaseGeometry]:
    """:func:`geometry_from_blob` of many blobs, the WKB parsed in one call."""
    bodies = []
    for blob in blobs:
        if len(blob) < 8 or blob[:2] != _MAGIC:
            raise GeoPackageBlobError("not a GeoPackage geometry")
        envelope = (blob[3] >> 1) & 0b111
        if envelope not in _ENVELOPE_BYTES:
            raise GeoPackageBlobError(f"unknown envelope indicator {envelope}")
        bodies.append(bytes(blob[8 + _ENVELOPE_BYTES[envelope]:]))
    return list(shapely.from_wkb(bodies)) if bodies else []
