"""What differs between the two stores of a workspace, answered once per store.

The workspace's modules write one SQL text for both stores (``?`` placeholders; a
PostgreSQL connection translates them, :mod:`geo_app.workspace.postgis_store`) and ask the
connection's :class:`Dialect` (``connection.dialect``) for the rest: how a geometry is
stored and read back, how a change is recorded for readers of a layer, the health check
and the preparation of a big write. A GeoPackage keeps geometries as GeoPackage binary and
records changes in ``gpkg_contents``; PostGIS keeps ``geometry(MultiPolygon, 4326)`` and
records when a layer changed among the workspace's settings.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Protocol

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from geo_app.workspace import gpkg
from geo_app.workspace.records import utc_now
from geo_app.workspace.schema import HISTORY_TABLE, META_TABLE, PARCELS_TABLE

Extent = Sequence[float]


class Connection(Protocol):
    """A connection of either store, inside or outside a transaction."""

    dialect: Dialect

    def execute(self, sql: str, parameters: Any = ..., /) -> Any:
        """A cursor: ``fetchone``, ``fetchall``, iteration, ``description``, and
        ``lastrowid`` after an INSERT."""

    def executemany(self, sql: str, parameters: Iterable[Any], /) -> Any: ...


class Dialect(Protocol):
    def geometry_value(self, geometry: BaseGeometry) -> Any:
        """A checked (multi)polygon as the store's geometry column takes it."""

    def geometry_values(self, geometries: np.ndarray) -> list[Any]:
        """:meth:`geometry_value` of many non-empty geometries, encoded in one call."""

    def geometry(self, value: Any) -> BaseGeometry | None:
        """A stored geometry cell read back."""

    def geometries(self, values: Sequence[Any]) -> list[BaseGeometry]:
        """:meth:`geometry` of many cells, parsed in one call."""

    def layer_grown(self, connection: Connection, table: str,
                    added: Sequence[BaseGeometry]) -> None:
        """Record a change to ``table``, whose extent now also covers ``added``."""

    def layer_changed(self, connection: Connection, table: str, extent: Extent | None) -> None:
        """Record a change to ``table``, whose extent is now ``extent``."""

    def changed_at(self, connection: Connection, table: str) -> str:
        """When ``table`` last changed ("" if never): a new value means read it again."""

    def extent(self, connection: Connection, table: str) -> Extent | None:
        """West, south, east, north of ``table``'s geometries (lon/lat); None when empty."""

    def integrity_check(self, connection: Connection) -> str:
        """"ok", or what is wrong with the store."""

    def before_bulk_write(self, connection: Connection) -> None:
        """Ready the connection for a transaction of many rows."""


# The page cache a big write may use (KiB): a 100,000-parcel import fills about this much.
BULK_CACHE_KIB = 256 * 1024


class GeoPackageDialect:
    def geometry_value(self, geometry: BaseGeometry) -> bytes:
        return gpkg.geometry_blob(geometry)

    def geometry_values(self, geometries: np.ndarray) -> list[bytes]:
        return gpkg.geometry_blobs(geometries)

    def geometry(self, value: Any) -> BaseGeometry | None:
        return gpkg.geometry_from_blob(value)

    def geometries(self, values: Sequence[Any]) -> list[BaseGeometry]:
        return gpkg.geometries_from_blobs(values)

    def layer_grown(self, connection: Connection, table: str,
                    added: Sequence[BaseGeometry]) -> None:
        # The extent only grows (a deletion leaves it as it was): readers use it to zoom,
        # and recomputing it would mean reading every geometry on every edit.
        extent = None
        if len(added):
            stored = connection.execute(
                "SELECT min_x, min_y, max_x, max_y FROM gpkg_contents WHERE table_name = ?",
                (table,),
            ).fetchone()
            bounds = [float(v) for v in shapely.total_bounds(added)]
            if stored is not None and None not in stored:
                bounds = [min(bounds[0], stored[0]), min(bounds[1], stored[1]),
                          max(bounds[2], stored[2]), max(bounds[3], stored[3])]
            extent = bounds
        gpkg.touch_contents(connection, table, extent)

    def layer_changed(self, connection: Connection, table: str, extent: Extent | None) -> None:
        gpkg.touch_contents(connection, table, extent)

    def changed_at(self, connection: Connection, table: str) -> str:
        row = connection.execute(
            "SELECT last_change FROM gpkg_contents WHERE table_name = ?", (table,)
        ).fetchone()
        return "" if row is None else str(row[0])

    def extent(self, connection: Connection, table: str) -> Extent | None:
        # Recorded with every change (layer_grown): no geometry is read.
        return _whole(connection.execute(
            "SELECT min_x, min_y, max_x, max_y FROM gpkg_contents WHERE table_name = ?",
            (table,),
        ).fetchone())

    def integrity_check(self, connection: Connection) -> str:
        return str(connection.execute("PRAGMA integrity_check").fetchone()[0])

    def before_bulk_write(self, connection: Connection) -> None:
        # The indexes of a big batch outgrow SQLite's default 2 MB page cache, and every
        # page pushed out mid-transaction is written to the log again: with room for them,
        # the write of 100,000 parcels went from 13 s to 8 s. The connection closes after.
        connection.execute(f"PRAGMA cache_size = -{BULK_CACHE_KIB}")


