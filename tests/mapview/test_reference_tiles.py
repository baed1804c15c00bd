"""A big reference layer drawn whole from a PMTiles archive of its own: the archive holds
every polygon with its id and class, the page names the archive instead of carrying the
polygons, keeps the kind's look and the land-use colours, identifies a polygon from the
tile and from the workspace, and the legend no longer says polygons were left out. Small
layers stay in the page as before."""

from __future__ import annotations

import json
import re
from html import escape

import pyogrio
import pytest
import shapely
from test_mapview_references import PARCEL, grid, load, payloads

from geo_app import gcj02
from geo_app.control import kinds
from geo_app.i18n import load_strings
from geo_app.mapview import MapOptions, ReferenceTiles, build_map
from geo_app.mapview.references import (
    MAX_DRAWN,
    control_overlay,
    polygon_rows,
    reference_polygons_at,
    reference_tile_threshold,
)
from geo_app.workspace import NewParcel, Workspace
from geo_app.workspace.tile_file import (
    REFERENCE_TILE_LAYER,
    THRESHOLD_ENV,
    build,
    found_archive,
    reference_spec,
)

STRINGS = load_strings()
CLASSES = ("水田", "旱地", "乔木林地", "<b>坑塘</b>")
HOSTILE_CLASS = CLASSES[3]
SIDE = 30
# Below the grid's polygon count: the layer is "big" for these tests.
TILE_ABOVE = 100
URL = "/app/static/tiles/reference-test.pmtiles"


@pytest.fixture
def workspace(tmp_path) -> Workspace:
    workspace = Workspace.open(tmp_path / "ws", seed=None)
    workspace.import_parcels([NewParcel("p-1", {"status": "planned"}, PARCEL)], "王工",
                             "地块.geojson")
    return workspace


@pytest.fixture
def landuse(workspace, tmp_path):
    """900 fields of the 三调 layer, four classes, spread well beyond the parcel."""
    fields = grid(SIDE, SIDE, west=125.50, south=43.55, step_x=0.004, step_y=0.003)
    return load(workspace, tmp_path, "landuse", "三调.geojson",
                [({"DLMC": CLASSES[k % 4], "BSM": f"B{k:04d}"}, field)
                 for k, field in enumerate(fields)], class_field="DLMC")


def _legend(page: str) -> str:
    return json.loads(re.search(r"div\.innerHTML = (\".*?\");", page).group(1))


def _tile_layers(page: str) -> list[dict]:
    return [json.loads(text) for text in re.findall(
        r"var rules = (\{.*?\});\n\s*var t = ", page)]


def _tiles_of(layer, count: int) -> dict[int, ReferenceTiles]:
    return {layer.layer_id: ReferenceTiles(layer.layer_id, URL, count, 9, 12)}


def test_the_threshold_follows_the_setting_and_never_exceeds_the_cap():
    assert reference_tile_threshold({}) == MAX_DRAWN
    assert reference_tile_threshold({THRESHOLD_ENV: "500"}) == 500
    assert reference_tile_threshold({THRESHOLD_ENV: "90000"}) == MAX_DRAWN


def test_the_archive_holds_every_polygon_with_its_id_and_class(workspace, landuse, tmp_path):
    spec = reference_spec(workspace, tmp_path / "tiles", landuse.layer_id, "wgs84")
    assert build(spec) == {"outcome": "built", "count": SIDE * SIDE}
    built = found_archive(spec)
    assert built.count == SIDE * SIDE and built.layer == REFERENCE_TILE_LAYER
    frame = pyogrio.read_dataframe(built.path, layer=REFERENCE_TILE_LAYER)
    stored = workspace.reference_features(landuse.layer_id)
    assert set(frame["id"]) == set(stored.fids.tolist())
    assert set(frame["class"]) == set(CLASSES)
    by_id = dict(zip(stored.fids.tolist(), stored.classes, strict=True))
    assert all(by_id[i] == c for i, c in zip(frame["id"], frame["class"], strict=True))
    # Only the id and the class travel; the columns are the server's to answer.
    assert "BSM" not in frame.columns and "DLMC" not in frame.columns
    # A stored layer never changes: its archive's name is for good, one per datum.
    assert reference_spec(workspace, tmp_path / "tiles", landuse.layer_id, "wgs84").name \
        == spec.name
    moved = reference_spec(workspace, tmp_path / "tiles", landuse.layer_id, "gcj02")
    assert moved.name != spec.name
    build(moved)
    west, south = found_archive(moved).bounds[:2]
    want = [float(v) for v in gcj02.wgs84_to_gcj02(built.bounds[0], built.bounds[1])]
    # Moved as GCJ-02 moves every layer here (about 500 m), not left in place.
    assert west - built.bounds[0] > 0.003
    assert (west, south) == pytest.approx(want, abs=5e-4)


