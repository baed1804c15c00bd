"""A parcel drawn on the map: its shape back in WGS84, its hectares, its town, its attributes.

The map sends a drawn shape as GeoJSON in the datum of its tiles; :func:`drawn_geometry`
moves it back to WGS84 (a shape drawn on GCJ-02 tiles is otherwise about 560 m off) and
checks it is one valid polygon. The town is read off the base layer whose polygons carry a
``town`` attribute (the towns' schematic areas), never from a layer id.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import shapely
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from geo_app.basemaps.display_datum import from_display_datum
from geo_app.geodesy import hectares
from geo_app.i18n import load_strings, t
from geo_app.ledger import TARGET_ITEM_ID
from geo_app.parcel_labels import USE_PREFIX
from geo_app.problems import InputError, error

# A shape drawn by hand on a web map is never a survey.
DRAWN_ACCURACY = "approximate"
DRAWN_FORMAT = "drawing"


def drawn_geometry(drawing: Mapping[str, Any] | None, datum: str) -> BaseGeometry:
    """The drawn shape (a GeoJSON Feature or geometry, in ``datum``) as a WGS84 polygon.

    Raises InputError when there is no shape, it is not a polygon, or it crosses itself.
    """
    drawing = drawing or {}
    geometry = drawing.get("geometry") if drawing.get("type") == "Feature" else drawing
    if not geometry:
        raise InputError(error("no_drawing"))
    try:
        geom = shape(from_display_datum(dict(geometry), datum))
    except (TypeError, ValueError, KeyError, IndexError, AttributeError):
        raise InputError(error("unreadable_drawing")) from None
    if geom.geom_type != "Polygon" or geom.is_empty:
        raise InputError(error("not_polygon.drawing"))
    if not geom.is_valid:
        reason = shapely.is_valid_reason(geom)
        raise InputError(error("invalid_geometry.drawing", reason=reason))
    # Leaflet lists a ring in the order it was clicked; store it as the contract wants.
    return shapely.orient_polygons(geom)


def drawn_hectares(geometry: BaseGeometry) -> float:
    """Ellipsoidal (GRS80) hectares, as every figure of the product."""
    return float(hectares([geometry])[0])


@dataclass(frozen=True)
class ParcelFields:
    """What a planner fills in for a parcel."""

    name_zh: str
    name_en: str
    status: str
    use: str
    town: str
    quarter: str

    def properties(self) -> dict[str, Any]:
        strings = load_strings()
        use_key = f"{USE_PREFIX}.{self.use}"
        name_zh = self.name_zh.strip()
        return {
            "name_zh": name_zh,
            "name_en": self.name_en.strip() or name_zh,
            "status": self.status,
            "use": self.use,
            "use_zh": strings.get(use_key, "zh") if use_key in strings else self.use,
            "town": self.town,
            "quarter": self.quarter,
        }


def new_parcel_id(today: dt.date) -> str:
    return f"drawn-{today.strftime('%Y%m%d')}-{secrets.token_hex(3)}"


def drawn_properties(fields: ParcelFields, parcel_id: str, user: str, today: dt.date,
                     datum: str) -> dict[str, Any]:
    """Every attribute a drawn parcel is stored with: the fields plus where it came from."""
    props = fields.properties()
    props["name_zh"] = props["name_zh"] or parcel_id
    props["name_en"] = props["name_en"] or props["name_zh"]
    user = user.strip()
    props.update({
        "id": parcel_id,
        "plan_ref": TARGET_ITEM_ID,
        "accuracy": DRAWN_ACCURACY,
        "source": t("parcel.source.drawn", "zh", user=user, date=today.isoformat(), datum=datum),
        "source_en": t("parcel.source.drawn", "en", user=user, date=today.isoformat(),
                       datum=datum),
    })
    return props


def edited_properties(current: Mapping[str, Any], fields: ParcelFields) -> dict[str, Any]:
    """The parcel's attributes with the fields replaced; everything else kept."""
    props = dict(current)
    changed = fields.properties()
    if not changed["name_zh"]:
        changed["name_zh"] = str(current.get("name_zh") or current.get("id") or "")
        changed["name_en"] = fields.name_en.strip() or str(current.get("name_en") or
                                                           changed["name_zh"])
    props.update(changed)
    return props


def plan_quarters(year: int) -> tuple[str, ...]:
    return tuple(f"{year}Q{number}" for number in range(1, 5))
