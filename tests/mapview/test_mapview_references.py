"""Control lines on the map: reference layers near the parcels, capped, compact, escaped, in
their pane under the parcels; the check's conflict pieces over them; what the page grows by
for a district-sized layer."""

from __future__ import annotations

import json
import re
from html import escape

import numpy as np
import pytest
import shapely
from shapely.geometry import mapping

from geo_app import gcj02
from geo_app.control import check_workspace, kinds, read_reference
from geo_app.i18n import load_strings
from geo_app.mapview import MapOptions, build_map, render_html
from geo_app.mapview.references import (
    CONFLICT_PANE,
    MAX_DRAWN,
    PARCEL_PANE,
    REFERENCE_PANE,
    ControlOverlay,
    _conflict_pieces,
    control_overlay,
    decoded_rings,
    encoded_polygons,
)
from geo_app.workspace import NewParcel, Workspace

STRINGS = load_strings()
HOSTILE = '<img src=x onerror="alert(1)">{{ 7 * 7 }}'
PARCEL = shapely.box(125.59, 43.605, 125.61, 43.615)
FARMLAND = shapely.box(125.60, 43.60, 125.62, 43.62)
BOUNDARY = shapely.box(125.58, 43.55, 125.66, 43.63)


def write_layer(folder, name, features):
    path = folder / name
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": properties, "geometry": mapping(geometry)}
        for properties, geometry in features]}, ensure_ascii=False), encoding="utf-8")
    return path


def load(workspace, folder, kind, file_name, features, **options):
    read = read_reference(write_layer(folder, file_name, features), kind, **options)
    return workspace.import_reference(read, "王工")


@pytest.fixture
def workspace(tmp_path):
    workspace = Workspace.open(tmp_path / "ws")
    workspace.import_parcels([NewParcel("p-1", {"status": "planned"}, PARCEL)], "王工",
                             "地块.geojson")
    return workspace


def page_of(workspace, **options):
    parcels = [p.geometry for p in workspace.parcels()]
    overlay = control_overlay(workspace, parcels, check_workspace(workspace), **options)
    return overlay, build_map(MapOptions(), overlay).get_root().render()


def payloads(page):
    """The reference layers' data in the page, parsed (the conflict pieces' have no cells)."""
    found = [json.loads(text) for text in re.findall(r"var d = (\{.*?\});\n", page)]
    return [data for data in found if "v" in data]


# ----------------------------------------------------------------------- compact geometry


def test_rings_are_sent_as_steps_of_a_metre_and_read_back_exactly():
    hole = shapely.Polygon(
        [(125.7, 43.6), (125.74, 43.6), (125.74, 43.64), (125.7, 43.64)],
        [[(125.71, 43.61), (125.73, 43.61), (125.73, 43.63), (125.71, 43.63)]])
    two = shapely.MultiPolygon([shapely.box(125.5, 43.5, 125.51, 43.51),
                                shapely.box(125.523456, 43.5, 125.53, 43.512345)])
    encoded = encoded_polygons(np.asarray([hole, two], dtype=object))
    assert [len(polygons) for polygons in encoded] == [1, 2]
    assert [len(rings) for rings in encoded[0]] == [2]
    # The first vertex whole, the others as steps; the closing vertex is left out.
    assert encoded[0][0][0][:2] == [12570000, 4360000]
    assert encoded[0][0][0][2:4] == [4000, 0]
    assert len(encoded[0][0][0]) == 8
    for geometry, polygons in zip((hole, two), encoded, strict=True):
        for part, rings in zip(shapely.get_parts(geometry), decoded_rings(polygons),
                               strict=True):
            expected = [part.exterior, *part.interiors]
            for ring, got in zip(expected, rings, strict=True):
                want = np.round(np.asarray(ring.coords)[:-1], 5)
                assert np.allclose(got, want, atol=1e-9)


# ----------------------------------------------------------------------- near the parcels


def grid(count_x, count_y, west=125.55, south=43.55, step_x=0.00125, step_y=0.0009):
    """Fields of about 1 ha, 12 vertices each, in a grid."""
    angles = np.linspace(0, 2 * np.pi, 13)[:-1]
    fields = []
    for i in range(count_x):
        for j in range(count_y):
            x, y = west + i * step_x, south + j * step_y
            fields.append(shapely.Polygon(np.c_[x + 0.0006 * np.cos(angles),
                                                y + 0.00043 * np.sin(angles)]))
    return fields


