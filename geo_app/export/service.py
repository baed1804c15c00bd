"""One entry point per use: ``render`` gives bytes (for a download button), ``export_to_file``
writes a file atomically (for the command line). Both take an ``ExportRequest``.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from geo_app.atomic import atomic_path
from geo_app.catalog import Catalog, load_catalog
from geo_app.export import data
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


def _parcel_table(ledger: LandSupplyLedger, lang: str):
    return data.parcel_table(ledger.parcels, lang, ledger.sample_data)


def _table_notes(request: ExportRequest, ledger: LandSupplyLedger) -> list[str]:
    strings = load_strings()
    return [
        sheet_title(request),
        strings.get("export.page.date", request.lang, date=request.date.isoformat()),
        *_supply_lines(ledger, request.lang),
        strings.get("export.table.area_note", request.lang),
    ]


# Formats whose writer needs a real file (GDAL drivers); the rest produce bytes.
_FILE_WRITERS: dict[str, Callable[[Scene, str, Path], None]] = {
    "gpkg": data.write_gpkg,
    "kml": data.write_kml,
}


def _bytes_for(request: ExportRequest, scene: Scene | None, ledger: LandSupplyLedger) -> bytes:
    fmt = request.format
    if fmt in SNAPSHOT_FORMATS:
        assert scene is not None
        return render_snapshot(scene, summary_from_ledger(ledger), request)
    if fmt == "html":
        assert scene is not None
        return html_bytes(scene, request)
    if fmt == "geojson":
        assert scene is not None
        return data.geojson_bytes(scene, request.lang)
    if fmt == "csv":
        return data.csv_bytes(_parcel_table(ledger, request.lang))
    if fmt == "xlsx":
        return data.xlsx_bytes(
            _parcel_table(ledger, request.lang), _table_notes(request, ledger), request.lang
        )
    raise ValueError(f"no byte writer for {fmt}")


def _inputs(
    request: ExportRequest, catalog: Catalog | None, ledger: LandSupplyLedger | None
) -> tuple[Scene | None, LandSupplyLedger]:
    """The scene to draw and the ledger to total.

    Without a ledger, the shipped parcels and the plan target. With one (a workspace's,
    or the app's), its parcels also replace the parcel layer, so what is drawn and what is
    totalled are the same parcels.
    """
    # The parcel tables are the ledger's; they do not depend on layers or extent.
    scene = None if request.format in ("csv", "xlsx") else build_scene(request, catalog)
    if ledger is None:
        return scene, default_ledger()
    if scene is not None:
        parcel_layers = parcel_layer_ids(scene.catalog or load_catalog(), load_plan())
        parcels = ledger.parcels.drop(columns="hectares", errors="ignore")
        scene = scene.with_parcels(parcel_layers, parcels, ledger.sample_data)
    return scene, ledger


def export_to_file(
    request: ExportRequest,
    path: str | Path,
    catalog: Catalog | None = None,
    ledger: LandSupplyLedger | None = None,
) -> Path:
    """Write the export to ``path`` atomically: a failed save leaves any old file intact."""
    scene, ledger = _inputs(request, catalog, ledger)
    with atomic_path(path) as temp:
        if request.format in _FILE_WRITERS:
            assert scene is not None
            _FILE_WRITERS[request.format](scene, request.lang, temp)
        else:
            temp.write_bytes(_bytes_for(request, scene, ledger))
    return Path(path)


def render(
    request: ExportRequest,
    catalog: Catalog | None = None,
    ledger: LandSupplyLedger | None = None,
) -> ExportResult:
    """The export as bytes with a file name and MIME type, e.g. for a download button."""
    scene, ledger = _inputs(request, catalog, ledger)
    if request.format in _FILE_WRITERS:
        assert scene is not None
        with tempfile.TemporaryDirectory(prefix="geo-app-export-") as folder:
            target = Path(folder) / request.filename()
            _FILE_WRITERS[request.format](scene, request.lang, target)
            payload = target.read_bytes()
    else:
        payload = _bytes_for(request, scene, ledger)
    return ExportResult(payload, request.filename(), request.mime)
