"""Land bureaus' ledgers as they come, imported with no options: totals, ids, names and the
one parcel whose declared area is off, in every layout."""

import json

import pytest
from bureau_files import (
    FLAGGED,
    LAYOUTS,
    PARCELS,
    STATUS_WORDS,
    USE_AS_CODED,
    expected_by,
    total_hectares,
)

from geo_app.cli import main
from geo_app.importing import prepare_import
from geo_app.ledger import ledger_of_plan
from geo_app.workspace import DATA_ENV, Workspace, workspace_ledger

STATUS_KEY = {
    "chinese_shapefile": "chinese",
    "pinyin_geopackage": "pinyin",
    "xlsx_ledger": "xlsx",
    "english_geojson": "english",
}


@pytest.fixture(autouse=True)
def no_configured_workspace(monkeypatch, tmp_path):
    monkeypatch.delenv(DATA_ENV, raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))


@pytest.fixture(params=sorted(LAYOUTS))
def ledger_file(request, tmp_path):
    return request.param, LAYOUTS[request.param](tmp_path / request.param)


def run(*argv):
    import io

    out, err = io.StringIO(), io.StringIO()
    code = main(list(map(str, argv)), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def assert_breakdowns(result, layout, *, rel=1e-6):
    assert result["total_ha"] == pytest.approx(total_hectares(), rel=rel)
    for key, truth_key in (("by_status", "status"), ("by_town", "town"),
                           ("by_quarter", "quarter"), ("by_use", "use")):
        got = {k: v for k, v in result[key].items() if v}
        remap = USE_AS_CODED if key == "by_use" and layout == "pinyin_geopackage" else None
        assert got == pytest.approx(expected_by(truth_key, remap), rel=rel), key


def test_every_layout_is_understood_without_options(ledger_file):
    name, path = ledger_file
    plan = prepare_import(path)
    assert plan.ok, [p.line("en") for p in plan.errors]
    assert [p.parcel_id for p in plan.parcels] == [p.id for p in PARCELS]
    assert [p.properties["name_zh"] for p in plan.parcels] == [p.name for p in PARCELS]
    assert_breakdowns(ledger_of_plan(plan, 200).to_dict(), name)


def test_only_the_parcel_whose_declared_area_is_off_is_flagged(ledger_file):
    _, path = ledger_file
    plan = prepare_import(path)
    flagged = [p for p in plan.problems if p.code == "area_mismatch"]
    assert [p.feature for p in flagged] == [PARCELS[FLAGGED].id]
    checks = {p.parcel_id: p.properties.get("area_check") for p in plan.parcels}
    assert checks.pop(PARCELS[FLAGGED].id) == "mismatch"
    assert set(checks.values()) == {"ok"}
    assert "+5.0%" in flagged[0].message_en


def test_the_planners_columns_are_all_kept(ledger_file):
    name, path = ledger_file
    plan = prepare_import(path)
    unknown = next(p for p in plan.parcels if p.parcel_id == "SY2022-011")
    word = STATUS_WORDS[STATUS_KEY[name]]["unknown"]
    # The word nobody maps stays, under the planner's own column, and counts as unknown.
    assert word in unknown.properties.values()
    assert "status" not in unknown.properties
    table_columns = {c for c in plan.data.frame.columns if c != "geometry"}
    for parcel in plan.parcels:
        assert table_columns <= set(parcel.properties), name


def test_import_then_totals_agree_with_totals_of_the_file(ledger_file, tmp_path):
    name, path = ledger_file
    workspace_dir = tmp_path / "ws"
    code, out, err = run("import", path, "--workspace", workspace_dir, "--user", "规划科")
    assert code == 0, out + err
    assert f"feature {PARCELS[FLAGGED].id}" in run(
        "import", path, "--workspace", tmp_path / "ws2", "--user", "x", "--lang", "en"
    )[1]
    code, from_workspace, _ = run("totals", "--workspace", workspace_dir, "--json")
    assert code == 0
    code, from_file, err = run("totals", "--parcels", path, "--json")
    assert code == 0, err
    ws, fl = json.loads(from_workspace), json.loads(from_file)
    assert ws["total_ha"] == pytest.approx(fl["total_ha"], rel=1e-9)
    assert ws["by_status"] == pytest.approx(fl["by_status"])
    assert ws["by_town"] == pytest.approx(fl["by_town"])
    assert ws["by_quarter"] == pytest.approx(fl["by_quarter"])
    assert ws["sample_data"] is False
    assert_breakdowns(ws, name)


def test_the_workspace_remembers_a_corrected_mapping_for_the_same_layout(tmp_path):
    path = LAYOUTS["chinese_shapefile"](tmp_path / "a")
    workspace = Workspace.open(tmp_path / "ws")
    code, out, err = run(
        "import", path, "--workspace", tmp_path / "ws", "--user", "a", "--field", "town=",
        "--status-word", "已批未供=planned", "--lang", "en",
    )
    assert code == 0, out + err
    # Next month's file of the same layout: no options, the same choices.
    again = LAYOUTS["chinese_shapefile"](tmp_path / "b")
    code, out, err = run(
        "import", again, "--workspace", tmp_path / "ws", "--user", "a", "--replace", "--lang",
        "en",
    )
    assert code == 0, out + err
    assert "as for the last file of this layout" in out
    ledger = workspace_ledger(workspace)
    assert ledger.by_status.get("unknown", 0.0) == 0.0
    assert ledger.by_status["planned"] == pytest.approx(
        expected_by("status")["planned"] + expected_by("status")["unknown"], rel=1e-6
    )
    # Without a town column the towns come from the schematic areas, which here agree.
    assert ledger.by_town == pytest.approx({**dict.fromkeys(ledger.by_town, 0.0),
                                            **expected_by("town")})
    assert set(workspace_ledger(workspace).parcels["town_derived"].dropna()) == {True}


def test_a_saved_mapping_file_is_read_back(tmp_path):
    path = LAYOUTS["english_geojson"](tmp_path / "a")
    saved = tmp_path / "mapping.json"
    code, _, err = run(
        "validate", path, "--parcels", "--status-word", "On hold=in_acquisition",
        "--save-mapping", saved,
    )
    assert code == 0, err
    assert json.loads(saved.read_text("utf-8"))["statuses"] == {"On hold": "in_acquisition"}
    code, out, err = run("totals", "--parcels", path, "--mapping", saved, "--json")
    assert code == 0, err
    assert json.loads(out)["by_status"]["in_acquisition"] == pytest.approx(
        expected_by("status")["in_acquisition"] + expected_by("status")["unknown"], rel=1e-6
    )


def test_area_names_each_parcel_by_the_bureaus_own_id(tmp_path):
    path = LAYOUTS["pinyin_geopackage"](tmp_path / "a")
    code, out, err = run("area", path, "--json")
    assert code == 0, err
    features = json.loads(out)["features"]
    assert [f["id"] for f in features] == [p.id for p in PARCELS]
    assert [f["hectares"] for f in features] == pytest.approx([p.hectares for p in PARCELS])
