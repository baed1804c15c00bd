"""A reference layer file (farmland, red line, development boundary, land use) read whole.

Read through the same reader as parcels (:func:`geo_app.reading.read_vector`: every format,
CRS recognition, GBK Shapefiles, the bomb and depth protections), with limits sized for a
district's control layers rather than a parcel ledger. Either every feature is usable or the
file is refused, with every reason listed: a control line with a hole where a bad feature
was dropped would report a parcel as clear when it is not.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from geo_app.control.kinds import Kind, kinds
from geo_app.crs import CoordinateSystem
from geo_app.geodesy import hectares
from geo_app.problems import InputError, Problem, error, summarised, warning
from geo_app.reading import ReadLimits, read_vector

# A district's farmland or 三调 layer holds tens of thousands of field polygons, some with
# thousands of vertices: these limits take the largest such layer of a district (about
# 150,000 polygons, 15 million vertices) in well under the machine's memory, and still
# stop a file that is only there to exhaust it.
REFERENCE_LIMITS = ReadLimits(
    max_file_bytes=400 * 1024 * 1024,
    max_features=300_000,
    max_vertices=20_000_000,
    max_unzipped_bytes=1024 * 1024 * 1024,
)
MAX_NAME_CHARS = 80


@dataclass
class ReferenceFile:
    """A reference layer as read from its file, in lon/lat, every geometry a valid
    multipolygon; ``properties_json`` holds every column of the file, one JSON object per
    feature."""

    kind: str
    name: str
    source: str
    format_name: str
    crs: str
    class_field: str | None
    geometries: np.ndarray
    classes: list[str | None]
    properties_json: list[str]
    # The file's columns, in its order.
    columns: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.geometries)

    @property
    def hectares(self) -> float:
        return float(hectares(self.geometries).sum()) if len(self.geometries) else 0.0


def kind_of(key: str) -> Kind:
    try:
        return kinds()[key]
    except KeyError:
        raise InputError(error("reference_kind", kind=key,
                               kinds=", ".join(kinds().keys()))) from None


def checked_name(name: str | None, kind: Kind) -> str:
    text = " ".join((name or "").split())[:MAX_NAME_CHARS]
    return text or kind.zh


def read_reference(
    path: str | Path,
    kind: str,
    *,
    class_field: str | None = None,
    name: str | None = None,
    crs: str | CoordinateSystem | None = None,
    limits: ReadLimits = REFERENCE_LIMITS,
) -> ReferenceFile:
    """Read ``path`` as a reference layer of ``kind``; raises :class:`InputError` listing
    every reason when any feature cannot be used."""
    path = Path(path)
    the_kind = kind_of(kind)
    data = read_vector(path, crs, limits)
    problems = list(data.problems)
    frame = data.frame
    columns = [str(c) for c in frame.columns if c != frame.geometry.name]
    chosen = _class_field(the_kind, class_field, columns)
    geometries, more = _polygons(np.asarray(frame.geometry.array, dtype=object), data.labels,
                                 data.unreadable_rows)
    problems += more
    errors = [p for p in problems if p.is_error]
    if not len(frame):
        errors.append(error("reference_empty", name=path.name))
    if errors:
        raise ReferenceRefused(summarised(problems))
    attributes = frame.drop(columns=frame.geometry.name)
    classes = [_class_text(v) for v in attributes[chosen]] if chosen else [None] * len(frame)
    return ReferenceFile(
        kind=the_kind.key,
        name=checked_name(name, the_kind),
        source=path.name,
        format_name=data.format_name,
        crs=data.source_crs.key,
        class_field=chosen,
        geometries=geometries,
        classes=classes,
        properties_json=_json_rows(attributes),
        columns=columns,
        problems=[p for p in problems if not p.is_error],
    )


class ReferenceRefused(InputError):
    """A reference file refused whole; ``problems`` lists every reason (errors first)."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        first = next(p for p in problems if p.is_error)
        super().__init__(first)


def _class_field(kind: Kind, asked: str | None, columns: list[str]) -> str | None:
    if asked:
        if asked in columns:
            return asked
        folded = {c.casefold(): c for c in columns}
        if asked.casefold() in folded:
            return folded[asked.casefold()]
        raise InputError(error("reference_class_field", field=asked,
                               columns=", ".join(columns[:20]) or "—"))
    if kind.rule != "classes":
        return None
    guessed = guess_class_field(kind, columns)
    if guessed is not None:
        return guessed
    raise InputError(error("reference_class_missing", kind=kind.zh, tried=", ".join(
        kind.class_fields), columns=", ".join(columns[:20]) or "—"))


def guess_class_field(kind: Kind, columns: list[str]) -> str | None:
    """The column a layer of ``kind`` takes its classes from when none is named."""
    return next((c for c in kind.class_fields if c in columns), None)


def _polygons(
    geometries: np.ndarray, labels: list[str], unreadable: frozenset[int]
) -> tuple[np.ndarray, list[Problem]]:
    """Every geometry as a valid multipolygon: invalid rings repaired (said once, with
    how many), anything without an area refused. Checked for the whole array at once; only
    the few bad features are looked at one by one."""
    problems: list[Problem] = []
    types = shapely.get_type_id(geometries)
    polygonal = np.isin(types, (3, 6)) & ~shapely.is_empty(geometries)
    usable = polygonal.copy()
    usable[list(unreadable)] = True  # their problem is already said
    for i in np.flatnonzero(~usable):
        kind = "—" if geometries[i] is None else geometries[i].geom_type
        problems.append(error("reference_not_polygon", feature=labels[i], kind=kind))
    out = np.empty(len(geometries), dtype=object)
    valid = np.zeros(len(geometries), dtype=bool)
    valid[polygonal] = shapely.is_valid(geometries[polygonal])
    repaired = 0
    for i in np.flatnonzero(polygonal & ~valid):
        fixed = _made_valid(geometries[i])
        if fixed is None:
            problems.append(error("reference_unrepairable", feature=labels[i]))
            continue
        geometries[i] = fixed
        repaired += 1
    if repaired:
        problems.append(warning("reference_repaired", count=f"{repaired:,}"))
    good = np.flatnonzero(polygonal)
    # Polygons become one-part multipolygons, all in one call.
    parts, owner = shapely.get_parts(geometries[good], return_index=True)
    out[good] = shapely.multipolygons(parts, indices=owner)
    return out, problems


def _made_valid(geometry: BaseGeometry) -> BaseGeometry | None:
    fixed = shapely.make_valid(geometry)
    polygons = [
        polygon
        for part in shapely.get_parts(fixed)
        if part.geom_type in ("Polygon", "MultiPolygon")
        for polygon in shapely.get_parts(part)
    ]
    multi = shapely.MultiPolygon(polygons) if polygons else None
    return multi if multi is not None and multi.is_valid and not multi.is_empty else None


def _json_rows(attributes: pd.DataFrame) -> list[str]:
    """Each row as a JSON object (dates as ISO text, missing values as null), written for
    the whole table at once: a district layer has a hundred thousand rows."""
    if not len(attributes):
        return []
    if attributes.columns.empty:
        return ["{}"] * len(attributes)
    attributes = attributes.set_axis([str(c) for c in attributes.columns], axis=1)
    text = attributes.to_json(orient="records", lines=True, force_ascii=False,
                              date_format="iso", default_handler=str)
    return text.rstrip("\n").split("\n")


def _class_text(value: Any) -> str | None:
    if value is None or (np.ndim(value) == 0 and pd.isna(value)):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None
