"""A workspace living in PostGIS: its tables are the ones QGIS reads (typed geometry, GiST),
its hectares agree with ST_Area(geography), a database that is not a workspace of this
layout is refused in words with the password masked, and it copies to a GeoPackage and back
while staying a live workspace."""

from __future__ import annotations

import datetime as dt
import threading

import psycopg
import pytest
import shapely

from geo_app.workspace import NewParcel, StaleEditError, Workspace, WorkspaceError
from geo_app.workspace.actors import Actor, NotAllowedError
from geo_app.workspace.postgis_copy import check_areas, copy_workspace, masked_url
from geo_app.workspace.postgis_schema import SCHEMA_VERSION
from geo_app.workspace.postgis_store import translated


def square(x=125.60, y=43.50, size=0.01):
    return shapely.box(x, y, x + size, y + size)


def test_placeholders_are_translated_outside_quotes_only():
    assert translated("SELECT ? FROM t WHERE a = '?' AND \"b?\" = ?") == (
        "SELECT %s FROM t WHERE a = '?' AND \"b?\" = %s")
    assert translated("SELECT '100%' || ?") == "SELECT '100%%' || %s"


def test_the_live_tables_are_what_qgis_reads_and_the_hectares_agree(postgis_url):
    workspace = Workspace.open_database(postgis_url)
    workspace.import_parcels([NewParcel(f"p{n}", {"status": "planned"}, square(125.6 + n / 50))
                              for n in range(5)], "ann", "five.geojson")
    workspace.update("p1", 1, "bob", geometry=square(125.62, size=0.03))
    with psycopg.connect(postgis_url) as connection:
        columns = connection.execute(
            "SELECT f_table_name, type, srid FROM geometry_columns ORDER BY 1").fetchall()
        gist = connection.execute(
            "SELECT indexname FROM pg_indexes WHERE indexdef LIKE '%USING gist (geom)%' "
            "ORDER BY 1").fetchall()
        areas = check_areas(connection)
    assert columns == [("parcels", "MULTIPOLYGON", 4326),
                       ("reference_features", "MULTIPOLYGON", 4326)]
    assert [name for (name,) in gist] == ["parcels_geom_gist", "reference_features_geom_gist"]
    assert areas.parcels == 5 and areas.largest_share <= 1


def test_two_servers_on_one_database_see_each_others_changes(postgis_url):
    first = Workspace.open_database(postgis_url, seed=None)
    second = Workspace.open_database(postgis_url, seed=None)
    made = first.insert("p1", {"status": "planned"}, square(), "ann")
    assert second.parcel("p1").version == made.version
    second.update("p1", made.version, "bob", properties={"status": "supplied"})
    with pytest.raises(StaleEditError):
        first.update("p1", made.version, "ann", properties={"status": "planned"})
    assert first.parcel("p1").properties["status"] == "supplied"


def test_a_database_that_is_not_a_workspace_of_this_layout_is_refused(postgis_url, plain_url):
    with psycopg.connect(postgis_url, autocommit=True) as connection:
        connection.execute("CREATE TABLE parcels (id integer)")
    with pytest.raises(WorkspaceError) as foreign:
        Workspace.open_database(postgis_url)
    assert foreign.value.problem.code == "not_a_workspace"
    with pytest.raises(WorkspaceError) as missing:
        Workspace.open_database(plain_url)
    assert missing.value.problem.code == "postgis_missing"
    for refused in (foreign.value, missing.value):
        text = refused.message("en") + refused.message("zh")
        assert "p@ss" not in text and "***" in text


def test_a_workspace_of_another_layout_version_is_refused(postgis_url):
    Workspace.open_database(postgis_url, seed=None)
    with psycopg.connect(postgis_url, autocommit=True) as connection:
        connection.execute("UPDATE workspace_meta SET value = '99' "
                           "WHERE key = 'schema_version'")
    with pytest.raises(WorkspaceError) as refused:
        Workspace.open_database(postgis_url)
    assert refused.value.problem.code == "workspace_version"
    assert masked_url(postgis_url) in refused.value.message("en")
    assert SCHEMA_VERSION == "1"


