"""Where a parcel lies among the district's towns, from the base layer whose polygons name
their town (the towns' schematic areas), never from a layer id.

Used for parcels of a file without a town column and for parcels drawn on the map; a town
placed this way is schematic, and the caller says so.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from geo_app.catalog import Catalog, LayerSpec, load_layer_frame
from geo_app.parcel_table.words import vocabulary

TOWN_FIELD = "town"
BASE_GROUP = "base"


def _towns() -> tuple[str, ...]:
    return tuple(town.name for town in vocabulary().towns)


def town_layers(catalog: Catalog) -> tuple[LayerSpec, ...]:
    """Base polygon layers whose features name their town."""
    found = []
    for spec in catalog.layers:
        if spec.group != BASE_GROUP or spec.geometry != "polygon":
            continue
        frame = load_layer_frame(spec)
        if TOWN_FIELD in frame.columns and frame[TOWN_FIELD].isin(_towns()).any():
            found.append(spec)
    return tuple(found)


def town_at(geometry: BaseGeometry, catalog: Catalog) -> str | None:
    """The town whose area holds most of ``geometry``; None when it lies outside them all."""
    return towns_at([geometry], catalog)[0]


def towns_at(geometries: Sequence[BaseGeometry], catalog: Catalog) -> list[str | None]:
    """For each geometry, the town whose (schematic) area holds most of it; None outside
    them all. Vectorised over the geometries: one pass per town area."""
    geoms = np.asarray(list(geometries), dtype=object)
    best_share = np.zeros(len(geoms))
    best: list[str | None] = [None] * len(geoms)
    for spec in town_layers(catalog):
        frame = load_layer_frame(spec)
        for town, area in zip(frame[TOWN_FIELD], frame.geometry, strict=True):
            if town not in _towns() or area is None:
                continue
            shapely.prepare(area)
            touching = shapely.intersects(area, geoms)
            if not touching.any():
                continue
            shared = np.zeros(len(geoms))
            shared[touching] = shapely.area(shapely.intersection(geoms[touching], area))
            better = shared > best_share
            best_share = np.where(better, shared, best_share)
            for row in np.flatnonzero(better):
                best[row] = str(town)
    return best
