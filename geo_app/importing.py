"""Import a planner's parcels file into the workspace: read, check, repair if asked, write.

Any format :func:`geo_app.reading.read_vector` reads (GeoJSON, GeoPackage, zipped
Shapefile, KML, KMZ, CSV/XLSX coordinate tables, 界址点 text) is checked with
:mod:`geo_app.validation` and then either imported whole or not at all: one error in one
parcel stops the import, and every problem is listed so the file can be fixed in one go.

Self-intersecting parcels can be repaired (``repair=True``) with ``shapely.make_valid``;
the hectares the repair changes are shown either way, so the planner decides knowingly.
Missing parcel attributes are warnings: the ledger counts such parcels as "unknown".
"""

from __future__ import annotations

import datetime as dt
import json
import math
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from geo_app.crs import CoordinateSystem
from geo_app.geodesy import hectares
from geo_app.i18n import t
from geo_app.ledger import TARGET_ITEM_ID
from geo_app.parcel_table import (
    ColumnMapping,
    ParcelTable,
    mapping_from_json,
    mapping_text,
    read_parcel_table,
)
from geo_app.problems import LANGS, InputError, Problem, error
from geo_app.reading import DEFAULT_LIMITS, ReadLimits, VectorData, collection_paused
from geo_app.reading.base import mb, over_limit
from geo_app.validation import DISTRICT, district_boundary
from geo_app.workspace import ImportOutcome, NewParcel, Workspace, new_parcels_hectares
from geo_app.workspace.store import MAPPING_KEY_PREFIX

# Looks up the column mapping a workspace remembers for a file layout.
Remembered = Callable[[str], ColumnMapping | None]

# Validation codes of rings that make_valid can turn into valid polygons.
REPAIRABLE = frozenset(
    {
        "self_intersection",
        "hole_outside",
        "nested_holes",
        "nested_shells",
        "disconnected_interior",
        "duplicate_rings",
        "invalid_geometry",
    }
)
@dataclass(frozen=True)
class Repair:
    parcel: str
    hectares_before: float
    hectares_after: float

    @property
    def change(self) -> float:
        return self.hectares_after - self.hectares_before


@dataclass
class ImportPlan:
    """What an import would write, and everything found wrong on the way."""

    source: str
    problems: list[Problem]
    parcels: list[NewParcel] = field(default_factory=list)
    data: VectorData | None = None
    repairs: list[Repair] = field(default_factory=list)
    # The file as ledger parcels: the columns recognised and what could not be placed.
    table: ParcelTable | None = None

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.is_error]

    @property
    def ok(self) -> bool:
        return not self.errors and bool(self.parcels)

    @property
    def hectares(self) -> float:
        return float(new_parcels_hectares(self.parcels).sum())


@dataclass(frozen=True)
class ImportResult:
    plan: ImportPlan
    # None when nothing was written (errors, or a dry run).
    outcome: ImportOutcome | None


def polygonal_part(geometry: BaseGeometry) -> BaseGeometry:
    """The polygons of a make_valid result (it may add stray lines or points)."""
    if geometry.geom_type in ("Polygon", "MultiPolygon"):
        return geometry
    parts = [
        part
        for part in shapely.get_parts(geometry)
        if part.geom_type in ("Polygon", "MultiPolygon")
    ]
    polygons = [p for part in parts for p in shapely.get_parts(part)]
    return shapely.MultiPolygon(polygons) if polygons else shapely.Polygon()


def repaired(geometry: BaseGeometry) -> BaseGeometry | None:
    """A valid polygon made from an invalid one, or None when nothing with an area is left."""
    fixed = polygonal_part(shapely.make_valid(geometry))
    if fixed.is_empty or not fixed.is_valid:
        return None
    return fixed


def _fmt(value: float) -> str:
    return f"{value:,.4f}"


