"""A district's ledger in the workspace: imported in one bulk transaction, totalled from the
stored hectares (SQL), and equal to the ledger that measures every geometry again."""

import io
import json

import numpy as np
import pytest
import shapely
from bureau_files import LAYOUTS
from pyproj import Geod
from scale_files import bureau_geopackage

from geo_app.cli import main
from geo_app.importing import import_file
from geo_app.ledger import StoredLedger, workspace_totals
from geo_app.workspace import NewParcel, Workspace, workspace_ledger
from geo_app.workspace import parcels as parcel_rows

GEOD = Geod(ellps="GRS80")
# Large enough to take several of the writer's slices and the reader's batches, small
# enough for the suite; the benchmark (bench/bench_scale.py) imports 100,000.
COUNT = 25_000


def totals_json(workspace: Workspace, *options: str) -> dict:
    """What ``geo-app totals --workspace DIR --json`` prints (it must succeed)."""
    out, err = io.StringIO(), io.StringIO()
    argv = ["totals", "--workspace", str(workspace.path.parent), *options, "--json"]
    assert main(argv, stdout=out, stderr=err) == 0, err.getvalue()
    return json.loads(out.getvalue())


def geod_hectares(geometries) -> float:
    return sum(abs(GEOD.geometry_area_perimeter(shapely.orient_polygons(g))[0])
               for g in geometries) / 1e4


def assert_same_figures(stored: StoredLedger, measured) -> None:
    got, want = stored.to_dict(), measured.to_dict()
    assert got.keys() == want.keys()
    for key in ("target_ha", "parcel_count", "sample_data"):
        assert got[key] == want[key], key
    for key in ("total_ha", "gap_ha"):
        assert got[key] == pytest.approx(want[key], rel=1e-12, abs=1e-9), key
    for key in ("by_status", "by_town", "by_use", "by_quarter"):
        # The same keys in the same order, the same hectares.
        assert list(got[key]) == list(want[key]), key
        assert got[key] == pytest.approx(want[key], rel=1e-12, abs=1e-9), key
    assert stored.use_labels() == measured.use_labels()


@pytest.fixture(scope="module")
def big_workspace(tmp_path_factory):
    folder = tmp_path_factory.mktemp("scale")
    path = bureau_geopackage(folder / "供地台账.gpkg", COUNT)
    workspace = Workspace.open(folder / "ws")
    result = import_file(workspace, path, "规划科")
    return path, workspace, result


def test_a_district_ledger_imports_whole_in_one_batch(big_workspace):
    _, workspace, result = big_workspace
    assert result.plan.errors == [] and result.outcome is not None
    assert workspace.count() == COUNT and not workspace.holds_only_samples()
    (batch,) = [b for b in workspace.imports() if b["parcel_count"] == COUNT]
    assert batch["removed_count"] > 0  # the samples made way
    entries = workspace.history(limit=COUNT + 100)
    assert sum(1 for e in entries if e.batch_id == batch["id"] and e.action == "import") == COUNT
    assert workspace.integrity_check() == "ok"


def test_its_totals_from_stored_hectares_are_the_geod_figure(big_workspace):
    _, workspace, result = big_workspace
    totals = workspace_totals(workspace)
    parcels = workspace.parcels()
    truth = geod_hectares(p.geometry for p in parcels)
    assert totals.parcel_count == COUNT
    assert totals.total_ha == pytest.approx(truth, rel=1e-6)
    assert totals.total_ha == pytest.approx(result.outcome.hectares_added, rel=1e-12)
    assert_same_figures(totals, workspace_ledger(workspace))


def test_filters_and_another_target_from_stored_hectares(big_workspace):
    _, workspace, _ = big_workspace
    stored, measured = workspace_totals(workspace), workspace_ledger(workspace)
    for choice in (
        {"status": "supplied"},
        {"status": ["planned", "in_acquisition"], "town": "奢岭街道"},
        {"quarter": "2022Q3", "use": "industrial"},
        {"town": "不存在镇"},
    ):
        assert_same_figures(stored.filtered(**choice), measured.filtered(**choice))
    assert_same_figures(stored.against(500), measured.against(500))


def test_geo_app_totals_reads_the_big_workspace(big_workspace):
    _, workspace, _ = big_workspace
    printed = totals_json(workspace)
    assert printed["parcel_count"] == COUNT
    assert printed["total_ha"] == pytest.approx(workspace_ledger(workspace).total_ha, rel=1e-12)
    supplied = totals_json(workspace, "--status", "supplied", "--target", "1000")
    assert supplied["target_ha"] == 1000.0
    assert supplied["total_ha"] == pytest.approx(printed["by_status"]["supplied"], rel=1e-12)


