"""Reference layers in the workspace: control lines and land use, loaded whole, never edited.

A layer is stored with its source file, format, coordinate system, who loaded it and when.
Loading a file under a name already in use replaces that layer: the old one stays stored
(inactive) and can be restored, so a wrong file loaded over the right one loses nothing.
All of a file's features are written in one transaction, or none.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from geo_app.geodesy import hectares

# Not used here since the encoding moved to the dialect; tests/test_workspace_references.py
# still reaches the GeoPackage encoding through this name to make a write fail midway.
from geo_app.workspace import gpkg  # noqa: F401
from geo_app.workspace.dialect import Connection
from geo_app.workspace.errors import refusal
from geo_app.workspace.records import utc_now
from geo_app.workspace.schema import REFERENCE_FEATURES_TABLE, REFERENCE_LAYERS_TABLE


class NewReference(Protocol):
    """What a reference layer brings to the workspace (a read file, see
    :class:`geo_app.control.ReferenceFile`)."""

    kind: str
    name: str
    source: str
    format_name: str
    crs: str
    class_field: str | None
    geometries: np.ndarray
    classes: list[str | None]
    # Every column of the file, one JSON object per feature.
    properties_json: list[str]


@dataclass(frozen=True)
class ReferenceLayer:
    """A stored reference layer; ``active`` is False once replaced or removed."""

    layer_id: int
    kind: str
    name: str
    source: str
    format_name: str
    crs: str
    class_field: str | None
    feature_count: int
    hectares: float
    loaded_at: str
    loaded_by: str
    active: bool
    replaces: int | None
    ended_at: str | None
    ended_by: str | None


@dataclass(frozen=True)
class ReferenceFeatures:
    """A layer's features: lon/lat multipolygons, their classes and (when asked) columns."""

    layer: ReferenceLayer
    fids: np.ndarray
    geometries: np.ndarray
    classes: list[str | None]
    properties: list[dict[str, Any]] | None = None

    def __len__(self) -> int:
        return len(self.geometries)


_LAYER_COLUMNS = (
    "id, kind, name, source, format, crs, class_field, feature_count, hectares, loaded_at, "
    "loaded_by, active, replaces, ended_at, ended_by"
)


def _layer(row: Sequence[Any]) -> ReferenceLayer:
    return ReferenceLayer(
        layer_id=int(row[0]), kind=row[1], name=row[2], source=row[3], format_name=row[4] or "",
        crs=row[5] or "", class_field=row[6], feature_count=int(row[7]), hectares=float(row[8]),
        loaded_at=row[9], loaded_by=row[10], active=bool(row[11]), replaces=row[12],
        ended_at=row[13], ended_by=row[14],
    )


def layers(connection: Connection, include_inactive: bool = False) -> list[
    ReferenceLayer
]:
    where = "" if include_inactive else " WHERE active = 1"
    rows = connection.execute(
        f"SELECT {_LAYER_COLUMNS} FROM {REFERENCE_LAYERS_TABLE}{where} ORDER BY id"
    ).fetchall()
    return [_layer(row) for row in rows]


def layer(connection: Connection, layer_id: int) -> ReferenceLayer:
    row = connection.execute(
        f"SELECT {_LAYER_COLUMNS} FROM {REFERENCE_LAYERS_TABLE} WHERE id = ?", (layer_id,)
    ).fetchone()
    if row is None:
        raise refusal("reference_unknown", layer=str(layer_id))
    return _layer(row)


def _active_named(connection: Connection, name: str) -> ReferenceLayer | None:
    row = connection.execute(
        f"SELECT {_LAYER_COLUMNS} FROM {REFERENCE_LAYERS_TABLE} WHERE active = 1 AND name = ?",
        (name,),
    ).fetchone()
    return None if row is None else _layer(row)


def _end(connection: Connection, layer_id: int, user: str) -> None:
    connection.execute(
        f"UPDATE {REFERENCE_LAYERS_TABLE} SET active = 0, ended_at = ?, ended_by = ? "
        "WHERE id = ?",
        (utc_now(), user, layer_id),
    )


def add_layer(connection: Connection, new: NewReference, user: str) -> ReferenceLayer:
    """Store ``new`` whole; an active layer of the same name is replaced (kept, inactive)."""
    geometries = np.asarray(new.geometries, dtype=object)
    if not len(geometries):
        raise refusal("reference_empty", name=new.source)
    if len(new.classes) != len(geometries) or len(new.properties_json) != len(geometries):
        raise ValueError("classes and properties must match the geometries one to one")
    areas = hectares(geometries)
    bounds = shapely.bounds(geometries)
    previous = _active_named(connection, new.name)
    if previous is not None:
        _end(connection, previous.layer_id, user)
    cursor = connection.execute(
        f"INSERT INTO {REFERENCE_LAYERS_TABLE} (kind, name, source, format, crs, class_field, "
        "feature_count, hectares, loaded_at, loaded_by, active, replaces) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?)",
        (new.kind, new.name, new.source, new.format_name, new.crs, new.class_field,
         len(geometries), float(areas.sum()), utc_now(), user,
         previous.layer_id if previous is not None else None),
    )
    layer_id = int(cursor.lastrowid)
    stored_geometries = connection.dialect.geometry_values(geometries)
    connection.executemany(
        f"INSERT INTO {REFERENCE_FEATURES_TABLE} (geom, layer_id, class, hectares, min_x, "
        "max_x, min_y, max_y, properties) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            (stored, layer_id, cls, area, minx, maxx, miny, maxy, props)
            for stored, cls, area, (minx, miny, maxx, maxy), props in zip(
                stored_geometries, new.classes, areas.tolist(), bounds.tolist(),
                new.properties_json, strict=True,
            )
        ),
    )
    _touch(connection)
    return layer(connection, layer_id)


