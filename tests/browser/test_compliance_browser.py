"""Control lines in the system Chromium: a bureau's layers (a GK zone-42 GeoPackage loaded
through the page, GBK Shapefiles and a GeoJSON through ``geo-app reference import``), drawn
on the map; the compliance tab listing the parcels with the hectares ``geo-app check``
gives, its filter, and a row that selects its parcel on the map."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from collections.abc import Iterator

import geopandas as gpd
import pytest
import shapely
from app_server import MAP_FRAME, PROJECT_ROOT, StreamlitServer
from playwright.sync_api import expect
from test_app_browser import FIRST_MAP_TIMEOUT_MS, current_map

from geo_app.control import kinds
from geo_app.i18n import load_strings
from geo_app.mapview.display import display_rules
from geo_app.workspace import DATA_ENV, NewParcel, Workspace

pytestmark = pytest.mark.browser

STRINGS = load_strings()
USER = "王工"
HOSTILE = '<img src=x onerror="window.top.__hostile=1">田块'
FARMLAND = shapely.box(125.60, 43.60, 125.62, 43.62)
RED_LINE = shapely.box(125.70, 43.60, 125.74, 43.64)
BOUNDARY = shapely.box(125.58, 43.55, 125.76, 43.66)
LANDUSE = {"旱地": shapely.box(125.60, 43.60, 125.61, 43.62),
           "乔木林地": shapely.box(125.61, 43.60, 125.64, 43.62)}
PARCELS = {
    "p-half": shapely.box(125.59, 43.605, 125.61, 43.615),
    "p-outside": shapely.box(125.75, 43.56, 125.77, 43.57),
    "p-clear": shapely.box(125.625, 43.600, 125.635, 43.610),
    "p-red": shapely.box(125.71, 43.61, 125.72, 43.62),
}
GK42 = "EPSG:4530"


def zh(key: str, /, **values) -> str:
    return STRINGS.get(key, "zh", **values)


def gbk_shapefile(folder, name: str, rows: dict, geometries) -> str:
    """A zipped Shapefile as a bureau hands it over: GK zone 42, GBK text, no .cpg."""
    shp = folder / name
    shp.mkdir()
    frame = gpd.GeoDataFrame(rows, geometry=list(geometries), crs="EPSG:4490").to_crs(GK42)
    frame.to_file(shp / f"{name}.shp", encoding="GBK")
    for cpg in shp.glob("*.cpg"):
        cpg.unlink()
    path = folder / f"{name}.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for part in sorted(shp.iterdir()):
            archive.write(part, part.name)
    return str(path)


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "geo_app", *args], capture_output=True,
                          text=True, check=True, cwd=PROJECT_ROOT)


@pytest.fixture
def control_server(tmp_path) -> Iterator[StreamlitServer]:
    """A server on a workspace with four parcels and the red line, the development boundary
    and the land-use survey loaded; the farmland is left for the page to load."""
    workspace = tmp_path / "workspace"
    files = tmp_path / "files"
    files.mkdir()
    Workspace.open(workspace).import_parcels(
        [NewParcel(pid, {"status": "planned", "name_zh": f"地块{pid}"}, geometry)
         for pid, geometry in PARCELS.items()], USER, "地块.geojson")
    red_line = gbk_shapefile(files, "生态保护红线", {"HXMC": ["双阳区生态保护红线"]}, [RED_LINE])
    landuse = gbk_shapefile(files, "三调地类图斑", {"DLMC": list(LANDUSE), "QSDWMC": [
        "双营子村", "双营子村"]}, LANDUSE.values())
    boundary = files / "城镇开发边界.geojson"
    gpd.GeoDataFrame({"BJMC": ["双阳城区"]}, geometry=[BOUNDARY], crs="EPSG:4326").to_file(
        boundary, driver="GeoJSON")
    for path, kind in ((red_line, "eco_redline"), (landuse, "landuse"),
                       (str(boundary), "dev_boundary")):
        cli("reference", "import", path, "--kind", kind, "--workspace", str(workspace),
            "--user", USER)
    env = {key: value for key, value in os.environ.items() if key != "GEO_APP_CATALOG"}
    with StreamlitServer(PROJECT_ROOT / "streamlit_app.py",
                         env={**env, DATA_ENV: str(workspace)}) as server:
        server.workspace = workspace
        server.files = files
        yield server


def upload(page, panel, path) -> None:
    with page.expect_file_chooser() as chooser:
        panel.locator('[data-testid="stFileUploaderDropzone"]').click()
    chooser.value.set_files(path)


def grid_cells(page) -> list[str]:
    """The compliance table's cells as the grid lays them out for assistive technology
    (the shown columns, row by row)."""
    return page.locator('[data-testid="stDataFrame"] [role="gridcell"]').all_inner_texts()


def mark_reference_path(frame, colour: str, marker: str) -> None:
    found = frame.locator("body").evaluate(
        "(body, [colour, marker]) => { let n = 0; map_div.eachLayer(layer => {"
        " if (layer._path && layer.options.color === colour"
        " && String(layer.options.pane).startsWith('gmReferences')) {"
        " layer._path.classList.add(marker); n += 1; } }); return n; }",
        [colour, marker],
    )
    assert found, f"no reference polygon drawn in {colour}"


def test_control_lines_from_loading_to_the_map(offline, control_server, tmp_path):
    page = offline.page
    page.goto(control_server.url)
    expect(page.locator(MAP_FRAME)).to_have_count(1, timeout=FIRST_MAP_TIMEOUT_MS)
    page.get_by_role("tab", name=zh("app.tab.compliance")).click()
    panel = page.locator('[data-testid="stExpander"]').filter(
        has_text=zh("app.reference.title"))
    panel.get_by_text(zh("app.reference.title")).click()
    name = panel.get_by_label(zh("app.reference.user"))
    name.fill(USER)
    name.press("Enter")

    # A file with a point and a line is refused, every reason said, nothing written.
    bad = tmp_path / "坏图层.geojson"
    gpd.GeoDataFrame({"BSM": ["1", "2", "3"]}, geometry=[
        FARMLAND, shapely.Point(125.6, 43.6), shapely.LineString([(125.6, 43.6), (125.7, 43.7)]),
    ], crs="EPSG:4326").to_file(bad, driver="GeoJSON")
    upload(page, panel, bad)
    expect(panel.get_by_text(zh("app.reference.refused"))).to_be_visible(timeout=60_000)
    for kind in ("Point", "LineString"):
        expect(panel.get_by_text(f"此要素是 {kind}")).to_be_visible()
    expect(panel.get_by_role("button", name=zh("app.reference.run"))).to_be_disabled()
    assert len(Workspace.open(control_server.workspace).reference_layers(
        include_inactive=True)) == 3

    # The farmland as a GK zone-42 GeoPackage, with a column of hostile text.
    farmland = tmp_path / "永久基本农田.gpkg"
    gpd.GeoDataFrame({"BSM": ["F1"], "ZLDWMC": [HOSTILE]}, geometry=[FARMLAND],
                     crs="EPSG:4490").to_crs(GK42).to_file(farmland, driver="GPKG")
    upload(page, panel, farmland)
    expect(panel.get_by_text(zh("app.reference.preview", count="1", hectares="", crs="",
                                format="", columns=2).split("：")[0])).to_be_visible(
        timeout=60_000)
    run = panel.get_by_role("button", name=zh("app.reference.run"))
    expect(run).to_be_enabled(timeout=30_000)
    run.click()
    done = zh("app.reference.done", layer=kinds()["farmland"].zh, count="1",
              hectares="").split("：")[0]
    expect(page.get_by_text(done)).to_be_visible(timeout=60_000)
    [layer] = [layer for layer in Workspace.open(control_server.workspace).reference_layers()
               if layer.kind == "farmland"]
    assert (layer.crs, layer.source, layer.loaded_by) == ("gk42", farmland.name, USER)

    # The table: every parcel with the hectares geo-app check gives, to the last digit.
    result = json.loads(cli("check", "--workspace", str(control_server.workspace),
                            "--json").stdout)
    figures = {p["id"]: p for p in result["parcels"]}
    assert {pid for pid, p in figures.items() if p["conflicts"]} == {
        "p-half", "p-outside", "p-red"}
    page.wait_for_timeout(500)
    expect(page.locator('[data-testid="stDataFrame"]')).to_be_visible(timeout=30_000)
    cells = grid_cells(page)
    for pid, parcel in figures.items():
        row = cells.index(pid)
        shown = cells[row:row + 6]
        assert repr(parcel["hectares"]) in shown, (pid, shown)
    half = cells[cells.index("p-half"):cells.index("p-half") + 6]
    assert repr(figures["p-half"]["farmland_ha"]) in half
    in_conflict = page.locator('[data-testid="stMetric"]').filter(
        has_text=zh("app.compliance.metric.conflict_ha"))
    expect(in_conflict.locator('[data-testid="stMetricValue"]')).to_have_text(
        f"{result['summary']['conflict_ha']:,.4f}")

    # Only the parcels in conflict.
    page.get_by_text(zh("app.compliance.only_conflicts")).click()
    expect(page.get_by_text(zh("app.compliance.count", shown=3, total=4))).to_be_visible(
        timeout=30_000)
    page.wait_for_timeout(500)
    cells = grid_cells(page)
    assert "p-clear" not in cells and {"p-half", "p-outside", "p-red"} <= set(cells)

    # A row click selects its parcel and opens the map on it, highlighted.
    first = cells[0]
    grid = page.locator('[data-testid="stDataFrame"]').bounding_box()
    page.mouse.click(grid["x"] + 15, grid["y"] + 35 + 17)
    selection = page.locator('[data-testid="stText"]').filter(has_text=f"id: {first}")
    expect(selection).to_be_visible(timeout=30_000)
    frame = current_map(page)
    highlight = display_rules().highlight["color"]
    expect(frame.locator(f'.leaflet-gmParcels-pane path[stroke="{highlight}"]')).to_have_count(
        1, timeout=30_000)

    # The map: each layer its own group, the conflict pieces hatched over the parcels.
    switcher = frame.locator(".leaflet-control-layers-overlays").inner_text()
    group = zh("map.reference.group")
    for kind in ("farmland", "eco_redline", "dev_boundary", "landuse"):
        assert f"{group} · {kinds()[kind].zh}" in switcher
    assert zh("map.conflicts.group") in switcher
    for kind in ("farmland", "eco_redline", "dev_boundary", "landuse"):
        pane = frame.locator(f".leaflet-gmReferences-{kind}-pane path")
        expect(pane.first).to_be_attached()
    expect(frame.locator('.leaflet-gmConflicts-pane path[fill="url(#gmConflictHatch)"]')
           ).to_have_count(len([p for p in figures.values() if p["conflicts"]]) + 1)

    # A farmland field off the parcels: the caveat in its tooltip, its columns as text.
    mark_reference_path(frame, kinds()["farmland"].color, "test-farmland")
    field = frame.locator("path.test-farmland")
    box = field.bounding_box()
    # North-east of the field: off the parcel that covers its south-west.
    spot = {"x": box["width"] * 0.8, "y": box["height"] * 0.15}
    field.hover(position=spot)
    tooltip = frame.locator(".leaflet-tooltip").filter(has_text=zh("map.reference.caveat"))
    expect(tooltip).to_be_visible(timeout=10_000)
    expect(tooltip).to_contain_text(kinds()["farmland"].zh)
    expect(tooltip).to_contain_text(farmland.name)
    field.click(position=spot)
    popup = frame.locator(".leaflet-popup-content")
    expect(popup).to_contain_text(HOSTILE, timeout=10_000)
    expect(popup).to_contain_text(USER)
    assert frame.locator('img[src="x"]').count() == 0
    assert frame.locator("body").evaluate("() => window.top.__hostile") is None
    assert offline.dialogs == []
    assert offline.blocker.blocked == []
