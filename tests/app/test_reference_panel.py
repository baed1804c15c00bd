"""The reference panel's work in a worker: a bureau's file previewed (its columns, polygons,
hectares, or every reason it is refused), loaded whole, or refused with nothing written."""

from __future__ import annotations

import geopandas as gpd
import pytest
import shapely
from app_harness import assert_clean, new_app, open_tab
from control_workspace import FARMLAND, LANDUSE, USER, control_workspace, write

from geo_app.control.reference_jobs import (
    PREVIEW,
    latest_layer,
    load_task,
    preview_task,
    problems_from,
    start_load,
    start_preview,
)
from geo_app.geodesy import hectares
from geo_app.i18n import load_strings
from geo_app.workspace import Workspace

STRINGS = load_strings()


def gk42_geopackage(path, geometries, rows):
    """A layer as a bureau hands it over: CGCS2000 Gauss-Krüger zone 42 (EPSG:4530)."""
    frame = gpd.GeoDataFrame(rows, geometry=list(geometries), crs="EPSG:4490").to_crs(
        "EPSG:4530")
    frame.to_file(path, driver="GPKG")
    return path


@pytest.fixture
def inputs(tmp_path):
    folder = tmp_path / "inputs"
    folder.mkdir()
    return folder


def test_a_gk42_file_is_previewed_with_its_columns_and_hectares(inputs):
    gk42_geopackage(inputs / "三调.gpkg", LANDUSE.values(),
                    {"DLMC": list(LANDUSE), "BSM": ["1", "2"]})
    answer = preview_task({"file": "三调.gpkg", "crs": None}, inputs)
    assert answer["refused"] is False
    assert answer["columns"] == ["DLMC", "BSM"]
    assert answer["count"] == 2 and answer["crs"] == "gk42"
    assert answer["class_field"] == "DLMC"
    expected = float(hectares(list(LANDUSE.values())).sum())
    assert answer["hectares"] == pytest.approx(expected, rel=1e-6)


def test_a_bad_file_is_refused_with_every_reason_and_nothing_written(own_workspace, inputs):
    write(inputs, "坏文件.geojson", [
        ({"BSM": "1"}, FARMLAND),
        ({"BSM": "2"}, shapely.Point(125.6, 43.6)),
        ({"BSM": "3"}, shapely.LineString([(125.6, 43.6), (125.7, 43.7)])),
    ])
    preview = preview_task({"file": "坏文件.geojson"}, inputs)
    assert preview["refused"] is True
    reasons = problems_from(preview["problems"])
    assert [p.code for p in reasons if p.is_error] == ["reference_not_polygon"] * 2
    assert {p.feature for p in reasons} == {"#1", "#2"}
    assert "Point" in reasons[0].message_zh + reasons[1].message_zh
    answer = load_task({"file": "坏文件.geojson", "workspace": str(own_workspace),
                        "user": USER, "kind": "farmland"}, inputs)
    assert answer["loaded"] is False
    assert len(problems_from(answer["problems"])) == 2
    assert Workspace.open(own_workspace).reference_layers(include_inactive=True) == []


def test_a_land_use_file_without_its_class_column_is_refused(own_workspace, inputs):
    write(inputs, "三调.geojson", [({"BSM": "1"}, FARMLAND)])
    answer = load_task({"file": "三调.geojson", "workspace": str(own_workspace),
                        "user": USER, "kind": "landuse"}, inputs)
    assert answer["loaded"] is False
    [problem] = problems_from(answer["problems"])
    assert problem.code == "reference_class_missing" and "DLMC" in problem.message_zh
    assert latest_layer(own_workspace) == 0


def test_the_worker_previews_and_loads_the_file(own_workspace, tmp_path):
    path = gk42_geopackage(tmp_path / "基本农田.gpkg", [FARMLAND], {"BSM": ["F1"]})
    job = start_preview(path.name, path.read_bytes())
    assert job.wait(120).outcome == "done" and job.task == PREVIEW
    assert job.result()["count"] == 1
    job = start_load(own_workspace, path.name, path.read_bytes(), USER, "farmland",
                     layer_name="2024 基本农田")
    assert job.wait(120).outcome == "done"
    answer = job.result()
    assert answer["loaded"] is True
    [layer] = Workspace.open(own_workspace).reference_layers()
    assert answer["layer"]["layer_id"] == layer.layer_id
    assert (layer.name, layer.source, layer.loaded_by, layer.crs) == (
        "2024 基本农田", "基本农田.gpkg", USER, "gk42")
    assert layer.hectares == pytest.approx(float(hectares([FARMLAND])[0]), rel=1e-6)


def test_the_panel_lists_the_loaded_layers_and_asks_a_name_for_changes(own_workspace,
                                                                       tmp_path):
    control_workspace(own_workspace, tmp_path / "files")
    at = new_app().run()
    open_tab(at, "compliance")
    title = STRINGS.get("app.reference.title", "zh")
    assert title in [e.label for e in at.expander]
    lines = [t.value for t in at.text if "基本农田.geojson" in t.value]
    assert lines and USER in lines[0]
    removes = [b for b in at.button if b.key and b.key.startswith("reference_remove_")]
    assert len(removes) == 3 and all(b.disabled for b in removes)
    assert STRINGS.get("app.reference.need_user_change", "zh") in [c.value for c in at.caption]
    # Without a file, nothing can be loaded.
    [run] = [b for b in at.button if b.label == STRINGS.get("app.reference.run", "zh")]
    assert run.disabled
    at.text_input(key="reference_user").input(USER).run()
    assert_clean(at)
    assert not any(b.disabled for b in at.button if b.key and b.key.startswith(
        "reference_remove_"))