def remove(connection: Connection, name_or_id: str, user: str) -> ReferenceLayer:
    """Take a layer off the map and out of the check; it stays stored, restorable."""
    found = _find(connection, name_or_id)
    if not found.active:
        raise refusal("reference_inactive", layer=found.name, layer_id=str(found.layer_id))
    _end(connection, found.layer_id, user)
    _touch(connection)
    return layer(connection, found.layer_id)


def restore(connection: Connection, layer_id: int, user: str) -> ReferenceLayer:
    """Make a stored layer current again; the active layer of its name makes way."""
    found = layer(connection, layer_id)
    if found.active:
        raise refusal("reference_active", layer=found.name, layer_id=str(found.layer_id))
    current = _active_named(connection, found.name)
    if current is not None:
        _end(connection, current.layer_id, user)
    connection.execute(
        f"UPDATE {REFERENCE_LAYERS_TABLE} SET active = 1, ended_at = NULL, ended_by = NULL "
        "WHERE id = ?",
        (layer_id,),
    )
    _touch(connection)
    return layer(connection, layer_id)


def _find(connection: Connection, name_or_id: str) -> ReferenceLayer:
    text = str(name_or_id).strip()
    named = _active_named(connection, text)
    if named is not None:
        return named
    if text.isdigit():
        return layer(connection, int(text))
    raise refusal("reference_unknown", layer=text)


def features(
    connection: Connection,
    layer_id: int,
    bounds: tuple[float, float, float, float] | None = None,
    with_properties: bool = False,
) -> ReferenceFeatures:
    """The features of a layer, optionally only those whose envelope meets ``bounds``
    (min_x, min_y, max_x, max_y)."""
    found = layer(connection, layer_id)
    columns = "fid, geom, class" + (", properties" if with_properties else "")
    sql = f"SELECT {columns} FROM {REFERENCE_FEATURES_TABLE} WHERE layer_id = ?"
    values: list[Any] = [layer_id]
    if bounds is not None:
        minx, miny, maxx, maxy = bounds
        sql += " AND max_x >= ? AND min_x <= ? AND max_y >= ? AND min_y <= ?"
        values += [minx, maxx, miny, maxy]
    rows = connection.execute(sql + " ORDER BY fid", values).fetchall()
    geometries = np.empty(len(rows), dtype=object)
    geometries[:] = connection.dialect.geometries([row[1] for row in rows])
    return ReferenceFeatures(
        layer=found,
        fids=np.fromiter((row[0] for row in rows), dtype=np.int64, count=len(rows)),
        geometries=geometries,
        classes=[row[2] for row in rows],
        properties=[json.loads(row[3]) for row in rows] if with_properties else None,
    )


def _touch(connection: Connection) -> None:
    """The feature table's extent, over the active layers, as GeoPackage readers expect."""
    row = connection.execute(
        f"SELECT min(f.min_x), min(f.min_y), max(f.max_x), max(f.max_y) "
        f"FROM {REFERENCE_FEATURES_TABLE} f JOIN {REFERENCE_LAYERS_TABLE} l "
        "ON l.id = f.layer_id WHERE l.active = 1"
    ).fetchone()
    connection.dialect.layer_changed(
        connection, REFERENCE_FEATURES_TABLE, None if row[0] is None else row
    )


def envelope(geometries: Sequence[BaseGeometry]) -> tuple[float, float, float, float] | None:
    """The envelope of ``geometries``, or None when there are none."""
    if not len(geometries):
        return None
    b = shapely.bounds(np.asarray(geometries, dtype=object))
    return (float(b[:, 0].min()), float(b[:, 1].min()), float(b[:, 2].max()),
            float(b[:, 3].max()))


def class_counts(connection: Connection, layer_id: int) -> list[tuple[str | None, int]]:
    """How many polygons of the layer carry each land-use class (None: no class given), the
    whole layer, most first (ties by class): for the legend of a layer drawn whole."""
    rows = connection.execute(
        f"SELECT class, count(*) AS n FROM {REFERENCE_FEATURES_TABLE} WHERE layer_id = ? "
        "GROUP BY class ORDER BY n DESC, class",
        (int(layer_id),),
    ).fetchall()
    return [(row[0], int(row[1])) for row in rows]
