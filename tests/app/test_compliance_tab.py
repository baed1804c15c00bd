"""The compliance tab, the control lines on the map and the hectares in conflict in the
land-supply headline, on a workspace whose answers are known by construction."""

from __future__ import annotations

import importlib
import json

import pytest
import shapely
from app_harness import assert_clean, map_args, metric, new_app, open_tab
from control_workspace import (
    FARMLAND,
    LANDUSE,
    PARCELS,
    USER,
    control_workspace,
    load,
)
from pyproj import Geod

from geo_app.control import check_workspace, kinds
from geo_app.i18n import load_strings
from geo_app.workspace import Workspace

STRINGS = load_strings()
GEOD = Geod(ellps="GRS80")


def zh(key: str, /, **values) -> str:
    return STRINGS.get(key, "zh", **values)


def geodesic_ha(geometry) -> float:
    return abs(GEOD.geometry_area_perimeter(shapely.orient_polygons(geometry))[0]) / 1e4


def page_data():
    return importlib.import_module("app_parts.page_data")


@pytest.fixture
def checked(own_workspace, tmp_path):
    """The page on a workspace with farmland, development-boundary and land-use layers
    (no red line), on the compliance tab."""
    control_workspace(own_workspace, tmp_path / "files")
    at = new_app().run()
    assert_clean(at)
    return at


def table(at):
    [frame] = [d.value for d in at.dataframe]
    return frame


def column(name: str, lang: str = "zh") -> str:
    return STRINGS.get(f"app.compliance.column.{name}", lang)


def test_without_layers_the_tab_says_so_and_the_map_and_headline_are_as_before(app):
    assert zh("app.headline.conflict") not in [m.label for m in app.metric]
    script = json.dumps(map_args(app))
    assert "gmReferences" not in script and "gmConflicts" not in script
    open_tab(app, "compliance")
    assert [i.value for i in app.info] == [zh("app.compliance.no_layers")]
    assert not app.dataframe


def test_the_table_gives_each_parcel_the_hectares_geo_app_check_gives(checked, own_workspace):
    open_tab(checked, "compliance")
    frame = table(checked).set_index(column("id"))
    result = check_workspace(Workspace.open(own_workspace))
    assert sorted(frame.index) == sorted(PARCELS)
    for parcel in result.parcels:
        row = frame.loc[parcel.parcel_id]
        assert row[column("hectares")] == parcel.hectares
        assert row[column("farmland")] == parcel.farmland_ha
        assert row[column("outside_dev")] == parcel.outside_dev_boundary_ha
        assert row[column("conflict_ha")] == pytest.approx(
            parcel.conflict_hectares, abs=1e-12)
        assert row[column("conflicts")] == (
            "；".join(c.text("zh") for c in parcel.conflicts) or zh("app.compliance.clear"))
    # And within 5 m² of an independent geodesic measure of the exact overlaps.
    half = frame.loc["p-half"]
    assert half[column("farmland")] == pytest.approx(
        geodesic_ha(PARCELS["p-half"].intersection(FARMLAND)), abs=5e-4)
    assert half[column("cultivated")] == pytest.approx(
        geodesic_ha(PARCELS["p-half"].intersection(LANDUSE["旱地"])), abs=5e-4)
    outside = frame.loc["p-outside"]
    assert outside[column("outside_dev")] == pytest.approx(
        geodesic_ha(shapely.box(125.66, 43.56, 125.67, 43.57)), abs=5e-4)
    assert frame.loc["p-clear", column("conflict_ha")] == 0
    # The red line was not loaded: no column claims 0 ha in it, and the page says so.
    assert column("eco_redline") not in frame.columns
    missing = zh("app.compliance.not_checked", kinds=kinds()["eco_redline"].zh)
    assert missing in [w.value for w in checked.warning]
    metrics = {m.label: m.value for m in checked.metric}
    assert metrics[zh("app.compliance.metric.parcels")] == "2 / 3"
    assert metrics[zh("app.compliance.metric.eco_redline")] == "—"


def test_only_conflicts_leaves_the_parcels_in_conflict(checked):
    open_tab(checked, "compliance")
    checked.checkbox(key="compliance_only_conflicts").check().run()
    assert_clean(checked)
    assert sorted(table(checked)[column("id")]) == ["p-half", "p-outside"]
    count = zh("app.compliance.count", shown=2, total=3)
    assert any(c.value.startswith(count) for c in checked.caption)
    checked.checkbox(key="compliance_only_conflicts").uncheck().run()
    assert len(table(checked)) == 3


def test_the_headline_says_the_hectares_in_conflict_and_what_was_not_checked(
        checked, own_workspace):
    result = check_workspace(Workspace.open(own_workspace))
    conflict = sum(p.conflict_hectares for p in result.in_conflict)
    assert metric(checked, zh("app.headline.conflict")) == f"{conflict:,.2f}"
    total = sum(p.hectares for p in result.parcels)
    note = zh("app.headline.conflict_note", hectares=f"{conflict:,.2f}",
              share=f"{conflict / total * 100:.1f}%", count=2, total=f"{total:,.2f}")
    [caption] = [c.value for c in checked.caption if note in c.value]
    assert zh("app.compliance.not_checked", kinds=kinds()["eco_redline"].zh) in caption
    open_tab(checked, "land")
    assert any(note in w.value for w in checked.warning)


