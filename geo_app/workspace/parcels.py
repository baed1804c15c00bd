"""Parcel rows with versions, inside a transaction: read, write, check the version, delete.

Each parcel row carries a ``version``; :func:`current` refuses an edit made against an older
version with :class:`StaleEditError` instead of letting it overwrite someone else's edit.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from typing import Any

import shapely
from shapely.geometry.base import BaseGeometry

from geo_app.workspace import gpkg
from geo_app.workspace.errors import ParcelNotFoundError, StaleEditError
from geo_app.workspace.history import next_version, record
from geo_app.workspace.records import Parcel, utc_now
from geo_app.workspace.schema import PARCELS_TABLE, PROMOTED_FIELDS

_PARCEL_COLUMNS = "parcel_id, version, properties, geom, updated_at, updated_by"


def parcel_hectares(geometry: BaseGeometry) -> float:
    from geo_app.geodesy import hectares

    return float(hectares([geometry])[0])


def all_parcels(connection: sqlite3.Connection) -> list[Parcel]:
    rows = connection.execute(
        f"SELECT {_PARCEL_COLUMNS} FROM {PARCELS_TABLE} ORDER BY fid"
    ).fetchall()
    return [parcel_from_row(row) for row in rows]


def parcel_row(connection: sqlite3.Connection, parcel_id: str) -> tuple | None:
    return connection.execute(
        f"SELECT {_PARCEL_COLUMNS} FROM {PARCELS_TABLE} WHERE parcel_id = ?",
        (parcel_id,),
    ).fetchone()


def parcel_from_row(row: Sequence[Any]) -> Parcel:
    parcel_id, version, properties, blob, updated_at, updated_by = row
    return Parcel(
        parcel_id=parcel_id,
        version=int(version),
        properties=json.loads(properties),
        geometry=gpkg.geometry_from_blob(blob),
        updated_at=updated_at,
        updated_by=updated_by,
    )


def current(
    connection: sqlite3.Connection, parcel_id: str, expected_version: int | None
) -> Parcel:
    """The parcel as it is now, which must be ``expected_version`` when that is given."""
    row = parcel_row(connection, parcel_id)
    if row is None:
        if expected_version is not None:
            raise StaleEditError(parcel_id, expected_version, None)
        raise ParcelNotFoundError(parcel_id)
    now = parcel_from_row(row)
    if expected_version is not None and now.version != int(expected_version):
        raise StaleEditError(parcel_id, int(expected_version), now.version)
    return now


def write_parcel(
    connection: sqlite3.Connection,
    parcel_id: str,
    version: int,
    properties: dict[str, Any],
    geometry: BaseGeometry,
    user: str,
    *,
    insert: bool,
) -> None:
    promoted = [_text_or_none(properties.get(name)) for name in PROMOTED_FIELDS]
    values = (
        gpkg.geometry_blob(geometry),
        version,
        *promoted,
        int(properties.get("sample") is True),
        parcel_hectares(geometry),
        json.dumps(properties, ensure_ascii=False),
        utc_now(),
        user,
    )
    columns = ("geom", "version", *PROMOTED_FIELDS, "sample", "hectares", "properties",
               "updated_at", "updated_by")
    quoted = ", ".join(f'"{c}"' for c in columns)
    if insert:
        connection.execute(
            f"INSERT INTO {PARCELS_TABLE} (parcel_id, {quoted}) "
            f"VALUES (?{', ?' * len(columns)})",
            (parcel_id, *values),
        )
    else:
        assignments = ", ".join(f'"{c}" = ?' for c in columns)
        connection.execute(
            f"UPDATE {PARCELS_TABLE} SET {assignments} WHERE parcel_id = ?",
            (*values, parcel_id),
        )


def add_parcel(
    connection: sqlite3.Connection,
    parcel_id: str,
    properties: dict[str, Any],
    geometry: BaseGeometry,
    user: str,
    action: str,
    batch: int | None = None,
) -> None:
    """Store a parcel the workspace does not hold (new, or back after a delete), recorded
    as ``action``."""
    version = next_version(connection, parcel_id)
    write_parcel(connection, parcel_id, version, properties, geometry, user, insert=True)
    record(connection, user, action, parcel_id, batch, None, (version, properties, geometry))


def change_parcel(
    connection: sqlite3.Connection,
    now: Parcel,
    properties: dict[str, Any],
    geometry: BaseGeometry,
    user: str,
    action: str,
    batch: int | None = None,
) -> None:
    """Store the next version of a parcel, recording it and the version it replaces."""
    version = now.version + 1
    write_parcel(connection, now.parcel_id, version, properties, geometry, user, insert=False)
    record(
        connection,
        user,
        action,
        now.parcel_id,
        batch,
        (now.version, now.properties, now.geometry),
        (version, properties, geometry),
    )


def _text_or_none(value: Any) -> str | None:
    return None if value is None else str(value)


def delete_parcel(
    connection: sqlite3.Connection, gone: Parcel, user: str, batch: int | None
) -> None:
    """Remove the parcel, keeping its last state in the history."""
    connection.execute(f"DELETE FROM {PARCELS_TABLE} WHERE parcel_id = ?", (gone.parcel_id,))
    record(
        connection,
        user,
        "delete",
        gone.parcel_id,
        batch,
        (gone.version, gone.properties, gone.geometry),
        None,
    )


def touch(connection: sqlite3.Connection, added: Iterable[BaseGeometry] = ()) -> None:
    """Record the change, growing the stored extent to cover ``added`` geometries.

    The extent only grows (a deletion leaves it as it was): readers use it to zoom, and
    recomputing it would mean reading every parcel on every edit.
    """
    geoms = list(added)
    extent = None
    if geoms:
        stored = connection.execute(
            "SELECT min_x, min_y, max_x, max_y FROM gpkg_contents WHERE table_name = ?",
            (PARCELS_TABLE,),
        ).fetchone()
        bounds = [float(v) for v in shapely.total_bounds(geoms)]
        if stored is not None and None not in stored:
            bounds = [
                min(bounds[0], stored[0]),
                min(bounds[1], stored[1]),
                max(bounds[2], stored[2]),
                max(bounds[3], stored[3]),
            ]
        extent = tuple(bounds)
    gpkg.touch_contents(connection, PARCELS_TABLE, extent)
