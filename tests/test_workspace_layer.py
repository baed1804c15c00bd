"""The workspace's parcels as a layer file: complete features, one copy per change, exact
hectares."""

from __future__ import annotations

import shapely

from geo_app.catalog import load_catalog, load_layer_frame, load_layer_geojson
from geo_app.ledger import LandSupplyLedger
from geo_app.workspace import NewParcel, Workspace, workspace_ledger
from geo_app.workspace import layer_file as workspace_layer
from geo_app.workspace.layer_file import (
    UNSTATED_ACCURACY,
    change_stamp,
    layer_properties,
    parcel_layer_file,
    with_parcel_file,
)

SQUARE = shapely.box(125.55, 43.60, 125.5612345678, 43.6071234567)


def bare_workspace(tmp_path) -> Workspace:
    return Workspace.open(tmp_path / "ws", seed=None)


def test_missing_layer_fields_are_filled_and_given_ones_kept(tmp_path):
    workspace = bare_workspace(tmp_path)
    workspace.insert("p-1", {"status": "planned", "note_zh": "备注"}, SQUARE, "王工")
    workspace.insert("p-2", {"status": "planned", "name_zh": "二号", "accuracy": "surveyed",
                             "plan_ref": None, "source": "测绘院"}, SQUARE, "王工")
    first, second = (layer_properties(p) for p in workspace.parcels())
    assert first["name_zh"] == first["name_en"] == "p-1"
    assert first["accuracy"] == UNSTATED_ACCURACY
    assert first["source"] and first["plan_ref"] == "land_supply_ha"
    assert first["note_zh"] == "备注"
    assert (second["name_zh"], second["name_en"], second["accuracy"], second["plan_ref"],
            second["source"]) == ("二号", "二号", "surveyed", "land_supply_ha", "测绘院")


def test_one_copy_per_change_and_the_catalog_reads_it(tmp_path):
    workspace = Workspace.open(tmp_path / "ws")
    folder = tmp_path / "copies"
    copy = parcel_layer_file(workspace, folder)
    assert copy.sample_data
    assert parcel_layer_file(workspace, folder) == copy
    catalog = with_parcel_file(load_catalog(), "land_parcels", copy)
    assert catalog.layer("land_parcels").path == copy.path
    assert catalog.layer("land_parcels").sample_data
    # The copy meets the layer contract, like every shipped layer file.
    ids = [f["properties"]["id"] for f in load_layer_geojson(catalog.layer("land_parcels"))[
        "features"]]
    assert ids == [p.parcel_id for p in workspace.parcels()]

    stamp = change_stamp(workspace)
    workspace.import_parcels([NewParcel("real-1", {"status": "planned"}, SQUARE)], "王工",
                             "file.geojson")
    assert change_stamp(workspace) != stamp
    changed = parcel_layer_file(workspace, folder)
    assert changed.path != copy.path and not changed.sample_data
    frame = load_layer_frame(with_parcel_file(load_catalog(), "land_parcels", changed).layer(
        "land_parcels"))
    assert list(frame["id"]) == ["real-1"]


def test_hectares_from_the_copy_are_the_workspace_hectares_exactly(tmp_path):
    workspace = Workspace.open(tmp_path / "ws")
    copy = parcel_layer_file(workspace, tmp_path / "copies")
    spec = with_parcel_file(load_catalog(), "land_parcels", copy).layer("land_parcels")
    from_copy = LandSupplyLedger(load_layer_frame(spec), 200.0)
    assert from_copy.total_ha == workspace_ledger(workspace).total_ha


def test_old_copies_are_pruned(tmp_path, monkeypatch):
    monkeypatch.setattr(workspace_layer, "KEEP_COPIES", 2)
    workspace = bare_workspace(tmp_path)
    folder = tmp_path / "copies"
    paths = []
    for number in range(5):
        workspace.insert(f"p-{number}", {"status": "planned"}, SQUARE, "王工")
        paths.append(parcel_layer_file(workspace, folder).path)
    left = sorted(folder.glob("parcels-*.geojson"))
    assert paths[-1] in left and len(left) == 3


def test_the_copy_holds_every_coordinate_and_value_exactly(tmp_path):
    workspace = bare_workspace(tmp_path)
    # Doubles whose shortest text is long, and one a hair from a round number.
    ring = [(125.55000000000001, 43.6), (125.5612345678901, 43.600000000000001 + 1e-13),
            (0.1 + 125.4, 43.607123456789012), (125.55000000000001, 43.6)]
    tricky = shapely.Polygon(ring)
    props = {"status": "planned", "说明": "引号\"和\\反斜杠\n换行", "面积": 1e-7, "大数": 2**70}
    workspace.insert("p-1", props, tricky, "王工")
    copy = parcel_layer_file(workspace, tmp_path / "copies")
    feature = load_layer_geojson(
        with_parcel_file(load_catalog(), "land_parcels", copy).layer("land_parcels")
    )["features"][0]
    stored = workspace.parcel("p-1")
    assert shapely.equals_exact(shapely.geometry.shape(feature["geometry"]), stored.geometry,
                                tolerance=0)
    assert feature["geometry"]["type"] == "MultiPolygon"
    assert {k: feature["properties"][k] for k in props} == props
