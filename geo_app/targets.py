"""What the drawn layers measure against each quantitative target of the plan.

A plan item names how a layer can measure it (``measure`` = parcel_hectares, line_km or
feature_count, on ``measure_layer``, optionally narrowed by ``measure_filter``). This module
does the measuring and says how it was done; it formats nothing, so the app and the CLI can
word the result in either language.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
from pyproj import Geod

from geo_app.geodesy import GRS80, hectares
from geo_app.plan import Plan, PlanItem

FrameLoader = Callable[[str], gpd.GeoDataFrame]

HECTARES_PER_MU = 1.0 / 15.0
# "about" has no written tolerance in the plan; a tenth either way is how it is read here.
ABOUT_TOLERANCE = 0.10

MEASURE_UNITS: Mapping[str, tuple[str, ...]] = {
    "parcel_hectares": ("ha", "mu"),
    "line_km": ("km",),
    "feature_count": ("count",),
}

# Outcomes of comparing a measured figure with its target.
MET = "met"
SHORT = "short"
OVER = "over"
NOT_MEASURED = "not_measured"
UNMEASURABLE = "unmeasurable"


@dataclass(frozen=True)
class TargetMeasurement:
    """One target and what a layer measures against it (``measured`` is in the target's unit)."""

    item: PlanItem
    outcome: str
    measured: float | None = None
    feature_count: int = 0
    accuracy_counts: Mapping[str, int] = field(default_factory=dict, hash=False)
    sample_data: bool = False
    problem: str | None = None

    @property
    def target(self) -> float:
        return float(self.item.quantity or 0)

    @property
    def gap(self) -> float | None:
        """How much is still missing to reach the target (0 when reached)."""
        if self.measured is None:
            return None
        return max(self.target - self.measured, 0.0)

    @property
    def share(self) -> float | None:
        """Measured as a fraction of the target (may exceed 1)."""
        if self.measured is None or not self.target:
            return None
        return self.measured / self.target


def geodesic_km(frame: gpd.GeoDataFrame) -> float:
    """Total length of the frame's lines on the GRS80 ellipsoid, in kilometres."""
    geod = Geod(a=GRS80.semi_major_m, rf=GRS80.inverse_flattening)
    metres = sum(geod.geometry_length(geom) for geom in frame.geometry if geom is not None)
    return metres / 1000.0


def select_features(frame: gpd.GeoDataFrame, criteria: Mapping[str, Any]) -> gpd.GeoDataFrame:
    """Rows whose properties equal every criterion (a list value means any of its members)."""
    mask = None
    for column, wanted in criteria.items():
        if column not in frame.columns:
            raise KeyError(column)
        values = list(wanted) if isinstance(wanted, list | tuple) else [wanted]
        column_mask = frame[column].isin(values)
        mask = column_mask if mask is None else mask & column_mask
    return frame if mask is None else frame[mask]


def compare(measured: float, target: float, comparison: str | None) -> str:
    if comparison == "about":
        if abs(measured - target) <= ABOUT_TOLERANCE * abs(target):
            return MET
        return SHORT if measured < target else OVER
    if comparison == "exactly":
        if round(measured, 6) == round(target, 6):
            return MET
        return SHORT if measured < target else OVER
    # "at_least" and an unstated comparison both read as a floor.
    return MET if measured >= target else SHORT


def _raw_measure(method: str, frame: gpd.GeoDataFrame) -> float:
    if method == "parcel_hectares":
        return float(hectares(frame.geometry.to_numpy()).sum()) if len(frame) else 0.0
    if method == "line_km":
        return geodesic_km(frame)
    return float(len(frame))


def _in_target_unit(method: str, value: float, unit: str | None) -> float:
    if method == "parcel_hectares" and unit == "mu":
        return value / HECTARES_PER_MU
    return value


def measure_target(item: PlanItem, load_frame: FrameLoader) -> TargetMeasurement:
    """Measure one target with the layer its plan item names, or say why it cannot be."""
    if item.measure is None or item.measure_layer is None:
        return TargetMeasurement(item=item, outcome=NOT_MEASURED)
    if item.unit not in MEASURE_UNITS.get(item.measure, ()):
        return TargetMeasurement(
            item=item,
            outcome=UNMEASURABLE,
            problem=f"{item.measure} cannot be compared with a target in {item.unit}",
        )
    try:
        frame = load_frame(item.measure_layer)
    except (KeyError, LookupError, OSError, ValueError) as exc:
        return TargetMeasurement(
            item=item,
            outcome=UNMEASURABLE,
            problem=f"layer {item.measure_layer!r} could not be read: {exc}",
        )
    try:
        chosen = select_features(frame, item.measure_filter)
    except KeyError as exc:
        return TargetMeasurement(
            item=item,
            outcome=UNMEASURABLE,
            problem=f"layer {item.measure_layer!r} has no property {exc.args[0]!r}",
        )
    measured = _in_target_unit(item.measure, _raw_measure(item.measure, chosen), item.unit)
    accuracy = Counter(chosen["accuracy"]) if "accuracy" in chosen.columns else Counter()
    sample = bool("sample" in chosen.columns and chosen["sample"].fillna(False).astype(bool).any())
    return TargetMeasurement(
        item=item,
        outcome=compare(measured, float(item.quantity or 0), item.comparison),
        measured=measured,
        feature_count=len(chosen),
        accuracy_counts=dict(sorted(accuracy.items())),
        sample_data=sample,
    )


def measure_targets(plan: Plan, load_frame: FrameLoader) -> tuple[TargetMeasurement, ...]:
    """Every quantitative target of the plan, in plan order, each read once per layer."""
    frames: dict[str, gpd.GeoDataFrame] = {}

    def cached(layer_id: str) -> gpd.GeoDataFrame:
        if layer_id not in frames:
            frames[layer_id] = load_frame(layer_id)
        return frames[layer_id]

    return tuple(measure_target(item, cached) for item in plan.targets())
