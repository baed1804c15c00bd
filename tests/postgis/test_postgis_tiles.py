"""A workspace in PostGIS gives the app the same copies as a GeoPackage one: its parcels'
layer file and its tile archives are named after the database (its URL without the
password) and its change, so every server on one database names one state alike; the
archives are built by a worker told only the word for the configured database."""

from __future__ import annotations

import json

import shapely

from geo_app.workspace import DATABASE_ENV, NewParcel, Workspace, configured_place
from geo_app.workspace.layer_file import parcel_layer_file
from geo_app.workspace.location import DATABASE_ARGUMENT
from geo_app.workspace.tile_file import (
    TileBuilds,
    parcel_spec,
    read_tile_parcels,
    read_tile_references,
    reference_spec,
)

COUNT = 12
# Generous: a worker starts Python and GDAL on a busy two-core machine.
WAIT_S = 120


def _parcels(count: int) -> list[NewParcel]:
    return [
        NewParcel(f"p-{i}", {"status": "planned", "town": "奢岭街道", "quarter": "2024Q1",
                             "accuracy": "surveyed" if i % 2 else "approximate"},
                  shapely.box(125.5 + i * 0.01, 43.5, 125.506 + i * 0.01, 43.504))
        for i in range(count)
    ]


def _database(url: str) -> Workspace:
    workspace = Workspace.open_database(url, seed=None)
    workspace.import_parcels(_parcels(COUNT), "王工", "地块.geojson")
    return workspace


def test_two_servers_name_the_same_copy_and_a_change_names_a_new_one(postgis_url, tmp_path):
    workspace = _database(postgis_url)
    # Two servers: each its own Workspace on the database, each its own folder of copies.
    first = parcel_layer_file(workspace, tmp_path / "server-1")
    second = parcel_layer_file(Workspace.open_database(postgis_url), tmp_path / "server-2")
    assert first.path.name == second.path.name
    assert first.path.read_bytes() == second.path.read_bytes()
    features = json.loads(first.path.read_text(encoding="utf-8"))["features"]
    assert sorted(f["properties"]["id"] for f in features) == sorted(
        f"p-{i}" for i in range(COUNT))
    moved = workspace.parcel("p-0")
    workspace.update("p-0", moved.version, "李工", properties={**moved.properties,
                                                                "status": "supplied"})
    after = parcel_layer_file(Workspace.open_database(postgis_url), tmp_path / "server-2")
    assert after.path.name != second.path.name


def test_the_tiles_read_the_same_parcels_from_a_database_as_from_a_geopackage(postgis_url,
                                                                              tmp_path):
    database = _database(postgis_url)
    folder = Workspace.open(tmp_path / "ws", seed=None)
    folder.import_parcels(_parcels(COUNT), "王工", "地块.geojson")
    ours, theirs = read_tile_parcels(database), read_tile_parcels(folder)
    assert list(ours.columns) == list(theirs.columns)
    ours, theirs = ours.sort_values("id"), theirs.sort_values("id")
    for column in ("id", "status", "town", "quarter", "accuracy"):
        assert list(ours[column]) == list(theirs[column]), column
    assert all(a.equals(b) for a, b in zip(ours.geometry, theirs.geometry, strict=True))
    west, south, east, north = database.parcels_extent()
    assert (west, south) == (125.5, 43.5)
    assert abs(east - (125.506 + (COUNT - 1) * 0.01)) < 1e-9 and north == 43.504


def test_a_worker_builds_the_archive_told_only_the_word_for_the_database(postgis_url,
                                                                        tmp_path, monkeypatch):
    monkeypatch.setenv(DATABASE_ENV, postgis_url)
    workspace = Workspace.at(configured_place())
    workspace.import_parcels(_parcels(COUNT), "王工", "地块.geojson")
    spec = parcel_spec(workspace, tmp_path / "tiles", "wgs84")
    assert spec.arguments()["workspace"] == DATABASE_ARGUMENT
    assert postgis_url not in json.dumps(spec.arguments())
    # Another server asks for the same archive by the same name.
    assert parcel_spec(Workspace.open_database(postgis_url), tmp_path / "tiles",
                       "wgs84").name == spec.name
    builds = TileBuilds()
    done = builds.wait(spec, WAIT_S)
    assert done.ready and done.current.count == COUNT, builds.answers
    assert [a["outcome"] for a in builds.answers] == ["built"]


def test_a_worker_refuses_a_database_other_than_the_one_the_archive_names(postgis_url,
                                                                         tmp_path, monkeypatch):
    from pg_cluster import new_database

    workspace = _database(postgis_url)
    spec = parcel_spec(workspace, tmp_path / "tiles", "wgs84")
    # The worker's environment names another database: it writes nothing.
    monkeypatch.setenv(DATABASE_ENV, new_database("other"))
    builds = TileBuilds()
    state = builds.wait(spec, WAIT_S)
    assert not state.ready and state.failed
    assert not spec.path.exists()
    # Refused before reading anything, not merely found changed since.
    assert builds.answers and all(a["status"] != "done" for a in builds.answers), builds.answers


def test_a_reference_layer_of_a_database_reads_for_its_tiles(postgis_url, tmp_path,
                                                            monkeypatch):
    from control_files import landuse_collection, write_geojson

    from geo_app.control import read_reference

    monkeypatch.setenv(DATABASE_ENV, postgis_url)
    workspace = Workspace.at(configured_place())
    path = write_geojson(tmp_path / "landuse.geojson", landuse_collection())
    layer = workspace.import_reference(read_reference(path, "landuse"), "王工")
    frame = read_tile_references(workspace, layer.layer_id)
    stored = workspace.reference_features(layer.layer_id)
    assert sorted(frame["id"]) == sorted(int(f) for f in stored.fids)
    assert sorted(frame["class"]) == sorted(c or "" for c in stored.classes)
    counts = workspace.reference_class_counts(layer.layer_id)
    assert sum(n for _, n in counts) == len(stored)
    spec = reference_spec(workspace, tmp_path / "tiles", layer.layer_id, "wgs84")
    done = TileBuilds().wait(spec, WAIT_S)
    assert done.ready and done.current.count == len(stored)
