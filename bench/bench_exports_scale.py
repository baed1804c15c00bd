"""Every export and the attribute table on a workspace of 100,000 parcels.

Run: ``python bench/bench_exports_scale.py`` (``--count N`` for another size). A land
bureau's GeoPackage of 100,000 parcels (``tests/scale_files.py``, as bench/bench_scale.py
uses) is imported into a new workspace; its ledger is loaded once, as ``geo-app export
--workspace`` loads it. Then, each in a process forked from that one (so every run starts
from the same memory, and what one run leaves in the heap never hides another's), with
its time and its peak resident memory above the start (the kernel's peak, VmHWM):

1. **Data exports** (CSV, XLSX, GeoJSON, GeoPackage, KML) through
   :func:`geo_app.export.export_to_file`, which ``geo-app export`` and the app's export
   panel call, each beside the obvious whole-file alternative: pandas ``to_csv`` of the
   whole table, pandas ``to_excel`` through openpyxl's normal mode, ``json.dumps`` of the
   whole FeatureCollection, one ``pyogrio.write_dataframe`` of each whole layer, and the
   whole KML tree built with ElementTree and written at once (the code before streaming).
2. **Sheets**: the PDF and PNG layout sheet (every parcel drawn) beside the previous
   drawing, one path per parcel; the compliance sheet; the offline HTML page, its parcels
   as a tile archive the page carries beside the page that embeds every parcel as GeoJSON.
3. **The attribute table**: building it, a search on the server and the page of rows it
   sends, beside the previous tab (the whole table built from the layer file on every run,
   searched cell by cell and sent whole); and the page itself in ``AppTest``: the bytes a
   rerun after a search sends over the websocket and its time.

Results go to the "## Exports at scale" section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import json
import os
import platform
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(PROJECT_ROOT / "tests"))
sys.path.insert(0, str(PROJECT_ROOT))

import pandas as pd  # noqa: E402
import pyogrio  # noqa: E402
from bench_scale import PeakMemory  # noqa: E402
from benchmarks_page import write_section  # noqa: E402
from scale_files import bureau_geopackage  # noqa: E402
from shapely.geometry import mapping  # noqa: E402
from streamlit_bytes import element_bytes  # noqa: E402

from geo_app.export import (  # noqa: E402
    ExportRequest,
    export_to_file,
    mapdraw,
)
from geo_app.export import data as export_data  # noqa: E402
from geo_app.export import kml as kml_writer  # noqa: E402
from geo_app.export import service as export_service  # noqa: E402
from geo_app.export.cells import safe_table, spreadsheet_text, values_only, xlsx_text  # noqa: E402
from geo_app.importing import import_file  # noqa: E402
from geo_app.workspace import Workspace, workspace_ledger  # noqa: E402
from geo_app.workspace.tile_file import THRESHOLD_ENV  # noqa: E402

HEADING = "## Exports at scale"
APP = PROJECT_ROOT / "streamlit_app.py"
DATA_FORMATS = ("csv", "xlsx", "geojson", "gpkg", "kml")
# Goals set for this work: memory a data export takes above the loaded ledger; its time
# beside the whole-file alternative; the PDF sheet of every parcel; the table tab's rerun.
GOALS = {"data_mb": 300.0, "data_ratio": 1.25, "pdf_s": 20.0, "table_mb": 0.5,
         "table_rerun_s": 1.0}


def _kernel_peak() -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return 0


def in_child(action: Callable[[], object]) -> dict:
    """Run ``action`` in a forked copy of this process: its seconds, its peak resident
    memory above where it started (MB) and what it returned (JSON-ready)."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        try:
            # The kernel's own peak (VmHWM), reset for this process: a peak inside one long
            # C call, which a sampling thread cannot see, counts too.
            with open("/proc/self/clear_refs", "w", encoding="ascii") as clear:
                clear.write("5")
            with PeakMemory() as memory:
                start_rss = PeakMemory.resident()
                start = time.perf_counter()
                answer = action()
                seconds = time.perf_counter() - start
            peak = max(memory.peak, _kernel_peak())
            out = {"s": seconds, "mb": (peak - start_rss) / 2**20, "answer": answer}
        except BaseException as exc:  # the parent reports it; the child must exit
            out = {"error": f"{type(exc).__name__}: {exc}"}
        with os.fdopen(write, "w") as pipe:
            pipe.write(json.dumps(out))
        os._exit(0)
    os.close(write)
    with os.fdopen(read) as pipe:
        text = pipe.read()
    os.waitpid(pid, 0)
    result = json.loads(text)
    if "error" in result:
        raise RuntimeError(result["error"])
    return result


