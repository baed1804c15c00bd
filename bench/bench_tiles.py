"""The app on a 100,000-parcel workspace: parcels as vector tiles against today's embedded
GeoJSON page, and against the app on the sample workspace, in one run.

Run: ``python bench/bench_tiles.py`` (``--parcels N`` for another size). Measures:

1. building the workspace (``Workspace.import_parcels`` of generated 20-vertex parcels), its
   tile archive (PMTiles through the GDAL in pyogrio) in a worker process as the app builds
   it, with how long the page's request for it takes (it never waits for the build), the
   same archive written in-process (what a page would wait if the server built it) and,
   for the choice of format, the same parcels as a z/x/y MVT folder;
2. in one warm headless Chromium with every outside request blocked, navigation to "map
   drawn" (the plan layers' first path and, on the tiled page, the first parcel tile
   painted), for the sample workspace,
   the 100,000-parcel workspace drawn from tiles, and the same workspace drawn as embedded
   GeoJSON (the threshold set above its size, as the app drew every workspace before);
3. panning and zooming the tiled map: messages the page sends to the server (a script
   run) and range requests for tiles (static file reads);
4. in-process (AppTest): the bytes a new visitor's first runs send over the websocket, and
   the server time of a rerun after a status filter change, tiled and embedded;
5. the embedded page's size at a few workspace sizes, for the threshold.

Results go to the "## Parcels as tiles" section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT_ROOT))
sys.path.insert(0, str(PROJECT_ROOT / "tests" / "browser"))

import numpy as np  # noqa: E402
import shapely  # noqa: E402
from app_server import (  # noqa: E402
    MAP_FRAME,
    ExternalRequestBlocker,
    StreamlitServer,
    launch_chromium,
)
from benchmarks_page import write_section  # noqa: E402
from streamlit_bytes import element_bytes  # noqa: E402

from geo_app.workspace import NewParcel, Workspace  # noqa: E402
from geo_app.workspace.tile_file import (  # noqa: E402
    MAX_ZOOM,
    MIN_ZOOM,
    THRESHOLD_ENV,
    TILE_THRESHOLD,
    TileBuilds,
    parcel_spec,
    read_tile_parcels,
    write_archive,
)

APP = PROJECT_ROOT / "streamlit_app.py"
SECTION = "## Parcels as tiles"
VIEWPORT = {"width": 1400, "height": 1000}
GOALS = {"map_ratio": 1.5, "websocket_mb": 5.0, "rerun_s": 0.3}
STATUSES = ("planned", "in_acquisition", "supplied")
TOWNS = ("奢岭街道", "云山街道", "平湖街道", "山河街道", "太平镇", "鹿乡镇", "齐家镇")
QUARTERS = ("2022Q1", "2022Q2", "2022Q3", "2022Q4")
SETTLE_S = 0.5
NO_THRESHOLD = str(10**9)

# In every frame: the first vector path (the plan layers), and the first painted parcel
# tile where the page draws parcels from tiles, each on the top page's clock.
PROBE = """
(() => {
  if (window === window.top) { return; }
  const timer = setInterval(() => {
    let top;
    try { top = window.top; top.document; } catch (error) { clearInterval(timer); return; }
    const now = performance.timeOrigin + performance.now();
    if (!top.__pathAt && document.querySelector('.leaflet-container path')) {
      top.__pathAt = now;
    }
    if (!top.__tilesAt && typeof map_div !== 'undefined' && map_div.eachLayer) {
      map_div.eachLayer(layer => {
        if (!layer.geoAppParcelTiles) { return; }
        top.__tiled = true;
        for (const key in layer._tiles) {
          if (layer._tiles[key].loaded) { top.__tilesAt = now; break; }
        }
      });
    }
    if (top.__pathAt && (top.__tilesAt || !top.__tiledExpected)) { clearInterval(timer); }
  }, 10);
})();
"""
DRAWN = "() => window.__pathAt && (window.__tilesAt || !window.__tiledExpected)"


def generated_parcels(count: int, seed: int = 0) -> list[NewParcel]:
    """``count`` parcels of 20 vertices (0.5–3 ha) on a grid over the district's middle."""
    rng = np.random.default_rng(seed)
    side = int(np.ceil(np.sqrt(count)))
    cell_x, cell_y = 0.45 / side, 0.32 / side
    i = np.arange(count)
    x = 125.40 + (i % side + 0.5) * cell_x
    y = 43.38 + (i // side + 0.5) * cell_y
    radius = np.minimum(cell_x, cell_y) * rng.uniform(0.25, 0.45, count)
    shapes = shapely.buffer(shapely.points(x, y), radius, quad_segs=5)
    return [
        NewParcel(
            f"gen-{n:06d}",
            {"status": STATUSES[n % 3], "town": TOWNS[n % len(TOWNS)],
             "quarter": QUARTERS[n % 4], "accuracy": "surveyed"},
            geometry,
        )
        for n, geometry in enumerate(shapes)
    ]


@dataclass
class PageLoad:
    map_s: float | None
    tiled: bool


@dataclass
class Loads:
    by_url: dict[str, list[PageLoad]] = field(default_factory=dict)
    blocked: int = 0

    def times(self, url: str) -> list[float]:
        return [load.map_s for load in self.by_url[url] if load.map_s is not None]


def load_once(browser, blocker: ExternalRequestBlocker, url: str, tiled: bool,
              timeout_ms: float) -> PageLoad:
    """Seconds from navigation to the map drawn (None: not within the timeout)."""
    context = browser.new_context(viewport=VIEWPORT)
    context.add_init_script(PROBE)
    blocker.install(context)
    page = context.new_page()
    page.add_init_script(f"window.__tiledExpected = {'true' if tiled else 'false'};")
    page.goto(url, wait_until="commit")
    try:
        page.wait_for_function(DRAWN, timeout=timeout_ms)
        drawn = page.evaluate("() => Math.max(window.__pathAt, window.__tilesAt || 0)")
        map_s = (drawn - page.evaluate("() => performance.timeOrigin")) / 1000.0
    except Exception:  # a page that never draws is a result, not a crash
        map_s = None
    context.close()
    return PageLoad(map_s, tiled)


def page_loads(browser, pages: list[tuple[str, bool]], runs: int,
               timeout_ms: float = 120_000) -> Loads:
    """Each page ``runs`` times after an untimed load, the pages taking turns."""
    blocker = ExternalRequestBlocker()
    loads = Loads({url: [] for url, _ in pages})
    for run in range(runs + 1):
        for url, tiled in pages if run % 2 else pages[::-1]:
            time.sleep(SETTLE_S)
            load = load_once(browser, blocker, url, tiled, timeout_ms)
            if run:
                loads.by_url[url].append(load)
    loads.blocked = len(blocker.blocked)
    return loads


PAN_ZOOM = """async () => {
    const steps = [[0, 1], [300, 0], [0, 250], [1, 0], [-300, 0], [0, -250], [1, 0], [-1, 0]];
    for (const [x, y] of steps) {
        if (x === 1 && y === 0) { map_div.zoomIn(1, {animate: false}); }
        else if (x === -1 && y === 0) { map_div.zoomOut(1, {animate: false}); }
        else if (x === 0 && y === 1) { map_div.setZoom(13, {animate: false}); }
        else { map_div.panBy([x, y], {animate: false}); }
        await new Promise(resolve => setTimeout(resolve, 700));
    }
    return map_div.getZoom();
}"""


def pan_and_zoom(browser, url: str) -> tuple[int, int, int]:
    """On the drawn tiled map: websocket messages sent to the server and tile range
    requests while panning and zooming eight times."""
    context = browser.new_context(viewport=VIEWPORT)
    context.add_init_script(PROBE)
    ExternalRequestBlocker().install(context)
    page = context.new_page()
    sent, ranges = [0], [0]

    def on_socket(socket) -> None:
        socket.on("framesent", lambda payload: sent.__setitem__(0, sent[0] + 1))

    page.on("websocket", on_socket)
    page.on("request", lambda request: ranges.__setitem__(0, ranges[0] + 1)
            if request.url.endswith(".pmtiles") else None)
    page.add_init_script("window.__tiledExpected = true;")
    page.goto(url)
    page.wait_for_function(DRAWN, timeout=120_000)
    page.wait_for_timeout(3000)
    sent[0], ranges[0] = 0, 0
    frame = page.frame_locator(MAP_FRAME)
    zoom = frame.locator("body").evaluate(f"(body) => ({PAN_ZOOM})()")
    page.wait_for_timeout(1000)
    context.close()
    return sent[0], ranges[0], zoom


def first_load_and_reruns(data_dir: Path, threshold: str, repeats: int,
                          ) -> tuple[int, list[float]]:
    """In-process with AppTest: the bytes a new visitor's first two runs send over the
    websocket (the map alone, then the whole page), and server seconds for reruns after a
    status filter change."""
    from streamlit.testing.v1 import AppTest

    os.environ["GEO_APP_DATA"] = str(data_dir)
    os.environ[THRESHOLD_ENV] = threshold
    at = AppTest.from_file(str(APP), default_timeout=900).run()
    if at.exception or at.error:
        raise SystemExit(f"the app failed in AppTest: {[e.value for e in at.exception]}")
    sent = element_bytes(at._tree)
    at.run()
    sent += element_bytes(at._tree)
    at.session_state["filters_open"] = True
    at.run()
    status = at.sidebar.multiselect(key="filter_status").options[0]
    times = []
    for i in range(repeats):
        chooser = at.sidebar.multiselect(key="filter_status")
        (chooser.select(status) if i % 2 == 0 else chooser.unselect(status))
        start = time.perf_counter()
        at.run()
        times.append(time.perf_counter() - start)
    return sent, times


def ledger_filter_seconds(layer_file, repeats: int) -> list[float]:
    """Seconds of the land-supply ledger's filter on the workspace's parcels, which every
    rerun after a filter change spends before the map (the headline under it)."""
    from app_parts.page_data import load_app_data

    ledger = load_app_data(None, layer_file).ledger
    times = []
    for i in range(repeats):
        start = time.perf_counter()
        ledger.filtered(status=(STATUSES[i % 3],))
        times.append(time.perf_counter() - start)
    return times


def embedded_sizes(counts: tuple[int, ...]) -> dict[int, int]:
    """Bytes of the map page with ``count`` parcels embedded as GeoJSON (as the app does)."""
    from geo_app.mapview import MapOptions, render_html
    from geo_app.workspace.layer_file import parcels_collection

    sizes = {}
    for count in counts:
        workspace_dir = Path(tempfile.mkdtemp())
        workspace = Workspace.open(workspace_dir, seed=None)
        workspace.import_parcels(generated_parcels(count, seed=count), "bench", "bench")
        collection = parcels_collection(workspace.parcels())
        sizes[count] = len(render_html(MapOptions(parcels=collection)).encode("utf-8"))
        shutil.rmtree(workspace_dir, ignore_errors=True)
    return sizes


def mvt_folder_seconds(frame, folder: Path) -> float:
    import pyogrio

    start = time.perf_counter()
    pyogrio.write_dataframe(frame, folder, driver="MVT", layer="parcels",
                            dataset_options={"MINZOOM": MIN_ZOOM, "MAXZOOM": MAX_ZOOM})
    return time.perf_counter() - start


def fmt(values: list[float]) -> str:
    if not values:
        return "did not draw"
    return f"{statistics.median(values):.2f} s (min {min(values):.2f}, max {max(values):.2f})"


def verdict(ok: bool) -> str:
    return "met" if ok else "**missed**"


def mb(value: float) -> str:
    return f"{value / 1e6:.2f} MB"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parcels", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=6, help="timed loads per page (made even)")
    parser.add_argument("--embedded-runs", type=int, default=1,
                        help="timed loads of the embedded-GeoJSON page")
    parser.add_argument("--reruns", type=int, default=6, help="timed reruns per page")
    parser.add_argument("--no-write", action="store_true", help="print, do not edit docs")
    args = parser.parse_args(argv)
    runs = args.runs + args.runs % 2

    from playwright.sync_api import sync_playwright

    from geo_app.resources import STATIC_DIR
    from geo_app.workspace.layer_file import parcel_layer_file

    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        os.environ.pop("GEO_APP_CATALOG", None)
        sample_dir, big_dir = Path(tmp) / "sample", Path(tmp) / "big"
        sample_count = Workspace.open(sample_dir).count()
        big = Workspace.open(big_dir, seed=None)
        parcels = generated_parcels(args.parcels)
        vertices = int(sum(shapely.get_num_coordinates(p.geometry) for p in parcels))
        start = time.perf_counter()
        big.import_parcels(parcels, "bench", "generated")
        import_s = time.perf_counter() - start
        del parcels
        start = time.perf_counter()
        layer_file = parcel_layer_file(big, Path(tmp) / "copies")
        layer_file_s = time.perf_counter() - start
        layer_mb = layer_file.path.stat().st_size / 1e6
        builds = TileBuilds()
        spec = parcel_spec(big, STATIC_DIR / "tiles", "wgs84")
        start = time.perf_counter()
        request_ms = []
        while True:
            tick = time.perf_counter()
            state = builds.request(spec)
            request_ms.append((time.perf_counter() - tick) * 1000)
            if state.ready or state.failed:
                break
            time.sleep(0.2)
        archive_s = time.perf_counter() - start
        if not state.ready:
            raise SystemExit(f"the worker did not build the archive: {builds.answers}")
        tiles = state.current
        frame = read_tile_parcels(big)
        start = time.perf_counter()
        write_archive(frame, Path(tmp) / "again.pmtiles")
        archive_again_s = time.perf_counter() - start
        mvt_s = mvt_folder_seconds(frame, Path(tmp) / "mvt")
        mvt_files = sum(1 for p in (Path(tmp) / "mvt").rglob("*.pbf"))
        mvt_mb = sum(p.stat().st_size for p in (Path(tmp) / "mvt").rglob("*")
                     if p.is_file()) / 1e6
        del frame

        base_env = {k: v for k, v in os.environ.items() if k != THRESHOLD_ENV}
        with (
            StreamlitServer(APP, env={**base_env, "GEO_APP_DATA": str(sample_dir)},
                            startup_timeout_s=300) as sample_server,
            StreamlitServer(APP, env={**base_env, "GEO_APP_DATA": str(big_dir)},
                            startup_timeout_s=300) as tiled_server,
            StreamlitServer(APP, env={**base_env, "GEO_APP_DATA": str(big_dir),
                                      THRESHOLD_ENV: NO_THRESHOLD},
                            startup_timeout_s=300) as embedded_server,
            sync_playwright() as playwright,
        ):
            browser = launch_chromium(playwright)
            pair = [(sample_server.url, False), (tiled_server.url, True)]
            loads = page_loads(browser, pair, runs, timeout_ms=600_000)
            embedded = page_loads(browser, [(embedded_server.url, False)],
                                  args.embedded_runs, timeout_ms=300_000)
            sent, ranges, _zoom = pan_and_zoom(browser, tiled_server.url)
            browser.close()
        sample_ws, _ = first_load_and_reruns(sample_dir, str(TILE_THRESHOLD), 0)
        tiled_ws, tiled_reruns = first_load_and_reruns(
            big_dir, str(TILE_THRESHOLD), args.reruns
        )
        embedded_ws, embedded_reruns = first_load_and_reruns(big_dir, NO_THRESHOLD, 2)
        ledger_s = ledger_filter_seconds(layer_file, args.reruns)
        sizes = embedded_sizes((1000, 2000, 5000))
    load_after = os.getloadavg()[0]

    sample_times = loads.times(pair[0][0])
    tiled_times = loads.times(pair[1][0])
    embedded_times = embedded.times(embedded_server.url)
    ratio = statistics.median(tiled_times) / statistics.median(sample_times)
    ratios = [t / s for t, s in zip(tiled_times, sample_times, strict=False)]
    rerun = statistics.median(tiled_reruns)
    embedded_ratio = (
        statistics.median(embedded_times) / statistics.median(sample_times)
        if embedded_times else None
    )
    text = f"""{SECTION}

`python bench/bench_tiles.py --parcels {args.parcels} --runs {args.runs}` — Python \
{platform.python_version()}, {os.cpu_count()} CPU(s), Chromium at /usr/bin/chromium \
(headless), every request to another host blocked ({loads.blocked + embedded.blocked} \
tried). A workspace of {args.parcels:,} generated parcels ({vertices:,} vertices, 20 \
segments each, three statuses, seven towns, four quarters) against a new workspace holding \
the {sample_count} sample parcels, the app's \
default view on both. Page loads: {len(tiled_times)} per page after an untimed load, \
sample and tiled pages taking turns, each in a fresh browser context; "map drawn" is the \
plan layers' first path and, on the tiled page, the first parcel tile painted, on the \
page's navigation clock. Websocket bytes: the elements a new visitor's first two runs \
send (the map alone, then the whole page; their protobuf messages, measured in-process \
with `streamlit.testing.v1.AppTest`, where the reruns are timed as well). \
Load average {load_before:.1f} before and {load_after:.1f} after.

| measure | tiles ({args.parcels:,} parcels) | embedded GeoJSON, as before (same \
workspace) | sample workspace | goal | tiles vs goal |
| --- | ---: | ---: | ---: | --- | --- |
| navigation to map drawn | {fmt(tiled_times)} | {fmt(embedded_times)} | \
{fmt(sample_times)} | ≤ {GOALS["map_ratio"]}x the sample workspace | \
{ratio:.2f}x (per turn {min(ratios):.2f}–{max(ratios):.2f}x): \
{verdict(ratio <= GOALS["map_ratio"])} |
| bytes over the websocket, a new visitor's first two runs | {mb(tiled_ws)} | {mb(embedded_ws)} | \
{mb(sample_ws)} | ≤ {GOALS["websocket_mb"]} MB | \
{verdict(tiled_ws / 1e6 <= GOALS["websocket_mb"])} |
| rerun after a status filter change (server) | {fmt(tiled_reruns)} | \
{fmt(embedded_reruns)} | — | ≤ {GOALS["rerun_s"]} s | \
{verdict(rerun <= GOALS["rerun_s"])} |
| of which the land-supply ledger's filter (`LandSupplyLedger.filtered`) | \
{fmt(ledger_s)} | same | — | — | — |
| pan and zoom, eight moves (messages to the server / tile range requests) | \
{sent} / {ranges} | — | — | no server round trip | {verdict(sent == 0)} |

Embedded GeoJSON: {"the page drew in " + f"{embedded_ratio:.1f}x the sample's time"
                   if embedded_ratio else "the page did not draw within 300 s"}; \
its map page grows by about {(sizes[5000] - sizes[1000]) / 4000 / 1024:.2f} KB a parcel \
({", ".join(f"{n:,} parcels {mb(s)}" for n, s in sizes.items())}), so the tile threshold \
is {TILE_THRESHOLD:,} parcels (`{THRESHOLD_ENV}`): below it a page stays under about \
{mb(sizes[2000])} and draws as before, with hover tooltips and popups in the page.

Building, once per change of the workspace: import {import_s:.1f} s; the layer file \
(GeoJSON copy the app totals and tabulates) {layer_file_s:.1f} s, {layer_mb:.0f} MB; the \
tile archive {archive_s:.1f} s in a worker process, as the app builds it \
({tiles.path.stat().st_size / 1e6:.1f} MB, zooms {MIN_ZOOM}–{MAX_ZOOM}); meanwhile the \
page's request for it, asked {len(request_ms)} times, answered in \
{statistics.median(request_ms):.1f} ms (at most {max(request_ms):.1f} ms): a page never \
waits for the build. Writing it in-process from the parcels already read takes \
{archive_again_s:.1f} s: the server did that, and the reading, while the page that asked \
waited, before the build moved to the worker. The \
same parcels as a z/x/y MVT folder (the format Leaflet.VectorGrid reads) took {mvt_s:.1f} \
s, {mvt_files:,} files, {mvt_mb:.1f} MB: writing costs the same, and the single PMTiles \
archive is the one renamed into place whole (a page never sees half a tile set), is one \
file to prune, and needs no tile server: Streamlit's static folder answers its range \
requests (206). The map's own share of a rerun after a filter change is the rerun less \
the ledger's filter: the tiled page's map is built from the archive's name and the \
filter's values, whatever the workspace's size.
"""
    print(text)
    if not args.no_write:
        write_section(text, SECTION)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
