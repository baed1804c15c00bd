"""The land-supply ledger: parcel hectares summed and compared with the yearly target.

Hectares are ellipsoidal (GRS80, the CGCS2000 ellipsoid), the figure Chinese land
statistics use; see :mod:`geo_app.geodesy`. Nothing here measures on a map projection.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Self

import geopandas as gpd
import numpy as np
import shapely

from geo_app.crs import WGS84, Converter, CoordinateSystem, from_pyproj
from geo_app.geodesy import hectares
from geo_app.parcel_table.words import vocabulary
from geo_app.problems import DataError
from geo_app.values import is_missing

if TYPE_CHECKING:
    from geo_app.workspace import Workspace

TARGET_ITEM_ID = "land_supply_ha"
# Their names in words are in strings.toml (see geo_app.parcel_labels).
PARCEL_STATUSES: tuple[str, ...] = vocabulary().statuses
# The eight towns and sub-districts in National Bureau of Statistics code order, from the
# one list of them (geo_app/parcel_table/vocabulary.toml, with their other names).
TOWNS: tuple[str, ...] = tuple(town.name for town in vocabulary().towns)
PARCEL_FIELDS: tuple[str, ...] = ("status", "use", "town", "quarter")
PARCEL_ALLOWED_VALUES: Mapping[str, tuple[str, ...]] = {"status": PARCEL_STATUSES}
UNKNOWN = "unknown"


class LedgerError(DataError):
    """The parcels cannot be totalled (missing columns, no plan target …)."""


def filter_key(value: Any) -> str:
    """The one rule by which a parcel's status, town, use or quarter is grouped and filtered:
    the value as text without surrounding spaces; missing or blank is ``unknown``."""
    if is_missing(value):
        return UNKNOWN
    text = str(value).strip()
    return text or UNKNOWN


def _lonlat(parcels: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Parcels in lon/lat; a frame in GK or another system is converted first."""
    source: CoordinateSystem | None = from_pyproj(parcels.crs)
    if source is None or source.is_geographic:
        return parcels
    converter = Converter(source, WGS84)
    geoms = shapely.transform(
        np.asarray(parcels.geometry.array, dtype=object), converter.transform_xy
    )
    return parcels.set_geometry(gpd.GeoSeries(geoms, index=parcels.index, crs="EPSG:4326"))


class LedgerFigures:
    """What every ledger answers from its hectares: total, gap, share, breakdowns, JSON.

    :class:`LandSupplyLedger` measures parcels it holds as geometries;
    :class:`StoredLedger` sums the hectares a workspace stored, grouped in SQL.
    """

    target_ha: float
    sample_data: bool
    # What reading the parcels' file found (warnings), when the ledger was made from one.
    problems: list[Any]

    @property
    def total_ha(self) -> float:
        raise NotImplementedError

    @property
    def parcel_count(self) -> int:
        raise NotImplementedError

    def _sum_by(self, column: str, first: Iterable[str] = ()) -> dict[str, float]:
        """Hectares per value of ``column``; ``first`` values always listed, in that order."""
        raise NotImplementedError

    def use_labels(self) -> dict[str, str]:
        raise NotImplementedError

    @property
    def gap_ha(self) -> float:
        return max(self.target_ha - self.total_ha, 0.0)

    @property
    def share_of_target(self) -> float:
        return self.total_ha / self.target_ha if self.target_ha > 0 else float("nan")

    @property
    def by_status(self) -> dict[str, float]:
        return self._sum_by("status", PARCEL_STATUSES)

    @property
    def by_town(self) -> dict[str, float]:
        return self._sum_by("town", TOWNS)

    @property
    def by_use(self) -> dict[str, float]:
        totals = self._sum_by("use")
        return dict(sorted(totals.items(), key=lambda item: (-item[1], item[0])))

    @property
    def by_quarter(self) -> dict[str, float]:
        return dict(sorted(self._sum_by("quarter").items()))

    def filtered(
        self,
        status: str | Iterable[str] | None = None,
        town: str | Iterable[str] | None = None,
        quarter: str | Iterable[str] | None = None,
        use: str | Iterable[str] | None = None,
    ) -> Self:
        """The parcels matching every given filter (:func:`filter_key` values), against the
        same target."""
        wanted = {
            column: {value} if isinstance(value, str) else set(value)
            for column, value in (
                ("status", status), ("town", town), ("quarter", quarter), ("use", use)
            )
            if value is not None
        }
        return self._subset(wanted)

    def _subset(self, wanted: Mapping[str, set[str]]) -> Self:
        """The parcels whose key in each column of ``wanted`` is one of its values."""
        raise NotImplementedError

    def against(self, target_ha: float) -> Self:
        """The same parcels against another target."""
        other = copy.copy(self)
        other.target_ha = float(target_ha)
        return other

    def to_dict(self) -> dict[str, Any]:
        """The JSON of ``geo-app totals``."""
        return {
            "target_ha": self.target_ha,
            "total_ha": self.total_ha,
            "gap_ha": self.gap_ha,
            "by_status": self.by_status,
            "by_town": self.by_town,
            "by_use": self.by_use,
            "by_quarter": self.by_quarter,
            "parcel_count": self.parcel_count,
            "sample_data": self.sample_data,
        }


