"""What the workspace stores and hands back: parcels, their history, import outcomes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from shapely.geometry.base import BaseGeometry

from geo_app.geodesy import hectares


@dataclass(frozen=True)
class NewParcel:
    parcel_id: str
    properties: Mapping[str, Any]
    geometry: BaseGeometry
    # The geometry's ellipsoidal hectares (:func:`geo_app.geodesy.hectares`) when whoever
    # made the parcel has measured it already (an import plan has); None: the workspace
    # measures it.
    hectares: float | None = None


def new_parcels_hectares(parcels: Sequence[NewParcel]) -> np.ndarray:
    """Each new parcel's ellipsoidal hectares: the figure it came with, or measured now (all
    the unmeasured ones in one call)."""
    given = [p.hectares for p in parcels]
    unmeasured = [i for i, ha in enumerate(given) if ha is None]
    each = np.array([0.0 if ha is None else ha for ha in given], dtype=float)
    if unmeasured:
        each[unmeasured] = hectares(
            np.asarray([parcels[i].geometry for i in unmeasured], dtype=object))
    return each


@dataclass(frozen=True)
class Parcel:
    parcel_id: str
    version: int
    properties: dict[str, Any]
    geometry: BaseGeometry
    updated_at: str
    updated_by: str

    @property
    def sample(self) -> bool:
        return self.properties.get("sample") is True


@dataclass(frozen=True)
class HistoryEntry:
    id: int
    at: str
    user: str
    action: str
    parcel_id: str
    batch_id: int | None
    version_before: int | None
    version_after: int | None
    before_properties: dict[str, Any] | None
    before_geometry: BaseGeometry | None
    after_properties: dict[str, Any] | None
    after_geometry: BaseGeometry | None


@dataclass(frozen=True)
class ImportOutcome:
    batch_id: int
    added: tuple[str, ...]
    # Parcels taken out by this import: the samples, or everything under ``replace``.
    removed: tuple[str, ...]
    removed_samples: bool
    hectares_added: float
    hectares_removed: float


@dataclass(frozen=True)
class UndoOutcome:
    """An import batch taken back: the undo's own batch and what it did."""

    batch_id: int
    undone_batch: int
    source: str
    # Parcels the import had added, now gone; parcels it had removed (or changed), back.
    removed: tuple[str, ...]
    restored: tuple[str, ...]
    hectares_removed: float
    hectares_restored: float


# A parcel as the history records it: version, properties, geometry.
State = tuple[int, dict[str, Any], BaseGeometry]


def utc_now() -> str:
    """The time stamp every row carries: UTC, to the millisecond, ISO 8601 with ``Z``."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
