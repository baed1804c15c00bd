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
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from geo_app.crs import CoordinateSystem
from geo_app.geodesy import hectares
from geo_app.i18n import t
from geo_app.ledger import PARCEL_FIELDS, PARCEL_STATUSES, TARGET_ITEM_ID
from geo_app.parcel_labels import status_name, status_words
from geo_app.problems import LANGS, Problem, Words, error, warning
from geo_app.reading import DEFAULT_LIMITS, ReadLimits, VectorData
from geo_app.reading.base import mb
from geo_app.validation import DISTRICT, validate_file
from geo_app.values import is_blank
from geo_app.workspace import ImportOutcome, NewParcel, Workspace

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
# Status words planners write, mapped to the ledger's codes: the product's own words in
# either language, and others in common use (looked up as written, then in lower case).
STATUS_ALIASES: Mapping[str, str] = {
    **{code: code for code in PARCEL_STATUSES},
    **{word.lower(): code for code in PARCEL_STATUSES for word in status_words(code)},
    "计划": "planned",
    "计划供地": "planned",
    "计划供应": "planned",
    "拟供地": "planned",
    "收储中": "in_acquisition",
    "征收中": "in_acquisition",
    "征收收储中": "in_acquisition",
    "in acquisition": "in_acquisition",
    "已供": "supplied",
    "已供地": "supplied",
    "已供应": "supplied",
    "已出让": "supplied",
    "已划拨": "supplied",
}


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

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.is_error]

    @property
    def ok(self) -> bool:
        return not self.errors and bool(self.parcels)

    @property
    def hectares(self) -> float:
        return float(hectares([p.geometry for p in self.parcels]).sum()) if self.parcels else 0.0


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
    repair: bool = False,
    limits: ReadLimits = DEFAULT_LIMITS,
    boundary: Any = DISTRICT,
    today: dt.date | None = None,
) -> ImportPlan:
    """Read and check ``path``; the plan says what would be imported and what is wrong."""
    path = Path(path)
    report = validate_file(
        path, crs, required_fields=PARCEL_FIELDS, boundary=boundary, limits=limits
    )
    plan = ImportPlan(source=path.name, problems=[], data=report.data)
    if report.data is None:
        plan.problems = list(report.problems)
        return plan
    data = report.data
    geometries = list(np.asarray(data.frame.geometry.array, dtype=object))
    rows_by_label: dict[str, list[int]] = {}
    for row, label in enumerate(data.labels):
        rows_by_label.setdefault(label, []).append(row)
    blocked: set[int] = set(data.unreadable_rows)
    for problem in report.problems:
        rows = rows_by_label.get(problem.feature or "", []) if problem.feature else []
        adjusted = _adjust(problem, rows, geometries, repair, plan)
        plan.problems.append(adjusted)
        if adjusted.is_error:
            blocked.update(rows)
    properties = _properties(data, path.name, today or dt.date.today(), plan)
    for row, props in enumerate(properties):
        status_problem = _normalise_status(props, data.labels[row])
        if status_problem is not None:
            plan.problems.append(status_problem)
            blocked.add(row)
    if plan.errors:
        return plan
    plan.parcels = [
        NewParcel(str(props["id"]), props, geometries[row])
        for row, props in enumerate(properties)
        if row not in blocked
    ]
    return plan


def _adjust(
    problem: Problem,
    rows: list[int],
    geometries: list[BaseGeometry],
    repair: bool,
    plan: ImportPlan,
) -> Problem:
    if problem.code == "missing_attribute":
        return problem.noted("import.counted_unknown", severity="warning")
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
    geometries[row] = fixed
    plan.repairs.append(Repair(problem.feature or f"#{row}", before, after))
    return problem.noted("import.repaired", severity="warning", **areas)


def _properties(
    data: VectorData, file_name: str, today: dt.date, plan: ImportPlan
) -> list[dict[str, Any]]:
    """Each row's attributes, with an id and the provenance every parcel needs."""
    frame = data.frame.drop(columns=data.frame.geometry.name)
    stem = Path(file_name).stem
    # Every imported parcel says where it came from, in both languages at once.
    source = " / ".join(
        t("parcel.source.imported", lang, file=file_name, date=today.isoformat()) for lang in LANGS
    )
    numbered = 0
    rows: list[dict[str, Any]] = []
    for row, record in enumerate(frame.to_dict("records")):
        props = {str(k): v for k, v in record.items() if not is_blank(v)}
        if data.has_id[row]:
            props["id"] = str(data.ids[row])
        else:
            props["id"] = f"{stem}-{row + 1}"
            numbered += 1
        if "name_zh" not in props and "Name" in props:
            props["name_zh"] = props.pop("Name")  # KML Placemark names
        props.setdefault("source", source)
        props.setdefault("plan_ref", TARGET_ITEM_ID)
        rows.append(props)
    if numbered:
        plan.problems.append(warning("ids_assigned", count=numbered, stem=stem))
    return rows


def _normalise_status(props: dict[str, Any], label: str) -> Problem | None:
    value = props.get("status")
    if value is None:
        return None
    code = STATUS_ALIASES.get(str(value).strip()) or STATUS_ALIASES.get(str(value).strip().lower())
    if code is not None:
        props["status"] = code
        return None
    return error("unexpected_value.status", feature=label, value=value, choices=_status_choices())


def _status_choices() -> Words:
    """The statuses a file may give: in Chinese each named with its code, in English the codes."""
    zh = t("problem_words.list_separator", "zh").join(
        t("problem_words.status_choice", "zh", name=status_name(code, "zh"), code=code)
        for code in PARCEL_STATUSES
    )
    en = t("problem_words.list_separator", "en").join(PARCEL_STATUSES)
    return Words(zh, en)


def import_file(
    workspace: Workspace,
    path: str | Path,
    user: str,
    *,
    crs: str | CoordinateSystem | None = None,
    replace: bool = False,
    repair: bool = False,
    dry_run: bool = False,
    limits: ReadLimits = DEFAULT_LIMITS,
    boundary: Any = DISTRICT,
) -> ImportResult:
    """Check ``path`` and, when it has no errors, add all its parcels in one transaction."""
    plan = prepare_import(path, crs, repair=repair, limits=limits, boundary=boundary)
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
    return ImportResult(plan, outcome)


def safe_upload_name(name: str) -> str:
    """The last component of an uploaded file's name; never a path, never empty."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1].strip().lstrip(".")
    cleaned = "".join(ch for ch in base if ch.isprintable() and ch not in '<>:"|?*')
    return cleaned[:120] or "upload"


def import_upload(
    workspace: Workspace,
    name: str,
    data: bytes,
    user: str,
    *,
    crs: str | CoordinateSystem | None = None,
    replace: bool = False,
    repair: bool = False,
    limits: ReadLimits = DEFAULT_LIMITS,
    boundary: Any = DISTRICT,
) -> ImportResult:
    """Import bytes a browser uploaded, as if they were a file called ``name``.

    The bytes go to a private temporary folder under a cleaned name (the name keeps its
    suffix, which says the format) and are removed afterwards.
    """
    import tempfile

    file_name = safe_upload_name(name)
    if len(data) > limits.max_file_bytes:
        problem = error("file_too_large", size=mb(len(data)), limit=mb(limits.max_file_bytes))
        return ImportResult(ImportPlan(file_name, [problem]), None)
    with tempfile.TemporaryDirectory(prefix="geo-app-upload-") as folder:
        path = Path(folder) / file_name
        path.write_bytes(data)
        return import_file(
            workspace,
            path,
            user,
            crs=crs,
            replace=replace,
            repair=repair,
            limits=limits,
            boundary=boundary,
        )