# ------------------------------------------------------------------ the whole-file ways


def whole_csv(ledger, lang: str, path: Path) -> None:
    table = export_data.parcel_table(ledger.parcels, lang, ledger.sample_data)
    text = safe_table(table, spreadsheet_text).to_csv(index=False, lineterminator="\r\n")
    path.write_bytes(text.encode("utf-8-sig"))


def whole_xlsx(ledger, lang: str, path: Path) -> None:
    """The table through pandas and openpyxl's normal mode (the workbook held whole)."""
    table = safe_table(export_data.parcel_table(ledger.parcels, lang, ledger.sample_data),
                       xlsx_text)
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        table.to_excel(writer, sheet_name="parcels", index=False)
        sheet = writer.sheets["parcels"]
        sheet.freeze_panes = "A2"
        for index, header in enumerate(table.columns, start=1):
            width = max([len(str(header))] + [len(str(v)) for v in table.iloc[:, index - 1]])
            sheet.column_dimensions[sheet.cell(1, index).column_letter].width = min(
                max(width * 1.6, 8), 60)
        values_only(sheet)


def whole_geojson(scene, lang: str, path: Path) -> None:
    features = []
    for layer in scene.layers:
        records = export_data._layer_records(layer.spec, layer.frame, lang)
        geometry_column = records.geometry.name
        for row in records.to_dict("records"):
            geometry = row.pop(geometry_column)
            features.append({"type": "Feature",
                             "properties": {k: export_data._plain(v) for k, v in row.items()},
                             "geometry": mapping(geometry)})
    collection = {"type": "FeatureCollection", "name": "export",
                  "notes": export_data._collection_notes(scene, lang), "features": features}
    path.write_bytes(json.dumps(collection, ensure_ascii=False).encode("utf-8"))


def whole_gpkg(scene, lang: str, path: Path) -> None:
    for layer in scene.layers:
        records = export_data._ogr_frame(
            export_data._layer_records(layer.spec, layer.frame, lang), export_data.GPKG_RESERVED)
        pyogrio.write_dataframe(records, path, layer=layer.spec.id, driver="GPKG")


def whole_kml(scene, lang: str, path: Path) -> None:
    """Every Placemark built into one ElementTree, indented, checked and written at once
    (the code before streaming)."""
    root = ET.Element("kml", {"xmlns": kml_writer.KML_NAMESPACE})
    document = ET.SubElement(root, "Document", {"id": "root_doc"})
    for index, layer in enumerate(scene.layers):
        built = export_data._kml_layer(layer.spec, layer.frame, lang)
        folder = ET.SubElement(document, "Folder",
                               {"id": kml_writer._xml_id(layer.spec.id, index)})
        ET.SubElement(folder, "name").text = built.name
        for feature in list(built.features):
            kml_writer._placemark(folder, feature, f"layer{index}.schema", built.fields)
    ET.indent(root, space="  ")
    data = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    # The export before counted the Placemarks of the document it held, as the streamed
    # one counts those of the file it wrote.
    kml_writer.check_counts(data, [(layer.spec.id, len(layer.frame)) for layer in scene.layers],
                            lang)
    path.write_bytes(data)


def _per_feature_polygons(ax, geometries, strokes, fills, dashes, width, zorder) -> None:
    """The sheet's drawing before: one path per polygon part, each with its own style."""
    import shapely
    from matplotlib.collections import PathCollection

    paths, faces, edges, styles = [], [], [], []
    for geometry, colour, fill, dash in zip(shapely.orient_polygons(geometries), strokes,
                                            fills, dashes, strict=True):
        for part in shapely.get_parts(geometry):
            paths.append(mapdraw._polygon_path(part))
            faces.append(fill)
            edges.append(colour)
            styles.append(mapdraw.dash_pattern(dash, width))
    if paths:
        ax.add_collection(PathCollection(paths, facecolors=faces, edgecolors=edges,
                                         linewidths=width, linestyles=styles, zorder=zorder),
                          autolim=False)


