"""A new workspace starts with the shipped sample parcels, marked as samples; the first
import of real parcels removes them (recorded, so they can be restored)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

import shapely

from geo_app.workspace.batches import import_batch
from geo_app.workspace.checks import checked_many
from geo_app.workspace.parcels import touch
from geo_app.workspace.records import NewParcel

SAMPLE_USER = "sample"
SeedLoader = Callable[[], list[NewParcel]]


def sample_parcels() -> list[NewParcel]:
    """The shipped sample parcels (the layer that measures the plan's land-supply target)."""
    from geo_app.catalog import load_layer_geojson
    from geo_app.ledger import plan_target

    collection = load_layer_geojson(plan_target().layer_id)
    parcels = []
    for feature in collection["features"]:
        properties = dict(feature["properties"])
        properties["sample"] = True
        geometry = shapely.geometry.shape(feature["geometry"])
        parcels.append(NewParcel(str(properties["id"]), properties, geometry))
    return parcels


def seed(connection: sqlite3.Connection, loader: SeedLoader) -> None:
    """Add the parcels ``loader`` gives as the workspace's first batch."""
    parcels = loader()
    if not parcels:
        return
    checked = checked_many(parcels)
    import_batch(connection, checked, SAMPLE_USER, "sample parcels", "GeoJSON", "wgs84",
                 replace=False)
    touch(connection, [p.geometry for p in checked])
