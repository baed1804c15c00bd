"""A workspace an analyst has indexed in GDAL or QGIS (the GeoPackage spatial index, whose
triggers call SQL functions SQLite does not have) still takes every change the app makes,
and the index follows each one."""

from __future__ import annotations

import sqlite3
import subprocess
from pathlib import Path

import pytest
import shapely
from control_files import FARMLAND, feature_collection, write_geojson
from test_workspace_gpkg_valid import SYSTEM_PYTHON, validate

from geo_app.control import read_reference
from geo_app.workspace import DuplicateParcelError, NewParcel, Workspace
from geo_app.workspace.gpkg import TRIGGER_FUNCTIONS, geometry_blob

# What an analyst's "create spatial index" does: GDAL's own SQL function, in update mode.
_INDEX = """
import sys
from osgeo import gdal
gdal.UseExceptions()
ds = gdal.OpenEx(sys.argv[1], gdal.OF_UPDATE)
for table in sys.argv[2:]:
    ds.ExecuteSQL(f"SELECT CreateSpatialIndex('{table}', 'geom')")
ds = None
"""


def index_with_gdal(path: Path, *tables: str) -> None:
    done = subprocess.run([str(SYSTEM_PYTHON), "-c", _INDEX, str(path), *tables],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


def square(x: float, size: float = 0.01) -> shapely.Polygon:
    return shapely.box(x, 43.50, x + size, 43.50 + size)


def index_matches(path: Path, table: str) -> None:
    """Every row of ``table`` is in its index with its own bounds, and nothing else is."""
    with sqlite3.connect(path) as connection:
        indexed = {row[0]: row[1:] for row in connection.execute(
            f"SELECT id, minx, maxx, miny, maxy FROM rtree_{table}_geom")}
        rows = connection.execute(f"SELECT fid, geom FROM {table}").fetchall()
    assert set(indexed) == {fid for fid, _ in rows}
    for fid, blob in rows:
        minx, miny, maxx, maxy = shapely.from_wkb(blob[40:]).bounds
        # The r-tree keeps single precision, rounded outwards.
        low_x, high_x, low_y, high_y = indexed[fid]
        assert low_x <= minx and high_x >= maxx and low_y <= miny and high_y >= maxy
        assert max(minx - low_x, high_x - maxx, miny - low_y, high_y - maxy) < 1e-4


def test_an_indexed_workspace_takes_every_change_and_the_index_follows(tmp_path):
    workspace = Workspace.open(tmp_path / "ws")  # seeded with the sample parcels
    path = workspace.path
    index_with_gdal(path, "parcels")
    first = workspace.import_parcels(
        [NewParcel(f"p{i}", {"status": "planned"}, square(125.6 + i / 50)) for i in range(30)],
        "王工", "一批.geojson")
    assert first.removed  # the samples made way, through the index's delete trigger
    workspace.update("p0", workspace.parcel("p0").version, "李工", geometry=square(125.9, 0.02))
    workspace.delete("p1", workspace.parcel("p1").version, "李工")
    workspace.restore("p1", 1, "王工")
    second = workspace.import_parcels([NewParcel("q", {}, square(125.7))], "王工", "二批.gpkg")
    workspace.undo_import(second.batch_id, "王工")
    with pytest.raises(DuplicateParcelError):  # all or none: the index untouched too
        workspace.import_parcels([NewParcel("p2", {}, square(125.8))], "王工", "重复.gpkg")
    assert workspace.count() == 30
    index_matches(path, "parcels")
    checked = validate(path)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_reference_layers_indexed_by_gdal_still_load(tmp_path):
    workspace = Workspace.open(tmp_path / "ws", seed=None)
    farmland = write_geojson(tmp_path / "farmland.geojson", feature_collection(FARMLAND))
    workspace.import_reference(read_reference(farmland, "farmland"), "王工")
    index_with_gdal(workspace.path, "reference_features")
    workspace.import_reference(read_reference(farmland, "farmland"), "王工")  # replaces it
    index_matches(workspace.path, "reference_features")


def test_the_trigger_functions_read_any_geopackage_geometry():
    box = shapely.box(125.6, 43.5, 125.7, 43.6)
    with_envelope = geometry_blob(box)
    # The same geometry written without an envelope (flags: little-endian only), as other
    # writers may.
    without = with_envelope[:3] + bytes((0b0000_0001,)) + with_envelope[4:8] + \
        with_envelope[40:]
    for blob in (with_envelope, without):
        assert TRIGGER_FUNCTIONS["ST_IsEmpty"](blob) == 0
        assert [TRIGGER_FUNCTIONS[f"ST_{b}"](blob) for b in ("MinX", "MaxX", "MinY", "MaxY")
                ] == [125.6, 125.7, 43.5, 43.6]
    empty = geometry_blob(shapely.Polygon())
    assert TRIGGER_FUNCTIONS["ST_IsEmpty"](empty) == 1
    assert TRIGGER_FUNCTIONS["ST_MinX"](empty) is None
    assert TRIGGER_FUNCTIONS["ST_IsEmpty"](None) is None