def previous_sheet(request: ExportRequest, path: Path, ledger, workspace) -> None:
    mapdraw._draw_polygons = _per_feature_polygons  # only in this forked child
    export_to_file(request, path, ledger=ledger, workspace=workspace)


# ------------------------------------------------------------------ the table tab


def table_figures(spec, search: str) -> dict:
    """The tab's work on the server, now and before: seconds and the bytes of the rows it
    hands to ``st.dataframe`` (Arrow, as the browser gets them)."""
    from streamlit.dataframe_util import convert_pandas_df_to_arrow_bytes

    from app_parts import page_data, table_tab
    from geo_app.catalog import load_layer_geojson

    r: dict = {}
    start = time.perf_counter()
    table = table_tab.layer_table(spec)
    r["build_s"] = time.perf_counter() - start
    start = time.perf_counter()
    rows = table_tab.matching_rows(table, search)
    shown = table.frame.iloc[table_tab.page_of(rows, 1)]
    r["page_bytes"] = len(convert_pandas_df_to_arrow_bytes(shown))
    r["search_s"] = time.perf_counter() - start
    r["matches"] = len(rows)
    start = time.perf_counter()
    r["csv_bytes"] = len(table_tab.matches_csv(table, rows))
    r["csv_s"] = time.perf_counter() - start
    start = time.perf_counter()
    whole = page_data.feature_table(load_layer_geojson(spec))
    everything = convert_pandas_df_to_arrow_bytes(whole)
    r["before_all_s"] = time.perf_counter() - start
    r["before_all_bytes"] = len(everything)
    start = time.perf_counter()
    found = page_data.filter_table(page_data.feature_table(load_layer_geojson(spec)), search)
    r["before_search_bytes"] = len(convert_pandas_df_to_arrow_bytes(found))
    r["before_search_s"] = time.perf_counter() - start
    r["rows"] = len(whole)
    return r


def table_page(data_dir: Path, search: str) -> dict:
    """The page in AppTest on the workspace: the table tab's first run, a rerun after a
    search, the bytes each sends over the websocket."""
    from streamlit.testing.v1 import AppTest

    sys.path.insert(0, str(PROJECT_ROOT / "tests" / "app"))
    from app_harness import first_paint

    os.environ["GEO_APP_DATA"] = str(data_dir)
    at = AppTest.from_file(str(APP), default_timeout=900)
    at.session_state[first_paint.DONE] = True
    at.run()
    from geo_app.i18n import load_strings

    at.session_state["open_tab"] = load_strings().get("app.tab.table", "zh")
    start = time.perf_counter()
    at.run()
    first_s = time.perf_counter() - start
    first_bytes = element_bytes(at._tree)
    at.text_input(key="table_filter").input(search)
    start = time.perf_counter()
    at.run()
    search_s = time.perf_counter() - start
    if at.exception:
        raise RuntimeError([e.value for e in at.exception])
    return {"first_s": first_s, "first_bytes": first_bytes, "search_s": search_s,
            "search_bytes": element_bytes(at._tree)}


# ------------------------------------------------------------------ the run


