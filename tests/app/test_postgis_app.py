"""With ``GEO_APP_DATABASE_URL`` set the page works on that PostGIS workspace: it opens on
the database's parcels, an import through the panel's worker lands in the database (the
worker told only the word for the configured database, never its URL), the import history
lists it, and no GeoPackage is made in the data folder."""

from __future__ import annotations

import importlib
import json
import sys

import pytest
import shapely
from app_harness import assert_clean, map_args, metric, new_app, open_tab, rerun_until
from pg_cluster import new_database, shared_cluster

from geo_app.geodesy import hectares
from geo_app.i18n import load_strings
from geo_app.resources import PROJECT_ROOT
from geo_app.workspace import DATABASE_ENV, FILE_NAME, NewParcel, Workspace
from geo_app.workspace.location import DATABASE_ARGUMENT

STRINGS = load_strings()
SQUARE = shapely.box(125.55, 43.60, 125.56, 43.607)
UPLOADED = shapely.box(125.57, 43.61, 125.58, 43.617)
# Generous bounds on waiting for a worker (it starts in about a second); never a timing test.


def zh(name: str, **values) -> str:
    return STRINGS.get(name, "zh", **values)


def _part(name: str):
    """app_parts sits beside streamlit_app.py, outside the installed package."""
    if str(PROJECT_ROOT) not in sys.path:
        sys.path.insert(0, str(PROJECT_ROOT))
    return importlib.import_module(f"app_parts.{name}")


@pytest.fixture
def database_url(monkeypatch) -> str:
    """A fresh PostGIS database, configured for the page (and its workers)."""
    shared_cluster()
    url = new_database("app")
    monkeypatch.setenv(DATABASE_ENV, url)
    monkeypatch.delenv("GEO_APP_CATALOG", raising=False)
    return url


def _geojson(parcel_id: str, geometry) -> bytes:
    return json.dumps({"type": "FeatureCollection", "features": [{
        "type": "Feature", "properties": {"id": parcel_id, "status": "planned"},
        "geometry": shapely.geometry.mapping(geometry)}]}).encode()


def test_the_page_opens_on_the_databases_parcels(database_url, own_workspace):
    database = Workspace.open_database(database_url)
    database.import_parcels(
        [NewParcel("db-1", {"status": "supplied", "name_zh": "库中地块"}, SQUARE)],
        "王工", "地块.geojson")
    at = new_app().run()
    assert_clean(at)
    assert '"id":"db-1"' in map_args(at)["script"]
    open_tab(at, "land")
    assert metric(at, zh("app.land.total_all")) == f"{hectares([SQUARE])[0]:,.2f}"
    # Not the shipped samples: the database holds a planner's parcel.
    assert zh("app.land.sample") not in [w.value for w in at.warning]
    # The data folder is never used while the database is configured.
    assert not (own_workspace / FILE_NAME).exists()


def test_an_import_through_the_panel_lands_in_the_database_and_is_listed(
        database_url, own_workspace, monkeypatch):
    import_jobs = importlib.import_module("geo_app.import_jobs")
    told: list[dict] = []
    real_job = import_jobs.Job

    class RecordedJob(real_job):
        @classmethod
        def start(cls, task, arguments, *args, **kwargs):
            told.append({"task": task, **arguments})
            return real_job.start(task, arguments, *args, **kwargs)

    monkeypatch.setattr(import_jobs, "Job", RecordedJob)
    panel = _part("import_panel")
    at = new_app().run()
    open_tab(at, "land")
    at.text_input(key=panel.USER).input("王工")
    at.file_uploader(key=f"{panel.UPLOAD}_0").set_value(
        ("新地块.geojson", _geojson("u-1", UPLOADED), "application/json"))
    would_give = zh("app.import.preview.would_give", count=1, hectares="", by_status="",
                    flagged=0).split("，")[0]
    rerun_until(at, lambda at: any(would_give in i.value for i in at.info), "preview")
    [button] = [b for b in at.button if b.label == zh("app.import.run")]
    assert not button.disabled
    button.click()
    done = zh("app.import.done", count=1, hectares="").split("，")[0]
    rerun_until(at, lambda at: any(done in s.value for s in at.success), "import")
    assert_clean(at)

    database = Workspace.open_database(database_url)
    assert [p.parcel_id for p in database.parcels()] == ["u-1"]
    [batch] = [b for b in database.imports() if not b["sample"]]
    assert (batch["source"], batch["user"]) == ("新地块.geojson", "王工")
    # Both workers were told the word for the configured database, never its URL.
    assert [t["task"] for t in told] == [import_jobs.CHECK, import_jobs.IMPORT]
    assert all(t["workspace"] == DATABASE_ARGUMENT for t in told)
    assert database_url not in json.dumps(told, ensure_ascii=False)

    # The next run counts the imported parcel and the history lists the import.
    at.run()
    assert_clean(at)
    assert metric(at, zh("app.land.total_all")) == f"{hectares([UPLOADED])[0]:,.2f}"
    open_tab(at, "map")
    assert '"id":"u-1"' in map_args(at)["script"]
    open_tab(at, "land")
    history = _part("import_history")
    assert zh("app.import_history.title") in [e.label for e in at.expander]
    assert any("新地块.geojson" in t.value and "王工" in t.value for t in at.text)
    assert not (own_workspace / FILE_NAME).exists()
    # Undone from the page: the database is back to its samples.
    at.text_input(key=history.USER).input("王工").run()
    [undo] = [b for b in at.button if b.key == f"{history.UNDO_PREFIX}{batch['id']}"]
    undo.click().run()
    assert_clean(at)
    assert Workspace.open_database(database_url).holds_only_samples()
    open_tab(at, "map")
    assert '"id":"u-1"' not in map_args(at)["script"]


def test_another_servers_change_is_drawn_on_the_next_run(database_url):
    at = new_app().run()
    assert_clean(at)
    assert '"id":"elsewhere-1"' not in map_args(at)["script"]
    # Another app server (its own Workspace on the same database) imports a parcel.
    Workspace.open_database(database_url).import_parcels(
        [NewParcel("elsewhere-1", {"status": "planned"}, SQUARE)], "李工", "他处.geojson")
    at.run()
    assert_clean(at)
    assert '"id":"elsewhere-1"' in map_args(at)["script"]
