"""Is a vector file usable as it is? One plain-words problem per fault, in zh and en.

Errors make a file unusable (no geometry, a ring that crosses itself, text where numbers
belong …); warnings do not (a parcel outside the district, a coordinate system that had to
be guessed). Reading problems (:mod:`geo_app.reading`) and checks on the features read
are reported the same way.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray
from shapely.geometry.base import BaseGeometry

from geo_app.crs import CoordinateSystem
from geo_app.i18n import load_strings
from geo_app.problems import InputError, Lang, Problem, error, warning, words
from geo_app.reading import DEFAULT_LIMITS, ReadLimits, VectorData, read_vector
from geo_app.values import is_blank, is_missing

__all__ = [
    "DISTRICT",
    "Problem",
    "ValidationReport",
    "district_boundary",
    "validate_file",
    "validate_frame",
]

# Parcels drawn a little across the outline are not worth a warning: the outline itself
# is only good to some tens of metres. About 100 m at this latitude.
_BOUNDARY_TOLERANCE_DEG = 0.001


class _District:
    """Stands for "the shipped district boundary" until it is needed."""

    def __repr__(self) -> str:
        return "DISTRICT"


DISTRICT = _District()


@dataclass(frozen=True)
class ValidationReport:
    problems: tuple[Problem, ...]
    # The features read, when the file could be read at all.
    data: VectorData | None = None

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.is_error)

    @property
    def warnings(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if not p.is_error)

    @property
    def ok(self) -> bool:
        return not self.errors

    def lines(self, lang: Lang = "zh") -> list[str]:
        return [p.line(lang) for p in self.problems]


@lru_cache(maxsize=1)
def district_boundary() -> BaseGeometry | None:
    """The shipped district outline, or None when the layer is not available."""
    try:
        from geo_app.catalog import load_layer_frame

        frame = load_layer_frame("boundary")
    except (ImportError, OSError, ValueError, KeyError, LookupError):
        return None
    if frame.empty:
        return None
    outline = shapely.union_all(np.asarray(frame.geometry.array, dtype=object))
    return None if outline.is_empty else outline


def validate_file(
    path: str | Path,
    crs: str | CoordinateSystem | None = None,
    *,
    expect_polygons: bool = True,
    required_fields: Sequence[str] = (),
    allowed_values: Mapping[str, Collection[Any]] | None = None,
    boundary: BaseGeometry | _District | None = DISTRICT,
    limits: ReadLimits = DEFAULT_LIMITS,
    keep_source: bool = False,
) -> ValidationReport:
    """Read and check a file; never raises for bad content (only for an unknown ``crs``).
    ``keep_source``: the report's data keeps the file's own geometries too."""
    try:
        data = read_vector(path, crs, limits, keep_source=keep_source)
    except InputError as exc:
        return ValidationReport((exc.problem,))
    if isinstance(boundary, _District):
        boundary = district_boundary()
    found = validate_frame(
        data.frame,
        labels=data.labels,
        has_id=data.has_id,
        expect_polygons=expect_polygons,
        required_fields=required_fields,
        allowed_values=allowed_values,
        boundary=boundary,
        skip_rows=data.unreadable_rows,
    )
    return ValidationReport(tuple(data.problems) + tuple(found), data)


def validate_frame(
    frame: gpd.GeoDataFrame,
    *,
    labels: Sequence[str] | None = None,
    has_id: Sequence[bool] | None = None,
    expect_polygons: bool = True,
    required_fields: Sequence[str] = (),
    allowed_values: Mapping[str, Collection[Any]] | None = None,
    boundary: BaseGeometry | None = None,
    skip_rows: Collection[int] = (),
) -> list[Problem]:
    """Check features already in WGS84 lon/lat; rows in ``skip_rows`` are known unreadable.

    ``labels`` name the rows in messages (default: the ``id`` column, else ``#row``);
    ``boundary`` (lon/lat) turns on the outside-the-district warning.
    """
    if len(frame) == 0:
        return [error("no_features.file")]
    if labels is None:
        labels, has_id = _default_labels(frame)
    if has_id is None:
        has_id = [True] * len(frame)
    geoms = np.asarray(frame.geometry.array, dtype=object)
    checks = _GeometryChecks(geoms, expect_polygons, skip_rows)
    per_row: dict[int, list[Problem]] = {}
    for row, problem in checks.problems(boundary):
        per_row.setdefault(row, []).append(problem.with_feature(labels[row]))
    file_level: list[Problem] = []
    for row, problem in _attribute_problems(frame, required_fields, allowed_values, file_level):
        per_row.setdefault(row, []).append(problem.with_feature(labels[row]))
    file_level += _duplicate_ids(labels, has_id)
    return file_level + [p for row in sorted(per_row) for p in per_row[row]]


def _default_labels(frame: pd.DataFrame) -> tuple[list[str], list[bool]]:
    values = frame["id"].tolist() if "id" in frame.columns else [None] * len(frame)
    labels, has_id = [], []
    for row, value in enumerate(values):
        usable = not is_missing(value)
        labels.append(str(value) if usable else f"#{row}")
        has_id.append(usable)
    return labels, has_id


_POLYGONAL = (shapely.GeometryType.POLYGON, shapely.GeometryType.MULTIPOLYGON)


class _GeometryChecks:
    """Vectorised geometry checks; each row is reported for its first fault only."""

    def __init__(self, geoms: NDArray, expect_polygons: bool, skip_rows: Collection[int]):
        self.geoms = geoms
        self.expect_polygons = expect_polygons
        self.pending = np.ones(len(geoms), dtype=bool)
        self.pending[list(skip_rows)] = False

    def _take(self, mask: NDArray) -> NDArray:
        rows = np.flatnonzero(mask & self.pending)
        self.pending[rows] = False
        return rows

    def problems(self, boundary: BaseGeometry | None) -> list[tuple[int, Problem]]:
        found: list[tuple[int, Problem]] = []
        geoms = self.geoms
        for row in self._take(shapely.is_missing(geoms)):
            found.append((row, error("no_geometry")))
        for row in self._take(shapely.is_empty(geoms)):
            found.append((row, error("empty_geometry.no_coordinates")))
        if self.expect_polygons:
            for row in self._take(~self._polygonal(geoms)):
                found.append((row, _not_polygon(geoms[row])))
        found += self._coordinate_problems()
        found += self._validity_problems()
        if boundary is not None:
            found += self._outside(boundary)
        return found

    @staticmethod
    def _polygonal(geoms: NDArray) -> NDArray:
        types = shapely.get_type_id(geoms)
        polygonal = np.isin(types, _POLYGONAL)
        collections = np.flatnonzero(types == shapely.GeometryType.GEOMETRYCOLLECTION)
        for row in collections:
            parts = shapely.get_parts(geoms[row])
            polygonal[row] = bool(len(parts)) and bool(
                np.isin(shapely.get_type_id(parts), _POLYGONAL).all()
            )
        return polygonal

    def _coordinate_problems(self) -> list[tuple[int, Problem]]:
        coords, owner = shapely.get_coordinates(self.geoms, return_index=True)
        n = len(self.geoms)
        x, y = coords[:, 0], coords[:, 1]
        with np.errstate(invalid="ignore"):
            not_finite = np.bincount(owner, ~np.isfinite(coords).all(axis=1), minlength=n) > 0
            off_range = (np.abs(x) > 180) | (np.abs(y) > 90)
            swapped_fits = (np.abs(x) <= 90) & (np.abs(y) <= 180)
        out = np.bincount(owner, off_range, minlength=n) > 0
        misfit = np.bincount(owner, ~swapped_fits, minlength=n) > 0
        found: list[tuple[int, Problem]] = []
        for row in self._take(not_finite):
            found.append((row, error("not_finite.coordinates")))
        for row in self._take(out & ~misfit):
            found.append((row, error("swapped_lat_lon.features")))
        for row in self._take(out):
            first = coords[owner == row][0]
            problem = error("out_of_range.features", x=f"{first[0]:.6g}", y=f"{first[1]:.6g}")
            found.append((row, problem))
        return found

    def _validity_problems(self) -> list[tuple[int, Problem]]:
        rows = np.flatnonzero(self.pending)
        if rows.size == 0:
            return []
        # Reasons are worded only for the invalid few (wording them all costs a third more).
        rows = rows[~shapely.is_valid(self.geoms[rows])]
        reasons = shapely.is_valid_reason(self.geoms[rows])
        invalid = np.zeros(len(self.geoms), dtype=bool)
        invalid[rows] = True
        by_row = dict(zip(rows.tolist(), reasons.tolist(), strict=True))
        return [(row, _invalid_geometry(by_row[row])) for row in self._take(invalid)]

    def _outside(self, boundary: BaseGeometry) -> list[tuple[int, Problem]]:
        rows = np.flatnonzero(self.pending)
        if rows.size == 0:
            return []
        outline, near = _prepared_outline(boundary)
        geoms = self.geoms[rows]
        # The prepared outline is the predicates' first argument: prepared geometries only
        # speed up the side they are on (100,000 parcels: 0.1 s instead of 3.7 s).
        meets = shapely.intersects(outline, geoms)
        covered = shapely.covers(near, geoms)
        found: list[tuple[int, Problem]] = []
        for row in rows[~meets].tolist():
            found.append((row, warning("outside_district")))
        for row in rows[meets & ~covered].tolist():
            found.append((row, warning("partly_outside_district")))
        return sorted(found, key=lambda item: item[0])


@lru_cache(maxsize=4)
def _prepared_outline(boundary: BaseGeometry) -> tuple[BaseGeometry, BaseGeometry]:
    """The outline and the outline grown by the tolerance, both prepared; kept for the
    next file, since the district's outline never changes."""
    shapely.prepare(boundary)
    near = shapely.buffer(boundary, _BOUNDARY_TOLERANCE_DEG)
    shapely.prepare(near)
    return boundary, near


def _not_polygon(geom: BaseGeometry) -> Problem:
    kind = geom.geom_type.lower()
    if f"problem_words.geometry_type.{kind}" not in load_strings():
        kind = "other"
    return error("not_polygon.features", kind=words(f"geometry_type.{kind}"))


_REASON = re.compile(r"^(?P<what>[^\[]*?)\s*\[(?P<x>\S+) (?P<y>\S+)\]\s*$")

# GEOS's reasons for an invalid geometry, and the problems (strings.toml problem.<name>)
# that explain them; other reasons are shown as GEOS gives them.
GEOS_REASONS: dict[str, str] = {
    "Self-intersection": "self_intersection.boundary",
    "Ring Self-intersection": "self_intersection.ring",
    "Too few points in geometry component": "too_few_points.ring",
    "Hole lies outside shell": "hole_outside",
    "Holes are nested": "nested_holes",
    "Nested shells": "nested_shells",
    "Interior is disconnected": "disconnected_interior",
    "Duplicate Rings": "duplicate_rings",
    "Invalid Coordinate": "not_finite.geos",
    "Ring is not closed": "ring_not_closed.geos",
}


def _invalid_geometry(reason: str) -> Problem:
    match = _REASON.match(reason or "")
    what = match.group("what") if match else (reason or "")
    name = GEOS_REASONS.get(what)
    problem = error(name) if name else error("invalid_geometry.features", reason=what)
    if match:
        try:
            x, y = float(match.group("x")), float(match.group("y"))
        except ValueError:
            pass
        else:
            problem = problem.noted("near", x=f"{x:.6f}", y=f"{y:.6f}")
    return problem


def _attribute_problems(
    frame: pd.DataFrame,
    required_fields: Sequence[str],
    allowed_values: Mapping[str, Collection[Any]] | None,
    file_level: list[Problem],
) -> list[tuple[int, Problem]]:
    found: list[tuple[int, Problem]] = []
    for name in required_fields:
        if name not in frame.columns:
            file_level.append(error("missing_attribute.every_feature", name=name))
            continue
        for row, value in enumerate(frame[name].tolist()):
            if is_blank(value):
                found.append((row, error("missing_attribute.feature", name=name)))
    for name, allowed in (allowed_values or {}).items():
        if name not in frame.columns:
            continue
        allowed = tuple(allowed)
        choices = ", ".join(str(v) for v in allowed)
        for row, value in enumerate(frame[name].tolist()):
            if not is_blank(value) and value not in allowed:
                problem = error(
                    "unexpected_value.attribute", name=name, value=value, choices=choices
                )
                found.append((row, problem))
    return found


def _duplicate_ids(labels: Sequence[str], has_id: Sequence[bool]) -> list[Problem]:
    counts = Counter(label for label, own in zip(labels, has_id, strict=True) if own)
    repeated = {label for label, count in counts.items() if count > 1}
    if not repeated:
        return []
    rows_by_id: dict[str, list[int]] = {}
    for row, (label, own) in enumerate(zip(labels, has_id, strict=True)):
        if own and label in repeated:
            rows_by_id.setdefault(label, []).append(row)
    found = []
    for label, rows in rows_by_id.items():
        if len(rows) > 1:
            listed = ", ".join(f"#{r}" for r in rows[:10]) + (" …" if len(rows) > 10 else "")
            found.append(
                error("duplicate_id", feature=label, id=label, count=len(rows), listed=listed)
            )
    return found


def check_point(cs: CoordinateSystem, x: float, y: float) -> Problem | None:
    """Why a single coordinate pair cannot be in ``cs``, or None when it can."""
    if not (np.isfinite(x) and np.isfinite(y)):
        return error("not_finite.point")
    if cs.is_geographic:
        if abs(x) <= 90 and 90 < abs(y) <= 180:
            return error("swapped_lat_lon.point", x=x, y=y)
        if abs(x) > 180 or abs(y) > 90:
            return error("out_of_range.point", x=x, y=y, crs=cs.key)
    elif abs(x) <= 180 and abs(y) <= 90:
        return error("crs_mismatch.point", x=x, y=y, crs=cs.key)
    return None