def run(count: int) -> dict:
    r: dict = {"count": count, "load_before": os.getloadavg()[0]}
    # The page run leaves SQLite and tile files behind as it ends: removing them may race.
    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as tmp:
        folder = Path(tmp)
        source = bureau_geopackage(folder / "供地台账.gpkg", count)
        workspace = Workspace.open(folder / "ws")
        assert import_file(workspace, source, "bench").outcome is not None
        start = time.perf_counter()
        ledger = workspace_ledger(workspace)
        r["ledger_s"] = time.perf_counter() - start
        # The import's freed heap goes back to the system first: memory an export then
        # takes shows as growth, rather than filling pages the process already holds.
        gc.collect()
        ctypes.CDLL("libc.so.6").malloc_trim(0)
        r["ledger_rss_mb"] = PeakMemory.resident() / 2**20
        out = folder / "out"
        out.mkdir()

        def ours(fmt: str, sheet: str = "map") -> Callable[[], object]:
            def action():
                target = out / f"ours-{sheet}.{fmt}"
                export_to_file(ExportRequest(format=fmt, sheet=sheet), target, ledger=ledger,
                               workspace=workspace)
                return target.stat().st_size
            return action

        def whole(fmt: str) -> Callable[[], object]:
            def action():
                target = out / f"whole.{fmt}"
                request = ExportRequest(format=fmt)
                inputs = export_service._inputs(request, None, ledger, workspace)
                if fmt == "csv":
                    whole_csv(ledger, "zh", target)
                elif fmt == "xlsx":
                    whole_xlsx(ledger, "zh", target)
                elif fmt == "geojson":
                    whole_geojson(inputs.scene, "zh", target)
                elif fmt == "gpkg":
                    whole_gpkg(inputs.scene, "zh", target)
                else:
                    whole_kml(inputs.scene, "zh", target)
                return target.stat().st_size
            return action

        for fmt in DATA_FORMATS:
            r[f"ours_{fmt}"] = in_child(ours(fmt))
            r[f"whole_{fmt}"] = in_child(whole(fmt))
            print(fmt, r[f"ours_{fmt}"], r[f"whole_{fmt}"], flush=True)
        for fmt in ("pdf", "png"):
            r[f"ours_{fmt}"] = in_child(ours(fmt))

            def before(fmt=fmt):
                target = out / f"before.{fmt}"
                previous_sheet(ExportRequest(format=fmt), target, ledger, workspace)
                return target.stat().st_size
            r[f"before_{fmt}"] = in_child(before)
            print(fmt, r[f"ours_{fmt}"], r[f"before_{fmt}"], flush=True)
        r["ours_compliance"] = in_child(ours("pdf", "compliance"))
        r["ours_html"] = in_child(ours("html"))

        def embedded_html():
            # The page as it was made before the parcels went into an archive it carries:
            # every parcel embedded as GeoJSON (the threshold set above their count).
            os.environ[THRESHOLD_ENV] = str(count + 1)
            return ours("html", "map")()
        r["whole_html"] = in_child(embedded_html)
        print("sheets done", flush=True)

        from app_parts.page_data import load_app_data
        from geo_app.workspace.layer_file import parcel_layer_file

        layer_file = parcel_layer_file(workspace, folder / "copies")
        app_data = load_app_data(None, layer_file)
        spec = app_data.catalog.layer(app_data.parcel_layer)
        search = "双阳区供地项目4321"
        r["table"] = in_child(lambda: table_figures(spec, search))
        r["page"] = in_child(lambda: table_page(folder / "ws", search))
    r["load_after"] = os.getloadavg()[0]
    return r