def test_a_big_layer_is_drawn_whole_from_its_tiles(workspace, landuse):
    overlay = control_overlay(workspace, [PARCEL], tile_above=TILE_ABOVE)
    [drawing] = overlay.references
    assert drawing.tiled and overlay.tiled == (drawing,)
    # The whole layer's classes, most frequent first, for the legend and the colours.
    assert set(drawing.all_classes) == set(CLASSES)
    assert sum(drawing.all_class_counts) == SIDE * SIDE
    page = build_map(MapOptions(), overlay, None,
                     _tiles_of(landuse, SIDE * SIDE)).get_root().render()
    assert payloads(page) == []
    [rules] = _tile_layers(page)
    assert rules["url"] == URL and rules["layerId"] == landuse.layer_id
    registry = kinds()
    assert rules["palette"] == {name: registry.class_color(name) for name in CLASSES}
    kind = registry["landuse"]
    assert rules["base"]["color"] == kind.color and rules["base"]["fill"] == (
        kind.fill_opacity > 0)
    assert rules["pane"].startswith("gmReferences-landuse")
    assert "protomaps-leaflet.js" in page
    legend = _legend(page)
    assert STRINGS.get("map.reference.tiles", "zh", count=f"{SIDE * SIDE:,}", zoom=9) in legend
    assert STRINGS.get("map.reference.caveat_tiles", "zh", margin="500") in legend
    # Nothing is left out when the tiles show every polygon.
    assert "未绘出" not in legend
    for name in CLASSES[:3]:
        assert f"{name} ({SIDE * SIDE // 4:,})" in legend


def test_until_its_archive_is_written_a_big_layer_is_drawn_near_the_parcels(workspace,
                                                                           landuse):
    overlay = control_overlay(workspace, [PARCEL], tile_above=TILE_ABOVE, cap=20)
    [drawing] = overlay.references
    page = build_map(MapOptions(), overlay).get_root().render()
    assert _tile_layers(page) == []
    [data] = payloads(page)
    assert len(data["g"]) == drawing.shown == 20
    legend = _legend(page)
    assert STRINGS.get("map.reference.tiles_preparing", "zh",
                       count=f"{SIDE * SIDE:,}") in legend
    assert STRINGS.get("map.reference.left_out", "zh", shown="20", near=f"{drawing.near:,}",
                       left=f"{drawing.left_out:,}") in legend


def test_small_layers_stay_in_the_page(workspace, landuse, tmp_path):
    small = load(workspace, tmp_path, "farmland", "农田.geojson",
                 [({"BSM": "F1"}, shapely.box(125.60, 43.60, 125.62, 43.62))])
    overlay = control_overlay(workspace, [PARCEL], tile_above=TILE_ABOVE)
    by_id = {d.layer.layer_id: d for d in overlay.references}
    assert by_id[landuse.layer_id].tiled and not by_id[small.layer_id].tiled
    tiles = {**_tiles_of(landuse, SIDE * SIDE), **_tiles_of(small, 1)}
    page = build_map(MapOptions(), overlay, None, tiles).get_root().render()
    # The small layer is drawn from the page's own data even when an archive is named.
    assert [rules["layerId"] for rules in _tile_layers(page)] == [landuse.layer_id]
    assert len(payloads(page)) == 1


def test_a_click_is_identified_from_the_tile_and_by_the_server(workspace, landuse):
    overlay = control_overlay(workspace, [PARCEL], tile_above=TILE_ABOVE)
    page = build_map(MapOptions(), overlay, None,
                     _tiles_of(landuse, SIDE * SIDE)).get_root().render()
    texts = json.loads(re.search(r"var t = (\{.*?\});\n\s*if \(typeof protomapsL", page)
                       .group(1))
    # The tile's class is looked up, never written as it came: the escaped text is shown.
    assert texts["classNames"][texts["classes"].index(escape(HOSTILE_CLASS))] == HOSTILE_CLASS
    assert "<b>坑塘" not in page
    assert escape(STRINGS.get("map.reference.popup.feature", "zh")) in texts["idRow"]
    # The server names the polygon under a point with its columns.
    stored = workspace.reference_features(landuse.layer_id, with_properties=True)
    target = stored.geometries[7].representative_point()
    [found] = reference_polygons_at(workspace, overlay.tiled, target.x, target.y)
    assert found.fid == int(stored.fids[7]) and found.land_class == stored.classes[7]
    rows = dict(polygon_rows(found, STRINGS, "zh"))
    assert rows["BSM"] == "B0007" and rows["DLMC"] == CLASSES[7 % 4]
    assert rows[STRINGS.get("map.reference.popup.feature", "zh")] == str(found.fid)
    assert reference_polygons_at(workspace, overlay.tiled, 125.2, 43.2) == []


def test_a_replaced_layers_archive_goes_when_its_successor_is_built(workspace, landuse,
                                                                   tmp_path):
    folder = tmp_path / "tiles"
    old = reference_spec(workspace, folder, landuse.layer_id, "wgs84")
    build(old)
    fields = grid(12, 12, west=125.50, south=43.55, step_x=0.004, step_y=0.003)
    again = load(workspace, tmp_path, "landuse", "三调.geojson",
                 [({"DLMC": "旱地"}, field) for field in fields], class_field="DLMC")
    assert again.layer_id != landuse.layer_id and again.name == landuse.name
    new = reference_spec(workspace, folder, again.layer_id, "wgs84")
    assert build(new)["outcome"] == "built"
    assert found_archive(new).count == 144
    assert found_archive(old) is None and not old.path.exists()