def test_only_polygons_near_the_parcels_are_drawn_touching_ones_first(workspace, tmp_path):
    fields = grid(60, 60, west=125.57, south=43.58)
    load(workspace, tmp_path, "farmland", "农田.geojson",
         [({"BSM": f"F{k:05d}"}, field) for k, field in enumerate(fields)])
    overlay = control_overlay(workspace, [PARCEL], margin_m=200.0, cap=250)
    [drawing] = overlay.references
    margin_deg = 200 / (111_320 * np.cos(np.radians(43.61)))
    near = {f"F{k:05d}" for k, f in enumerate(fields) if f.distance(PARCEL) <= margin_deg}
    touching = {f"F{k:05d}" for k, f in enumerate(fields) if f.intersects(PARCEL)}
    assert len(near) > 250 > len(touching) > 100
    assert (drawing.near, drawing.shown, drawing.left_out) == (len(near), 250, len(near) - 250)
    data = json.loads(str(drawing.payload))
    drawn = {data["vals"][cells[0] - 1] for cells in data["v"]}
    # Every field that touches the parcel is drawn; the rest are the nearest of the others.
    assert touching <= drawn <= near


def test_the_legend_says_what_was_left_out_and_whose_data_it_is(workspace, tmp_path):
    fields = grid(40, 40, west=125.585, south=43.595)
    load(workspace, tmp_path, "farmland", "基本农田.shp.geojson",
         [({"BSM": k}, f) for k, f in enumerate(fields)])
    overlay = control_overlay(workspace, [PARCEL], cap=50)
    page = build_map(MapOptions(), overlay).get_root().render()
    [drawing] = overlay.references
    note = STRINGS.get("map.reference.left_out", "zh", shown="50", near=f"{drawing.near:,}",
                       left=f"{drawing.near - 50:,}")
    legend = json.loads(re.search(r"div\.innerHTML = (\".*?\");", page).group(1))
    assert note in legend
    assert "基本农田.shp.geojson" in legend and "王工" in legend
    assert STRINGS.get("map.reference.caveat_long", "zh", margin="500") in legend
    assert kinds()["farmland"].zh in legend


def test_a_layer_with_nothing_near_the_parcels_draws_nothing_and_says_so(workspace, tmp_path):
    load(workspace, tmp_path, "eco_redline", "红线.geojson",
         [({"BSM": "far"}, shapely.box(125.9, 43.3, 125.95, 43.35))])
    overlay = control_overlay(workspace, [PARCEL])
    [drawing] = overlay.references
    assert (drawing.near, drawing.shown) == (0, 0)
    page = build_map(MapOptions(), overlay).get_root().render()
    legend = json.loads(re.search(r"div\.innerHTML = (\".*?\");", page).group(1))
    assert STRINGS.get("map.reference.none_near", "zh", count="1") in legend


# ----------------------------------------------------------------------- on the map


def test_each_layer_is_its_own_group_in_its_pane_under_the_parcels(workspace, tmp_path):
    load(workspace, tmp_path, "farmland", "农田.geojson", [({"BSM": "F1"}, FARMLAND)])
    load(workspace, tmp_path, "dev_boundary", "边界.geojson", [({"BSM": "B1"}, BOUNDARY)])
    _, page = page_of(workspace)
    for kind in ("farmland", "dev_boundary"):
        label = f"{STRINGS.get('map.reference.group', 'zh')} · {kinds()[kind].zh}"
        assert f'"{label}"' in page, label
    panes = {name: int(z) for name, z in re.findall(
        r'createPane\(\s*"([\w-]+)"\);\s*\w+\.style\.zIndex = (\d+);', page)}
    farmland_pane = panes[f"{REFERENCE_PANE}-farmland"]
    boundary_pane = panes[f"{REFERENCE_PANE}-dev_boundary"]
    # Over the plan's other layers (400), under the parcels, under the conflict pieces;
    # farmland over the boundary whatever is switched off and on again.
    assert 400 < boundary_pane < farmland_pane < panes[PARCEL_PANE] < panes[CONFLICT_PANE]
    # The parcels and the selection move to their pane; the other layers stay.
    assert f'"pane":"{PARCEL_PANE}"' in page
    # Farmland, red line and boundary look different at a glance: the kinds' own styles.
    styles = [json.loads(s) for s in re.findall(r"var s = (\{.*?\});\n", page)]
    by_colour = {style["base"]["color"]: style for style in styles}
    farmland, boundary = kinds()["farmland"], kinds()["dev_boundary"]
    assert by_colour[farmland.color]["base"]["fillColor"] == farmland.fill_color
    assert by_colour[boundary.color]["base"]["dashArray"] == boundary.dash
    assert by_colour[boundary.color]["base"]["fill"] is False


