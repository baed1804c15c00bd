"""The change log: one row per change to a parcel, with who, when, and the parcel before
and after, so that any recorded version can be read back and restored.

An import's rows do not repeat the parcels they add: a hundred thousand parcels written
twice made the history half of an import's writing and of the file. Such a row names the
version it made (``version_after``) and leaves the after-state empty; that state is where
the parcel's next change recorded what it changed from (its ``before_*``), or, while
nothing has changed it since, the parcel row itself. Every change records the state it
leaves and versions never repeat for an id, so the state is always found, once.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import shapely
from shapely.geometry.base import BaseGeometry

from geo_app import compact_json
from geo_app.workspace.dialect import Connection
from geo_app.workspace.records import HistoryEntry, State, utc_now
from geo_app.workspace.schema import HISTORY_TABLE, PARCELS_TABLE

# Parcel ids per ``IN (…)`` query, well under SQLite's limit on parameters.
_IDS_PER_QUERY = 500


def record(
    connection: Connection,
    user: str,
    action: str,
    parcel_id: str,
    batch: int | None,
    before: State | None,
    after: State | None,
) -> None:
    def parts(state: State | None) -> tuple[Any, Any, Any]:
        if state is None:
            return None, None, None
        version, props, geom = state
        return version, compact_json.dumps(props), shapely.to_wkb(geom)

    before_version, before_props, before_wkb = parts(before)
    after_version, after_props, after_wkb = parts(after)
    connection.execute(
        f'INSERT INTO {HISTORY_TABLE} (at, "user", action, parcel_id, batch_id, version_before, '
        "version_after, before_properties, before_wkb, after_properties, after_wkb) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (utc_now(), user, action, parcel_id, batch, before_version, after_version, before_props,
         before_wkb, after_props, after_wkb),
    )


def entries(
    connection: Connection, parcel_id: str | None = None, limit: int | None = None
) -> list[HistoryEntry]:
    """Changes, newest first; all parcels or one."""
    query = f"SELECT * FROM {HISTORY_TABLE}"
    params: list[Any] = []
    if parcel_id is not None:
        query += " WHERE parcel_id = ?"
        params.append(parcel_id)
    query += " ORDER BY id DESC"
    if limit is not None:
        query += " LIMIT ?"
        params.append(int(limit))
    rows = connection.execute(query, params).fetchall()
    kept = _kept_elsewhere(connection, [(row[4], row[7]) for row in rows if _elsewhere(row)])
    return [_entry(row, kept) for row in rows]


def _elsewhere(row: Sequence[Any]) -> bool:
    """An entry whose after-state lives in the parcel row or in the next change."""
    version_after, after_props = row[7], row[10]
    return version_after is not None and after_props is None


def _entry(
    row: Sequence[Any], kept: dict[tuple[str, int], tuple[str | None, BaseGeometry | None]]
) -> HistoryEntry:
    (entry_id, at, user, action, parcel_id, batch, v_before, v_after, before_props, before_wkb,
     after_props, after_wkb) = row
    after_geometry = shapely.from_wkb(after_wkb) if after_wkb is not None else None
    if _elsewhere(row):
        after_props, after_geometry = kept.get((parcel_id, int(v_after)), (None, None))
    return HistoryEntry(
        id=int(entry_id),
        at=at,
        user=user,
        action=action,
        parcel_id=parcel_id,
        batch_id=batch,
        version_before=v_before,
        version_after=v_after,
        before_properties=json.loads(before_props) if before_props is not None else None,
        before_geometry=shapely.from_wkb(before_wkb) if before_wkb is not None else None,
        after_properties=json.loads(after_props) if after_props is not None else None,
        after_geometry=after_geometry,
    )


def _kept_elsewhere(
    connection: Connection, wanted: Sequence[tuple[str, int]]
) -> dict[tuple[str, int], tuple[str, BaseGeometry]]:
    """The states ``(parcel id, version)`` that entries left to be found elsewhere: the
    properties as JSON text and the geometry, from the parcel's next change or its row."""
    wanted_set = {(parcel_id, int(version)) for parcel_id, version in wanted}
    ids = sorted({parcel_id for parcel_id, _ in wanted_set})
    found: dict[tuple[str, int], tuple[str, BaseGeometry]] = {}
    for start in range(0, len(ids), _IDS_PER_QUERY):
        chunk = ids[start:start + _IDS_PER_QUERY]
        marks = ", ".join("?" * len(chunk))
        for parcel_id, version, props, wkb in connection.execute(
            f"SELECT parcel_id, version_before, before_properties, before_wkb "
            f"FROM {HISTORY_TABLE} WHERE parcel_id IN ({marks}) "
            "AND version_before IS NOT NULL",
            chunk,
        ):
            if (parcel_id, version) in wanted_set:
                found[(parcel_id, version)] = (props, shapely.from_wkb(wkb))
        for parcel_id, version, props, stored_geometry in connection.execute(
            f"SELECT parcel_id, version, properties, geom FROM {PARCELS_TABLE} "
            f"WHERE parcel_id IN ({marks})",
            chunk,
        ):
            if (parcel_id, version) in wanted_set:
                found[(parcel_id, version)] = (
                    props, connection.dialect.geometry(stored_geometry))
    return found


def state_after(
    connection: Connection, parcel_id: str, version: int
) -> tuple[dict[str, Any], BaseGeometry] | None:
    """The properties and geometry the parcel had as ``version``; None if never recorded."""
    row = connection.execute(
        f"SELECT after_properties, after_wkb FROM {HISTORY_TABLE} "
        "WHERE parcel_id = ? AND version_after = ? ORDER BY id DESC LIMIT 1",
        (parcel_id, int(version)),
    ).fetchone()
    if row is None:
        return None
    if row[0] is None:
        kept = _kept_elsewhere(connection, [(parcel_id, int(version))])
        if (parcel_id, int(version)) not in kept:
            return None
        props, geometry = kept[(parcel_id, int(version))]
        return json.loads(props), geometry
    return json.loads(row[0]), shapely.from_wkb(row[1])


def latest_before(
    connection: Connection, parcel_id: str
) -> tuple[dict[str, Any] | None, BaseGeometry | None] | None:
    """The parcel before its latest change ((None, None): it did not exist); None when the
    parcel has no history at all."""
    row = connection.execute(
        f"SELECT before_properties, before_wkb FROM {HISTORY_TABLE} "
        "WHERE parcel_id = ? ORDER BY id DESC LIMIT 1",
        (parcel_id,),
    ).fetchone()
    if row is None:
        return None
    before_props, before_wkb = row
    if before_props is None:
        return None, None
    return json.loads(before_props), shapely.from_wkb(before_wkb)


def next_version(connection: Connection, parcel_id: str) -> int:
    """Versions never repeat for an id, even across delete and re-import."""
    last = connection.execute(
        f"SELECT max(coalesce(version_after, version_before)) FROM {HISTORY_TABLE} "
        "WHERE parcel_id = ?",
        (parcel_id,),
    ).fetchone()[0]
    return int(last or 0) + 1
