"""``geo-app reference`` and ``geo-app check`` as a planner runs them."""

from __future__ import annotations

import json

import pytest
from cli_runner import no_configured_workspace, run  # noqa: F401 (autouse)
from control_files import (
    DEV_BOUNDARY,
    FARMLAND,
    PARCELS,
    RED_LINE,
    feature_collection,
    inside_ha,
    landuse_collection,
    outside_ha,
    parcels_collection,
    write_geojson,
)

from geo_app.cli.control import EXIT_CONFLICT
from geo_app.workspace import Workspace

WITHIN_HA = 5 / 10_000


@pytest.fixture
def ws(tmp_path):
    folder = tmp_path / "ws"
    parcels = write_geojson(tmp_path / "地块.geojson", parcels_collection())
    code, _, err = run("import", parcels, "--workspace", folder, "--user", "王工")
    assert code == 0, err
    return folder


def load(ws, path, kind, *more):
    return run("reference", "import", path, "--kind", kind, "--workspace", ws, "--user", "王工",
               *more)


def test_loading_the_four_layers_and_checking_gives_the_independent_figures(ws, tmp_path):
    for kind, collection in (("farmland", feature_collection(FARMLAND)),
                             ("eco_redline", feature_collection(RED_LINE)),
                             ("dev_boundary", feature_collection(DEV_BOUNDARY)),
                             ("landuse", landuse_collection())):
        code, out, err = load(ws, write_geojson(tmp_path / f"{kind}.geojson", collection), kind)
        assert code == 0, err
        assert "已载入" in out
    code, out, err = run("check", "--workspace", ws, "--json")
    assert code == 0, err
    answer = json.loads(out)
    by_id = {p["id"]: p for p in answer["parcels"]}
    for key, parcel in PARCELS.items():
        assert by_id[key]["farmland_ha"] == pytest.approx(
            inside_ha(parcel, FARMLAND.values()), abs=WITHIN_HA)
        assert by_id[key]["eco_redline_ha"] == pytest.approx(
            inside_ha(parcel, RED_LINE.values()), abs=WITHIN_HA)
        assert by_id[key]["outside_dev_boundary_ha"] == pytest.approx(
            outside_ha(parcel, DEV_BOUNDARY.values()), abs=WITHIN_HA)
    summary = answer["summary"]
    assert summary["parcels_in_conflict"] == sum(1 for p in answer["parcels"] if p["conflicts"])
    assert summary["not_checked"] == []
    assert {layer["kind"] for layer in answer["layers"]} == {
        "farmland", "eco_redline", "dev_boundary", "landuse"}
    assert set(answer["parcels"][0]) >= {"id", "hectares", "farmland_ha", "eco_redline_ha",
                                         "outside_dev_boundary_ha", "landuse_ha", "conflicts"}


def test_conflicts_are_results_unless_asked_to_fail(ws, tmp_path):
    load(ws, write_geojson(tmp_path / "f.geojson", feature_collection(FARMLAND)), "farmland")
    code, out, _ = run("check", "--workspace", ws)
    assert code == 0
    assert "占用永久基本农田" in out and "未审查生态保护红线" in out
    assert run("check", "--workspace", ws, "--fail-on-conflict")[0] == EXIT_CONFLICT
    code, out, _ = run("check", "--workspace", ws, "--fail-on-conflict", "--lang", "en")
    assert code == EXIT_CONFLICT and "takes permanent basic farmland" in out


def test_a_clear_check_exits_zero_even_when_asked_to_fail(ws, tmp_path):
    far = {"far": FARMLAND["F3"]}
    load(ws, write_geojson(tmp_path / "f.geojson", feature_collection(far)), "farmland")
    code, out, _ = run("check", "--workspace", ws, "--fail-on-conflict", "--json")
    assert code == 0 and json.loads(out)["summary"]["parcels_in_conflict"] == 0


def test_a_parcels_file_can_be_checked_before_it_is_imported(ws, tmp_path):
    load(ws, write_geojson(tmp_path / "f.geojson", feature_collection(FARMLAND)), "farmland")
    single = {"type": "FeatureCollection", "features": [parcels_collection()["features"][0]]}
    single["features"][0]["properties"]["id"] = "新地块"
    code, out, _ = run("check", "--workspace", ws, "--parcels",
                       write_geojson(tmp_path / "new.geojson", single), "--json")
    assert code == 0
    assert [p["id"] for p in json.loads(out)["parcels"]] == ["新地块"]


def test_a_bad_reference_file_is_refused_whole_and_changes_nothing(ws, tmp_path):
    collection = feature_collection(FARMLAND)
    collection["features"].append({"type": "Feature", "properties": {},
                                   "geometry": {"type": "Point", "coordinates": [125.6, 43.6]}})
    code, _, err = load(ws, write_geojson(tmp_path / "bad.geojson", collection), "farmland")
    assert code == 1
    assert "控制线图层只能是多边形" in err and "工作区没有任何改动" in err
    assert Workspace.open(ws).reference_layers(include_inactive=True) == []
    assert run("reference", "import", tmp_path / "missing.gpkg", "--kind", "farmland",
               "--workspace", ws)[0] == 1


def test_list_remove_and_restore(ws, tmp_path):
    path = write_geojson(tmp_path / "f.geojson", feature_collection(FARMLAND))
    load(ws, path, "farmland")
    code, out, _ = load(ws, path, "farmland")
    assert "geo-app reference restore 1" in out
    code, out, _ = run("reference", "list", "--workspace", ws, "--all", "--json")
    assert [(layer["id"], layer["active"]) for layer in json.loads(out)] == [(1, False),
                                                                             (2, True)]
    assert run("reference", "restore", "1", "--workspace", ws, "--user", "王工")[0] == 0
    assert run("reference", "remove", "永久基本农田", "--workspace", ws)[0] == 0
    code, out, _ = run("reference", "list", "--workspace", ws)
    assert "还没有参考图层" in out
    code, _, err = run("reference", "restore", "99", "--workspace", ws)
    assert code == 1 and "没有参考图层 99" in err


def test_hostile_names_and_attributes_reach_the_terminal_as_text(ws, tmp_path):
    collection = feature_collection(FARMLAND, {"F1": {"名称": "\x1b[2J<script>x</script>"}})
    path = write_geojson(tmp_path / "\u202eevil.geojson", collection)
    code, out, err = load(ws, path, "farmland", "--name", "农田\x1b[31m红")
    assert code == 0, err
    assert "\x1b" not in out and "\\x1b" in out and "\u202e" not in out
    code, out, _ = run("reference", "list", "--workspace", ws)
    assert "\x1b" not in out and "\u202e" not in out
