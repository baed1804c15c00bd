"""What the layers measure against each quantitative target of the plan, and what it rests on.

A plan item names how a layer can measure it (``measure`` = parcel_hectares, line_km or
feature_count, on ``measure_layer``, optionally narrowed by ``measure_filter``). This module
does the measuring and says how it was done; it formats nothing, so the app, the CLI and the
exports can word the result in either language.

Only planners' own records measure progress. A count or a length of the features this
project drew from the article's words (tourism lines, zones, villages, roads) measures our
drawing, not the plan: such a result is ``SCHEMATIC``, never reached or short, and has no
share or gap. Sample parcels stand in for the planners' records and are ``SAMPLE``: their
figure is shown as sample data, never as progress. The rule lives here so that every
reader of a :class:`TargetMeasurement` follows it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import pandas as pd
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
# A count or length of our own drawings: shown as "schematic, not a measurement".
SCHEMATIC = "schematic"
# A figure of sample parcels only: shown as sample data, not as progress.
SAMPLE = "sample"
# The only outcomes that state progress; they require planners' data.
PROGRESS_OUTCOMES = frozenset({MET, SHORT, OVER})

# What a figure rests on.
PLANNERS_DATA = "planners_data"
SAMPLE_DATA = "sample_data"
DRAWINGS = "drawings"

# Measures whose features are the planners' own records: the land-supply parcels come from
# the bureau's files or are drawn by planners in the workspace. Every other layer is built
# by scripts/build_layers.py from the article's words, so counting or measuring it only
# measures that drawing. A later measure of planners' data (the control-line check, say)
# joins this set; a count or length of the shipped layers never does.
PLANNERS_DATA_MEASURES = frozenset({"parcel_hectares"})


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
    # PLANNERS_DATA, SAMPLE_DATA or DRAWINGS; None when nothing was measured.
    basis: str | None = None
    # Sample parcels found among planners' parcels and kept out of the figure.
    samples_left_out: int = 0

    @property
    def target(self) -> float:
        return float(self.item.quantity or 0)

    @property
    def is_progress(self) -> bool:
        """True only for a figure from planners' data: the one kind that shows progress."""
        return self.basis == PLANNERS_DATA

    @property
    def is_drawing(self) -> bool:
        """True for a count or length of our own drawings: schematic, not a measurement."""
        return self.basis == DRAWINGS

    @property
    def gap(self) -> float | None:
        """How much is still missing to reach the target (0 when reached); None for drawings,
        whose figure is no step towards the target."""
        if self.measured is None or self.is_drawing:
            return None
        return max(self.target - self.measured, 0.0)

    @property
    def share(self) -> float | None:
        """Measured as a fraction of the target (may exceed 1); None for drawings.

        Sample parcels keep their share, labelled as sample data wherever it is shown (the
        land-supply tab, the headline and the exports show the same figure)."""
        if self.measured is None or not self.target or self.is_drawing:
            return None
        return self.measured / self.target

    def to_dict(self) -> dict[str, Any]:
        """Plain values for machine-readable output, following the same rule as the page."""
        return {
            "id": self.item.id,
            "outcome": self.outcome,
            "basis": self.basis,
            "target": self.target,
            "unit": self.item.unit,
            "comparison": self.item.comparison,
            "measured": self.measured,
            "share": self.share,
            "gap": self.gap,
            "feature_count": self.feature_count,
            "accuracy_counts": dict(self.accuracy_counts),
            "sample_data": self.sample_data,
            "samples_left_out": self.samples_left_out,
            "problem": self.problem,
        }


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


def _sample_mask(frame: gpd.GeoDataFrame, whole_layer: bool) -> pd.Series:
    if whole_layer:
        return pd.Series(True, index=frame.index)
    if "sample" not in frame.columns:
        return pd.Series(False, index=frame.index)
    return frame["sample"].fillna(False).astype(bool)


def measure_target(
    item: PlanItem, load_frame: FrameLoader, sample_layers: Collection[str] = ()
) -> TargetMeasurement:
    """Measure one target with the layer its plan item names, or say why it cannot be.

    ``sample_layers``: layers the catalog marks as sample data as a whole; a feature with a
    true ``sample`` property is sample data in any layer.
    """
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
    samples_left_out = 0
    if item.measure not in PLANNERS_DATA_MEASURES:
        basis = DRAWINGS
    else:
        samples = _sample_mask(chosen, item.measure_layer in sample_layers)
        if len(chosen) and bool(samples.all()):
            basis = SAMPLE_DATA
        else:
            # Planners' parcels with sample ones among them: the samples are no progress,
            # so the figure is of the planners' parcels alone and says how many were left.
            basis = PLANNERS_DATA
            samples_left_out = int(samples.sum())
            chosen = chosen[~samples]
    measured = _in_target_unit(item.measure, _raw_measure(item.measure, chosen), item.unit)
    accuracy = Counter(chosen["accuracy"]) if "accuracy" in chosen.columns else Counter()
    if basis == DRAWINGS:
        outcome = SCHEMATIC
    elif basis == SAMPLE_DATA:
        outcome = SAMPLE
    else:
        outcome = compare(measured, float(item.quantity or 0), item.comparison)
    return TargetMeasurement(
        item=item,
        outcome=outcome,
        measured=measured,
        feature_count=len(chosen),
        accuracy_counts=dict(sorted(accuracy.items())),
        sample_data=basis == SAMPLE_DATA,
        basis=basis,
        samples_left_out=samples_left_out,
    )


def measure_targets(
    plan: Plan, load_frame: FrameLoader, sample_layers: Collection[str] = ()
) -> tuple[TargetMeasurement, ...]:
    """Every quantitative target of the plan, in plan order, each read once per layer."""
    frames: dict[str, gpd.GeoDataFrame] = {}

    def cached(layer_id: str) -> gpd.GeoDataFrame:
        if layer_id not in frames:
            frames[layer_id] = load_frame(layer_id)
        return frames[layer_id]

    return tuple(measure_target(item, cached, sample_layers) for item in plan.targets())
