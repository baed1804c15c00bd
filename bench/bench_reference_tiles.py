"""A district's 100,000-polygon land-use layer on the map: drawn whole from vector tiles
built in a worker, against the obvious alternative, shipping the layer to the page.

Run: ``python bench/bench_reference_tiles.py`` (``--polygons N`` for another size).
Measures, on a workspace of a few planners' parcels and one 三调 land-use layer of
generated fields (12 vertices, five columns, six classes):

1. the layer's tile archive built in a worker process as the app builds it
   (:class:`geo_app.workspace.tile_file.TileBuilds`): seconds from the page's request to the
   archive in place, the worker's peak resident memory, the archive's size, and how long
   the page's request itself takes (it never waits for the build); the same archive
   written in-process, for the time a page would stall if the server built it;
2. the map page (the HTML the map component receives): the layer drawn from tiles, the
   layer near the parcels as the page drew it before (at most 1,500 polygons), and the
   whole layer embedded in the page's compact encoding; and the layer as a GeoJSON file;
3. in-process (``streamlit.testing.v1.AppTest``): the bytes a new visitor's first two runs
   send over the websocket with the layer drawn from tiles, and the server time of a
   rerun.

Results go to the "## Reference layers as tiles" section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT_ROOT))

import numpy as np  # noqa: E402
import shapely  # noqa: E402
from benchmarks_page import write_section  # noqa: E402
from shapely.geometry import mapping  # noqa: E402
from streamlit_bytes import element_bytes  # noqa: E402

from geo_app.workspace import NewParcel, Workspace  # noqa: E402
from geo_app.workspace.tile_file import (  # noqa: E402
    MAX_ZOOM,
    MIN_ZOOM,
    TileBuilds,
    read_tile_references,
    reference_spec,
    write_archive,
)

APP = PROJECT_ROOT / "streamlit_app.py"
SECTION = "## Reference layers as tiles"
WEST, SOUTH = 125.45, 43.40
CELL = 0.0012  # degrees: fields of about 1 ha
VERTICES = 12
CLASSES = ("水田", "旱地", "水浇地", "乔木林地", "坑塘水面", "村庄")
STATUSES = ("planned", "in_acquisition", "supplied")
# A page stalls while its run waits: the request for an archive must answer at once.
GOALS = {"request_ms": 50.0, "websocket_mb": 5.0}


@dataclass(frozen=True)
class GeneratedLayer:
    """A land-use layer as the workspace stores one (see ``NewReference``)."""

    geometries: np.ndarray
    classes: list[str | None]
    properties_json: list[str]
    kind: str = "landuse"
    name: str = "三调土地利用现状（生成）"
    source: str = "三调_生成.gpkg"
    format_name: str = "GPKG"
    crs: str = "EPSG:4490"
    class_field: str | None = "DLMC"


def fields(count: int, seed: int = 7) -> GeneratedLayer:
    """``count`` fields of about 1 ha in a grid over the district's middle."""
    rng = np.random.default_rng(seed)
    side = int(np.ceil(np.sqrt(count)))
    index = np.arange(count)
    cx = WEST + (index % side + 0.5) * CELL
    cy = SOUTH + (index // side + 0.5) * CELL
    angles = np.linspace(0, 2 * np.pi, VERTICES, endpoint=False)
    radius = CELL * 0.5 * rng.uniform(0.75, 0.98, size=(count, VERTICES))
    rings = np.stack([cx[:, None] + radius * np.cos(angles),
                      cy[:, None] + radius * np.sin(angles)], axis=2)
    rings = np.concatenate([rings, rings[:, :1]], axis=1)
    polygons = shapely.multipolygons(shapely.polygons(rings)[:, None])
    classes = [CLASSES[i % len(CLASSES)] for i in range(count)]
    properties = [
        json.dumps({"BSM": f"2201122{i:07d}", "DLMC": classes[i], "DLBM": f"01{i % 3 + 1:02d}",
                    "ZLDWMC": "双营子村", "TBMJ": round(float(a) * 1e10, 1)},
                   ensure_ascii=False)
        for i, a in enumerate(shapely.area(polygons))
    ]
    return GeneratedLayer(np.asarray(polygons, dtype=object), classes, properties)


def parcels(count: int, extent: float, seed: int = 11) -> list[NewParcel]:
    rng = np.random.default_rng(seed)
    x = WEST + rng.uniform(0.02, extent - 0.02, count)
    y = SOUTH + rng.uniform(0.02, extent - 0.02, count)
    half = np.sqrt(rng.uniform(1, 10, count) * 1e4) / 2 / 111_000
    boxes = shapely.box(x - half / 0.73, y - half, x + half / 0.73, y + half)
    return [NewParcel(f"P{i:04d}", {"status": STATUSES[i % 3], "accuracy": "surveyed"}, box)
            for i, box in enumerate(boxes)]


def worker_build(workspace: Workspace, folder: Path, layer_id: int) -> dict:
    """The archive built as the app builds it: requested, then watched until in place."""
    builds = TileBuilds()
    spec = reference_spec(workspace, folder, layer_id, "wgs84")
    start = time.perf_counter()
    state = builds.request(spec)
    request_ms = (time.perf_counter() - start) * 1000
    assert state.building and not state.ready, "the archive was there already"
    peak, polls = 0, []
    job = builds.job(spec)
    while True:
        status = job.poll()
        if not status.running:
            break
        peak = max(peak, status.memory_bytes or 0)
        tick = time.perf_counter()
        builds.request(spec)
        polls.append((time.perf_counter() - tick) * 1000)
        time.sleep(0.2)
    final = builds.wait(spec, 60)
    seconds = time.perf_counter() - start
    if not final.ready:
        raise SystemExit(f"the worker did not build the archive: {builds.answers}")
    return {"seconds": seconds, "request_ms": request_ms, "poll_ms": polls,
            "peak_mb": peak / 1e6, "archive": final.current, "outcome": status.outcome}


def page_bytes(workspace: Workspace, layer, archive, polygons: int) -> dict:
    """The map page's bytes: the layer from tiles, near the parcels (as before), whole."""
    from geo_app.control import check_workspace
    from geo_app.mapview import MapOptions, ReferenceTiles, build_map, render_html
    from geo_app.mapview.references import control_overlay

    geometries = [p.geometry for p in workspace.parcels()]
    check = check_workspace(workspace)
    base = len(render_html(MapOptions()).encode("utf-8"))
    overlay = control_overlay(workspace, geometries, check)
    tiles = {layer.layer_id: ReferenceTiles(layer.layer_id, "/app/static/tiles/x.pmtiles",
                                            archive.count, archive.min_zoom,
                                            archive.max_zoom)}
    start = time.perf_counter()
    tiled = len(build_map(MapOptions(), overlay, None, tiles).get_root().render()
                .encode("utf-8"))
    tiled_s = time.perf_counter() - start
    near = len(build_map(MapOptions(), overlay).get_root().render().encode("utf-8"))
    start = time.perf_counter()
    whole_overlay = control_overlay(workspace, geometries, check, margin_m=1e6,
                                    cap=polygons + 1, tile_above=polygons + 1)
    whole = len(build_map(MapOptions(), whole_overlay).get_root().render().encode("utf-8"))
    whole_s = time.perf_counter() - start
    [drawing] = overlay.references
    return {"base": base, "tiled": tiled, "tiled_s": tiled_s, "near": near,
            "near_shown": drawing.shown, "near_count": drawing.near, "whole": whole,
            "whole_s": whole_s}


def geojson_bytes(workspace: Workspace, layer_id: int) -> int:
    features = workspace.reference_features(layer_id, with_properties=True)
    text = json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": props, "geometry": mapping(geometry)}
        for props, geometry in zip(features.properties, features.geometries, strict=True)
    ]}, ensure_ascii=False)
    return len(text.encode("utf-8"))