def test_no_control_lines_leave_the_map_as_it_was():
    for page in (render_html(MapOptions()),
                 build_map(MapOptions(), ControlOverlay()).get_root().render()):
        assert REFERENCE_PANE not in page and PARCEL_PANE not in page
        assert CONFLICT_PANE not in page and "var d = " not in page


def test_land_use_classes_are_coloured_by_class_with_a_legend_entry_each(workspace, tmp_path):
    load(workspace, tmp_path, "landuse", "三调.geojson", [
        ({"DLMC": "旱地"}, shapely.box(125.60, 43.60, 125.605, 43.62)),
        ({"DLMC": "旱地"}, shapely.box(125.605, 43.60, 125.61, 43.62)),
        ({"DLMC": "乔木林地"}, shapely.box(125.61, 43.60, 125.64, 43.62)),
    ])
    overlay, page = page_of(workspace)
    [drawing] = overlay.references
    assert drawing.classes == ("旱地", "乔木林地") and drawing.class_counts == (2, 1)
    [data] = payloads(page)
    assert data["c"] == [0, 0, 1]
    registry = kinds()
    style = next(json.loads(s) for s in re.findall(r"var s = (\{.*?\});\n", page)
                 if "palette" in s)
    assert style["palette"] == [registry.class_color("旱地"), registry.class_color("乔木林地")]
    assert registry.class_color("旱地") != registry.class_color("乔木林地")
    legend = json.loads(re.search(r"div\.innerHTML = (\".*?\");", page).group(1))
    assert "旱地 (2)" in legend and "乔木林地 (1)" in legend


def test_hostile_attribute_text_reaches_the_page_only_escaped(workspace, tmp_path):
    load(workspace, tmp_path, "farmland", "<b>农田<i>.geojson",
         [({"BSM": HOSTILE, HOSTILE: "列名", "备注": "</script><script>alert(2)</script>"},
           FARMLAND)], name=HOSTILE)
    _, page = page_of(workspace)
    assert "<img src=x" not in page and "<script>alert(2)" not in page
    assert "</script><script>" not in page
    assert "49" not in re.findall(r"var d = (\{.*?\});\n", page)[0]
    [data] = payloads(page)
    # Each text arrives escaped once, to be joined in the page as HTML: shown as text.
    assert escape(HOSTILE) in data["vals"] and escape(HOSTILE) in data["cols"]
    assert escape("</script><script>alert(2)</script>") in data["vals"]
    texts = [json.loads(s) for s in re.findall(r"var t = (\{.*?\});\n", page)]
    assert any(escape(HOSTILE) in t["popupHead"] for t in texts)
    assert any(escape("<b>农田<i>.geojson") in t["tooltipTail"] for t in texts)


def test_conflict_pieces_are_drawn_hatched_with_their_parcel_and_hectares(workspace, tmp_path):
    load(workspace, tmp_path, "farmland", "农田.geojson", [({"BSM": "F1"}, FARMLAND)])
    check = check_workspace(workspace)
    overlay, page = page_of(workspace)
    [piece] = overlay.conflicts
    [parcel] = check.parcels
    assert piece.parcel_id == "p-1" and piece.hectares == parcel.farmland_ha
    drawn = shapely.Polygon(decoded_rings(piece.rings)[0][0])
    assert drawn.equals_exact(shapely.box(125.60, 43.605, 125.61, 43.615).normalize(), 1e-5) \
        or abs(drawn.area - shapely.box(125.60, 43.605, 125.61, 43.615).area) < 1e-9
    texts = next(json.loads(s) for s in re.findall(r"var t = (\{.*?\});\n", page)
                 if "tooltips" in s)
    assert "p-1" in texts["tooltips"][0]
    assert f"{parcel.farmland_ha:,.4f}" in texts["tooltips"][0]
    assert kinds()["farmland"].conflict_zh in texts["popups"][0]
    assert "url(#gmConflictHatch)" in page and "createElementNS" in page
    assert STRINGS.get("map.conflicts.group", "zh") in page