def prepare_import(
    path: str | Path,
    crs: str | CoordinateSystem | None = None,
    *,
    mapping: ColumnMapping | None = None,
    remembered: Remembered | None = None,
    repair: bool = False,
    limits: ReadLimits = DEFAULT_LIMITS,
    boundary: Any = DISTRICT,
    today: dt.date | None = None,
) -> ImportPlan:
    """Read and check ``path``; the plan says what would be imported and what is wrong.

    ``mapping``: the planner's column choices; ``remembered``: looks up the workspace's
    mapping for a file layout (see :mod:`geo_app.parcel_table`).
    """
    path = Path(path)
    plan = ImportPlan(source=path.name, problems=[])
    try:
        table = read_parcel_table(
            path,
            crs,
            mapping=mapping,
            remembered=remembered,
            limits=limits,
            boundary=district_boundary() if boundary is DISTRICT else boundary,
            town_areas=_town_areas(),
        )
    except InputError as exc:
        plan.problems = [exc.problem]
        return plan
    plan.data, plan.table = table.data, table
    geometries = list(np.asarray(table.data.frame.geometry.array, dtype=object))
    # Each row's hectares as the table measured them; a repair measures its own.
    measured = _row_hectares(table, len(geometries))
    rows_by_label: dict[str, list[int]] = {}
    for row, label in enumerate(table.labels):
        rows_by_label.setdefault(label, []).append(row)
    blocked: set[int] = set(table.data.unreadable_rows)
    for problem in table.problems:
        rows = rows_by_label.get(problem.feature or "", []) if problem.feature else []
        adjusted = _adjust(problem, rows, geometries, measured, repair, plan)
        plan.problems.append(adjusted)
        if adjusted.is_error:
            blocked.update(rows)
    if plan.errors:
        return plan
    source = " / ".join(
        t("parcel.source.imported", lang, file=path.name,
          date=(today or dt.date.today()).isoformat())
        for lang in LANGS
    )
    geometries = _as_stored(geometries)
    for row, original in enumerate(table.rows):
        if row in blocked:
            continue
        props = dict(original)  # the plan's own copy (ParcelTable.properties, one at a time)
        # Every imported parcel says where it came from, in both languages at once.
        props.setdefault("source", source)
        props.setdefault("plan_ref", TARGET_ITEM_ID)
        if "name_zh" not in props and "Name" in props:
            props["name_zh"] = props["Name"]  # KML Placemark names
        plan.parcels.append(NewParcel(str(props["id"]), props, geometries[row], measured[row]))
    return plan


def _row_hectares(table: ParcelTable, count: int) -> list[float | None]:
    """The table's hectares of each row (None where it has none): the workspace stores
    them rather than measuring every parcel a second time."""
    if table.hectares is None or len(table.hectares) != count:
        return [None] * count
    return [None if math.isnan(ha) else ha for ha in table.hectares.tolist()]


def _as_stored(geometries: list[BaseGeometry]) -> list[BaseGeometry]:
    """Polygons as the workspace stores them, one-part multipolygons, made in one call;
    anything else is left for the workspace's own checks to judge."""
    shapes = np.asarray(geometries, dtype=object)
    polygons = np.flatnonzero(shapely.get_type_id(shapes) == shapely.GeometryType.POLYGON)
    if polygons.size:
        shapes[polygons] = shapely.multipolygons(
            shapes[polygons], indices=np.arange(polygons.size)
        )
    return list(shapes)


def _town_areas() -> Any:
    """The shipped catalog, whose schematic town areas place parcels without a town."""
    from geo_app.catalog import CatalogError, load_catalog

    try:
        return load_catalog()
    except (CatalogError, OSError):
        return None


def _adjust(
    problem: Problem,
    rows: list[int],
    geometries: list[BaseGeometry],
    measured: list[float | None],
    repair: bool,
    plan: ImportPlan,
) -> Problem:
    if problem.code not in REPAIRABLE or len(rows) != 1:
        return problem
    row = rows[0]
    fixed = repaired(geometries[row])
    if fixed is None:
        return problem.noted("import.cannot_repair")
    before = float(hectares([geometries[row]])[0])
    after = float(hectares([fixed])[0])
    areas = {"before": _fmt(before), "after": _fmt(after), "change": _fmt(after - before)}
    if not repair:
        return problem.noted("import.can_repair", **areas)
    geometries[row], measured[row] = fixed, after
    plan.repairs.append(Repair(problem.feature or f"#{row}", before, after))
    return problem.noted("import.repaired", severity="warning", **areas)


def remembered_mapping(workspace: Workspace) -> Remembered:
    """The workspace's mapping for a file layout, as :func:`prepare_import` asks for it."""

    def lookup(layout: str) -> ColumnMapping | None:
        text = workspace.setting(MAPPING_KEY_PREFIX + layout)
        if text is None:
            return None
        try:
            return mapping_from_json(json.loads(text), basis="remembered")
        except (InputError, ValueError):
            return None  # a setting this version cannot read is not worth an import

    return lookup


def remember_mapping(workspace: Workspace, table: ParcelTable) -> None:
    """Keep the mapping of an imported file for the next file of the same layout."""
    workspace.remember(MAPPING_KEY_PREFIX + table.layout, mapping_text(table.mapping))


def import_file(
    workspace: Workspace,
    path: str | Path,
    user: str,
    *,
    crs: str | CoordinateSystem | None = None,
    mapping: ColumnMapping | None = None,
    replace: bool = False,
    repair: bool = False,
    dry_run: bool = False,
    limits: ReadLimits = DEFAULT_LIMITS,
    boundary: Any = DISTRICT,
) -> ImportResult:
    """Check ``path`` and, when it has no errors, add all its parcels in one transaction."""
    # The plan and the rows of 100,000 parcels are a million objects in no cycle: the
    # collector's passes over them took 0.35 s of a 5 s import.
    with collection_paused():
        plan = prepare_import(
            path, crs, mapping=mapping, remembered=remembered_mapping(workspace),
            repair=repair, limits=limits, boundary=boundary,
        )
        if not plan.ok or dry_run:
            if plan.data is not None and not plan.parcels and not plan.errors:
                plan.problems.append(error("no_features.import"))
            return ImportResult(plan, None)
        data = plan.data
        assert data is not None
        outcome = workspace.import_parcels(
            plan.parcels,
            user,
            plan.source,
            format_name=data.format_name,
            crs=data.source_crs.key,
            replace=replace,
        )
    assert plan.table is not None
    remember_mapping(workspace, plan.table)
    return ImportResult(plan, outcome)


