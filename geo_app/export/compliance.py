"""The compliance check in the briefing: the parcels an export shows, checked once.

Every export that speaks of compliance (the compliance sheet, the overlap columns of the
parcel tables and geodata files) takes its figures from one call of
:func:`geo_app.control.check_workspace` on the parcels it exports (the ledger's, so the
app's filters apply), never from a second computation of its own.

Overlap columns, for CSV, XLSX, GeoPackage, GeoJSON and KML:

* ``farmland_ha``, ``eco_redline_ha``, ``outside_dev_boundary_ha``: the check's figures;
* ``cultivated_ha``: the hectares of the land-use classes that count as cultivated land
  (``conflict_classes`` of the land-use kind), summed from the check's ``landuse_ha``;
* ``conflicts``: the parcel's conflicts in the export's language, or "none".

A column is present only when its kind was checked (a layer of that kind is loaded), so an
empty cell never stands for "not checked"; ``conflicts`` is present when any reference layer
is. A workspace without reference layers (or an export without a workspace) gets no overlap
column at all. The tables head the columns in the export's language, like their other
columns; the geodata files use the names above, like their ``hectares``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from geo_app.control import CheckResult, ParcelCheck, check_parcels, check_workspace, kinds
from geo_app.i18n import load_strings
from geo_app.parcel_table.planner_columns import free_name
from geo_app.values import is_missing
from geo_app.workspace import Workspace

# (column, the kind whose check fills it); ``conflicts`` needs any layer.
OVERLAP_FIELDS: tuple[tuple[str, str | None], ...] = (
    ("farmland_ha", "farmland"),
    ("eco_redline_ha", "eco_redline"),
    ("outside_dev_boundary_ha", "dev_boundary"),
    ("cultivated_ha", "landuse"),
    ("conflicts", None),
)
# The kinds a parcel is checked against, in the order the sheet and the notes name them.
CHECKED_KINDS = ("farmland", "eco_redline", "dev_boundary", "landuse")


def parcel_ids(parcels: pd.DataFrame) -> list[str]:
    """The parcels' ids as the check names them (a parcel without one by its row number)."""
    if "id" not in parcels.columns:
        return [str(n + 1) for n in range(len(parcels))]
    return [str(n + 1) if is_missing(value) else str(value)
            for n, value in enumerate(parcels["id"].tolist())]


def check_ledger(ledger: Any, workspace: Workspace | None) -> CheckResult:
    """The check of the ledger's parcels against the workspace's reference layers, in the
    ledger's row order; without a workspace, the parcels checked against nothing."""
    parcels = ledger.parcels
    ids = parcel_ids(parcels)
    geometries = list(np.asarray(parcels.geometry.array, dtype=object))
    if workspace is None:
        return check_parcels(ids, geometries, [])
    return check_workspace(workspace, ids, geometries)


def cultivated_total(result: CheckResult) -> float | None:
    values = [parcel.cultivated_ha for parcel in result.parcels]
    if "landuse" not in result.checked_kinds:
        return None
    return float(sum(v for v in values if v is not None))


def conflict_text(parcel: ParcelCheck, lang: str) -> str:
    if not parcel.conflicts:
        return load_strings().get("export.compliance.clear", lang)
    separator = "；" if lang == "zh" else "; "
    return separator.join(conflict.text(lang) for conflict in parcel.conflicts)


def parcel_figure(parcel: ParcelCheck, name: str) -> float | None:
    """One of the per-parcel figures of :data:`OVERLAP_FIELDS` (not ``conflicts``)."""
    if name == "cultivated_ha":
        return parcel.cultivated_ha
    return getattr(parcel, name)


def overlap_columns(result: CheckResult | None, lang: str) -> dict[str, list[Any]]:
    """Column name to one value per parcel (in the check's order), for the checked kinds
    only; ``{}`` when there is no result or no reference layer."""
    if result is None or not result.layers:
        return {}
    checked = result.checked_kinds
    columns: dict[str, list[Any]] = {}
    for name, kind in OVERLAP_FIELDS:
        if kind is None:
            columns[name] = [conflict_text(parcel, lang) for parcel in result.parcels]
        elif kind in checked:
            columns[name] = [parcel_figure(parcel, name) for parcel in result.parcels]
    return columns


