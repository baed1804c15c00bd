"""Reference layers in the workspace: stored whole, replaced and restorable, all or none."""

from __future__ import annotations

import sqlite3

import pytest
import shapely
from control_files import FARMLAND, RED_LINE, feature_collection, write_geojson

from geo_app.control import read_reference
from geo_app.workspace import Workspace, WorkspaceError
from geo_app.workspace import references as stored


@pytest.fixture
def workspace(tmp_path):
    return Workspace.open(tmp_path / "ws", seed=None)


def farmland(tmp_path, features=FARMLAND, **options):
    path = write_geojson(tmp_path / "基本农田.geojson", feature_collection(
        features, {key: {"备注": f"<b>{key}</b>"} for key in features}))
    return read_reference(path, "farmland", **options)


def test_a_layer_is_stored_with_its_source_and_who_loaded_it(workspace, tmp_path):
    layer = workspace.import_reference(farmland(tmp_path), "王工")
    assert (layer.kind, layer.name, layer.source, layer.crs) == (
        "farmland", "永久基本农田", "基本农田.geojson", "wgs84")
    assert layer.loaded_by == "王工" and layer.loaded_at.endswith("Z") and layer.active
    assert layer.feature_count == 3
    features = workspace.reference_features(layer.layer_id, with_properties=True)
    assert all(shapely.equals(a, b) for a, b in zip(
        features.geometries, [shapely.MultiPolygon(shapely.get_parts(g))
                              for g in FARMLAND.values()], strict=True))
    assert features.properties[0] == {"BSM": "F1", "备注": "<b>F1</b>"}


def test_features_can_be_asked_for_near_an_envelope_only(workspace, tmp_path):
    layer = workspace.import_reference(farmland(tmp_path), "王工")
    near = workspace.reference_features(layer.layer_id, (125.595, 43.605, 125.605, 43.61))
    assert len(near) == 1 and near.classes == [None]
    assert len(workspace.reference_features(layer.layer_id, (0, 0, 1, 1))) == 0


def test_a_file_under_a_name_in_use_replaces_the_layer_which_can_be_restored(
    workspace, tmp_path
):
    first = workspace.import_reference(farmland(tmp_path), "王工")
    second = workspace.import_reference(farmland(tmp_path, {"F1": FARMLAND["F1"]}), "李工")
    assert second.replaces == first.layer_id
    [current] = workspace.reference_layers()
    assert current.layer_id == second.layer_id and current.feature_count == 1
    old = next(layer for layer in workspace.reference_layers(include_inactive=True)
               if layer.layer_id == first.layer_id)
    assert not old.active and old.ended_by == "李工"

    back = workspace.restore_reference(first.layer_id, "王工")
    assert back.active and back.feature_count == 3
    assert [layer.layer_id for layer in workspace.reference_layers()] == [first.layer_id]


def test_layers_of_other_names_stay_side_by_side(workspace, tmp_path):
    workspace.import_reference(farmland(tmp_path), "王工")
    workspace.import_reference(farmland(tmp_path, name="2024 年划定"), "王工")
    assert len(workspace.reference_layers()) == 2


def test_removing_takes_a_layer_off_and_keeps_it(workspace, tmp_path):
    layer = workspace.import_reference(farmland(tmp_path), "王工")
    gone = workspace.remove_reference("永久基本农田", "王工")
    assert gone.layer_id == layer.layer_id and not gone.active
    assert workspace.reference_layers() == []
    with pytest.raises(WorkspaceError) as again:
        workspace.remove_reference(str(layer.layer_id), "王工")
    assert again.value.problem.code == "reference_inactive"
    with pytest.raises(WorkspaceError) as unknown:
        workspace.remove_reference("生态红线", "王工")
    assert unknown.value.problem.code == "reference_unknown"
    workspace.restore_reference(layer.layer_id, "王工")
    assert len(workspace.reference_layers()) == 1


def test_a_failure_mid_write_leaves_no_half_layer(workspace, tmp_path, monkeypatch):
    workspace.import_reference(farmland(tmp_path), "王工")
    before = workspace.reference_layers(include_inactive=True)

    real = stored.gpkg.geometry_blobs

    def failing(geometries):
        return real(geometries)[:-1]  # one feature fewer: the write fails on the last row

    monkeypatch.setattr(stored.gpkg, "geometry_blobs", failing)
    with pytest.raises(ValueError):
        workspace.import_reference(farmland(tmp_path), "李工")
    # The layer it would have replaced is still the current one, and no feature is left over.
    assert workspace.reference_layers(include_inactive=True) == before
    with sqlite3.connect(workspace.path) as connection:
        count = connection.execute("SELECT count(*) FROM reference_features").fetchone()[0]
    connection.close()
    assert count == 3


def test_the_feature_table_opens_in_gdal_as_a_layer(workspace, tmp_path):
    import pyogrio

    workspace.import_reference(read_reference(write_geojson(
        tmp_path / "r.geojson", feature_collection(RED_LINE)), "eco_redline"), "王工")
    frame = pyogrio.read_dataframe(workspace.path, layer="reference_features")
    assert len(frame) == 1 and frame.crs.to_epsg() == 4326
    assert frame.geometry.iloc[0].equals(shapely.MultiPolygon([RED_LINE["R1"]]))
