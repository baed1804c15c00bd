"""A file in the Gauss-Krüger zone-42 plane gives its plane areas without a conversion."""

from __future__ import annotations

import numpy as np
import pytest
from scale_files import bureau_frame

from geo_app.geodesy import plane_hectares
from geo_app.parcel_table.table import read_parcel_table
from geo_app.reading import read_vector


@pytest.fixture(scope="module")
def ledger():
    return bureau_frame(300, seed=7)


@pytest.mark.parametrize("epsg", [4530, 4551])
def test_a_gk_zone_42_file_is_measured_in_its_own_plane(tmp_path, ledger, epsg):
    path = tmp_path / f"供地台账-{epsg}.gpkg"
    ledger.to_crs(epsg).to_file(path, driver="GPKG")
    data = read_vector(path, keep_source=True)
    own = data.own_plane_hectares()
    converted = plane_hectares(np.asarray(data.frame.geometry.array, dtype=object))
    assert own is not None and len(own) == 300
    # The same plane either way: what is left is the conversion's rounding.
    np.testing.assert_allclose(own, converted, rtol=1e-9)


def test_other_files_have_no_own_plane(tmp_path, ledger):
    wgs = tmp_path / "lonlat.gpkg"
    ledger.to_crs(4326).to_file(wgs, driver="GPKG")
    assert read_vector(wgs, keep_source=True).own_plane_hectares() is None
    gk = tmp_path / "gk.gpkg"
    ledger.to_crs(4530).to_file(gk, driver="GPKG")
    assert read_vector(gk).own_plane_hectares() is None  # source not kept


def test_declared_areas_are_judged_alike_from_either_plane(tmp_path, ledger):
    frame = ledger.copy()
    # Some declared areas a tenth too big: those, and only those, are flagged.
    wrong = np.arange(len(frame)) % 10 == 0
    frame.loc[wrong, "批准面积"] = frame.loc[wrong, "批准面积"] * 1.1
    gk, wgs = tmp_path / "gk.gpkg", tmp_path / "wgs.gpkg"
    frame.to_crs(4530).to_file(gk, driver="GPKG")
    frame.to_crs(4326).to_file(wgs, driver="GPKG")
    own, converted = read_parcel_table(gk), read_parcel_table(wgs)
    flagged = sorted(f.parcel for f in own.understanding.flagged)
    assert flagged == sorted(f.parcel for f in converted.understanding.flagged)
    assert len(flagged) == int(wrong.sum())
    for ours, theirs in zip(own.rows, converted.rows, strict=True):
        assert ours["area_check"] == theirs["area_check"]
        assert ours["area_diff_pct"] == pytest.approx(theirs["area_diff_pct"], abs=0.011)
    assert own.data.source_geometries is None  # let go once measured