def _holds(node, needle: bytes) -> bool:
    """Whether an element of the run's tree carries ``needle`` (the map's HTML is one)."""
    proto = getattr(node, "proto", None)
    if proto is not None and hasattr(proto, "SerializeToString") and (
            needle in proto.SerializeToString()):
        return True
    children = getattr(node, "children", None)
    return isinstance(children, dict) and any(_holds(c, needle) for c in children.values())


def websocket_and_reruns(data_dir: Path, repeats: int) -> tuple[int, list[float], bool]:
    """In-process: the bytes a new visitor's first two runs send, server seconds of reruns,
    and whether the page drew the layer from its tiles."""
    from streamlit.testing.v1 import AppTest

    os.environ["GEO_APP_DATA"] = str(data_dir)
    at = AppTest.from_file(str(APP), default_timeout=900).run()
    if at.exception or at.error:
        raise SystemExit(f"the app failed in AppTest: {[e.value for e in at.exception]}")
    sent = element_bytes(at._tree)
    at.run()
    sent += element_bytes(at._tree)
    drawn = _holds(at._tree, b"geoAppReferenceTiles")
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        at.run()
        times.append(time.perf_counter() - start)
    return sent, times, drawn


def mb(value: float) -> str:
    return f"{value / 1e6:.2f} MB"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--polygons", type=int, default=100_000)
    parser.add_argument("--parcels", type=int, default=25)
    parser.add_argument("--reruns", type=int, default=5)
    parser.add_argument("--no-write", action="store_true", help="print, do not edit docs")
    args = parser.parse_args(argv)

    from geo_app.resources import STATIC_DIR

    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        os.environ.pop("GEO_APP_CATALOG", None)
        data_dir = Path(tmp) / "workspace"
        workspace = Workspace.open(data_dir, seed=None)
        side = int(np.ceil(np.sqrt(args.polygons))) * CELL
        workspace.import_parcels(parcels(args.parcels, side), "bench", "generated")
        generated = fields(args.polygons)
        vertices = int(shapely.get_num_coordinates(generated.geometries).sum())
        start = time.perf_counter()
        layer = workspace.import_reference(generated, "bench")
        load_s = time.perf_counter() - start
        del generated

        folder = STATIC_DIR / "tiles"
        built = worker_build(workspace, folder, layer.layer_id)
        archive = built["archive"]
        start = time.perf_counter()
        frame = read_tile_references(workspace, layer.layer_id)
        write_archive(frame, Path(tmp) / "in-process.pmtiles", layer="reference")
        in_process_s = time.perf_counter() - start
        del frame
        pages = page_bytes(workspace, layer, archive, args.polygons)
        geojson = geojson_bytes(workspace, layer.layer_id)
        sent, reruns, drawn = websocket_and_reruns(data_dir, args.reruns)
        archive_bytes = archive.path.stat().st_size
    load_after = os.getloadavg()[0]

    polls = built["poll_ms"]
    poll_text = (f"median {statistics.median(polls):.1f} ms, at most {max(polls):.1f} ms "
                 f"over {len(polls)} asks" if polls else "no ask while it ran")
    whole_grown = pages["whole"] - pages["base"]
    tiled_grown = pages["tiled"] - pages["base"]
    text = f"""{SECTION}

`python bench/bench_reference_tiles.py --polygons {args.polygons}` — Python \
{platform.python_version()}, {os.cpu_count()} CPU(s). One 三调 land-use layer of \
{args.polygons:,} generated fields ({vertices:,} vertices, {VERTICES} a field, five \
columns, {len(CLASSES)} classes) beside {args.parcels} parcels, loaded into the workspace \
in {load_s:.1f} s. Load average {load_before:.1f} before and {load_after:.1f} after.

| measure | the layer drawn whole from tiles | the alternative: the layer shipped to the page |
| --- | ---: | ---: |
| built, once per stored layer | {built["seconds"]:.1f} s in a worker (niced, capped; \
peak {built["peak_mb"]:.0f} MB resident), the page's request answered in \
{built["request_ms"]:.1f} ms; asks while it built: {poll_text} | nothing to build; \
the same archive written in the server would stall the page {in_process_s:.1f} s |
| on disk | {mb(archive_bytes)} (PMTiles, zooms {MIN_ZOOM}–{MAX_ZOOM}), read by range \
requests, only the tiles in view | the layer as GeoJSON: {mb(geojson)} |
| map page (the HTML the map component receives) | {mb(pages["tiled"])} \
(+{tiled_grown / 1024:.0f} KB over a page without control lines; the check's conflict pieces \
are in both columns), built in {pages["tiled_s"]:.2f} s | \
whole layer embedded (the page's compact encoding): {mb(pages["whole"])} \
(+{mb(whole_grown)}), built in {pages["whole_s"]:.1f} s; \
near the parcels only, as before: {mb(pages["near"])}, {pages["near_shown"]:,} of \
{pages["near_count"]:,} polygons near the parcels, the rest of the {args.polygons:,} left out |
| bytes over the websocket, a new visitor's first two runs (AppTest) | {mb(sent)} \
({"drawn from tiles" if drawn else "**not drawn from tiles**"}) | about the embedded \
map page, {mb(pages["whole"])} |
| rerun of the page (server) | median {statistics.median(reruns):.2f} s | — |

Goals: the page's request for an archive answers at once (≤ {GOALS["request_ms"]:.0f} ms): \
{"met" if built["request_ms"] <= GOALS["request_ms"] else "**missed**"}; a new visitor's \
page ≤ {GOALS["websocket_mb"]:.0f} MB over the websocket: \
{"met" if sent / 1e6 <= GOALS["websocket_mb"] else "**missed**"}. The tiles hold each \
polygon's id and class only; a click's columns come from the workspace.
"""
    print(text)
    if not args.no_write:
        write_section(text, SECTION)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