def test_the_headline_and_the_table_follow_the_filters(checked, own_workspace):
    checked.session_state["filters_open"] = True
    checked.run()
    # The planned parcels: the one half in farmland, and the clear one.
    checked.sidebar.multiselect(key="filter_status").select("planned").run()
    assert_clean(checked)
    result = check_workspace(Workspace.open(own_workspace))
    [half] = [p for p in result.parcels if p.parcel_id == "p-half"]
    assert metric(checked, zh("app.headline.conflict")) == f"{half.conflict_hectares:,.2f}"
    open_tab(checked, "compliance")
    assert sorted(table(checked)[column("id")]) == ["p-clear", "p-half"]
    assert zh("app.filter.active") in [i.value for i in checked.info]


def test_the_map_draws_the_layers_and_the_conflict_pieces(checked):
    script = map_args(checked)["script"]
    group = zh("map.reference.group")
    for kind in ("farmland", "dev_boundary", "landuse"):
        assert f"{group} · {kinds()[kind].zh}" in script
    assert zh("map.conflicts.group") in script
    assert "gmReferences" in script and "gmConflicts" in script and "gmParcels" in script
    # The farmland's hostile column text arrives escaped, never as markup.
    assert "<img src=x" not in script and "&amp;lt;img src=x" not in script
    assert "\\u0026lt;img src=x" in script


def test_the_check_runs_once_per_change_of_the_layers(checked, own_workspace, tmp_path,
                                                      monkeypatch):
    data = page_data()
    calls = []
    real = data.control_state

    def counted(workspace):
        calls.append(1)
        return real(workspace)

    monkeypatch.setattr(data, "control_state", counted)
    # Cached on the first run (before the counting began): reruns and tabs reuse it.
    for _ in range(3):
        checked.run()
    open_tab(checked, "compliance")
    open_tab(checked, "land")
    assert calls == []
    workspace = Workspace.open(own_workspace)
    load(workspace, tmp_path / "files", "eco_redline", "生态红线.geojson",
         [({"BSM": "R1"}, shapely.box(125.595, 43.60, 125.605, 43.62))])
    open_tab(checked, "compliance")
    assert calls == [1]
    frame = table(checked).set_index(column("id"))
    expected = check_workspace(workspace)
    [half] = [p for p in expected.parcels if p.parcel_id == "p-half"]
    assert frame.loc["p-half", column("eco_redline")] == half.eco_redline_ha > 0
    checked.run()
    assert calls == [1]


def test_a_replaced_layer_can_be_brought_back_and_a_layer_removed(checked, own_workspace,
                                                                  tmp_path):
    workspace = Workspace.open(own_workspace)
    [first] = [layer for layer in workspace.reference_layers() if layer.kind == "farmland"]
    # A wrong file loaded over the right one, under the same name: no farmland conflict.
    load(workspace, tmp_path / "files", "farmland", "错误的农田.geojson",
         [({"BSM": "X"}, shapely.box(125.9, 43.3, 125.91, 43.31))])
    open_tab(checked, "compliance")
    frame = table(checked).set_index(column("id"))
    assert frame.loc["p-half", column("farmland")] == 0
    checked.text_input(key="reference_user").input(USER).run()
    restore = [b for b in checked.button if b.key == f"reference_restore_{first.layer_id}"]
    assert restore and restore[0].label == zh("app.reference.restore_previous",
                                               id=first.layer_id)
    restore[0].click().run()
    assert_clean(checked)
    assert zh("app.reference.restored", name=first.name, id=first.layer_id) in [
        s.value for s in checked.success]
    frame = table(checked).set_index(column("id"))
    assert frame.loc["p-half", column("farmland")] > 89
    [active] = [layer for layer in workspace.reference_layers() if layer.kind == "farmland"]
    assert active.layer_id == first.layer_id
    # Removed: the farmland is no longer checked, and the layer can be restored.
    [remove] = [b for b in checked.button if b.key == f"reference_remove_{first.layer_id}"]
    remove.click().run()
    assert_clean(checked)
    assert column("farmland") not in table(checked).columns
    assert not [layer for layer in workspace.reference_layers() if layer.kind == "farmland"]
    assert f"reference_restore_{first.layer_id}" in [b.key for b in checked.button]
    assert any(first.source in t.value for t in checked.text)


def test_the_tab_speaks_english_on_the_switch(checked):
    checked.sidebar.radio(key="lang").set_value("en").run()
    open_tab(checked, "compliance", lang="en")
    frame = table(checked)
    assert column("farmland", "en") in frame.columns
    assert not any("公顷" in name for name in frame.columns)
    texts = set(frame[column("conflicts", "en")])
    assert STRINGS.get("app.compliance.clear", "en") in texts
    assert any(kinds()["farmland"].conflict_en in text for text in texts)