def test_an_unreachable_database_is_said_with_the_password_masked(postgis_url, cluster):
    # The same server and password, on a port nothing listens on.
    url = postgis_url.rsplit(":", 1)[0] + ":1/nowhere?connect_timeout=2"
    with pytest.raises(WorkspaceError) as refused:
        Workspace.open_database(url)
    assert refused.value.problem.code == "postgis_unreachable"
    text = refused.value.message("en") + refused.value.message("zh")
    assert "postgres:***@127.0.0.1:1/nowhere" in text
    secret = cluster.password.split(":")[1].split("/")[0]
    assert secret not in text


def test_a_live_workspace_copies_to_a_geopackage_and_back_and_stays_live(postgis_url, tmp_path,
                                                                          cluster):
    live = Workspace.open_database(postgis_url)
    outcome = live.import_parcels([NewParcel("real-1", {"status": "planned"}, square())],
                                  "ann", "real.geojson")
    live.update("real-1", 1, "bob", properties={"status": "supplied"})
    copy_workspace(postgis_url, str(tmp_path / "copy"))
    folder = Workspace.open(tmp_path / "copy", seed=None)
    assert [(p.parcel_id, p.version, p.properties) for p in folder.parcels()] == [
        (p.parcel_id, p.version, p.properties) for p in live.parcels()]
    assert len(folder.history()) == len(live.history())

    again = cluster.create_database("copied_back")
    copy_workspace(str(tmp_path / "copy"), again)
    back = Workspace.open_database(again, seed=None)
    # New rows get keys after the copied ones: the copy is a workspace to go on with.
    assert back.restore("real-1", 1, "carol").version == 3
    assert back.imports()[-1]["id"] == outcome.batch_id
    added = back.insert("p2", {"status": "planned"}, square(125.7), "dan")
    assert added.version == 1 and back.history()[0].id > max(e.id for e in live.history())
    assert back.integrity_check() == "ok"


def test_a_database_workspace_has_no_file_and_no_backup(postgis_url, tmp_path):
    workspace = Workspace.open_database(postgis_url, seed=None)
    with pytest.raises(TypeError):
        _ = workspace.path
    with pytest.raises(WorkspaceError) as refused:
        workspace.backup(tmp_path / "snapshot.gpkg")
    assert refused.value.problem.code == "backup_of_database"
    assert "workspace copy" in refused.value.message("en")
    assert not (tmp_path / "snapshot.gpkg").exists()


def test_two_servers_opening_a_new_database_at_once_make_it_once(postgis_url):
    opened: list[Workspace] = []
    start = threading.Barrier(4)

    def open_it():
        start.wait()
        opened.append(Workspace.open_database(postgis_url))

    threads = [threading.Thread(target=open_it) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(opened) == 4
    # The samples were seeded by one of them, once.
    assert len(opened[0].imports()) == 1 and opened[0].holds_only_samples()


def test_accounts_sign_ins_roles_and_settings_are_kept_in_the_database(postgis_url):
    workspace = Workspace.open_database(postgis_url, seed=None)
    workspace.add_account("王工", "editor", "$argon2id$stand-in", "admin")
    workspace.change_account("王工", "admin", role="viewer")
    since = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    for outcome in ("wrong_password", "unknown", "wrong_password"):
        workspace.record_sign_in("王工", "10.1.0.5", outcome)
    other_server = Workspace.open_database(postgis_url, seed=None)
    assert other_server.account("王工").role == "viewer"
    assert other_server.failed_sign_ins("王工", since) == 3
    workspace.record_sign_in("王工", "10.1.0.5", "ok")
    assert other_server.failed_sign_ins("王工", since) == 0
    viewer = other_server.acting_as(Actor("王工", "viewer", via="password"))
    with pytest.raises(NotAllowedError):
        viewer.insert("p1", {}, square(), "王工")
    editor = other_server.acting_as(Actor("李工", "editor", via="password"))
    assert editor.insert("p1", {}, square(), "冒名者").updated_by == "李工"
    workspace.remember("column_mapping:x", '{"fields": {}}')
    workspace.remember("column_mapping:x", '{"fields": {"id": "地块编号"}}')
    assert other_server.setting("column_mapping:x") == '{"fields": {"id": "地块编号"}}'


def test_the_configured_database_is_the_workspace_a_place_opens(postgis_url):
    from geo_app.workspace import DATABASE_ENV, configured_place

    place = configured_place(None, {DATABASE_ENV: postgis_url})
    workspace = Workspace.at(place, seed=None)
    workspace.insert("p1", {"status": "planned"}, square(), "ann")
    assert [p.parcel_id for p in Workspace.open_database(postgis_url).parcels()] == ["p1"]
