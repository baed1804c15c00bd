"""What may enter the workspace: an id, a user name, JSON-safe properties and a valid
lon/lat polygon. Anything else is refused with a :class:`WorkspaceError`."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from geo_app.workspace.errors import refusal
from geo_app.workspace.records import NewParcel

MAX_USER_CHARS = 100


def _plain_value(value: Any) -> Any:
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
    cleaned = {str(key): _plain_value(value) for key, value in properties.items()}
    cleaned["id"] = parcel_id
    return cleaned


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


def checked_id(parcel_id: Any) -> str:
    text = str(parcel_id).strip() if parcel_id is not None else ""
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
