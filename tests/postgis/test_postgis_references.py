"""Reference layers in a PostGIS workspace: stored whole, found near an envelope, replaced
and restorable, removed and kept, all or none; and readers told when they changed."""

from __future__ import annotations

import psycopg
import pytest
import shapely
from control_files import FARMLAND, feature_collection, write_geojson

from geo_app.control import read_reference
from geo_app.workspace import Workspace, WorkspaceError
from geo_app.workspace.dialect import PostgisDialect


@pytest.fixture
def workspace(postgis_url):
    return Workspace.open_database(postgis_url, seed=None)


def farmland(tmp_path, features=FARMLAND):
    path = write_geojson(tmp_path / "基本农田.geojson", feature_collection(
        features, {key: {"备注": f"<b>{key}</b>"} for key in features}))
    return read_reference(path, "farmland")


def test_a_layer_is_stored_whole_and_read_back_as_loaded(workspace, tmp_path):
    assert workspace.references_changed_at() == ""
    layer = workspace.import_reference(farmland(tmp_path), "王工")
    assert (layer.kind, layer.name, layer.feature_count, layer.loaded_by) == (
        "farmland", "永久基本农田", 3, "王工")
    features = workspace.reference_features(layer.layer_id, with_properties=True)
    assert all(shapely.equals(a, b) for a, b in zip(
        features.geometries, [shapely.MultiPolygon(shapely.get_parts(g))
                              for g in FARMLAND.values()], strict=True))
    assert features.properties[0] == {"BSM": "F1", "备注": "<b>F1</b>"}
    near = workspace.reference_features(layer.layer_id, (125.595, 43.605, 125.605, 43.61))
    assert len(near) == 1
    assert workspace.references_changed_at() != ""


def test_replace_restore_and_remove_keep_every_layer_and_say_they_changed(workspace,
                                                                           tmp_path):
    first = workspace.import_reference(farmland(tmp_path), "王工")
    loaded_at = workspace.references_changed_at()
    second = workspace.import_reference(farmland(tmp_path, {"F1": FARMLAND["F1"]}), "李工")
    assert second.replaces == first.layer_id
    assert [layer.layer_id for layer in workspace.reference_layers()] == [second.layer_id]
    back = workspace.restore_reference(first.layer_id, "王工")
    assert back.active and back.feature_count == 3
    gone = workspace.remove_reference("永久基本农田", "王工")
    assert not gone.active and workspace.reference_layers() == []
    assert len(workspace.reference_layers(include_inactive=True)) == 2
    assert workspace.references_changed_at() > loaded_at
    with pytest.raises(WorkspaceError) as again:
        workspace.remove_reference(str(first.layer_id), "王工")
    assert again.value.problem.code == "reference_inactive"


def test_a_failure_mid_write_leaves_no_half_layer(workspace, tmp_path, monkeypatch,
                                                  postgis_url):
    workspace.import_reference(farmland(tmp_path), "王工")
    before = workspace.reference_layers(include_inactive=True)
    real = PostgisDialect.geometry_values

    def failing(self, geometries):
        return real(self, geometries)[:-1]  # one feature fewer: the write fails on the last

    monkeypatch.setattr(PostgisDialect, "geometry_values", failing)
    with pytest.raises(ValueError):
        workspace.import_reference(farmland(tmp_path), "李工")
    assert workspace.reference_layers(include_inactive=True) == before
    with psycopg.connect(postgis_url) as connection:
        count = connection.execute("SELECT count(*) FROM reference_features").fetchone()[0]
    assert count == 3
