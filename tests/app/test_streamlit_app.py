"""The Streamlit page, run headless: what it shows, and what it hands to the map component."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from app_harness import assert_clean, map_args, metric, new_app, open_filters, open_tab

from app_parts import page_data
from geo_app.catalog import load_catalog, load_layer_geojson
from geo_app.i18n import load_strings
from geo_app.ledger import default_ledger
from geo_app.resources import LAYERS_DIR, PROJECT_ROOT

STRINGS = load_strings()


def zh(name: str) -> str:
    return STRINGS.get(name, "zh")


def en(name: str) -> str:
    return STRINGS.get(name, "en")


def feature_ids(layer_id: str) -> list[str]:
    return [f["properties"]["id"] for f in load_layer_geojson(layer_id)["features"]]


def drawn(script: str, feature_id: str) -> bool:
    # Layer data reaches the page as compact JSON (see geo_app.mapview.elements.js_value).
    return f'"id":{json.dumps(feature_id, ensure_ascii=False)}' in script


def table_frames(at):
    return [df.value for df in at.dataframe]


def test_starts_in_chinese_with_its_tabs(app):
    assert app.title[0].value == zh("app.title")
    assert [tab.label for tab in app.tabs] == [
        zh("app.tab.map"), zh("app.tab.land"), zh("app.tab.compliance"), zh("app.tab.targets"),
        zh("app.tab.table"),
    ]
    assert app.sidebar.radio(key="lang").value == "zh"
    # Only the open tab runs: the first view has the map and its headline, not the
    # land-supply tab's own figures and charts.
    assert map_args(app)["script"]
    assert not any(m.label == zh("app.land.target") for m in app.metric)
    assert not app.get("vega_lite_chart")
    open_tab(app, "land")
    assert any(zh("app.land.sample") == w.value for w in app.warning)
    assert not app.get("component_instance")


def test_language_switch_changes_visible_text_and_keeps_state(app):
    app.checkbox(key="layer:roads").uncheck().run()
    open_tab(app, "land")
    app.sidebar.radio(key="lang").set_value("en").run()
    assert_clean(app)
    assert app.title[0].value == en("app.title")
    assert app.tabs[1].label == en("app.tab.land")
    # Still on the land-supply tab, now labelled in English.
    assert metric(app, en("app.land.target")) == "200.00"
    assert app.checkbox(key="layer:roads").value is False
    open_tab(app, "map", "en")
    labels = {cb.label for cb in app.sidebar.checkbox}
    catalog = load_catalog()
    assert {spec.name("en") for spec in catalog.layers} <= {
        label.replace("\\", "") for label in labels
    }
    assert en("popup.layer") in map_args(app)["script"]


def test_total_shown_equals_the_cli_total(app):
    result = subprocess.run(
        [sys.executable, "-m", "geo_app", "totals", "--json"],
        capture_output=True, text=True, check=True, cwd=PROJECT_ROOT,
    )
    cli_total = json.loads(result.stdout)["total_ha"]
    open_tab(app, "land")
    assert metric(app, zh("app.land.total_all")) == f"{cli_total:,.2f}"
    assert metric(app, zh("app.land.target")) == f"{json.loads(result.stdout)['target_ha']:,.2f}"


def test_filters_change_totals_map_and_parcel_list(app):
    ledger = default_ledger()
    supplied = ledger.filtered(status="supplied")
    assert 0 < supplied.parcel_count < ledger.parcel_count
    open_filters(app)
    app.sidebar.multiselect(key="filter_status").select("supplied").run()
    assert_clean(app)
    script = map_args(app)["script"]
    open_tab(app, "land")
    assert metric(app, zh("app.land.total_filtered")) == f"{supplied.total_ha:,.2f}"
    # The unfiltered figure stays on the page beside the filtered one.
    assert metric(app, zh("app.land.total_all")) == f"{ledger.total_ha:,.2f}"
    statuses = dict(zip(ledger.parcels["id"], ledger.parcels["status"], strict=True))
    for parcel_id, status in statuses.items():
        assert drawn(script, parcel_id) == (status == "supplied"), parcel_id
    parcel_list = next(f for f in table_frames(app) if zh("app.column.hectares") in f.columns
                   and zh("app.column.id") in f.columns)
    assert sorted(parcel_list[zh("app.column.id")]) == sorted(
        pid for pid, status in statuses.items() if status == "supplied"
    )
    assert round(parcel_list[zh("app.column.hectares")].sum(), 1) == round(supplied.total_ha, 1)


def test_town_and_quarter_filters_combine(app):
    ledger = default_ledger()
    town = ledger.parcels["town"].iloc[0]
    quarter = ledger.parcels["quarter"].iloc[0]
    expected = ledger.filtered(town=town, quarter=quarter)
    open_filters(app)
    app.sidebar.multiselect(key="filter_town").select(town).run()
    app.sidebar.multiselect(key="filter_quarter").select(quarter).run()
    open_tab(app, "land")
    assert metric(app, zh("app.land.total_filtered")) == f"{expected.total_ha:,.2f}"
    # Folding the panel keeps the filters on, and its label says how many.
    app.session_state["filters_open"] = False
    app.run()
    assert not app.sidebar.multiselect
    assert metric(app, zh("app.land.total_filtered")) == f"{expected.total_ha:,.2f}"
    assert any("2" in e.label for e in app.sidebar.expander)


def test_map_gets_the_visible_layers_and_only_local_scripts(app):
    catalog = load_catalog()
    args = map_args(app)
    script = args["script"]
    for spec in catalog.layers:
        for feature_id in feature_ids(spec.id):
            assert drawn(script, feature_id) == spec.default_visible, (spec.id, feature_id)
    assert args["returned_objects"] == ["last_object_clicked", "last_clicked"]
    links = args["js_links"] + args["css_links"]
    assert links and all(link.startswith("/app/static/vendor/") for link in links)
    for link in links:
        assert (PROJECT_ROOT / "static" / link.removeprefix("/app/static/")).is_file(), link


def test_toggling_a_layer_changes_what_the_map_gets(app):
    catalog = load_catalog()
    hidden = next(spec for spec in catalog.layers if not spec.default_visible)
    shown = next(spec for spec in catalog.layers if spec.default_visible)
    app.checkbox(key=f"layer:{hidden.id}").check().run()
    app.checkbox(key=f"layer:{shown.id}").uncheck().run()
    assert_clean(app)
    script = map_args(app)["script"]
    assert all(drawn(script, fid) for fid in feature_ids(hidden.id))
    assert not any(drawn(script, fid) for fid in feature_ids(shown.id))


def test_search_selects_and_highlights_a_feature(app):
    catalog = load_catalog()
    spec = next(s for s in catalog.layers if not s.default_visible)
    feature = load_layer_geojson(spec)["features"][0]["properties"]
    app.text_input(key="search_query").input(feature["name_zh"]).run()
    pick = app.selectbox(key="search_pick")
    # Options read "name · layer · id".
    assert any(option.endswith(feature["id"]) for option in pick.options)
    pick.select(feature["id"]).run()
    assert_clean(app)
    assert app.session_state["selected_feature"] == feature["id"]
    script = map_args(app)["script"]
    # Its layer is hidden, so the feature reaches the map only as the highlight.
    assert drawn(script, feature["id"])
    assert any(feature["name_zh"] in text.value for text in app.text)


def test_search_without_match_says_so(app):
    app.text_input(key="search_query").input("no-such-feature-xyz").run()
    assert_clean(app)
    assert any("no-such-feature-xyz" in info.value for info in app.info)


def test_attribute_table_follows_layer_choice_and_text_filter(app):
    roads = feature_ids("roads")
    open_tab(app, "table")
    app.selectbox(key="table_layer").select("roads").run()
    table = next(f for f in table_frames(app) if "source" in f.columns)
    assert sorted(table["id"]) == sorted(roads)
    app.text_input(key="table_filter").input(roads[0]).run()
    table = next(f for f in table_frames(app) if "source" in f.columns)
    assert list(table["id"]) == [roads[0]]


def test_targets_tab_lists_every_quantitative_target(app):
    from geo_app.plan import load_plan

    plan = load_plan()
    open_tab(app, "targets")
    method, why_not = zh("app.targets.column.method"), zh("app.targets.column.why_not")
    share_column = zh("app.targets.column.share")
    (measured,) = [f for f in table_frames(app) if share_column in f.columns]
    (drawn,) = [
        f for f in table_frames(app) if method in f.columns and share_column not in f.columns
    ]
    (others,) = [f for f in table_frames(app) if why_not in f.columns]
    item = zh("app.targets.column.item")
    assert sorted([*measured[item], *drawn[item], *others[item]]) == sorted(
        t.name_zh for t in plan.targets()
    )
    # Our own drawings are sketches: never reached, never short.
    assert set(drawn[zh("app.targets.column.outcome")]) == {zh("app.targets.outcome.schematic")}
    land = measured[measured[item] == plan.item("land_supply_ha").name_zh]
    assert land[zh("app.targets.column.measured")].iloc[0] == (
        f"{default_ledger().total_ha:,.2f} 公顷"
    )
    share = land[zh("app.targets.column.share")].iloc[0]
    target = plan.item("land_supply_ha").quantity
    assert share == round(default_ledger().total_ha / target * 100, 1)
    unmeasured = [t for t in plan.targets() if t.measure is None]
    assert len(others) == len(unmeasured)


def _copy_layers(tmp_path: Path) -> Path:
    target = tmp_path / "layers"
    shutil.copytree(LAYERS_DIR, target)
    return target / "catalog.toml"


def test_other_catalog_is_read_from_the_environment(tmp_path, monkeypatch):
    catalog_path = _copy_layers(tmp_path)
    text = catalog_path.read_text(encoding="utf-8")
    spec = load_catalog().layers[-1]
    renamed = text.replace(f'name_zh = "{spec.name_zh}"', 'name_zh = "试验图层*名称*"', 1)
    assert renamed != text
    catalog_path.write_text(renamed, encoding="utf-8")
    monkeypatch.setenv("GEO_APP_CATALOG", str(catalog_path))
    at = new_app().run()
    assert_clean(at)
    # Shown literally: data text in a label is not read as Markdown.
    assert any(cb.label == "试验图层\\*名称\\*" for cb in at.sidebar.checkbox)


def _break(path: Path) -> None:
    path.write_text('{"type": "FeatureCollection", "feat', encoding="utf-8")


def test_broken_layer_file_is_left_out_with_a_clear_message(tmp_path, monkeypatch):
    catalog_path = _copy_layers(tmp_path)
    spec = next(s for s in load_catalog().layers if s.default_visible and s.id != "land_parcels")
    _break(catalog_path.parent / spec.file)
    monkeypatch.setenv("GEO_APP_CATALOG", str(catalog_path))
    at = new_app().run()
    assert not at.exception
    assert not at.main.error
    assert len(at.sidebar.error) == 1
    assert spec.file in at.sidebar.error[0].value and "JSON" in at.sidebar.error[0].value
    assert at.checkbox(key=f"layer:{spec.id}").value is False
    assert at.checkbox(key=f"layer:{spec.id}").disabled
    assert map_args(at)["script"]


def test_an_unusable_workspace_is_said_and_the_sample_parcels_are_shown(tmp_path, monkeypatch):
    not_a_folder = tmp_path / "workspace"
    not_a_folder.write_text("a file, not a folder", encoding="utf-8")
    monkeypatch.setenv("GEO_APP_DATA", str(not_a_folder))
    at = new_app().run()
    assert not at.exception
    assert len(at.error) == 1 and page_data.escape_markdown(str(not_a_folder)) in at.error[0].value
    assert at.error[0].value.startswith(STRINGS.get("app.workspace.unusable", "zh", reason=""))
    at.session_state["open_tab"] = zh("app.tab.land")
    at.run()
    assert not at.exception
    assert metric(at, zh("app.land.total_all")) == f"{default_ledger().total_ha:,.2f}"
    assert zh("app.land.sample") in [w.value for w in at.warning]


def test_broken_parcels_stop_the_page_with_a_clear_message(tmp_path, monkeypatch):
    catalog_path = _copy_layers(tmp_path)
    _break(catalog_path.parent / load_catalog().layer("land_parcels").file)
    monkeypatch.setenv("GEO_APP_CATALOG", str(catalog_path))
    # Without a usable workspace the page falls back to the catalog's parcel file.
    not_a_folder = tmp_path / "workspace"
    not_a_folder.write_text("", encoding="utf-8")
    monkeypatch.setenv("GEO_APP_DATA", str(not_a_folder))
    at = new_app().run()
    assert not at.exception
    assert len(at.error) == 2
    assert "land_parcels.geojson" in at.error[1].value and "JSON" in at.error[1].value


def test_choices_in_closed_tabs_survive_tab_switches(app):
    open_tab(app, "table")
    app.selectbox(key="table_layer").select("roads").run()
    app.text_input(key="table_filter").input("road").run()
    open_tab(app, "map")
    app.text_input(key="search_query").input("奢岭").run()
    open_tab(app, "land")
    open_tab(app, "table")
    assert app.selectbox(key="table_layer").value == "roads"
    assert app.text_input(key="table_filter").value == "road"
    open_tab(app, "map")
    assert app.text_input(key="search_query").value == "奢岭"
