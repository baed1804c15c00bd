"""The parcel editor, run headless: a drawn shape's form saves to the workspace; edits,
deletions and undo go through the workspace with the user's name; a stale edit is refused.

A real browser cannot be scripted here, so the drawn shape is handed to the page as the map
component would send it (its value under the component's key)."""

from __future__ import annotations

import json

import pytest
import shapely
from app_harness import assert_clean, map_args, metric, new_app, open_tab
from shapely.geometry import shape

from app_parts.page_data import escape_markdown
from geo_app.basemaps.display_datum import to_display_datum
from geo_app.catalog import load_layer_frame
from geo_app.geodesy import hectares
from geo_app.i18n import load_strings
from geo_app.ledger import default_ledger
from geo_app.workspace import Workspace

STRINGS = load_strings()
SQUARE = shapely.box(125.55, 43.60, 125.56, 43.607)


def zh(name: str, **values) -> str:
    return STRINGS.get(name, "zh", **values)


def open_editor(at):
    at.session_state["editor_open"] = True
    at.run()
    assert_clean(at)
    return at


def draw(at, geometry, datum: str = "wgs84"):
    """Send a drawn shape from the map, in the datum of the map's tiles."""
    [component] = [e for e in at.get("component_instance")
                   if e.proto.component_name.endswith("st_folium")]
    key = component.proto.id.split("-", 2)[2]
    drawn = json.loads(json.dumps(shapely.geometry.mapping(to_display_datum(geometry, datum))))
    feature = {"type": "Feature", "properties": {}, "geometry": drawn}
    at.session_state[key] = {"last_active_drawing": feature, "all_drawings": [feature]}
    at.run()
    assert_clean(at)
    return at


def town_holding(geometry) -> str:
    cells = load_layer_frame("town_cells")
    return next(town for town, cell in zip(cells["town"], cells.geometry, strict=True)
                if cell.contains(geometry.centroid))


def press(at, label: str):
    [button] = [b for b in at.button if b.label == label]
    button.click().run()
    return at


def fill_new(at, name: str = "新建地块", use: str = "industrial"):
    at.text_input(key="new_parcel_name_zh").input(name)
    at.selectbox(key="new_parcel_use").set_value(use)
    return at


@pytest.fixture
def editor(own_workspace):
    at = new_app().run()
    assert_clean(at)
    open_editor(at)
    at.text_input(key="editor_user").input("王工").run()
    return at


def test_the_drawing_tools_and_drawings_are_asked_for_only_while_open(app):
    args = map_args(app)
    assert "L.Control.Draw" not in args["script"]
    assert args["returned_objects"] == ["last_object_clicked", "last_clicked"]
    open_editor(app)
    args = map_args(app)
    assert "L.Control.Draw" in args["script"]
    # Clicks place corners now; they do not select features.
    assert args["returned_objects"] == ["last_active_drawing", "all_drawings"]
    assert "/app/static/vendor/leaflet-draw-1.0.4/leaflet.draw.js" in args["js_links"]
    links = args["js_links"] + args["css_links"]
    assert all(link.startswith("/app/static/vendor/") for link in links)
    # The toolbar speaks the page's language.
    assert json.dumps(zh("map.draw.rectangle"), ensure_ascii=False) in args["script"]


def test_a_drawn_parcel_is_saved_with_its_form_and_the_page_follows(editor, own_workspace):
    draw(editor, SQUARE)
    expected = float(hectares([SQUARE])[0])
    assert metric(editor, zh("app.editor.drawn_hectares")) == f"{expected:,.2f}"
    assert editor.selectbox(key="new_parcel_town").value == town_holding(SQUARE)
    fill_new(editor, "绘制的<b>地块</b>")
    press(editor, zh("app.editor.save_new"))
    assert_clean(editor)

    workspace = Workspace.open(own_workspace)
    [parcel] = workspace.parcels()  # the samples made way for the first real parcel
    props = parcel.properties
    assert (props["name_zh"], props["status"], props["use"], props["use_zh"], props["town"],
            props["quarter"]) == ("绘制的<b>地块</b>", "planned", "industrial",
                                  zh("parcel.use.industrial"), town_holding(SQUARE), "2022Q1")
    assert props["accuracy"] == "approximate" and "王工" in props["source"]
    assert parcel.geometry.equals(SQUARE)
    assert workspace.history(parcel.parcel_id)[0].user == "王工"
    assert editor.session_state["selected_feature"] == parcel.parcel_id
    assert any(escape_markdown(parcel.parcel_id) in s.value for s in editor.success)
    open_tab(editor, "land")
    assert metric(editor, zh("app.land.total_all")) == f"{expected:,.2f}"


