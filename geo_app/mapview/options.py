"""What a map shows: the options ``build_map`` takes, as plain frozen data."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from geo_app.basemaps import BasemapRegistry
from geo_app.basemaps.lookup import Lookup
from geo_app.catalog import Catalog
from geo_app.ledger import filter_key
from geo_app.plan import Plan

Bounds = tuple[tuple[float, float], tuple[float, float]]
"""((south, west), (north, east)) in degrees, the order Leaflet's fitBounds takes."""

# About 10 m at Shuangyang: invisible below zoom 14, and it never touches hectares,
# which are computed from the original geometry.
DEFAULT_SIMPLIFY_DEG = 0.0001


def _frozen(values: Iterable[str] | None) -> frozenset[str] | None:
    return None if values is None else frozenset(values)


@dataclass(frozen=True)
class ParcelFilter:
    """Which parcels to draw; ``None`` in a field means "any value"."""

    statuses: frozenset[str] | None = None
    towns: frozenset[str] | None = None
    quarters: frozenset[str] | None = None

    @classmethod
    def of(
        cls,
        statuses: Iterable[str] | None = None,
        towns: Iterable[str] | None = None,
        quarters: Iterable[str] | None = None,
    ) -> ParcelFilter:
        return cls(_frozen(statuses), _frozen(towns), _frozen(quarters))

    @property
    def is_empty(self) -> bool:
        return self.statuses is None and self.towns is None and self.quarters is None

    def matches(self, properties: Mapping[str, Any]) -> bool:
        """The ledger's rule (:func:`geo_app.ledger.filter_key`): what is drawn is counted."""
        return all(
            allowed is None or filter_key(properties.get(key)) in allowed
            for key, allowed in (
                ("status", self.statuses),
                ("town", self.towns),
                ("quarter", self.quarters),
            )
        )


@dataclass(frozen=True)
class MapOptions:
    """Everything one map depends on.

    ``catalog``/``plan``: None loads the shipped ones. ``visible_layers``: None shows each
    catalog layer whose ``default_visible`` is true; layers not listed are left out of the
    page entirely. ``parcels``: a prepared FeatureCollection that replaces the parcel
    layer's file (the filter is then not applied). ``center`` is (lat, lon); with neither
    ``center`` nor ``fit_bounds`` the map fits the visible layers (or the highlighted
    feature, or ``marker_lonlat``). Every position given here is WGS84, whatever the
    basemap: the map moves it onto GCJ-02 tiles itself.

    ``basemaps``: the registry to choose from (None: the shipped one plus the file named by
    GEO_APP_BASEMAPS). ``settings``: where access keys and the approval number are looked
    up, a mapping or a callable (None: the environment); kept out of repr.
    ``marker_lonlat``: a (lon, lat) point to mark, such as a typed coordinate.
    """

    catalog: Catalog | None = None
    plan: Plan | None = None
    visible_layers: tuple[str, ...] | None = None
    lang: str = "zh"
    basemap: str = "offline"
    asset_mode: str = "served"
    parcel_filter: ParcelFilter = field(default_factory=ParcelFilter)
    parcels: Mapping[str, Any] | None = field(default=None, hash=False, compare=False)
    highlight_id: str | None = None
    center: tuple[float, float] | None = None
    zoom: int | None = None
    fit_bounds: Bounds | None = None
    height: str = "100%"
    simplify_deg: float = DEFAULT_SIMPLIFY_DEG
    measure_control: bool = True
    fullscreen_control: bool = True
    basemaps: BasemapRegistry | None = field(default=None, hash=False, compare=False)
    settings: Lookup = field(default=None, hash=False, compare=False, repr=False)
    marker_lonlat: tuple[float, float] | None = None
