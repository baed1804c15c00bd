"""``geo-app area`` on a district's ledger: every parcel measured, the plane figure from
the file's own Gauss-Krüger coordinates, the JSON one feature a line."""

import io
import json

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
import shapely
from pyproj import Geod
from scale_files import bureau_geopackage

from geo_app.cli import main
from geo_app.geodesy import plane_hectares

GEOD = Geod(ellps="GRS80")
COUNT = 20_000


def area_json(path) -> tuple[dict, str]:
    out, err = io.StringIO(), io.StringIO()
    assert main(["area", str(path), "--json"], stdout=out, stderr=err) == 0, err.getvalue()
    return json.loads(out.getvalue()), out.getvalue()


@pytest.fixture(scope="module")
def ledger(tmp_path_factory):
    path = bureau_geopackage(tmp_path_factory.mktemp("area") / "供地台账.gpkg", COUNT)
    lonlat = pyogrio.read_dataframe(path).to_crs(4326)
    return path, lonlat


def test_every_parcel_is_measured_as_the_geod_measures_it(ledger):
    path, lonlat = ledger
    result, text = area_json(path)
    assert result["crs"] == "gk42" and len(result["features"]) == COUNT
    assert [f["id"] for f in result["features"]] == list(lonlat["地块编号"])
    sample = np.arange(0, COUNT, 97)
    truth = [abs(GEOD.geometry_area_perimeter(shapely.orient_polygons(g))[0]) / 1e4
             for g in lonlat.geometry.iloc[sample]]
    got = [result["features"][i]["hectares"] for i in sample]
    np.testing.assert_allclose(got, truth, rtol=1e-6)
    assert result["total_ha"] == pytest.approx(
        sum(f["hectares"] for f in result["features"]), rel=1e-12)
    assert len(text.splitlines()) == COUNT + 6


def test_the_plane_figure_of_a_zone_42_file_is_its_own_area(ledger, tmp_path):
    path, lonlat = ledger
    result, _ = area_json(path)
    own = [f["gk_plane_hectares"] for f in result["features"]]
    converted = plane_hectares(np.asarray(lonlat.geometry.array, dtype=object))
    np.testing.assert_allclose(own, converted, rtol=1e-9)
    # The same parcels handed over in lon/lat get the same plane figure by conversion.
    few = tmp_path / "few.geojson"
    gpd.GeoDataFrame(lonlat.iloc[:50]).to_file(few, driver="GeoJSON")
    again, _ = area_json(few)
    np.testing.assert_allclose([f["gk_plane_hectares"] for f in again["features"]], own[:50],
                               rtol=1e-9)
