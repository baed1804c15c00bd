"""A workspace copied to PostGIS and back is the same workspace: every row of every table,
the parcels with their columns and versions, the history, the reference layers, the
accounts; the copy back is a valid GeoPackage. In PostGIS the tables are typed as a GIS
reads them, with GiST indexes, and the hectares agree with ST_Area(geography). A target
that holds a workspace is refused unless forced, and a copy that fails leaves the target as
it was."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import threading
from pathlib import Path

import numpy as np
import psycopg
import pytest
import shapely
from postgis_workspaces import SCALE_PARCELS, bureau_workspace, table_rows
from psycopg.conninfo import conninfo_to_dict
from pyproj import Geod
from test_workspace_gpkg_valid import SYSTEM_PYTHON, validate

from geo_app.workspace import FILE_NAME, NewParcel, Workspace, workspace_ledger
from geo_app.workspace import schema as gpkg_schema
from geo_app.workspace.postgis_copy import (
    AREA_TOLERANCE_HA,
    AREA_TOLERANCE_RELATIVE,
    CopyError,
    copy_workspace,
)
from geo_app.workspace.postgis_schema import (
    MIRRORS_GPKG_SCHEMA,
    SCHEMA_VERSION,
    SRID,
    TABLES,
)


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """The bureau-shaped workspace, built once; tests copy it before changing it."""
    root = tmp_path_factory.mktemp("bureau")
    bureau_workspace(root / "ws", root / "files")
    return root / "ws"


@pytest.fixture
def source(built, tmp_path) -> Path:
    folder = tmp_path / "source"
    shutil.copytree(built, folder)
    return folder


def rows_of(url: str, sql: str, *params) -> list[tuple]:
    with psycopg.connect(url) as connection:
        return connection.execute(sql, params or None).fetchall()


def test_a_workspace_goes_to_postgis_and_back_unchanged(source, postgis_url, tmp_path):
    there = copy_workspace(str(source), postgis_url)
    back = copy_workspace(postgis_url, str(tmp_path / "back"))

    expected = table_rows(source)
    assert table_rows(tmp_path / "back") == expected
    # Every table had something to lose.
    assert all(expected[t.name] for t in TABLES)
    assert there.rows == back.rows == {t.name: len(expected[t.name]) for t in TABLES[1:]}
    assert there.settings == back.settings == len(expected["workspace_meta"]) >= 2
    assert there.rows["parcels"] == 12 + SCALE_PARCELS

    original, copied = Workspace.open(source), Workspace.open(tmp_path / "back")
    for before, after in zip(original.parcels(), copied.parcels(), strict=True):
        assert (after.parcel_id, after.version, after.updated_by) == (
            before.parcel_id, before.version, before.updated_by)
        assert list(after.properties.items()) == list(before.properties.items())
        assert after.geometry.equals_exact(before.geometry, tolerance=0)
    assert copied.parcel("SY2022-003").properties["备注"] == "补签合同"
    restored = copied.parcel("SY2022-007")  # deleted, then restored as a new version
    assert (restored.version, restored.updated_by) == (2, "张工")
    assert copied.history() == original.history()
    assert copied.imports() == original.imports()
    assert copied.reference_layers(True) == original.reference_layers(True)
    assert [layer.active for layer in copied.reference_layers(True)] == [False, True, True]
    kept = original.reference_layers()[0].layer_id
    assert (copied.reference_features(kept, with_properties=True).properties
            == original.reference_features(kept, with_properties=True).properties)
    assert copied.accounts() == original.accounts()
    assert copied.account("李工").disabled
    assert copied.setting("column_mapping:test") == original.setting("column_mapping:test")
    assert workspace_ledger(copied).total_ha == workspace_ledger(original).total_ha
    # Work goes on in the copy: versions and ids continue from where they were.
    parcel = copied.parcel("SY2022-001")
    assert copied.update("SY2022-001", parcel.version, "王工",
                         properties={"供地状态": "已划拨"}).version == parcel.version + 1

    checked = validate(tmp_path / "back" / FILE_NAME)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_the_postgis_tables_are_typed_for_a_gis_with_gist_indexes(source, postgis_url):
    copy_workspace(str(source), postgis_url)
    layers = rows_of(postgis_url, "SELECT f_table_name, f_geometry_column, type, srid "
                                  "FROM geometry_columns ORDER BY f_table_name")
    assert layers == [("parcels", "geom", "MULTIPOLYGON", SRID),
                      ("reference_features", "geom", "MULTIPOLYGON", SRID)]
    gist = rows_of(postgis_url, "SELECT tablename, indexdef FROM pg_indexes "
                                "WHERE indexdef ILIKE '%USING gist (geom)%' ORDER BY tablename")
    assert [table for table, _ in gist] == ["parcels", "reference_features"]
    keys = rows_of(postgis_url,
                   "SELECT tc.table_name, kcu.column_name FROM information_schema.table_constraints"
                   " tc JOIN information_schema.key_column_usage kcu USING (constraint_name) "
                   "WHERE tc.constraint_type = 'PRIMARY KEY' AND tc.table_schema = 'public' "
                   "AND tc.table_name = ANY(%s)", [t.name for t in TABLES])
    assert dict(keys) == {t.name: t.key.name for t in TABLES}
    # The planner can find things by the indexes the GeoPackage has too.
    names = {r[0] for r in rows_of(postgis_url, "SELECT indexname FROM pg_indexes")}
    assert {"parcels_by_group", "parcel_history_by_parcel", "sign_ins_by_name",
            "reference_features_by_layer"} <= names
    # The planner's own columns are readable in SQL, as the workspace wrote them.
    status = rows_of(postgis_url, "SELECT properties->>'供地状态', version FROM parcels "
                                  "WHERE parcel_id = 'SY2022-003'")
    assert status == [("已出让", 2)]
    assert rows_of(postgis_url, "SELECT value FROM workspace_meta WHERE key = "
                                "'schema_version'") == [(SCHEMA_VERSION,)]


def test_a_gis_opens_the_postgis_layers_as_they_are(source, postgis_url):
    """GDAL's PostgreSQL driver (Debian's python3-gdal) reads the tables the way QGIS
    finds them: from geometry_columns, with their type, SRS and primary key."""
    copy_workspace(str(source), postgis_url)
    params = conninfo_to_dict(postgis_url)
    script = (
        "import sys\nfrom osgeo import ogr\nogr.UseExceptions()\n"
        "ds = ogr.Open(sys.argv[1])\n"
        "for name in ('parcels', 'reference_features'):\n"
        "    layer = ds.GetLayerByName(name)\n"
        "    srs = layer.GetSpatialRef()\n"
        "    print(name, ogr.GeometryTypeToName(layer.GetGeomType()), "
        "srs.GetAuthorityCode(None), layer.GetFIDColumn(), layer.GetFeatureCount())\n"
        "layer = ds.GetLayerByName('parcels')\n"
        "layer.SetAttributeFilter(\"parcel_id = 'SY2022-001'\")\n"
        "print(next(iter(layer)).GetField('name_zh'))\n"
    )
    connection = (f"PG:host={params['host']} port={params['port']} dbname={params['dbname']} "
                  f"user={params['user']}")
    done = subprocess.run([str(SYSTEM_PYTHON), "-c", script, connection], capture_output=True,
                          text=True, timeout=120,
                          env={**os.environ, "PGPASSWORD": params["password"]})
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == f"parcels Multi Polygon {SRID} fid {12 + SCALE_PARCELS}"
    assert lines[1] == f"reference_features Multi Polygon {SRID} fid 8"
    assert lines[2] == Workspace.open(source).parcel("SY2022-001").properties["name_zh"]


def test_the_layout_holds_the_geopackage_workspaces_columns(tmp_path, postgis_url):
    assert MIRRORS_GPKG_SCHEMA == gpkg_schema.SCHEMA_VERSION, (
        "the GeoPackage workspace changed version: bring the PostGIS layout along")
    workspace = Workspace.open(tmp_path / "fresh", seed=None)
    with sqlite3.connect(workspace.path) as connection:
        for table in TABLES:
            columns = [r[1] for r in connection.execute(f"PRAGMA table_info({table.name})")]
            assert tuple(columns) == table.column_names, table.name
    connection.close()
    copy_workspace(str(tmp_path / "fresh"), postgis_url)
    for table in TABLES:
        columns = rows_of(postgis_url, "SELECT column_name FROM information_schema.columns "
                                       "WHERE table_name = %s ORDER BY ordinal_position",
                          table.name)
        assert tuple(c for (c,) in columns) == table.column_names


def test_stored_hectares_agree_with_st_area_on_geography(source, postgis_url):
    # Besides the bureau's rectangles (2 to 15 ha) and its 19-gons (a few hundred hectares),
    # the same 19-gons shrunk to 0.05 to 1 ha, where the rounding of both sums shows most.
    workspace = Workspace.open(source)
    big = [p for p in workspace.parcels() if p.parcel_id.startswith("SY2022-000")][:40]
    workspace.import_parcels(
        [NewParcel(f"小-{i}", {"项目名称": "小地块"},
                   shapely.affinity.scale(p.geometry, factor, factor))
         for i, (p, factor) in enumerate(zip(big, np.geomspace(0.01, 0.05, len(big)),
                                             strict=True))],
        "王工", "小地块.geojson")
    report = copy_workspace(str(source), postgis_url)
    measured = rows_of(postgis_url, "SELECT parcel_id, hectares, ST_Area(geom::geography) / 1e4,"
                                    " ST_AsBinary(geom) FROM parcels ORDER BY fid")
    ours = np.array([r[1] for r in measured])
    theirs = np.array([r[2] for r in measured])
    difference = np.abs(ours - theirs)
    relative = difference / theirs
    assert len(measured) == 12 + SCALE_PARCELS + 40
    assert theirs.min() < 0.1 and theirs.max() > 300
    # Every parcel within its allowance; from 2 ha up, within a tenth of the relative part.
    allowance = AREA_TOLERANCE_RELATIVE * theirs + AREA_TOLERANCE_HA
    assert (difference <= allowance).all()
    assert relative[theirs >= 2].max() <= AREA_TOLERANCE_RELATIVE / 10
    # The figure PostGIS gives is the WGS84 ellipsoid's, as pyproj's Geod measures it (to
    # the rounding of the two sums).
    geod = Geod(ellps="WGS84")
    for _, _, area, wkb in measured[::10]:
        polygon = shapely.orient_polygons(shapely.from_wkb(bytes(wkb)))
        geod_ha = abs(geod.geometry_area_perimeter(polygon)[0]) / 1e4
        assert abs(geod_ha - area) <= 1e-9 * area + 1e-8
    areas = report.areas
    assert areas is not None and areas.parcels == len(measured)
    assert areas.largest_ha == pytest.approx(difference.max(), rel=1e-6)
    assert areas.largest_ha_parcel == measured[int(np.argmax(difference))][0]
    assert areas.largest_relative == pytest.approx(relative.max(), rel=1e-6)
    assert areas.largest_relative_parcel == measured[int(np.argmax(relative))][0]
    assert areas.largest_share == pytest.approx((difference / allowance).max(), rel=1e-6)
    assert 0 < areas.largest_share <= 1


def test_hectares_that_disagree_with_postgis_undo_the_copy(source, postgis_url):
    # Off by a millionth: far less than anyone could see, far more than the tolerance.
    with sqlite3.connect(source / FILE_NAME) as connection:
        connection.execute("UPDATE parcels SET hectares = hectares * (1 + 1e-6) "
                           "WHERE parcel_id = 'SY2022-000042'")
    connection.close()
    with pytest.raises(CopyError) as refused:
        copy_workspace(str(source), postgis_url)
    assert refused.value.problem.code == "copy_areas_disagree"
    assert "SY2022-000042" in refused.value.message("en")
    tables = rows_of(postgis_url, "SELECT count(*) FROM information_schema.tables "
                                  "WHERE table_schema = 'public' AND table_name = 'parcels'")
    assert tables == [(0,)]


def test_a_target_holding_a_workspace_is_replaced_only_when_forced(source, postgis_url,
                                                                    tmp_path):
    copy_workspace(str(source), postgis_url)
    other = Workspace.open(tmp_path / "other", seed=None)
    other.insert("新地块", {"项目名称": "另一个工作区"}, shapely.box(125.6, 43.5, 125.602, 43.502),
                 "赵工")
    with pytest.raises(CopyError) as refused:
        copy_workspace(str(tmp_path / "other"), postgis_url)
    assert refused.value.problem.code == "copy_target_not_empty"
    assert "--force" in refused.value.message("en")
    assert rows_of(postgis_url, "SELECT count(*) FROM parcels") == [(12 + SCALE_PARCELS,)]

    # A forced copy that fails on the way leaves the old workspace whole.
    with sqlite3.connect(tmp_path / "other" / FILE_NAME) as connection:
        connection.execute("UPDATE parcels SET hectares = hectares * 2")
    connection.close()
    with pytest.raises(CopyError):
        copy_workspace(str(tmp_path / "other"), postgis_url, force=True)
    assert rows_of(postgis_url, "SELECT count(*) FROM parcels") == [(12 + SCALE_PARCELS,)]

    with sqlite3.connect(tmp_path / "other" / FILE_NAME) as connection:
        connection.execute("UPDATE parcels SET hectares = hectares / 2")
    connection.close()
    report = copy_workspace(str(tmp_path / "other"), postgis_url, force=True)
    assert report.replaced
    assert rows_of(postgis_url, "SELECT parcel_id, updated_by FROM parcels") == [
        ("新地块", "赵工")]
    assert rows_of(postgis_url, "SELECT count(*) FROM reference_layers") == [(0,)]


def test_a_geopackage_target_is_refused_unless_forced_and_then_replaced(source, tmp_path):
    target = tmp_path / "target"
    Workspace.open(target)  # a planner's folder with the sample parcels
    with pytest.raises(CopyError) as refused:
        copy_workspace(str(source), str(target))
    assert refused.value.problem.code == "copy_target_not_empty"
    assert Workspace.open(target).holds_only_samples()
    report = copy_workspace(str(source), str(target), force=True)
    assert report.replaced and report.areas is None
    assert table_rows(target) == table_rows(source)
    checked = validate(target / FILE_NAME)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_a_copy_that_fails_leaves_no_new_workspace_behind(postgis_url, tmp_path):
    target = tmp_path / "new"
    with pytest.raises(CopyError) as refused:
        copy_workspace(postgis_url, str(target))  # an empty database: no workspace in it
    assert refused.value.problem.code == "postgis_not_a_workspace"
    assert not target.exists()


def test_rows_added_after_a_copy_get_ids_after_the_copied_ones(source, postgis_url):
    copy_workspace(str(source), postgis_url)
    highest = rows_of(postgis_url, "SELECT max(id) FROM parcel_history")[0][0]
    with psycopg.connect(postgis_url) as connection:
        new_id = connection.execute(
            "INSERT INTO parcel_history (at, \"user\", action, parcel_id) "
            "VALUES ('2026-01-01T00:00:00Z', 'x', 'update', 'p') RETURNING id").fetchone()[0]
    assert new_id == highest + 1


def test_a_postgis_workspace_copies_to_another_database(source, postgis_url, cluster,
                                                        tmp_path):
    copy_workspace(str(source), postgis_url)
    second = cluster.create_database("second_copy")
    report = copy_workspace(postgis_url, second)
    assert report.areas is not None and report.areas.parcels == 12 + SCALE_PARCELS
    copy_workspace(second, str(tmp_path / "back"))
    assert table_rows(tmp_path / "back") == table_rows(source)


def test_a_database_without_postgis_is_refused_either_way(source, plain_url, tmp_path):
    for origin, target in ((str(source), plain_url), (plain_url, str(tmp_path / "x"))):
        with pytest.raises(CopyError) as refused:
            copy_workspace(origin, target)
        assert refused.value.problem.code == "postgis_missing"
        assert "CREATE EXTENSION postgis" in refused.value.message("en")
    assert not (tmp_path / "x").exists()


def test_a_database_of_another_layout_version_is_refused(source, postgis_url, tmp_path):
    copy_workspace(str(source), postgis_url)
    with psycopg.connect(postgis_url) as connection:
        connection.execute("UPDATE workspace_meta SET value = '99' "
                           "WHERE key = 'schema_version'")
    with pytest.raises(CopyError) as refused:
        copy_workspace(postgis_url, str(tmp_path / "back"))
    assert refused.value.problem.code == "postgis_workspace_version"
    assert "99" in refused.value.message("zh")


def test_the_source_is_read_from_one_moment(source, postgis_url, tmp_path, monkeypatch):
    """Rows written to the source while it is being copied do not tear the copy."""
    from geo_app.workspace import postgis_copy

    copy_workspace(str(source), postgis_url)
    writes = []
    original = postgis_copy._PostgisSource.rows

    def rows_then_write(self, table):
        yield from original(self, table)
        if not writes:  # after the first table, someone imports into the source
            with psycopg.connect(postgis_url) as other:
                other.execute("INSERT INTO import_batches (at, \"user\", source, "
                              "parcel_count, removed_count, hectares, sample) "
                              "VALUES ('t', 'x', 'late.geojson', 0, 0, 0, 0)")
                other.execute("INSERT INTO parcel_history (at, \"user\", action, parcel_id) "
                              "VALUES ('t', 'x', 'update', 'late')")
            writes.append(True)

    monkeypatch.setattr(postgis_copy._PostgisSource, "rows", rows_then_write)
    report = copy_workspace(postgis_url, str(tmp_path / "back"))
    expected = table_rows(source)
    assert writes and report.rows == {t.name: len(expected[t.name]) for t in TABLES[1:]}
    history = Workspace.open(tmp_path / "back").history()
    assert "late" not in {entry.parcel_id for entry in history}


def test_ids_survive_so_history_still_names_its_batches(source, postgis_url, tmp_path):
    # Gaps in the ids (an import taken back, deleted accounts' numbers) stay as they were.
    workspace = Workspace.open(source)
    batch = workspace.import_parcels([NewParcel("临时", {}, shapely.box(125.7, 43.6, 125.701,
                                                                     43.601))], "王工", "t.json")
    workspace.undo_import(batch.batch_id, "王工")
    copy_workspace(str(source), postgis_url)
    copy_workspace(postgis_url, str(tmp_path / "back"))
    copied = Workspace.open(tmp_path / "back")
    undo = copied.imports()[-1]
    assert undo["undoes"] == batch.batch_id
    assert {e.batch_id for e in copied.history("临时")} == {batch.batch_id, undo["id"]}
    stored = json.loads(rows_of(postgis_url, "SELECT properties::text FROM parcels "
                                             "ORDER BY fid LIMIT 1")[0][0])
    assert list(stored) == list(workspace.parcels()[0].properties)


def test_text_that_copy_formats_escape_comes_back_as_it_was(tmp_path, postgis_url):
    odd = '第一行\n第二\t列 \\ 反斜杠 "引号" \'单引号\' \\N \r 末尾'
    workspace = Workspace.open(tmp_path / "ws", seed=None)
    workspace.import_parcels(
        [NewParcel("p1", {"name_zh": odd, odd: odd, "tiny": 1.5e-300, "big": 2**62,
                          "nested": {"a": [1, None, True]}},
                   shapely.box(125.6, 43.5, 125.61, 43.51))], odd, odd)
    copy_workspace(str(tmp_path / "ws"), postgis_url)
    copy_workspace(postgis_url, str(tmp_path / "back"))
    assert table_rows(tmp_path / "back") == table_rows(tmp_path / "ws")
    parcel = Workspace.open(tmp_path / "back").parcel("p1")
    assert parcel.properties["name_zh"] == odd and parcel.properties[odd] == odd
    assert parcel.updated_by == odd


def test_a_nul_character_postgresql_cannot_store_is_refused_in_words(tmp_path, postgis_url):
    workspace = Workspace.open(tmp_path / "ws", seed=None)
    workspace.import_parcels([NewParcel("p1", {"name_zh": "甲\x00乙"},
                                        shapely.box(125.6, 43.5, 125.61, 43.51))], "王工", "a")
    with pytest.raises(CopyError) as refused:
        copy_workspace(str(tmp_path / "ws"), postgis_url)
    assert refused.value.problem.code == "copy_failed"
    assert "NUL" in refused.value.message("en") and "unchanged" in refused.value.message("en")
    assert rows_of(postgis_url, "SELECT count(*) FROM information_schema.tables "
                                "WHERE table_name = 'parcels'") == [(0,)]


def test_two_copies_into_one_database_at_once_queue_rather_than_collide(source, postgis_url):
    outcomes: list[str] = []

    def one_copy():
        try:
            copy_workspace(str(source), postgis_url)
            outcomes.append("copied")
        except CopyError as exc:
            outcomes.append(exc.problem.code)

    workers = [threading.Thread(target=one_copy) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    # The second waited for the first and then found its workspace there.
    assert sorted(outcomes) == ["copied", "copy_target_not_empty"]
    assert rows_of(postgis_url, "SELECT count(*) FROM parcels") == [(12 + SCALE_PARCELS,)]