def with_overlap_columns(
    frame: pd.DataFrame, result: CheckResult | None, lang: str, decimals: int
) -> pd.DataFrame:
    """``frame`` (one row per checked parcel, same order) with the overlap columns added,
    hectares rounded to ``decimals``; a planner's own column of one of these names is kept
    as ``<name>_原值``, as the imports do."""
    columns = overlap_columns(result, lang)
    if not columns:
        return frame
    out = frame.copy()
    ours = {name.casefold() for name in columns}
    taken = {str(c).casefold() for c in out.columns} | ours
    renames: dict[Any, str] = {}
    for column in out.columns:
        if str(column).casefold() in ours:
            new = free_name(str(column), lambda n: n.casefold() in taken)
            taken.add(new.casefold())
            renames[column] = new
    out = out.rename(columns=renames)
    for name, values in columns.items():
        if name == "conflicts":
            out[name] = values
        else:
            out[name] = [None if v is None else round(float(v), decimals) for v in values]
    return out


def not_checked(result: CheckResult) -> list[str]:
    """The kinds no loaded layer checks, in :data:`CHECKED_KINDS` order."""
    return [kind for kind in CHECKED_KINDS if kind not in result.checked_kinds]


def loaded_at_text(value: str) -> str:
    """A stored UTC time (``2026-05-20T08:15:02.123Z``) as ``2026-05-20 08:15 UTC``."""
    text = str(value or "").strip()
    if len(text) >= 16 and text[10] == "T":
        return f"{text[:10]} {text[11:16]} UTC"
    return text


def layer_lines(result: CheckResult, lang: str) -> list[str]:
    """One line per reference layer: kind, name, file, format, CRS, features, loaded at/by."""
    strings = load_strings()
    registry = kinds()
    return [
        strings.get(
            "export.compliance.source", lang,
            kind=registry[layer.kind].label(lang), name=layer.name, file=layer.source,
            format=layer.format_name, crs=layer.crs, count=f"{layer.feature_count:,}",
            at=loaded_at_text(layer.loaded_at), by=layer.loaded_by,
        )
        for layer in result.layers
    ]


def unchecked_lines(result: CheckResult, lang: str) -> list[str]:
    """"No layer loaded" when there is none, then one line per kind not checked."""
    strings = load_strings()
    registry = kinds()
    lines = [] if result.layers else [strings.get("export.compliance.no_layers", lang)]
    return lines + [
        strings.get("export.compliance.not_checked", lang, kind=registry[kind].label(lang))
        for kind in not_checked(result)
    ]


def source_lines(result: CheckResult, lang: str) -> list[str]:
    return layer_lines(result, lang) + unchecked_lines(result, lang)


def summary_lines(
    result: CheckResult, lang: str, summary: dict[str, Any] | None = None
) -> list[tuple[str, bool]]:
    """The totals as (text, is-the-conflict-line) lines: parcels checked, in conflict, then
    each kind's hectares or "not checked". ``summary``: ``result.summary()``, if at hand."""
    strings = load_strings()
    registry = kinds()
    summary = summary if summary is not None else result.summary()
    lines = [
        (strings.get("export.compliance.total_checked", lang, parcels=f"{summary['parcels']:,}",
                     hectares=format_ha(summary["hectares"])), False),
        (strings.get("export.compliance.total_conflicts", lang,
                     parcels=f"{summary['parcels_in_conflict']:,}",
                     hectares=format_ha(summary["conflict_ha"]))
         if result.layers else strings.get("export.compliance.total_unchecked", lang), True),
    ]
    figures = {
        "farmland": summary["farmland_ha"],
        "eco_redline": summary["eco_redline_ha"],
        "dev_boundary": summary["outside_dev_boundary_ha"],
        "landuse": cultivated_total(result),
    }
    for kind in CHECKED_KINDS:
        value = figures[kind]
        words = registry[kind].label(lang)
        if value is None:
            lines.append((strings.get("export.compliance.total_not_checked", lang, kind=words),
                          False))
        else:
            lines.append((strings.get(f"export.compliance.total_{kind}", lang,
                                      hectares=format_ha(value)), False))
    return lines


def format_ha(value: float | None) -> str:
    """Hectares as the compliance sheet prints them: four decimals (one square metre)."""
    return "—" if value is None else f"{value:,.4f}"


def ranked_conflicts(result: CheckResult) -> list[tuple[ParcelCheck, float]]:
    """The parcels in conflict with their hectares in conflict, most first (ties by id)."""
    rows = [(parcel, parcel.conflict_hectares) for parcel in result.in_conflict]
    rows.sort(key=lambda pair: (-pair[1], pair[0].parcel_id))
    return rows


def short_conflicts(parcel: ParcelCheck, lang: str) -> str:
    """The kinds a parcel conflicts with, in few words, for the sheet's table."""
    strings = load_strings()
    separator = "、" if lang == "zh" else ", "
    return separator.join(
        strings.get(f"export.compliance.short.{conflict.kind}", lang)
        for conflict in parcel.conflicts
    )