def test_conflict_pieces_past_the_budget_are_counted_not_drawn(workspace, tmp_path):
    fields = grid(30, 30, west=125.585, south=43.60)
    load(workspace, tmp_path, "farmland", "农田.geojson",
         [({"BSM": k}, f) for k, f in enumerate(fields)])
    workspace.import_parcels(
        [NewParcel(f"q-{k}", {"status": "planned"},
                   shapely.box(125.59 + k * 0.004, 43.605, 125.593 + k * 0.004, 43.615))
         for k in range(5)], "王工", "更多.geojson")
    check = check_workspace(workspace)
    assert len(check.in_conflict) == 6
    drawn, left_out = _conflict_pieces(check, "wgs84", 0.0001, max_vertices=400)
    assert 1 <= len(drawn) < 6 and left_out == 6 - len(drawn)


def test_a_click_on_a_filled_reference_polygon_is_told_apart(workspace, tmp_path):
    load(workspace, tmp_path, "farmland", "农田.geojson", [({"BSM": "F1"}, FARMLAND)])
    load(workspace, tmp_path, "dev_boundary", "边界.geojson", [({"BSM": "B1"}, BOUNDARY)])
    overlay = control_overlay(workspace, [PARCEL])
    assert overlay.reference_at(125.615, 43.61)
    # Inside the boundary's outline but off the farmland: an outline catches no click.
    assert not overlay.reference_at(125.64, 43.58)


def test_on_gcj02_tiles_the_layers_are_drawn_where_the_tiles_are(workspace, tmp_path):
    load(workspace, tmp_path, "farmland", "农田.geojson", [({"BSM": "F1"}, FARMLAND)])
    plain = control_overlay(workspace, [PARCEL])
    shifted = control_overlay(workspace, [PARCEL], datum="gcj02")
    first = decoded_rings(json.loads(str(plain.references[0].payload))["g"][0])[0][0][0]
    moved = decoded_rings(json.loads(str(shifted.references[0].payload))["g"][0])[0][0][0]
    lon, lat = gcj02.wgs84_to_gcj02(np.array([first[0]]), np.array([first[1]]))
    assert moved == pytest.approx((lon[0], lat[0]), abs=2e-5)
    assert abs(moved[0] - first[0]) > 1e-3


# ----------------------------------------------------------------------- page size


def test_a_district_sized_layer_adds_a_bounded_amount_to_the_page(workspace, tmp_path, capsys):
    """10,000 field polygons around 25 parcels: the page grows by the capped layer only."""
    fields = grid(100, 100)
    properties = [{"BSM": f"2201122{k:07d}", "DLMC": "水田" if k % 3 else "旱地",
                   "DLBM": "0101", "ZLDWMC": "双营子村", "TBMJ": 10000.0 + k}
                  for k in range(len(fields))]
    path = write_layer(tmp_path, "农田.geojson", list(zip(properties, fields, strict=True)))
    layer_text = path.stat().st_size
    workspace.import_reference(read_reference(path, "farmland"), "王工")
    workspace.import_parcels(
        [NewParcel(f"g-{k}", {"status": "planned"}, shapely.box(
            125.55 + (k % 5) * 0.025, 43.55 + (k // 5) * 0.018,
            125.56 + (k % 5) * 0.025, 43.558 + (k // 5) * 0.018)) for k in range(25)],
        "王工", "网格地块.geojson")
    parcels = [p.geometry for p in workspace.parcels()]
    before = len(render_html(MapOptions()).encode("utf-8"))
    check = check_workspace(workspace)
    overlay = control_overlay(workspace, parcels, check)
    [drawing] = overlay.references
    # Every parcel lies on farmland: one piece each (the fixture's parcel too).
    assert len(overlay.conflicts) == len(check.in_conflict) == 26
    layer_only = ControlOverlay(overlay.references)
    grown = len(build_map(MapOptions(), layer_only).get_root().render().encode("utf-8")) - before
    with_conflicts = len(build_map(MapOptions(), overlay).get_root().render().encode(
        "utf-8")) - before
    with capsys.disabled():
        print(f"\n10,000-polygon layer: {drawing.near:,} near the parcels, "
              f"{drawing.shown:,} drawn; page +{grown / 1024:.0f} KB "
              f"(+{with_conflicts / 1024:.0f} KB with {len(overlay.conflicts)} conflict "
              f"pieces); the layer's GeoJSON is {layer_text / 1024:.0f} KB")
    assert drawing.shown == MAX_DRAWN < drawing.near
    assert grown < 200 * 1024
    assert with_conflicts < 400 * 1024
    assert grown < layer_text / 10
