"""Whether a reference load whose worker gave no answer stored its layer: found by its own
file and planner, never taken from another planner's load meanwhile."""

from __future__ import annotations

from control_files import FARMLAND, RED_LINE, feature_collection, write_geojson

from geo_app.control import read_reference
from geo_app.control.reference_jobs import latest_layer, written_layer
from geo_app.workspace import Workspace


def test_only_a_layer_of_the_same_file_and_planner_after_the_start_counts(tmp_path):
    folder = tmp_path / "ws"
    workspace = Workspace.open(folder, seed=None)
    farmland = write_geojson(tmp_path / "农田.geojson", feature_collection(FARMLAND))
    red_line = write_geojson(tmp_path / "红线.geojson", feature_collection(RED_LINE))
    workspace.import_reference(read_reference(farmland, "farmland"), "王工")
    since = latest_layer(folder)
    assert since == 1
    # Meanwhile another planner loads the same file, and this planner another file.
    workspace.import_reference(read_reference(farmland, "farmland", name="别的"), "李工")
    workspace.import_reference(read_reference(red_line, "eco_redline"), "王工")
    assert written_layer(folder, since, "农田.geojson", "王工") is None
    # Then ours is stored.
    ours = workspace.import_reference(read_reference(farmland, "farmland"), "王工")
    assert written_layer(folder, since, "农田.geojson", "王工") == ours.layer_id
    assert written_layer(folder, ours.layer_id, "农田.geojson", "王工") is None