def safe_upload_name(name: str) -> str:
    """The last component of an uploaded file's name; never a path, never empty."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1].strip().lstrip(".")
    cleaned = "".join(ch for ch in base if ch.isprintable() and ch not in '<>:"|?*')
    return cleaned[:120] or "upload"


@contextmanager
def uploaded_file(name: str, data: bytes) -> Iterator[Path]:
    """Bytes a browser uploaded, as a file called (a cleaned) ``name`` in a private
    temporary folder that is removed afterwards; the name keeps its suffix, which says the
    format."""
    with tempfile.TemporaryDirectory(prefix="geo-app-upload-") as folder:
        path = Path(folder) / safe_upload_name(name)
        path.write_bytes(data)
        yield path


def _too_large(size: int, limits: ReadLimits) -> Problem | None:
    limits = limits.configured()  # the planner's GEO_APP_MAX_FILE_MB, as the readers take it
    if size > limits.max_file_bytes:
        return over_limit(
            "file_too_large", "max_file_bytes", size=mb(size), limit=mb(limits.max_file_bytes)
        ).problem
    return None


def check_upload(
    workspace: Workspace,
    name: str,
    data: bytes,
    *,
    crs: str | CoordinateSystem | None = None,
    mapping: ColumnMapping | None = None,
    repair: bool = False,
    limits: ReadLimits = DEFAULT_LIMITS,
    boundary: Any = DISTRICT,
) -> ImportPlan:
    """What importing the upload would do, writing nothing: the import preview's question,
    answered exactly as :func:`import_upload` would answer it."""
    problem = _too_large(len(data), limits)
    if problem is not None:
        return ImportPlan(safe_upload_name(name), [problem])
    with uploaded_file(name, data) as path:
        return check_uploaded(
            workspace, path, crs=crs, mapping=mapping, repair=repair, limits=limits,
            boundary=boundary,
        )


def check_uploaded(
    workspace: Workspace,
    path: Path,
    *,
    crs: str | CoordinateSystem | None = None,
    mapping: ColumnMapping | None = None,
    repair: bool = False,
    limits: ReadLimits = DEFAULT_LIMITS,
    boundary: Any = DISTRICT,
) -> ImportPlan:
    """:func:`check_upload` of an upload already in a private file named
    :func:`safe_upload_name` (how a worker process receives it)."""
    problem = _too_large(path.stat().st_size, limits)
    if problem is not None:
        return ImportPlan(path.name, [problem])
    return prepare_import(
        path, crs, mapping=mapping, remembered=remembered_mapping(workspace),
        repair=repair, limits=limits, boundary=boundary,
    )


def import_upload(
    workspace: Workspace,
    name: str,
    data: bytes,
    user: str,
    *,
    crs: str | CoordinateSystem | None = None,
    mapping: ColumnMapping | None = None,
    replace: bool = False,
    repair: bool = False,
    limits: ReadLimits = DEFAULT_LIMITS,
    boundary: Any = DISTRICT,
) -> ImportResult:
    """Import bytes a browser uploaded, as if they were a file called ``name``."""
    problem = _too_large(len(data), limits)
    if problem is not None:
        return ImportResult(ImportPlan(safe_upload_name(name), [problem]), None)
    with uploaded_file(name, data) as path:
        return import_uploaded(
            workspace, path, user, crs=crs, mapping=mapping, replace=replace,
            repair=repair, limits=limits, boundary=boundary,
        )


def import_uploaded(
    workspace: Workspace,
    path: Path,
    user: str,
    *,
    crs: str | CoordinateSystem | None = None,
    mapping: ColumnMapping | None = None,
    replace: bool = False,
    repair: bool = False,
    limits: ReadLimits = DEFAULT_LIMITS,
    boundary: Any = DISTRICT,
) -> ImportResult:
    """:func:`import_upload` of an upload already in a private file named
    :func:`safe_upload_name` (how a worker process receives it)."""
    problem = _too_large(path.stat().st_size, limits)
    if problem is not None:
        return ImportResult(ImportPlan(path.name, [problem]), None)
    return import_file(
        workspace,
        path,
        user,
        crs=crs,
        mapping=mapping,
        replace=replace,
        repair=repair,
        limits=limits,
        boundary=boundary,
    )