def test_a_shape_drawn_on_gcj02_tiles_is_stored_in_wgs84(own_workspace):
    at = new_app().run()
    at.sidebar.selectbox(key="basemap").set_value("gaode_vec").run()
    open_editor(at)
    at.text_input(key="editor_user").input("王工").run()
    draw(at, SQUARE, datum="gcj02")
    fill_new(at)
    press(at, zh("app.editor.save_new"))
    assert_clean(at)
    [parcel] = Workspace.open(own_workspace).parcels()
    # Back to where it was drawn on the ground, to well under a metre.
    assert parcel.geometry.hausdorff_distance(SQUARE) < 1e-5


def test_nothing_is_saved_without_a_name_or_outside_the_district(editor, own_workspace):
    editor.text_input(key="editor_user").input("").run()
    draw(editor, SQUARE)
    fill_new(editor)
    press(editor, zh("app.editor.save_new"))
    assert [e.value for e in editor.error] == [zh("app.editor.need_user")]
    far_away = shapely.box(120.0, 40.0, 120.01, 40.01)
    draw(editor, far_away)
    assert zh("app.editor.outside") in [w.value for w in editor.warning]
    [save] = [b for b in editor.button if b.label == zh("app.editor.save_new")]
    assert save.disabled
    assert Workspace.open(own_workspace).holds_only_samples()


def test_a_parcel_is_changed_deleted_and_brought_back(editor, own_workspace):
    workspace = Workspace.open(own_workspace)
    parcel = workspace.parcels()[0]
    editor.selectbox(key="editor_pick").set_value(parcel.parcel_id).run()
    assert editor.selectbox(key="edit_parcel_status").value == parcel.properties["status"]
    editor.selectbox(key="edit_parcel_status").set_value("in_acquisition")
    press(editor, zh("app.editor.save_edit"))
    assert_clean(editor)
    changed = workspace.parcel(parcel.parcel_id)
    assert changed.version == parcel.version + 1
    assert changed.properties["status"] == "in_acquisition"
    assert changed.properties["note_zh"] == parcel.properties["note_zh"]  # kept
    assert changed.updated_by == "王工"

    press(editor, zh("app.editor.delete"))
    assert_clean(editor)
    assert parcel.parcel_id not in {p.parcel_id for p in workspace.parcels()}
    open_tab(editor, "land")
    assert metric(editor, zh("app.land.count")) == str(default_ledger().parcel_count - 1)
    open_tab(editor, "map")
    open_editor(editor)
    press(editor, zh("app.editor.undo", parcel=parcel.parcel_id))
    assert_clean(editor)
    back = workspace.parcel(parcel.parcel_id)
    assert back.properties["status"] == "in_acquisition"
    assert shape(back.geometry).equals(parcel.geometry)


def test_an_edit_on_a_version_changed_meanwhile_is_refused_and_said(editor, own_workspace):
    workspace = Workspace.open(own_workspace)
    parcel = workspace.parcels()[0]
    editor.selectbox(key="editor_pick").set_value(parcel.parcel_id).run()
    # Someone else changes the parcel while the form is open.
    workspace.update(parcel.parcel_id, parcel.version, "李工",
                     properties={**parcel.properties, "quarter": "2022Q4"})
    editor.selectbox(key="edit_parcel_status").set_value("supplied")
    press(editor, zh("app.editor.save_edit"))
    assert not editor.exception
    [stale] = [w.value for w in editor.warning if w.value.startswith(
        zh("app.editor.stale", reason=""))]
    assert f"第 {parcel.version} 版" in stale and f"第 {parcel.version + 1} 版" in stale
    now = workspace.parcel(parcel.parcel_id)
    assert now.updated_by == "李工" and now.properties["status"] == parcel.properties["status"]
    # Loading the current version, then saving, works and keeps the other person's edit.
    press(editor, zh("app.editor.reload"))
    assert editor.selectbox(key="edit_parcel_quarter").value == "2022Q4"
    editor.selectbox(key="edit_parcel_status").set_value("supplied")
    press(editor, zh("app.editor.save_edit"))
    assert_clean(editor)
    saved = workspace.parcel(parcel.parcel_id)
    assert (saved.properties["status"], saved.properties["quarter"]) == ("supplied", "2022Q4")


def test_a_parcel_renamed_meanwhile_is_sent_to_the_browser_by_its_new_name(editor,
                                                                            own_workspace):
    """The browser answers the parcel box with the label it was last sent, not the parcel's
    id: a rename it is not told of would leave it an answer that names no parcel."""
    workspace = Workspace.open(own_workspace)
    parcel = workspace.parcels()[0]
    editor.selectbox(key="editor_pick").set_value(parcel.parcel_id).run()
    editor.run()
    assert not editor.selectbox(key="editor_pick").proto.set_value
    workspace.update(parcel.parcel_id, parcel.version, "李工",
                     properties={**parcel.properties, "name_zh": "更名的地块"})
    editor.run()
    box = editor.selectbox(key="editor_pick")
    assert box.value == parcel.parcel_id
    assert box.proto.set_value and box.proto.raw_value == f"更名的地块 · {parcel.parcel_id}"