def test_replacing_and_undoing_a_ledger_written_in_slices(tmp_path, monkeypatch):
    # Slices of 700 parcels, so 3,000 take five of them (a district's take ten of 10,000).
    monkeypatch.setattr(parcel_rows, "_PARCELS_PER_SLICE", 700)
    path = bureau_geopackage(tmp_path / "ledger.gpkg", 3_000)
    workspace = Workspace.open(tmp_path / "ws", seed=None)
    first = import_file(workspace, path, "a").outcome
    again = import_file(workspace, path, "b", replace=True).outcome
    assert again.removed == first.added and again.hectares_removed == pytest.approx(
        first.hectares_added, rel=1e-12)
    assert workspace.count() == 3_000
    versions = {p.version for p in workspace.parcels()}
    assert versions == {2}  # each parcel's second life, numbered after the first
    one = workspace.history(first.added[1234])
    assert [e.action for e in one] == ["import", "delete", "import"]
    assert one[1].before_geometry.equals(one[2].after_geometry)
    workspace.undo_import(again.batch_id, "b")
    assert workspace.count() == 3_000
    assert workspace_totals(workspace).total_ha == pytest.approx(first.hectares_added, rel=1e-12)
    assert {p.version for p in workspace.parcels()} == {3}


# --- the bureau's layouts and awkward values ------------------------------------------------


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_sql_totals_equal_the_measured_ledger_for_every_bureau_layout(layout, tmp_path):
    path = LAYOUTS[layout](tmp_path / layout)
    workspace = Workspace.open(tmp_path / "ws")
    samples = workspace_totals(workspace)
    assert samples.sample_data and samples.parcel_count == workspace.count()
    assert_same_figures(samples, workspace_ledger(workspace))
    assert import_file(workspace, path, "规划科").outcome is not None
    stored, measured = workspace_totals(workspace), workspace_ledger(workspace)
    assert_same_figures(stored, measured)
    for status in [*stored.by_status, "unknown"]:
        assert_same_figures(stored.filtered(status=status), measured.filtered(status=status))
    for town in stored.by_town:
        assert_same_figures(stored.filtered(town=town), measured.filtered(town=town))


def test_values_the_filter_rule_folds_together(tmp_path):
    """Spaces around a value, blanks and missing values, numbers and full-width spaces
    count alike in SQL and in the measured ledger."""
    workspace = Workspace.open(tmp_path / "ws", seed=None)
    values = [
        {"status": " supplied ", "town": "奢岭街道", "quarter": "2022Q1", "use": "industrial",
         "use_zh": "工业"},
        {"status": "supplied", "town": "\u3000奢岭街道", "quarter": 2022, "use": " industrial",
         "use_zh": "  "},
        {"status": "", "town": None, "use": "public", "use_zh": "公共服务"},
        {"status": "   ", "quarter": "", "use": "industrial", "use_zh": "工业用地"},
        {"town": True, "quarter": 3.5},
    ]
    parcels = [
        NewParcel(f"v-{i}", props,
                  shapely.box(125.6 + i * 0.01, 43.5, 125.605 + i * 0.01, 43.505 + i * 0.001))
        for i, props in enumerate(values)
    ]
    workspace.import_parcels(parcels, "a", "values.geojson")
    stored, measured = workspace_totals(workspace, 200), workspace_ledger(workspace, 200)
    assert_same_figures(stored, measured)
    assert stored.by_status["unknown"] > 0 and stored.by_town["奢岭街道"] > 0
    assert stored.use_labels() == {"industrial": "工业", "public": "公共服务"}
    for status in ("supplied", "unknown"):
        assert_same_figures(stored.filtered(status=status), measured.filtered(status=status))


def test_an_empty_workspace_totals_nothing(tmp_path):
    workspace = Workspace.open(tmp_path / "ws", seed=None)
    stored, measured = workspace_totals(workspace, 200), workspace_ledger(workspace, 200)
    assert stored.total_ha == 0.0 and stored.parcel_count == 0 and stored.gap_ha == 200.0
    assert stored.to_dict() == measured.to_dict()


def test_stored_hectares_are_what_the_ledger_measures(big_workspace):
    """The figure summed in SQL is the one measured when the parcel was written."""
    _, workspace, _ = big_workspace
    import sqlite3

    with sqlite3.connect(workspace.path) as connection:
        stored = np.array([row[0] for row in connection.execute(
            "SELECT hectares FROM parcels ORDER BY fid")])
    measured = workspace_ledger(workspace).parcels["hectares"].to_numpy()
    np.testing.assert_allclose(stored, measured, rtol=1e-12)
