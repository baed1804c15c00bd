"""How fast the app draws its map, against a plain folium + streamlit-folium page.

Run: ``python bench/bench_app.py`` (add ``--screenshot docs/screenshot.png`` to refresh the
README picture). Measures, in one warm headless Chromium with every outside request blocked:

1. navigation to "map drawn" (vector paths inside the map frame) for the app's default view,
   and to "controls ready" (the sidebar's widgets, which follow the map's first draw);
2. the same for a plain page: the same layers as folium.GeoJson, embedded at full precision,
   st_folium with default arguments, Leaflet served locally as well;
   (timed inside the browser, from the start of navigation to the first path);
3. the server time of a rerun after a layer toggle and after a filter change (AppTest);
4. the size of the map the page hands to the browser (the component's arguments).

Results go to the "## App" section of docs/benchmarks.md (other sections are kept).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT_ROOT))
sys.path.insert(0, str(PROJECT_ROOT / "tests" / "browser"))

from app_server import (  # noqa: E402
    MAP_FRAME,
    ExternalRequestBlocker,
    StreamlitServer,
    launch_chromium,
)
from benchmarks_page import write_section  # noqa: E402

from geo_app.assets import asset_urls  # noqa: E402
from geo_app.assets.urls import SERVED_PREFIX  # noqa: E402
from geo_app.catalog import load_catalog, load_layer_geojson  # noqa: E402
from geo_app.resources import STATIC_DIR  # noqa: E402

APP = PROJECT_ROOT / "streamlit_app.py"

SECTION = "## App"
PATHS = ".leaflet-container path"
VIEWPORT = {"width": 1400, "height": 1000}
GOALS = {"map_s": 1.5, "rerun_s": 0.3, "html_kb": 300}
# A closed page is still being torn down for a moment, and that slowed whichever page
# loaded next by up to ~0.1 s: each load waits this long after the previous one.
SETTLE_S = 0.5
BOOTSTRAP_DRAWS = 2000

PLAIN_APP = '''\
"""A plain rendering: folium GeoJson layers embedded at full precision, st_folium defaults."""
import json
from pathlib import Path

import folium
import streamlit as st
from streamlit_folium import st_folium

HERE = Path(__file__).parent
LAYERS = json.loads((HERE / "layers.json").read_text(encoding="utf-8"))
LEAFLET = json.loads((HERE / "leaflet.json").read_text(encoding="utf-8"))

st.title("plain")
m = folium.Map(location=[43.52, 125.66], zoom_start=10, tiles=None)
m.default_js = [("leaflet", LEAFLET["js"])]
m.default_css = [("leaflet_css", LEAFLET["css"])]
for name, collection in LAYERS:
    folium.GeoJson(
        collection, name=name, tooltip=folium.GeoJsonTooltip(fields=["name_zh"])
    ).add_to(m)
m.fit_bounds(m.get_bounds())
st_folium(m)
'''


def write_plain_app(folder: Path) -> Path:
    """The plain page, its data and a local copy of Leaflet, in ``folder``."""
    catalog = load_catalog()
    layers = [
        [spec.name_zh, load_layer_geojson(spec)] for spec in catalog.layers if spec.default_visible
    ]
    (folder / "layers.json").write_text(json.dumps(layers, ensure_ascii=False), encoding="utf-8")
    assets = asset_urls("served")
    leaflet = {"js": assets["leaflet"], "css": assets["leaflet_css"]}
    (folder / "leaflet.json").write_text(json.dumps(leaflet), encoding="utf-8")
    leaflet_dir = Path(leaflet["js"].removeprefix(SERVED_PREFIX + "/")).parent
    shutil.copytree(STATIC_DIR / leaflet_dir, folder / "static" / leaflet_dir)
    (folder / ".streamlit").mkdir()
    (folder / ".streamlit" / "config.toml").write_text(
        "[server]\nenableStaticServing = true\nheadless = true\n"
        "[browser]\ngatherUsageStats = false\n",
        encoding="utf-8",
    )
    script = folder / "plain_app.py"
    script.write_text(PLAIN_APP, encoding="utf-8")
    return script


# Runs in every frame of every page. Inside a frame it looks every 10 ms for Leaflet's
# first vector path and tells the top page when it appeared, on the clock the top page's
# navigation started from. Measured in the browser, the figure does not depend on how
# often the test driver polls. (A MutationObserver saw none of the component's changes.)
# In the top page it notes when the sidebar first holds a widget (the app's controls).
MAP_DRAWN_PROBE = """
(() => {
  if (window === window.top) {
    const controls = setInterval(() => {
      if (!document.querySelector('[data-testid="stSidebar"] input')) { return; }
      clearInterval(controls);
      window.__controlsAt = performance.timeOrigin + performance.now();
    }, 10);
    return;
  }
  const timer = setInterval(() => {
    if (!document.querySelector('.leaflet-container path')) { return; }
    clearInterval(timer);
    try {
      if (!window.top.__mapDrawnAt) {
        window.top.__mapDrawnAt = performance.timeOrigin + performance.now();
      }
    } catch (error) { /* a frame of another origin: not the map */ }
  }, 10);
})();
"""


def new_context(browser, blocker: ExternalRequestBlocker):
    context = browser.new_context(viewport=VIEWPORT)
    context.add_init_script(MAP_DRAWN_PROBE)
    blocker.install(context)
    return context


def _load_once(context, url: str, controls: bool = False) -> tuple[float, float | None]:
    """Seconds to the map's first path and, with ``controls``, to the sidebar's widgets."""
    page = context.new_page()
    page.goto(url, wait_until="commit")
    page.wait_for_function("() => window.__mapDrawnAt", timeout=120_000)
    map_ms = page.evaluate("() => window.__mapDrawnAt - performance.timeOrigin")
    controls_ms = None
    if controls:
        page.wait_for_function("() => window.__controlsAt", timeout=120_000)
        controls_ms = page.evaluate("() => window.__controlsAt - performance.timeOrigin")
    page.close()
    return map_ms / 1000.0, None if controls_ms is None else controls_ms / 1000.0


@dataclass
class Loads:
    """Per URL: seconds to the map, and to the controls where they were awaited."""

    map_s: dict[str, list[float]]
    controls_s: dict[str, list[float]]
    blocked: int

    def extend(self, other: Loads) -> None:
        for mine, theirs in ((self.map_s, other.map_s), (self.controls_s, other.controls_s)):
            for url, values in theirs.items():
                mine.setdefault(url, []).extend(values)
        self.blocked += other.blocked


def time_to_map(
    browser, urls: list[str], runs: int, warm_cache: bool = False,
    controls: frozenset[str] = frozenset(),
) -> Loads:
    """Seconds from navigation to paths in the map frame, per URL, after one untimed load.

    The URLs take turns, which of them goes first alternating (``runs`` is made even so
    each goes first equally often), so a machine that gets busier or quieter affects them
    alike. ``warm_cache``: each URL keeps one browser
    context and every load is a new page in it, so Streamlit's and Leaflet's files come
    from the HTTP cache, as for a returning visitor. Otherwise each load gets a fresh
    context with an empty cache. For the URLs in ``controls`` the sidebar's widgets are
    awaited as well.
    """
    blocker = ExternalRequestBlocker()
    shared = {}
    if warm_cache:
        for url in urls:
            shared[url] = new_context(browser, blocker)
    times: dict[str, list[float]] = {url: [] for url in urls}
    ready: dict[str, list[float]] = {url: [] for url in urls}
    runs += runs % 2
    for run in range(runs + 1):
        for url in urls if run % 2 else urls[::-1]:
            time.sleep(SETTLE_S)
            context = shared.get(url)
            if context is None:
                context = new_context(browser, blocker)
            map_s, controls_s = _load_once(context, url, controls=url in controls)
            if url not in shared:
                context.close()
            if run:
                times[url].append(map_s)
                if controls_s is not None:
                    ready[url].append(controls_s)
    for context in shared.values():
        context.close()
    return Loads(times, ready, len(blocker.blocked))


def screenshot(browser, url: str, path: Path) -> None:
    context = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
    ExternalRequestBlocker().install(context)
    page = context.new_page()
    page.goto(url)
    frame = page.frame_locator(MAP_FRAME)
    frame.locator(PATHS).first.wait_for(state="attached", timeout=120_000)
    # Let fitBounds and the legend settle before the picture.
    page.wait_for_timeout(1500)
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path))
    context.close()


def component_bytes(at) -> int:
    """Bytes of the map component's arguments: the map's HTML, script and links."""
    (component,) = [
        e for e in at.get("component_instance")
        if e.proto.component_name.endswith("st_folium")
    ]
    return len(component.proto.json_args.encode("utf-8"))


def rerun_times(script: Path, repeats: int) -> dict[str, list[float]]:
    """Server seconds for reruns of the real page, measured in-process with AppTest."""
    from streamlit.testing.v1 import AppTest

    from app_parts.page_data import default_visible_layers

    at = AppTest.from_file(str(script), default_timeout=120).run()
    if at.exception or at.error:
        raise SystemExit(f"the app failed in AppTest: {[e.value for e in at.exception]}")
    layer = default_visible_layers(load_catalog())[-1]
    # The first run was a session's first paint (the map alone); the next one draws the
    # whole page, as after the map's report. The filters' panel runs its widgets only
    # while it is open.
    at.session_state["filters_open"] = True
    at.run()
    status = at.sidebar.multiselect(key="filter_status").options[0]
    results: dict[str, list[float]] = {"toggle": [], "filter": [], "plain_rerun": []}
    for i in range(repeats):
        box = at.checkbox(key=f"layer:{layer}")
        (box.uncheck() if i % 2 == 0 else box.check())
        start = time.perf_counter()
        at.run()
        results["toggle"].append(time.perf_counter() - start)
    for i in range(repeats):
        chooser = at.sidebar.multiselect(key="filter_status")
        (chooser.select(status) if i % 2 == 0 else chooser.unselect(status))
        start = time.perf_counter()
        at.run()
        results["filter"].append(time.perf_counter() - start)
    return results


def plain_rerun_and_size(script: Path, repeats: int) -> tuple[list[float], int]:
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(script), default_timeout=120).run()
    size = component_bytes(at)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        at.run()
        times.append(time.perf_counter() - start)
    return times, size


def app_size() -> int:
    """The default view's map as the first run sends it (later runs send the same script)."""
    from streamlit.testing.v1 import AppTest

    return component_bytes(AppTest.from_file(str(APP), default_timeout=120).run())


