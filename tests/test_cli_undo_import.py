"""``geo-app undo-import`` and the import list of ``geo-app history --imports``."""

import json

import pytest
import shapely
from cli_runner import no_configured_workspace, run  # noqa: F401 (autouse)

from geo_app.ledger import default_ledger
from geo_app.workspace import Workspace

SQUARE = shapely.box(125.55, 43.60, 125.56, 43.607)
OTHER = shapely.box(125.60, 43.50, 125.61, 43.505)


def write_geojson(path, *parcels):
    features = [
        {"type": "Feature", "properties": {"id": pid, "status": "supplied"},
         "geometry": shapely.geometry.mapping(geometry)}
        for pid, geometry in parcels
    ]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}),
                    encoding="utf-8")
    return path


def state(workspace_dir):
    return {p.parcel_id: p.properties for p in Workspace.open(workspace_dir).parcels()}


def test_undo_import_takes_a_replace_back_in_one_step(tmp_path):
    ws = tmp_path / "ws"
    first = write_geojson(tmp_path / "one.geojson", ("a-1", SQUARE), ("a-2", OTHER))
    second = write_geojson(tmp_path / "two.geojson", ("b-1", SQUARE))
    assert run("import", first, "--workspace", ws, "--user", "ann")[0] == 0
    before = state(ws)
    code, out, _ = run("import", second, "--workspace", ws, "--user", "ann", "--replace",
                       "--json")
    batch = json.loads(out)["batch_id"]

    code, out, err = run("undo-import", batch, "--workspace", ws, "--user", "bob")

    assert code == 0, err
    assert f"已撤销第 {batch} 批导入（two.geojson）" in out
    assert "删除了它加入的 1 个地块" in out and "恢复了它移除的 2 个地块" in out
    assert state(ws) == before
    entries = Workspace.open(ws).history(limit=3)
    assert {e.user for e in entries} == {"bob"}


def test_undo_import_in_english_and_as_json(tmp_path):
    ws = tmp_path / "ws"
    file = write_geojson(tmp_path / "one.geojson", ("a-1", SQUARE))
    code, out, _ = run("import", file, "--workspace", ws, "--user", "ann", "--json")
    batch = json.loads(out)["batch_id"]
    code, out, _ = run("undo-import", batch, "--workspace", ws, "--user", "bob", "--json")
    answer = json.loads(out)
    assert code == 0 and answer["undone_batch"] == batch and answer["removed"] == ["a-1"]
    assert len(answer["restored"]) == default_ledger().parcel_count  # the samples
    assert answer["workspace_total_ha"] == pytest.approx(default_ledger().total_ha)
    # A second undo of the same import is refused, in the chosen language, exit 1.
    code, out, err = run("undo-import", batch, "--workspace", ws, "--user", "bob",
                         "--lang", "en")
    assert code == 1 and "already been undone" in err and out == ""


def test_undo_import_over_a_later_edit_is_refused_and_names_the_parcel(tmp_path):
    ws = tmp_path / "ws"
    file = write_geojson(tmp_path / "one.geojson", ("a-1", SQUARE), ("a-2", OTHER))
    code, out, _ = run("import", file, "--workspace", ws, "--user", "ann", "--json")
    batch = json.loads(out)["batch_id"]
    Workspace.open(ws).update("a-2", 1, "cai", properties={"status": "planned"})
    before = state(ws)
    code, _, err = run("undo-import", batch, "--workspace", ws, "--user", "bob")
    assert code == 1 and "a-2" in err and "什么也没有撤销" in err
    assert state(ws) == before
    code, _, err = run("undo-import", 42, "--workspace", ws, "--user", "bob", "--lang", "en")
    assert code == 1 and "no import batch 42" in err


def test_history_shows_import_batches_and_undos(tmp_path):
    ws = tmp_path / "ws"
    file = write_geojson(tmp_path / "one.geojson", ("a-1", SQUARE))
    code, out, _ = run("import", file, "--workspace", ws, "--user", "ann", "--json")
    batch = json.loads(out)["batch_id"]
    run("undo-import", batch, "--workspace", ws, "--user", "bob")
    undo = batch + 1

    code, out, _ = run("history", "--imports", "--workspace", ws, "--lang", "en")
    assert code == 0
    lines = out.splitlines()
    assert "batch" in lines[0] and "state" in lines[0]
    assert lines[1].split()[0] == str(undo) and f"undo of #{batch}" in lines[1]
    assert lines[2].split()[0] == str(batch) and "one.geojson" in lines[2]
    assert f"undone (#{undo})" in lines[2]
    assert "in effect" in lines[3]  # the sample parcels

    code, out, _ = run("history", "--imports", "--workspace", ws, "--json")
    batches = json.loads(out)
    assert batches[0]["undoes"] == batch and batches[1]["undone_by"] == undo

    code, out, _ = run("history", "--workspace", ws, "--parcel", "a-1")
    assert f"撤销导入 #{batch}（#{undo}）" in out and f"导入 #{batch}" in out
