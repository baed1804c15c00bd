"""The workspace's parcels as a PMTiles archive: built above the threshold only, named
after the workspace's change, rebuilt after an edit, read back with the values drawn."""

from __future__ import annotations

import os

import pyogrio
import pytest
import shapely

from geo_app.workspace import NewParcel, Workspace
from geo_app.workspace.tile_file import (
    KEEP_ALL,
    THRESHOLD_ENV,
    TILE_THRESHOLD,
    parcel_tile_file,
    tile_threshold,
)

STATUSES = ("planned", "in_acquisition", "supplied")
COUNT = 60


def _boxes(count: int) -> list[NewParcel]:
    side = int(count ** 0.5) + 1
    parcels = []
    for i in range(count):
        x, y = 125.5 + (i % side) * 0.01, 43.5 + (i // side) * 0.01
        parcels.append(NewParcel(
            f"t-{i}",
            {"status": STATUSES[i % 3], "town": " 奢岭街道 ", "quarter": "2022Q2",
             "accuracy": "surveyed"},
            shapely.box(x, y, x + 0.006, y + 0.004),
        ))
    return parcels


@pytest.fixture
def workspace(tmp_path) -> Workspace:
    workspace = Workspace.open(tmp_path / "workspace", seed=None)
    workspace.import_parcels(_boxes(COUNT), "王工", "test")
    return workspace


def _read(path):
    """The archive's features at its last zoom (GDAL reads PMTiles back), in lon/lat."""
    return pyogrio.read_dataframe(path, layer="parcels").to_crs("EPSG:4326")


def _shape(frame, parcel_id):
    """A parcel's shape (a parcel across a tile edge comes back in pieces)."""
    return shapely.union_all(frame.loc[frame["id"] == parcel_id, "geometry"].to_numpy())


def test_no_archive_at_or_below_the_threshold(workspace, tmp_path):
    assert parcel_tile_file(workspace, tmp_path / "tiles", threshold=COUNT) is None
    assert not list((tmp_path / "tiles").glob("*.pmtiles"))


def test_the_archive_holds_every_parcel_with_the_values_drawn(workspace, tmp_path):
    built = parcel_tile_file(workspace, tmp_path / "tiles", threshold=10)
    assert built is not None and built.path.is_file() and built.count == COUNT
    assert built.bounds[:2] == pytest.approx((125.5, 43.5))
    frame = _read(built.path)
    assert set(frame["id"]) == {f"t-{i}" for i in range(COUNT)}
    # The ledger's filter keys: blanks trimmed, so the page's filter matches the totals.
    assert set(frame["town"]) == {"奢岭街道"}
    assert set(frame["status"]) == set(STATUSES)
    assert set(frame["accuracy"]) == {"surveyed"}
    # Nothing else travels: names and popups are the server's to answer.
    assert "name_zh" not in frame.columns


def test_an_unchanged_workspace_finds_its_archive_without_rebuilding(workspace, tmp_path):
    first = parcel_tile_file(workspace, tmp_path / "tiles", threshold=10)
    written = first.path.stat().st_mtime_ns
    again = parcel_tile_file(workspace, tmp_path / "tiles", threshold=10)
    assert again == first and again.path.stat().st_mtime_ns == written


def test_an_edit_gives_a_new_archive_with_the_new_shape(workspace, tmp_path):
    folder = tmp_path / "tiles"
    before = parcel_tile_file(workspace, folder, threshold=10)
    parcel = workspace.parcel("t-0")
    moved = shapely.box(125.40, 43.40, 125.41, 43.405)
    workspace.update("t-0", parcel.version, "王工", geometry=moved)
    after = parcel_tile_file(workspace, folder, threshold=10)
    assert after.path != before.path
    # The old archive keeps its own parcels: a name never changes what it holds.
    old = _read(before.path)
    new = _read(after.path)
    assert _shape(old, "t-0").centroid.x == pytest.approx(125.503, abs=1e-3)
    assert _shape(new, "t-0").centroid.x == pytest.approx(125.405, abs=1e-3)
    assert _shape(new, "t-0").centroid.y == pytest.approx(43.4025, abs=1e-3)
    assert after.bounds[0] == pytest.approx(125.40)


def test_archives_on_gcj02_tiles_are_moved_like_every_layer(workspace, tmp_path):
    wgs84 = parcel_tile_file(workspace, tmp_path / "tiles", threshold=10)
    gcj02 = parcel_tile_file(workspace, tmp_path / "tiles", "gcj02", threshold=10)
    assert gcj02.path != wgs84.path
    # About 500 m east and 260 m north at Shuangyang.
    assert 0.004 < gcj02.bounds[0] - wgs84.bounds[0] < 0.008
    assert 0.001 < gcj02.bounds[1] - wgs84.bounds[1] < 0.004


def test_old_archives_are_pruned(workspace, tmp_path):
    folder = tmp_path / "tiles"
    for step in range(6):
        parcel = workspace.parcel("t-1")
        workspace.update("t-1", parcel.version, "王工",
                         properties={**parcel.properties, "status": STATUSES[step % 3]})
        parcel_tile_file(workspace, folder, threshold=10)
    assert len(list(folder.glob("*.pmtiles"))) <= 4
    assert not list(folder.glob(".*"))


def test_an_archive_built_under_a_lower_threshold_is_not_used_above_it(workspace, tmp_path):
    assert parcel_tile_file(workspace, tmp_path / "tiles", threshold=10) is not None
    assert parcel_tile_file(workspace, tmp_path / "tiles", threshold=COUNT) is None


def test_other_workspaces_archives_untouched_for_a_day_go_beyond_a_cap(workspace, tmp_path):
    folder = tmp_path / "tiles"
    folder.mkdir()
    old = []
    for i in range(KEEP_ALL + 3):
        path = folder / f"parcels-{i:012d}-0000000000000000.pmtiles"
        path.write_bytes(b"")
        path.with_suffix(".json").write_text("{}", encoding="utf-8")
        stamp = 1_000_000 + i
        os.utime(path, (stamp, stamp))
        old.append(path)
    recent = folder / "parcels-recent000000-0000000000000000.pmtiles"
    recent.write_bytes(b"")
    parcel_tile_file(workspace, folder, threshold=10)
    assert recent.exists()
    assert sum(p.exists() for p in old) == KEEP_ALL - 1
    assert not old[0].exists() and not old[0].with_suffix(".json").exists()


def test_the_threshold_is_a_setting():
    assert tile_threshold({}) == TILE_THRESHOLD
    assert tile_threshold({THRESHOLD_ENV: "500"}) == 500
    assert tile_threshold({THRESHOLD_ENV: "many"}) == TILE_THRESHOLD
