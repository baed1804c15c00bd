import csv
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
import shapely
from cli_runner import no_configured_workspace, run  # noqa: F401 (autouse)

from geo_app.crs import Converter
from geo_app.geodesy import hectares
from geo_app.ledger import default_ledger
from geo_app.workspace import DATA_ENV, Workspace

REPO = Path(__file__).resolve().parents[1]
SQUARE = shapely.box(125.55, 43.60, 125.56, 43.607)
OTHER = shapely.box(125.60, 43.50, 125.61, 43.505)


def feature(geometry, **properties):
    return {
        "type": "Feature",
        "properties": properties,
        "geometry": shapely.geometry.mapping(geometry),
    }


def write_geojson(path, *features):
    path.write_text(
        json.dumps({"type": "FeatureCollection", "features": list(features)}, ensure_ascii=False),
        encoding="utf-8",
    )
    return path


@pytest.fixture
def parcels_file(tmp_path):
    return write_geojson(
        tmp_path / "parcels.geojson",
        feature(SQUARE, id="a-1", status="supplied", town="奢岭街道", use="industrial",
                quarter="2022Q1", name_zh="甲"),
        feature(OTHER, id="a-2", status="planned", town="太平镇", use="tourism",
                quarter="2022Q2", name_zh="乙"),
    )


EXPECTED_HA = float(hectares([SQUARE, OTHER]).sum())


def test_import_then_totals_from_the_workspace(tmp_path, parcels_file):
    workspace = tmp_path / "ws"
    code, out, err = run("import", parcels_file, "--workspace", workspace, "--user", "王工")
    assert code == 0, err
    assert "已导入 2 个地块" in out and f"{EXPECTED_HA:,.4f}" in out
    assert "移除原有示例地块" in out
    code, out, _ = run("totals", "--workspace", workspace, "--json")
    totals = json.loads(out)
    assert totals["total_ha"] == pytest.approx(EXPECTED_HA, rel=1e-12)
    assert totals["parcel_count"] == 2 and totals["sample_data"] is False
    assert totals["by_status"]["supplied"] == pytest.approx(float(hectares([SQUARE])[0]))
    history = Workspace.open(workspace).history("a-1")
    assert history[0].user == "王工" and history[0].action == "import"


def test_totals_without_a_workspace_keep_the_shipped_parcels(tmp_path, parcels_file, monkeypatch):
    run("import", parcels_file, "--workspace", tmp_path / "ws", "--user", "x")
    code, out, _ = run("totals", "--json")
    assert code == 0
    shipped = default_ledger()
    assert json.loads(out)["total_ha"] == pytest.approx(shipped.total_ha)
    assert json.loads(out)["sample_data"] is True
    # The environment variable configures the workspace for every command.
    monkeypatch.setenv(DATA_ENV, str(tmp_path / "ws"))
    code, out, _ = run("totals", "--json")
    assert json.loads(out)["total_ha"] == pytest.approx(EXPECTED_HA)


def test_import_in_english_as_json(tmp_path, parcels_file):
    code, out, _ = run("import", parcels_file, "--workspace", tmp_path / "ws", "--user", "x",
                       "--json", "--lang", "en")
    assert code == 0
    report = json.loads(out)
    assert report["imported"] and report["parcel_count"] == 2
    assert report["hectares"] == pytest.approx(EXPECTED_HA)
    assert report["format"] == "GeoJSON" and report["crs"] == "wgs84"
    assert report["workspace_total_ha"] == pytest.approx(EXPECTED_HA)
    assert len(report["removed"]) == default_ledger().parcel_count
    code, out, _ = run("import", parcels_file, "--workspace", tmp_path / "ws", "--lang", "en")
    assert code == 1
    assert "already has parcels" in out + _ and "--replace" in out + _


def test_a_bad_file_writes_nothing_and_exits_1(tmp_path):
    bowtie = shapely.Polygon([(125.6, 43.5), (125.61, 43.51), (125.61, 43.5), (125.6, 43.51)])
    path = write_geojson(tmp_path / "bow.geojson", feature(bowtie, id="b", status="planned"),
                         feature(SQUARE, id="ok", status="planned"))
    workspace = tmp_path / "ws"
    code, out, _ = run("import", path, "--workspace", workspace, "--user", "x")
    assert code == 1
    assert "边界自相交" in out and "--repair" in out and "未导入任何地块" in out
    assert Workspace.open(workspace).holds_only_samples()
    code, out, _ = run("import", path, "--workspace", workspace, "--user", "x", "--repair",
                       "--json")
    report = json.loads(out)
    assert code == 0 and report["parcel_count"] == 2
    assert any(p["code"] == "self_intersection" and p["severity"] == "warning"
               for p in report["problems"])


def test_dry_run_and_replace(tmp_path, parcels_file):
    workspace = tmp_path / "ws"
    code, out, _ = run("import", parcels_file, "--workspace", workspace, "--dry-run")
    assert code == 0 and "未写入" in out
    assert "坐标系 wgs84（GeoJSON 默认）" in out
    assert Workspace.open(workspace).holds_only_samples()
    run("import", parcels_file, "--workspace", workspace, "--user", "x")
    other = write_geojson(tmp_path / "other.geojson", feature(OTHER, id="b-1", status="planned"))
    code, out, _ = run("import", other, "--workspace", workspace, "--user", "x", "--replace")
    assert code == 0 and "移除原有地块 2 个" in out
    assert [p.parcel_id for p in Workspace.open(workspace).parcels()] == ["b-1"]


