"""One road from a planner's parcel file to ledger parcels: read, recognise, understand, check.

:func:`read_parcel_table` is what ``geo-app import``, ``geo-app totals --parcels`` and the
app's import panel all call, so one file gives one set of parcels whichever way it came in.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np

from geo_app.crs import CoordinateSystem
from geo_app.parcel_table.columns import applied, missing_columns, recognise
from geo_app.parcel_table.mapping import ColumnMapping, layout_key
from geo_app.parcel_table.report import understanding_problems
from geo_app.parcel_table.understand import Understanding, understand
from geo_app.problems import Problem, error
from geo_app.reading import DEFAULT_LIMITS, ReadLimits, VectorData, read_vector


@dataclass
class ParcelTable:
    """A planner's parcel file as ledger parcels, with everything found on the way."""

    data: VectorData
    labels: list[str]
    mapping: ColumnMapping
    recognised: ColumnMapping
    understanding: Understanding
    problems: list[Problem]
    layout: str

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.is_error]

    # The same rows as plain dicts (without missing values), in file order.
    rows: list[dict[str, Any]] = field(default_factory=list)
    # Each row's ellipsoidal hectares, measured once as the rows were understood (NaN
    # where a row has no geometry); None when not measured.
    hectares: np.ndarray | None = None

    @property
    def properties(self) -> list[dict[str, Any]]:
        """Each row's properties, a fresh copy the caller may change."""
        return [dict(row) for row in self.rows]

    @functools.cached_property
    def frame(self) -> gpd.GeoDataFrame:
        """One row per feature, in file order: the planner's columns plus the product's
        fields. Made when first asked for: an import needs only the rows (a frame of
        100,000 parcels takes about half a second to build)."""
        return gpd.GeoDataFrame(
            self.properties, geometry=self.data.frame.geometry.array, crs=self.data.frame.crs,
            index=self.data.frame.index,
        )


def read_parcel_table(
    path: str | Path,
    crs: str | CoordinateSystem | None = None,
    *,
    mapping: ColumnMapping | None = None,
    remembered: Callable[[str], ColumnMapping | None] | None = None,
    limits: ReadLimits = DEFAULT_LIMITS,
    boundary: Any = None,
    town_areas: Any = None,
) -> ParcelTable:
    """Read ``path`` and make ledger parcels of it.

    ``mapping`` (the planner's choices) is laid over what ``remembered`` gives for the file's
    layout (the workspace's mapping of the last file with the same columns), which is laid
    over what the file's names and values say.
    ``boundary`` turns on the outside-the-district check; ``town_areas`` (a catalog) places
    parcels of a file without a town column. Raises :class:`InputError` for a file that
    cannot be read at all.
    """
    from geo_app.validation import validate_frame

    data = read_vector(path, crs, limits, keep_source=True)
    # A file in the GK zone-42 plane gives its plane areas without a conversion; its own
    # coordinates are let go once measured.
    own_plane = data.own_plane_hectares()
    data = dataclasses.replace(data, source_geometries=None)
    recognised = recognise(data.frame)
    layout = layout_key(str(c) for c in data.frame.columns if c != data.frame.geometry.name)
    before = remembered(layout) if remembered is not None else None
    final = applied(recognised, before, mapping)
    problems: list[Problem] = list(data.problems)
    for name, column in missing_columns(final, data.frame):
        problems.append(error("mapping_column_missing", name=name, column=column))
        final = final.overridden(ColumnMapping({name: None}))
    geometries = list(np.asarray(data.frame.geometry.array, dtype=object))
    understood = understand(
        data.frame, geometries, final, stem=Path(path).stem, town_areas=town_areas,
        own_plane=own_plane,
    )
    properties = understood.properties
    labels = [str(props["id"]) for props in properties]
    # The checks look at the shapes only (the labels name the rows).
    shapes = gpd.GeoDataFrame(geometry=data.frame.geometry.array, crs=data.frame.crs,
                              index=data.frame.index)
    problems += validate_frame(
        shapes,
        labels=labels,
        has_id=[True] * len(labels),
        boundary=boundary,
        skip_rows=data.unreadable_rows,
    )
    problems += understanding_problems(understood.understanding)
    return ParcelTable(
        data=data,
        labels=labels,
        mapping=final,
        recognised=recognised,
        understanding=understood.understanding,
        problems=problems,
        layout=layout,
        rows=properties,
        hectares=understood.hectares,
    )