def fmt(values: list[float]) -> str:
    return f"{statistics.median(values):.2f} s (min {min(values):.2f}, max {max(values):.2f})"


def verdict(ok: bool) -> str:
    return "met" if ok else "**missed**"


def round_line(cold: Loads, cached: Loads, app_url: str, plain_url: str) -> str:
    """One round's medians, app / plain, and the load average when it ended."""
    def pair(loads: Loads) -> str:
        app, plain = loads.map_s[app_url], loads.map_s[plain_url]
        return f"{statistics.median(app):.2f} / {statistics.median(plain):.2f} s"

    return (f"empty cache {pair(cold)}, HTTP cache {pair(cached)} "
            f"(load average {os.getloadavg()[0]:.1f})")


def paired(app: list[float], plain: list[float]) -> str:
    """Median of the per-turn differences app − plain (each turn loads both pages), with
    a 95 % bootstrap interval: how far that median moves when the turns are redrawn."""
    differences = [a - b for a, b in zip(app, plain, strict=True)]
    draw = random.Random(0)
    medians = sorted(
        statistics.median(draw.choices(differences, k=len(differences)))
        for _ in range(BOOTSTRAP_DRAWS)
    )
    low, high = medians[int(0.025 * BOOTSTRAP_DRAWS)], medians[int(0.975 * BOOTSTRAP_DRAWS) - 1]
    return f"{statistics.median(differences):+.2f} s ({low:+.2f} to {high:+.2f})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10,
                        help="timed page loads per page and mode (made even)")
    parser.add_argument("--rounds", type=int, default=5,
                        help="repeat the page loads this often; each round's medians are listed")
    parser.add_argument("--reruns", type=int, default=10, help="timed reruns per action")
    parser.add_argument("--screenshot", type=Path, help="also save the default view here")
    parser.add_argument("--no-write", action="store_true", help="print, do not edit docs")
    args = parser.parse_args(argv)

    from playwright.sync_api import sync_playwright

    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        # The shipped layers, and a new workspace holding the shipped sample parcels (the
        # same parcels the plain page draws), whatever this user's own workspace holds.
        os.environ.pop("GEO_APP_CATALOG", None)
        os.environ["GEO_APP_DATA"] = str(Path(tmp) / "workspace")
        env = dict(os.environ)
        plain = write_plain_app(Path(tmp))
        with (
            StreamlitServer(APP, env=env) as app_server,
            StreamlitServer(plain, env=env, cwd=plain.parent) as plain_server,
            sync_playwright() as playwright,
        ):
            browser = launch_chromium(playwright)
            app_url, plain_url = app_server.url, plain_server.url
            urls = [app_url, plain_url]
            controls = frozenset({app_url})
            # Warm the browser and both servers (first script run, caches) before timing.
            time_to_map(browser, urls, 0)
            cold, cached = Loads({}, {}, 0), Loads({}, {}, 0)
            rounds = []
            for _ in range(max(args.rounds, 1)):
                cold_round = time_to_map(browser, urls, args.runs, controls=controls)
                cached_round = time_to_map(
                    browser, urls, args.runs, warm_cache=True, controls=controls
                )
                rounds.append(round_line(cold_round, cached_round, app_url, plain_url))
                cold.extend(cold_round)
                cached.extend(cached_round)
            blocked = cold.blocked + cached.blocked
            if args.screenshot:
                screenshot(browser, app_url, args.screenshot)
            browser.close()
        reruns = rerun_times(APP, args.reruns)
        plain_reruns, plain_size = plain_rerun_and_size(plain, args.reruns)
        size = app_size()
    load_after = os.getloadavg()[0]

    app_times, plain_times = cold.map_s[app_url], cold.map_s[plain_url]
    app_cached, plain_cached = cached.map_s[app_url], cached.map_s[plain_url]
    app_map, plain_map = statistics.median(app_times), statistics.median(plain_times)
    app_map_cached = statistics.median(app_cached)
    plain_map_cached = statistics.median(plain_cached)
    rerun = max(statistics.median(reruns["toggle"]), statistics.median(reruns["filter"]))
    layers = [s.id for s in load_catalog().layers if s.default_visible]
    text = f"""{SECTION}

`python bench/bench_app.py --rounds {args.rounds} --runs {args.runs}` — Python \
{platform.python_version()}, {os.cpu_count()} CPU(s), \
Chromium at /usr/bin/chromium (headless), every request to another host blocked \
({blocked} tried). Default view: \
{len(layers)} layers ({", ".join(layers)}). Page loads: {len(app_times)} per page and mode \
({len(rounds)} round(s) of {len(app_times) // len(rounds)}) after an untimed load, in one warm \
browser and warm servers, app and plain page taking turns (which goes first alternates; \
{SETTLE_S} s pause before each load); "empty cache" opens each load in a \
fresh browser context, "HTTP cache" opens a new page in one context (a returning visitor). \
Reruns: {args.reruns} per action, timed in-process with `streamlit.testing.v1.AppTest` \
(script run plus AppTest's own overhead). Medians, with min and max. Load average \
{load_before:.1f} before and {load_after:.1f} after (other work on the machine slows the \
page loads of both pages; the paired difference below is the steadier comparison).

| measure | app | plain folium page | goal | app vs goal |
| --- | ---: | ---: | ---: | --- |
| navigation to map drawn, empty cache | {fmt(app_times)} | {fmt(plain_times)} | \
≤ {GOALS["map_s"]} s and ≤ plain | \
{verdict(app_map <= GOALS["map_s"])} / {verdict(app_map <= plain_map)} |
| navigation to map drawn, HTTP cache | {fmt(app_cached)} | {fmt(plain_cached)} | \
≤ {GOALS["map_s"]} s and ≤ plain | \
{verdict(app_map_cached <= GOALS["map_s"])} / {verdict(app_map_cached <= plain_map_cached)} |
| app − plain in the same turn (median, 95 % interval), empty cache / HTTP cache | \
{paired(app_times, plain_times)} / {paired(app_cached, plain_cached)} | — | ≤ 0 | \
{verdict(statistics.median(a - b for a, b in zip(app_times, plain_times, strict=True)) <= 0)} \
/ {verdict(statistics.median(a - b for a, b in zip(app_cached, plain_cached, strict=True)) <= 0)} |
| navigation to the sidebar's controls, empty cache / HTTP cache | \
{fmt(cold.controls_s[app_url])} / {fmt(cached.controls_s[app_url])} | — (no sidebar) | — | — |
| rerun after a layer toggle (server) | {fmt(reruns["toggle"])} | {fmt(plain_reruns)} (plain \
rerun, nothing changed) | ≤ {GOALS["rerun_s"]} s | \
{verdict(statistics.median(reruns["toggle"]) <= GOALS["rerun_s"])} |
| rerun after a land-supply filter change (server) | {fmt(reruns["filter"])} | — | \
≤ {GOALS["rerun_s"]} s | {verdict(statistics.median(reruns["filter"]) <= GOALS["rerun_s"])} |
| map handed to the browser (component arguments) | {size / 1024:.0f} KB | \
{plain_size / 1024:.0f} KB | ≤ {GOALS["html_kb"]} KB | \
{verdict(size / 1024 <= GOALS["html_kb"])} |

The plain page embeds the same layer files at full precision in `folium.GeoJson` with a \
name tooltip and calls `st_folium(m)` with default arguments; its Leaflet is served from \
the same local copy. It has a title and the map, nothing else. The app's page has a \
title, a caption, tabs, a sidebar and panels under the map, and its map carries popups, a \
legend, a layer control, a scale, the coordinate readout, measuring and full-screen \
controls. A session's first run sends only the title, the caption, the map and an empty \
place for the tab bar; the tab bar, the sidebar's controls (language, basemap, coordinate \
box, layer toggles, folded filters) and the panels under the map follow when the map \
reports that it has drawn ("navigation to the sidebar's controls"), because laying them \
out with the map held it back: the map's frame shares the page's one browser thread. The \
legend, scale, coordinate box and layer switcher are added just after the map's first \
frame, and the measuring and full-screen plugins are fetched once the map has drawn. Only \
the open tab runs, so charts and tables cost nothing before the map. Once a page is \
drawn the app's server freezes its long-lived objects out of garbage collection \
(`app_parts/server_memory.py`): a full collection walked them for 60–90 ms during nearly \
every page load, on both servers; the plain page's server keeps Python's default. The \
interval after the paired difference is a 95 % bootstrap interval of that median. The \
map time is taken inside the browser (a 10 ms probe in \
the map's frame against the page's navigation start), so it does not depend on the \
driver's polling. The app's slowest rerun step is \
{"within" if rerun <= GOALS["rerun_s"] else "above"} the goal.

Map drawn, median of each round, app / plain: {"; ".join(rounds)}.
"""
    print(text)
    if not args.no_write:
        write_section(text, SECTION)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