def test_history_and_restore(tmp_path, parcels_file):
    workspace_dir = tmp_path / "ws"
    run("import", parcels_file, "--workspace", workspace_dir, "--user", "ann")
    workspace = Workspace.open(workspace_dir)
    workspace.update("a-1", 1, "bob", properties={"status": "planned"})
    code, out, _ = run("history", "--workspace", workspace_dir, "--parcel", "a-1")
    assert code == 0 and "bob" in out and "修改" in out and "1 → 2" in out
    code, out, _ = run("history", "--workspace", workspace_dir, "--json", "--limit", "1")
    [entry] = json.loads(out)
    assert entry["action"] == "update" and entry["after"]["status"] == "planned"
    code, out, err = run("restore", "a-1", "1", "--workspace", workspace_dir, "--user", "cai",
                         "--expect-version", "1")
    assert code == 1 and "第 2 版" in err
    code, out, _ = run("restore", "a-1", "1", "--workspace", workspace_dir, "--user", "cai",
                       "--lang", "en")
    assert code == 0 and "now version 3" in out
    assert workspace.parcel("a-1").properties["status"] == "supplied"
    code, _, err = run("restore", "nope", "1", "--workspace", workspace_dir)
    assert code == 1 and "nope" in err


def test_export_tables_use_the_workspace(tmp_path, parcels_file):
    workspace = tmp_path / "ws"
    run("import", parcels_file, "--workspace", workspace, "--user", "x")
    out_file = tmp_path / "parcels.csv"
    code, _, err = run("export", "--out", out_file, "--workspace", workspace)
    assert code == 0, err
    rows = list(csv.reader(out_file.read_text(encoding="utf-8-sig").splitlines()))
    ids = {row[0] for row in rows[1:]}
    assert ids == {"a-1", "a-2"}


def test_area_and_validate_read_the_new_formats(tmp_path):
    convert = Converter("wgs84", "gk42")
    coords = np.asarray(SQUARE.exterior.coords)
    east, north = convert(coords[:, 0], coords[:, 1])
    lines = ["[属性描述]", "坐标系=2000国家大地坐标系", "几度分带=3", "带号=42", "[地块坐标]",
             f"{len(coords)},,DK-7,地块,面,,,,@"]
    lines += [f"J{i},1,{n:.4f},{e:.4f}" for i, (e, n) in enumerate(zip(east, north, strict=True))]
    jzd = tmp_path / "jzd.txt"
    jzd.write_text("\n".join(lines), encoding="gbk")
    code, out, _ = run("area", jzd, "--json")
    assert code == 0
    report = json.loads(out)
    assert report["crs"] == "gk42" and report["features"][0]["id"] == "DK-7"
    assert report["total_ha"] == pytest.approx(float(hectares([SQUARE])[0]), rel=1e-6)
    # Imported, it is totalled as a parcel of unknown status.
    code, out, err = run("import", jzd, "--workspace", tmp_path / "ws", "--user", "x")
    assert code == 0, err
    code, out, _ = run("totals", "--workspace", tmp_path / "ws", "--json")
    totals = json.loads(out)
    assert totals["by_status"]["unknown"] == pytest.approx(report["total_ha"])
    table = tmp_path / "t.csv"
    table.write_text(f'id,status,wkt\nw-1,planned,"{SQUARE.wkt}"\n', encoding="utf-8")
    code, out, _ = run("validate", table, "--lang", "en")
    assert code == 0 and "usable: 1 features (CSV)" in out


def _bomb(path, megabytes):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        with archive.open("parcels.dbf", "w", force_zip64=True) as member:
            chunk = b"\x00" * (1024 * 1024)
            for _ in range(megabytes):
                member.write(chunk)
        archive.writestr("parcels.shp", b"")
        archive.writestr("parcels.shx", b"")
    return path


def test_hostile_files_on_the_command_line_get_one_line_each(tmp_path, monkeypatch):
    # A planner's own lower limit on unpacked archives, so the bomb stays small to build.
    monkeypatch.setenv("GEO_APP_MAX_UNZIPPED_MB", "200")
    traversal = tmp_path / "traversal.zip"
    with zipfile.ZipFile(traversal, "w") as archive:
        archive.writestr("../escape.shp", b"")
    bomb = _bomb(tmp_path / "bomb.zip", 201)
    assert bomb.stat().st_size < 2_000_000
    workspace = tmp_path / "ws"
    for path, words in (
        (traversal, "points outside the archive"),
        (bomb, "the zip unpacks to 201.0 MB, the limit is 200.0 MB (the environment "
               "variable GEO_APP_MAX_UNZIPPED_MB changes this limit)"),
    ):
        code, out, err = run("import", path, "--workspace", workspace, "--lang", "en")
        assert code == 1 and words in out + err
    assert Workspace.open(workspace).holds_only_samples()


def test_a_separate_process_never_shows_a_traceback(tmp_path):
    broken = tmp_path / "broken.geojson"
    broken.write_text('{"type": "FeatureCollection", "features": [', encoding="utf-8")
    not_a_workspace = tmp_path / "file-not-folder"
    not_a_workspace.write_text("x")
    gbk_csv = tmp_path / "gbk.csv"
    gbk_csv.write_bytes("名称,经度,纬度\n甲,125.6,43.5\n".encode("gbk"))
    cases = (
        ["import", broken, "--workspace", tmp_path / "ws"],
        ["import", gbk_csv, "--workspace", tmp_path / "ws"],
        ["import", broken, "--workspace", not_a_workspace],
        ["history", "--workspace", not_a_workspace],
    )
    for argv in cases:
        result = subprocess.run(
            [sys.executable, "-m", "geo_app", *map(str, argv)],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=REPO,
            env={"PATH": "/usr/bin:/bin", "XDG_DATA_HOME": str(tmp_path / "xdg")},
        )
        assert result.returncode == 1, (argv, result.stdout, result.stderr)
        assert "Traceback" not in result.stderr + result.stdout
        assert (result.stderr + result.stdout).strip()
