"""The workspace stays a standard GeoPackage through everything a planner does to it: GDAL's
own validator (``validate_gpkg.py`` from Debian's python3-gdal, which ``make test`` installs)
passes after imports, edits, deletes, restores, an undone import and reference layers, and
on a workspace migrated from an older version."""

from __future__ import annotations

import sqlite3
import subprocess
from pathlib import Path

import pytest
import shapely
from control_files import FARMLAND, feature_collection, landuse_collection, write_geojson

from geo_app.control import read_reference
from geo_app.workspace import FILE_NAME, META_TABLE, NewParcel, Workspace
from geo_app.workspace.schema import ACCOUNTS_TABLE, SIGN_INS_TABLE

# Debian's python3-gdal: the validator and the interpreter that has its osgeo module.
VALIDATOR = Path("/usr/lib/python3/dist-packages/osgeo_utils/samples/validate_gpkg.py")
SYSTEM_PYTHON = Path("/usr/bin/python3")


def validate(path: Path) -> subprocess.CompletedProcess:
    assert VALIDATOR.exists(), "install Debian's python3-gdal (make test does, as root)"
    return subprocess.run([str(SYSTEM_PYTHON), str(VALIDATOR), str(path)],
                          capture_output=True, text=True, timeout=120)


def square(x: float, size: float = 0.01) -> shapely.Polygon:
    return shapely.box(x, 43.50, x + size, 43.50 + size)


def test_a_workspace_after_a_planners_work_passes_gdals_validator(tmp_path):
    workspace = Workspace.open(tmp_path / "ws")  # seeded with the sample parcels
    first = workspace.import_parcels(
        [NewParcel(f"p{i}", {"status": "planned", "town": "奢岭街道"}, square(125.6 + i / 50))
         for i in range(3)], "王工", "一批.geojson")
    parcel = workspace.parcel("p0")
    workspace.update("p0", parcel.version, "李工", properties={"status": "supplied"})
    workspace.delete("p1", workspace.parcel("p1").version, "李工")
    workspace.restore("p1", 1, "王工")
    second = workspace.import_parcels([NewParcel("q", {}, square(125.7))], "王工", "二批.gpkg")
    workspace.undo_import(second.batch_id, "王工")
    workspace.remember("column_mapping:test", "{}")
    for kind, collection in (("farmland", feature_collection(FARMLAND)),
                             ("landuse", landuse_collection())):
        path = write_geojson(tmp_path / f"{kind}.geojson", collection)
        workspace.import_reference(read_reference(path, kind), "王工")
    workspace.remove_reference("永久基本农田", "王工")
    assert first.batch_id and workspace.count() == 3

    checked = validate(workspace.path)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_a_workspace_migrated_from_version_3_passes_too(tmp_path):
    workspace = Workspace.open(tmp_path / "ws", seed=None)
    workspace.import_parcels([NewParcel("a", {}, square(125.6))], "王工", "a.geojson")
    workspace.remember("column_mapping:kept", "{\"fields\": {}}")
    path = tmp_path / "ws" / FILE_NAME
    # As version 3 wrote it: the settings keyed by TEXT, which the validator refuses, and
    # no accounts yet.
    with sqlite3.connect(path) as connection:
        for table in (ACCOUNTS_TABLE, SIGN_INS_TABLE):
            connection.execute(f"DROP TABLE {table}")
            connection.execute("DELETE FROM gpkg_contents WHERE table_name = ?", (table,))
        rows = connection.execute(f"SELECT key, value FROM {META_TABLE}").fetchall()
        connection.execute(f"DROP TABLE {META_TABLE}")
        connection.execute(
            f"CREATE TABLE {META_TABLE} (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL)")
        connection.executemany(f"INSERT INTO {META_TABLE} VALUES (?, ?)", rows)
        connection.execute("DROP INDEX parcels_by_group")
        connection.execute(f"UPDATE {META_TABLE} SET value = '3' WHERE key = 'schema_version'")
    connection.close()
    refused = validate(path)
    assert refused.returncode != 0 and "Req 119" in refused.stdout + refused.stderr

    reopened = Workspace.open(tmp_path / "ws", seed=None)
    assert reopened.setting("column_mapping:kept") == "{\"fields\": {}}"
    checked = validate(path)
    assert checked.returncode == 0, checked.stdout + checked.stderr


@pytest.mark.parametrize("key", ["schema_version", "created_at"])
def test_the_settings_keep_their_keys_unique(tmp_path, key):
    workspace = Workspace.open(tmp_path / "ws", seed=None)
    with sqlite3.connect(workspace.path) as connection, pytest.raises(sqlite3.IntegrityError):
        connection.execute(f"INSERT INTO {META_TABLE} (key, value) VALUES (?, 'x')", (key,))
    connection.close()