# Settings rows that say when a layer last changed (PostGIS has no gpkg_contents).
CHANGED_KEY_PREFIX = "last_change:"


class PostgisDialect:
    """Geometries travel as EWKB with the SRID (PostGIS casts it to the column's type) and
    come back as the hex EWKB PostGIS prints; the extent is PostGIS's to compute."""

    def __init__(self, srid: int = gpkg.LONLAT_SRS_ID):
        self.srid = srid

    def geometry_value(self, geometry: BaseGeometry) -> bytes:
        return self.geometry_values(np.asarray([geometry], dtype=object))[0]

    def geometry_values(self, geometries: np.ndarray) -> list[bytes]:
        with_srid = shapely.set_srid(np.asarray(geometries, dtype=object), self.srid)
        return list(shapely.to_wkb(with_srid, byte_order=1, include_srid=True))

    def geometry(self, value: Any) -> BaseGeometry | None:
        return None if value is None else shapely.from_wkb(value)

    def geometries(self, values: Sequence[Any]) -> list[BaseGeometry]:
        return list(shapely.from_wkb(list(values))) if len(values) else []

    def layer_grown(self, connection: Connection, table: str,
                    added: Sequence[BaseGeometry]) -> None:
        self.layer_changed(connection, table, None)

    def layer_changed(self, connection: Connection, table: str, extent: Extent | None) -> None:
        connection.execute(
            f"INSERT INTO {META_TABLE} (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (CHANGED_KEY_PREFIX + table, utc_now()),
        )

    def changed_at(self, connection: Connection, table: str) -> str:
        row = connection.execute(
            f"SELECT value FROM {META_TABLE} WHERE key = ?", (CHANGED_KEY_PREFIX + table,)
        ).fetchone()
        return "" if row is None else str(row[0])

    def extent(self, connection: Connection, table: str) -> Extent | None:
        # Computed by PostGIS from the geometries' boxes.
        return _whole(connection.execute(
            "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) "
            f"FROM (SELECT ST_Extent(geom) AS e FROM {table}) AS extent"
        ).fetchone())

    def integrity_check(self, connection: Connection) -> str:
        # PostgreSQL keeps its own pages whole (checksums, WAL); what can still be wrong is
        # the workspace's own rule that every parcel's version is its latest in the history.
        row = connection.execute(
            f"SELECT count(*) FROM {PARCELS_TABLE} p WHERE p.version IS DISTINCT FROM (SELECT "
            f"max(coalesce(h.version_after, h.version_before)) FROM {HISTORY_TABLE} h "
            "WHERE h.parcel_id = p.parcel_id)"
        ).fetchone()
        wrong = int(row[0])
        return "ok" if wrong == 0 else f"{wrong} parcels not at their latest recorded version"

    def before_bulk_write(self, connection: Connection) -> None:
        return None


GEOPACKAGE = GeoPackageDialect()
POSTGIS = PostgisDialect()


def _whole(row: Sequence[Any] | None) -> Extent | None:
    """Four bounds read from the store, or None where any is missing (an empty table)."""
    if row is None or any(value is None for value in row):
        return None
    return tuple(float(value) for value in row)