def markdown(r: dict) -> str:
    def verdict(ok: bool) -> str:
        return "met" if ok else "**missed**"

    def mb(n: float) -> str:
        return f"{n / 2**20:,.1f} MB"

    rows = []
    data_ok = True
    for fmt in DATA_FORMATS:
        ours, whole = r[f"ours_{fmt}"], r[f"whole_{fmt}"]
        ratio = ours["s"] / whole["s"]
        ok = ours["mb"] <= GOALS["data_mb"] and ratio <= GOALS["data_ratio"]
        data_ok &= ok
        rows.append(
            f"| {fmt.upper()} | {ours['s']:.1f} s, +{ours['mb']:,.0f} MB, file "
            f"{mb(ours['answer'])} | {whole['s']:.1f} s, +{whole['mb']:,.0f} MB | "
            f"{ratio:.2f}x the time, {ours['mb'] / max(whole['mb'], 1):.2f}x the memory: "
            f"{verdict(ok)} |")
    for fmt in ("pdf", "png"):
        ours, before = r[f"ours_{fmt}"], r[f"before_{fmt}"]
        ok = fmt != "pdf" or ours["s"] <= GOALS["pdf_s"]
        goal = f"≤ {GOALS['pdf_s']:g} s: {verdict(ok)}" if fmt == "pdf" else ""
        rows.append(
            f"| {fmt.upper()} layout sheet, every parcel drawn | {ours['s']:.1f} s, "
            f"+{ours['mb']:,.0f} MB, file {mb(ours['answer'])} (one compound path per look) | "
            f"{before['s']:.1f} s, +{before['mb']:,.0f} MB, file {mb(before['answer'])} "
            f"(one path per parcel) | {goal} |")
    ours = r["ours_compliance"]
    rows.append(f"| PDF compliance sheet | {ours['s']:.1f} s, +{ours['mb']:,.0f} MB, file "
                f"{mb(ours['answer'])} | | |")
    ours, whole = r["ours_html"], r["whole_html"]
    rows.append(
        f"| HTML page | {ours['s']:.1f} s, +{ours['mb']:,.0f} MB, file {mb(ours['answer'])} "
        f"(the parcels as a tile archive the page carries) | {whole['s']:.1f} s, "
        f"+{whole['mb']:,.0f} MB, file {mb(whole['answer'])} (every parcel embedded as "
        f"GeoJSON) | {ours['answer'] / whole['answer']:.2f}x the size, "
        f"{ours['mb'] / max(whole['mb'], 1):.2f}x the memory |")
    table, page = r["table"]["answer"], r["page"]["answer"]
    page_ok = (page["search_bytes"] / 1e6 <= GOALS["table_mb"]
               and page["search_s"] <= GOALS["table_rerun_s"])
    rows.append(
        f"| attribute table, server | built once per version of the parcels' file: "
        f"{table['build_s']:.1f} s; a search ({table['matches']:,} matches): "
        f"{table['search_s'] * 1000:.0f} ms, a page of {mb(table['page_bytes'])}; the CSV "
        f"of every match when asked: {table['csv_s']:.2f} s | every run: the whole table "
        f"built and sent, {table['before_all_s']:.1f} s and {mb(table['before_all_bytes'])} "
        f"of {table['rows']:,} rows; a search {table['before_search_s']:.1f} s | |")
    rows.append(
        f"| attribute table, the page (AppTest) | the tab's first run {page['first_s']:.1f} s, "
        f"{mb(page['first_bytes'])} over the websocket; a rerun after a search "
        f"{page['search_s']:.2f} s, {mb(page['search_bytes'])} | | ≤ {GOALS['table_mb']:g} MB "
        f"and ≤ {GOALS['table_rerun_s']:g} s: {verdict(page_ok)} |")
    body = "\n".join(rows)
    return f"""{HEADING}

`python bench/bench_exports_scale.py` — Python {platform.python_version()}, \
{os.cpu_count()} CPU(s), load average {r['load_before']:.1f} before and \
{r['load_after']:.1f} after. A land bureau's {r['count']:,} parcels (`tests/scale_files.py`, \
20 vertices each) imported into a workspace; its ledger loaded as `geo-app export \
--workspace` loads it ({r['ledger_s']:.1f} s, {r['ledger_rss_mb']:,.0f} MB resident). Each \
export runs once in a process forked from that one: seconds, and the peak resident memory \
above the loaded ledger (the kernel's peak for the process, reset at its start; it counts \
the ledger's pages the export reads as well as what it allocates). Data exports go \
through `export_to_file` (the command line's and the export panel's path), every layer, \
Chinese, beside the \
whole-file way in the same process. Goals: a data export at most \
{GOALS['data_mb']:g} MB above the ledger and at most {GOALS['data_ratio']:g}x the \
whole-file time; the PDF sheet of every parcel within {GOALS['pdf_s']:g} s.

| export | streamed, as the product writes it | the whole-file way | goal |
| --- | ---: | ---: | --- |
{body}

Data exports, all goals: {verdict(data_ok)}.
"""


def options(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000, help="parcels in the file")
    parser.add_argument("--no-write", dest="write", action="store_false",
                        help="print the section without filing it in docs/benchmarks.md")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    chosen = options(argv)
    section = markdown(run(chosen.count))
    print(section)
    if chosen.write:
        write_section(section, HEADING)
    return 0


if __name__ == "__main__":
    sys.exit(main())