class LandSupplyLedger(LedgerFigures):
    """Totals of parcel hectares by status, town, use and quarter against a target."""

    def __init__(
        self,
        parcels: gpd.GeoDataFrame,
        target_ha: float,
        *,
        sample_data: bool | None = None,
    ):
        # Parcels without a status (or town, use, quarter) column count as unknown there:
        # whatever a file holds, the ledger can be drawn up.
        frame = _lonlat(parcels).copy()
        frame["hectares"] = hectares(np.asarray(frame.geometry.array, dtype=object))
        self.parcels: gpd.GeoDataFrame = frame
        # Each column's filter keys, worked out once: every filter and breakdown reads them.
        self._key_cache: dict[str, np.ndarray] = {}
        self.target_ha = float(target_ha)
        if sample_data is None:
            sample_data = "sample" in frame.columns and bool(
                frame["sample"].fillna(False).astype(bool).any()
            )
        self.sample_data = bool(sample_data)
        self.problems = []

    @property
    def total_ha(self) -> float:
        return float(self.parcels["hectares"].sum())

    @property
    def parcel_count(self) -> int:
        return len(self.parcels)

    def _keys(self, column: str) -> np.ndarray:
        keys = self._key_cache.get(column)
        if keys is None:
            values = (self.parcels[column].tolist() if column in self.parcels.columns
                      else [None] * len(self.parcels))
            keys = np.empty(len(values), dtype=object)
            keys[:] = [filter_key(v) for v in values]
            self._key_cache[column] = keys
        return keys

    def _sum_by(self, column: str, first: Iterable[str] = ()) -> dict[str, float]:
        totals: dict[str, float] = {name: 0.0 for name in first}
        for key, ha in zip(self._keys(column), self.parcels["hectares"].tolist(), strict=True):
            totals[key] = totals.get(key, 0.0) + float(ha)
        return totals

    def use_labels(self) -> dict[str, str]:
        """Chinese names of the uses, from the parcels' ``use_zh`` attribute."""
        if not {"use", "use_zh"} <= set(self.parcels.columns):
            return {}
        labels: dict[str, str] = {}
        for use, use_zh in zip(self.parcels["use"], self.parcels["use_zh"], strict=True):
            if filter_key(use) != UNKNOWN and filter_key(use_zh) != UNKNOWN:
                labels.setdefault(filter_key(use), filter_key(use_zh))
        return labels

    def _subset(self, wanted: Mapping[str, set[str]]) -> LandSupplyLedger:
        keep = np.ones(len(self.parcels), dtype=bool)
        for column, allowed in wanted.items():
            keep &= np.isin(self._keys(column), list(allowed))
        # The parcels' hectares and keys are already known: a filter measures nothing again.
        subset = copy.copy(self)
        subset.parcels = self.parcels[keep]
        subset._key_cache = {column: keys[keep] for column, keys in self._key_cache.items()}
        return subset


@dataclass(frozen=True)
class ParcelGroup:
    """Parcels alike in status, town, use (with its Chinese name) and quarter, as stored:
    how many, their hectares summed, the first of them in the workspace's order, and how
    many of them are samples."""

    status: Any
    town: Any
    use: Any
    use_zh: Any
    quarter: Any
    count: int
    hectares: float
    first: int
    samples: int = 0


