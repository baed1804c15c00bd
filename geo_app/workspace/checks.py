"""What may enter the workspace: an id, a user name, JSON-safe properties and a valid
lon/lat polygon. Anything else is refused with a :class:`WorkspaceError`."""

from __future__ import annotations

import functools
import itertools
import math
import operator
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from geo_app.workspace.errors import refusal
from geo_app.workspace.records import NewParcel

MAX_USER_CHARS = 100


# Values stored as they are; checked by exact type, the common case of a cell.
_AS_IS = frozenset({str, int, bool, type(None)})
_AS_IS_OR_FLOAT = _AS_IS | {float}
_TEXT = frozenset({str})


def _plain_value(value: Any) -> Any:
    if type(value) in _AS_IS:
        return value
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or isinstance(value, bool | str | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    # pandas' NA and NaT, and anything else: text keeps it readable and never executable.
    text = str(value)
    return None if text in ("<NA>", "NaT", "nan") else text


def clean_properties(properties: Mapping[str, Any], parcel_id: str) -> dict[str, Any]:
    """JSON-safe attribute values; the ``id`` property is always the parcel id."""
    if _all_plain([properties]):
        cleaned = dict(properties)
        cleaned["id"] = parcel_id
        return cleaned
    as_is = _AS_IS
    cleaned = {
        key if type(key) is str else str(key):
            value if type(value) in as_is else _plain_value(value)
        for key, value in properties.items()
    }
    cleaned["id"] = parcel_id
    return cleaned


def _all_plain(many: Sequence[Mapping[str, Any]]) -> bool:
    """Whether every key is text and every value is stored as it is (finite floats too),
    so that cleaning would only copy. Most properties come from our own tables, already
    plain: their types are checked in C, all of them in one pass, and a non-finite number
    makes the sum of the floats non-finite (so does a sum too big for a float, which only
    costs the slower way)."""
    if not set(map(type, itertools.chain.from_iterable(many))) <= _TEXT:
        return False
    values = list(itertools.chain.from_iterable(m.values() for m in many))
    kinds = list(map(type, values))
    if not set(kinds) <= _AS_IS_OR_FLOAT:
        return False
    return math.isfinite(sum(itertools.compress(values, map(_is_float, kinds))))


_is_float = functools.partial(operator.is_, float)


def _as_multipolygon(geometry: BaseGeometry, parcel_id: str) -> BaseGeometry:
    kind = geometry.geom_type if geometry is not None else None
    if kind == "Polygon":
        return shapely.MultiPolygon([geometry])
    if kind == "MultiPolygon":
        return geometry
    if kind == "GeometryCollection":
        parts = [p for p in shapely.get_parts(geometry) if p.geom_type == "Polygon"]
        if parts and len(parts) == len(shapely.get_parts(geometry)):
            return shapely.MultiPolygon(parts)
    raise refusal("not_polygon.parcel", feature=parcel_id)


def checked_geometry(geometry: BaseGeometry, parcel_id: str) -> BaseGeometry:
    """Only usable parcels enter the workspace: polygonal, lon/lat, valid, non-empty."""
    multi = _as_multipolygon(geometry, parcel_id)
    if multi.is_empty:
        raise refusal("empty_geometry.parcel", feature=parcel_id)
    coords = shapely.get_coordinates(multi)
    if not np.isfinite(coords).all() or (np.abs(coords[:, 0]) > 180).any() or (
        np.abs(coords[:, 1]) > 90
    ).any():
        raise refusal("out_of_range.parcel", feature=parcel_id)
    if not multi.is_valid:
        raise refusal(
            "invalid_geometry.parcel", feature=parcel_id, reason=shapely.is_valid_reason(multi)
        )
    return multi


def _id_text(parcel_id: Any) -> str:
    return str(parcel_id).strip() if parcel_id is not None else ""


def checked_id(parcel_id: Any) -> str:
    text = _id_text(parcel_id)
    if not text:
        raise refusal("missing_id")
    return text


def checked_user(user: str) -> str:
    name = (user or "").strip()
    if not name:
        raise refusal("missing_user")
    return name[:MAX_USER_CHARS]


def checked_new(parcel: NewParcel) -> NewParcel:
    parcel_id = checked_id(parcel.parcel_id)
    return NewParcel(
        parcel_id,
        clean_properties(parcel.properties, parcel_id),
        checked_geometry(parcel.geometry, parcel_id),
    )


def checked_many(parcels: Sequence[NewParcel]) -> list[NewParcel]:
    """:func:`checked_new` of every parcel, the geometry checks made on all of them at once.

    Refuses with the same error as :func:`checked_new` would, for the first parcel (in
    order) that it refuses, so a file's report does not depend on its size.
    """
    ids = [_id_text(p.parcel_id) for p in parcels]
    missing = next((i for i, text in enumerate(ids) if not text), len(ids))
    geometries = np.asarray([p.geometry for p in parcels], dtype=object)
    multi = _as_multipolygons(geometries)
    # Whatever the batch checks doubt goes through the one-parcel check, in order: it
    # converts what it can (a collection of polygons) and refuses the first that it cannot.
    for index in np.flatnonzero(_refused(multi)):
        if index >= missing:
            break
        multi[index] = checked_geometry(parcels[index].geometry, ids[index])
    if missing < len(ids):
        raise refusal("missing_id")
    plain = bool(parcels) and _all_plain([p.properties for p in parcels])
    return [
        _checked_parcel(parcel, parcel_id, geometry, plain)
        for parcel_id, parcel, geometry in zip(ids, parcels, multi.tolist(), strict=True)
    ]


def _checked_parcel(parcel: NewParcel, parcel_id: str, geometry: BaseGeometry,
                    plain: bool) -> NewParcel:
    """``parcel`` as checked: itself when the checks changed nothing (its properties are
    plain and name it, its geometry a multipolygon already), else a new one. Its hectares
    stay only with the geometry they were measured on."""
    properties = parcel.properties
    if plain and type(properties) is dict and properties.get("id") == parcel_id:
        if geometry is parcel.geometry and type(parcel.parcel_id) is str and (
                parcel.parcel_id == parcel_id):
            return parcel
    else:
        properties = clean_properties(properties, parcel_id)
    return NewParcel(parcel_id, properties, geometry,
                     parcel.hectares if geometry is parcel.geometry else None)


def _as_multipolygons(geometries: np.ndarray) -> np.ndarray:
    """Polygons as one-part multipolygons; anything else left for the check to refuse."""
    kinds = shapely.get_type_id(geometries)
    polygons = np.flatnonzero(kinds == shapely.GeometryType.POLYGON)
    out = geometries.copy()
    if len(polygons):
        out[polygons] = shapely.multipolygons(
            geometries[polygons], indices=np.arange(len(polygons)))
    return out


def _refused(multi: np.ndarray) -> np.ndarray:
    """Which geometries :func:`checked_geometry` may refuse: every one it would refuse,
    and any that is not yet a multipolygon."""
    kinds = shapely.get_type_id(multi)
    bad = kinds != shapely.GeometryType.MULTIPOLYGON
    ok = np.flatnonzero(~bad)
    if len(ok):
        shapes = multi[ok]
        wrong = shapely.is_empty(shapes)
        coords, owner = shapely.get_coordinates(shapes, return_index=True)
        outside = ~np.isfinite(coords).all(axis=1) | (np.abs(coords[:, 0]) > 180) | (
            np.abs(coords[:, 1]) > 90)
        wrong[np.unique(owner[outside])] = True
        wrong |= ~shapely.is_valid(shapes)
        bad[ok] = wrong
    return bad
