"""One entry point per use: ``render`` gives bytes (for a download button), ``export_to_file``
writes a file atomically (for the command line). Both take an ``ExportRequest``.

Given the workspace, the parcel tables and geodata files carry the compliance check's
overlap columns and the compliance sheet checks the parcels against its reference layers;
the check runs once per export, on the parcels exported (:mod:`geo_app.export.compliance`).
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from geo_app.atomic import atomic_path
from geo_app.catalog import Catalog, load_catalog
from geo_app.control import CheckResult
from geo_app.export import compliance, data
from geo_app.export.html import html_bytes
from geo_app.export.request import SNAPSHOT_FORMATS, ExportRequest
from geo_app.export.scene import Scene, build_scene
from geo_app.export.sheet_panels import sheet_title
from geo_app.export.snapshot import render_snapshot
from geo_app.export.supply import summary_from_ledger
from geo_app.i18n import load_strings
from geo_app.ledger import LandSupplyLedger, default_ledger
from geo_app.mapview.features import parcel_layer_ids
from geo_app.plan import load_plan
from geo_app.workspace import Workspace


@dataclass(frozen=True)
class ExportResult:
    data: bytes
    filename: str
    mime: str


def _supply_lines(ledger: LandSupplyLedger, lang: str) -> list[str]:
    summary = summary_from_ledger(ledger)
    lines = summary.lines(lang)
    if summary.sample_data:
        lines.append(load_strings().get("export.supply.sample", lang))
    return lines


def _table_batches(ledger: LandSupplyLedger, lang: str, check: CheckResult | None):
    """The parcel table a batch at a time, made as the writer takes it."""
    overlaps = compliance.overlap_columns(check, lang)
    return data.parcel_table_batches(ledger.parcels, lang, ledger.sample_data, overlaps)


def _table_notes(
    request: ExportRequest, ledger: LandSupplyLedger, check: CheckResult | None
) -> list[str]:
    strings = load_strings()
    notes = [
        sheet_title(request),
        strings.get("export.page.date", request.lang, date=request.date.isoformat()),
        *_supply_lines(ledger, request.lang),
        strings.get("export.table.area_note", request.lang),
    ]
    if check is not None and check.layers:
        notes.append(strings.get("export.compliance.table_note", request.lang))
        notes += compliance.source_lines(check, request.lang)
    return notes


# Data formats written to the file as they are made (rows or features a batch at a time),
# never held whole in memory; the sheets and the HTML page are made as bytes.
STREAMED_FORMATS = ("csv", "xlsx", "geojson", "gpkg", "kml")


@dataclass(frozen=True)
class _Inputs:
    scene: Scene | None
    ledger: LandSupplyLedger
    # The compliance check of the ledger's parcels, when the export needs it.
    check: CheckResult | None
    catalog: Catalog | None
    workspace: Workspace | None


def _bytes_for(request: ExportRequest, inputs: _Inputs) -> bytes:
    fmt = request.format
    scene, ledger, check = inputs.scene, inputs.ledger, inputs.check
    if request.compliance:
        # Loaded here: the layout sheet and the data files need none of it.
        from geo_app.export.compliance_sheet import render_compliance

        assert check is not None
        return render_compliance(check, ledger, request, inputs.catalog, inputs.workspace)
    if fmt in SNAPSHOT_FORMATS:
        assert scene is not None
        return render_snapshot(scene, summary_from_ledger(ledger), request)
    if fmt == "html":
        assert scene is not None
        return html_bytes(scene, request)
    raise ValueError(f"no byte writer for {fmt}")


def _write_streamed(request: ExportRequest, inputs: _Inputs, path: Path) -> None:
    """Write a data format to ``path`` as it is made (see :data:`STREAMED_FORMATS`)."""
    fmt, lang = request.format, request.lang
    scene, ledger, check = inputs.scene, inputs.ledger, inputs.check
    if fmt == "gpkg":
        assert scene is not None
        data.write_gpkg(scene, lang, path)
        return
    if fmt == "kml":
        assert scene is not None
        data.write_kml(scene, lang, path)
        return
    with open(path, "wb") as stream:
        if fmt == "geojson":
            assert scene is not None
            data.write_geojson(scene, lang, stream)
        elif fmt == "csv":
            data.write_csv(_table_batches(ledger, lang, check), stream)
        elif fmt == "xlsx":
            data.write_xlsx(_table_batches(ledger, lang, check),
                            _table_notes(request, ledger, check), lang, stream)
        else:
            raise ValueError(f"no streamed writer for {fmt}")


# Formats whose parcels carry the compliance check's overlap columns.
_OVERLAP_FORMATS = ("csv", "xlsx", "gpkg", "geojson", "kml")


def _inputs(
    request: ExportRequest,
    catalog: Catalog | None,
    ledger: LandSupplyLedger | None,
    workspace: Workspace | None,
) -> _Inputs:
    """The scene to draw, the ledger to total and, when the export needs it, the check.

    Without a ledger, the shipped parcels and the plan target. With one (a workspace's,
    or the app's), its parcels also replace the parcel layer, so what is drawn and what is
    totalled are the same parcels; with the workspace too, they are the parcels checked.
    """
    given = ledger is not None
    ledger = ledger if ledger is not None else default_ledger()
    check = None
    if request.compliance or (workspace is not None and request.format in _OVERLAP_FORMATS):
        check = compliance.check_ledger(ledger, workspace)
    # The parcel tables are the ledger's; they do not depend on layers or extent. The
    # compliance sheet draws its own map.
    if request.format in ("csv", "xlsx") or request.compliance:
        return _Inputs(None, ledger, check, catalog, workspace)
    scene = build_scene(request, catalog)
    if not given:
        return _Inputs(scene, ledger, check, catalog, workspace)
    parcels = ledger.parcels.drop(columns="hectares", errors="ignore")
    if check is not None:
        parcels = compliance.with_overlap_columns(
            parcels, check, request.lang, data.GEODATA_HECTARE_DECIMALS)
    parcel_layers = parcel_layer_ids(scene.catalog or load_catalog(), load_plan())
    scene = scene.with_parcels(parcel_layers, parcels, ledger.sample_data)
    return _Inputs(scene, ledger, check, catalog, workspace)


def export_to_file(
    request: ExportRequest,
    path: str | Path,
    catalog: Catalog | None = None,
    ledger: LandSupplyLedger | None = None,
    workspace: Workspace | None = None,
) -> Path:
    """Write the export to ``path`` atomically: a failed save leaves any old file intact.

    ``workspace``: the one whose reference layers the parcels are checked against (the
    compliance sheet and the overlap columns); ``ledger`` should then be its parcels."""
    inputs = _inputs(request, catalog, ledger, workspace)
    with atomic_path(path) as temp:
        if request.format in STREAMED_FORMATS and not request.compliance:
            _write_streamed(request, inputs, temp)
        else:
            temp.write_bytes(_bytes_for(request, inputs))
    return Path(path)


def render(
    request: ExportRequest,
    catalog: Catalog | None = None,
    ledger: LandSupplyLedger | None = None,
    workspace: Workspace | None = None,
) -> ExportResult:
    """The export as bytes with a file name and MIME type, e.g. for a download button."""
    inputs = _inputs(request, catalog, ledger, workspace)
    if request.format in STREAMED_FORMATS and not request.compliance:
        # Made on disk as the command line makes it; only the finished file is read.
        with tempfile.TemporaryDirectory(prefix="geo-app-export-") as folder:
            target = Path(folder) / request.filename()
            _write_streamed(request, inputs, target)
            payload = target.read_bytes()
    else:
        payload = _bytes_for(request, inputs)
    return ExportResult(payload, request.filename(), request.mime)