class StoredLedger(LedgerFigures):
    """The ledger answered from stored hectares, grouped: the same figures as
    :class:`LandSupplyLedger` on the same parcels, without a geometry read.

    The groups come from the database (``Workspace.parcel_groups``, an SQL ``GROUP BY``
    over the stored values); the one filter rule, :func:`filter_key`, is applied here to
    each group's values, so a value written with spaces or left blank counts exactly as the
    other ledger counts it.
    """

    def __init__(self, groups: Iterable[ParcelGroup], target_ha: float, *, sample_data: bool):
        self.groups: tuple[ParcelGroup, ...] = tuple(sorted(groups, key=lambda g: g.first))
        self.target_ha = float(target_ha)
        self.sample_data = bool(sample_data)
        self.problems = []

    @property
    def total_ha(self) -> float:
        return float(sum(group.hectares for group in self.groups))

    @property
    def parcel_count(self) -> int:
        return sum(group.count for group in self.groups)

    def _sum_by(self, column: str, first: Iterable[str] = ()) -> dict[str, float]:
        totals: dict[str, float] = {name: 0.0 for name in first}
        for group in self.groups:
            key = filter_key(getattr(group, column))
            totals[key] = totals.get(key, 0.0) + group.hectares
        return totals

    def use_labels(self) -> dict[str, str]:
        labels: dict[str, str] = {}
        for group in self.groups:  # in the order of their first parcels
            if filter_key(group.use) != UNKNOWN and filter_key(group.use_zh) != UNKNOWN:
                labels.setdefault(filter_key(group.use), filter_key(group.use_zh))
        return labels

    def _subset(self, wanted: Mapping[str, set[str]]) -> StoredLedger:
        kept = [
            group for group in self.groups
            if all(filter_key(getattr(group, column)) in allowed
                   for column, allowed in wanted.items())
        ]
        return StoredLedger(kept, self.target_ha, sample_data=self.sample_data)


@dataclass(frozen=True)
class LedgerSource:
    """Where a default ledger's figures come from."""

    target_ha: float
    layer_id: str
    sample_data: bool


def plan_target() -> LedgerSource:
    """The land-supply target and the layer that measures it, from seeds/plan.toml."""
    from geo_app.catalog import load_catalog
    from geo_app.plan import load_plan

    item = load_plan().item(TARGET_ITEM_ID)
    if item.quantity is None or not item.measure_layer:
        raise LedgerError(f"plan item {TARGET_ITEM_ID} has no quantity or measure layer")
    spec = load_catalog().layer(item.measure_layer)
    return LedgerSource(
        target_ha=float(item.quantity),
        layer_id=item.measure_layer,
        sample_data=bool(getattr(spec, "sample_data", False)),
    )


def default_ledger() -> LandSupplyLedger:
    """The shipped parcels against the plan's land-supply target."""
    from geo_app.catalog import load_layer_frame

    source = plan_target()
    parcels = load_layer_frame(source.layer_id)
    return LandSupplyLedger(parcels, source.target_ha, sample_data=source.sample_data or None)


def workspace_totals(workspace: Workspace, target_ha: float | None = None) -> StoredLedger:
    """The land-supply figures of a workspace's parcels, from the hectares it stored (one
    SQL aggregate; no geometry is read): what ``geo-app totals --workspace`` prints. Equal
    to :func:`geo_app.workspace.workspace_ledger`'s figures."""
    if target_ha is None:
        target_ha = plan_target().target_ha
    groups = [ParcelGroup(*row) for row in workspace.parcel_groups()]
    # As Workspace.holds_only_samples says it, from the same rows.
    count = sum(group.count for group in groups)
    only_samples = count > 0 and sum(int(group.samples) for group in groups) == count
    return StoredLedger(groups, target_ha, sample_data=only_samples)


def ledger_of_plan(plan: Any, target_ha: float) -> LandSupplyLedger:
    """The ledger of the parcels an import plan would write
    (:func:`geo_app.importing.prepare_import`)."""
    frame = gpd.GeoDataFrame(
        [parcel.properties for parcel in plan.parcels],
        geometry=[parcel.geometry for parcel in plan.parcels],
        crs="EPSG:4326",
    )
    ledger = LandSupplyLedger(frame, target_ha, sample_data=False)
    ledger.problems = list(plan.problems)
    return ledger
