"""Reference files as a bureau hands them over: Gauss-Krüger zone 42, GBK Shapefiles without
.cpg, 三调 class columns; and files that must be refused whole."""

from __future__ import annotations

import json
import zipfile

import geopandas as gpd
import pytest
import shapely
from control_files import FARMLAND, LANDUSE, PARCELS, feature_collection, write_geojson

from geo_app.control import ReferenceRefused, check_parcels, read_reference
from geo_app.problems import InputError
from geo_app.workspace import Workspace


def frame(features: dict, extra: dict | None = None, crs="EPSG:4326") -> gpd.GeoDataFrame:
    rows = [{"BSM": key, **(extra or {}).get(key, {})} for key in features]
    gdf = gpd.GeoDataFrame(rows, geometry=list(features.values()), crs="EPSG:4326")
    return gdf.to_crs(crs)


def gk42_gpkg(tmp_path, features, extra=None):
    # EPSG:4530: CGCS2000 3-degree Gauss-Krüger zone 42, eastings with the "42" prefix.
    path = tmp_path / "基本农田.gpkg"
    frame(features, extra, "EPSG:4530").to_file(path, driver="GPKG")
    return path


def gbk_shapefile_zip(tmp_path, features, extra):
    folder = tmp_path / "shp"
    folder.mkdir()
    frame(features, extra, "EPSG:4530").to_file(folder / "DLTB.shp", encoding="gbk")
    (folder / "DLTB.cpg").unlink(missing_ok=True)  # bureaus' files rarely carry one
    archive = tmp_path / "三调地类图斑.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for part in folder.iterdir():
            z.write(part, part.name)
    return archive


def test_a_gauss_kruger_layer_gives_the_hectares_of_the_same_layer_in_wgs84(tmp_path):
    gk = read_reference(gk42_gpkg(tmp_path, FARMLAND), "farmland")
    lonlat = read_reference(
        write_geojson(tmp_path / "f.geojson", feature_collection(FARMLAND)), "farmland")
    assert gk.crs == "gk42" or "4530" in gk.crs
    assert lonlat.crs == "wgs84"
    assert gk.hectares == pytest.approx(lonlat.hectares, rel=1e-9)
    ids = list(PARCELS)
    geometries = list(PARCELS.values())

    def figures(read):
        ws = Workspace.open(tmp_path / f"ws-{read.crs}", seed=None)
        layer = ws.import_reference(read, "王工")
        result = check_parcels(ids, geometries, [ws.reference_features(layer.layer_id)])
        return [p.farmland_ha for p in result.parcels]

    assert figures(gk) == pytest.approx(figures(lonlat), abs=1e-6)


def test_a_gbk_shapefile_without_cpg_keeps_its_chinese_classes(tmp_path):
    features = {key: geometry for key, (_, _, geometry) in LANDUSE.items()}
    extra = {key: {"DLMC": name, "QSDWMC": "奢岭街道新立城村"} for key, (name, _, _) in
             LANDUSE.items()}
    read = read_reference(gbk_shapefile_zip(tmp_path, features, extra), "landuse")
    assert read.class_field == "DLMC"
    assert read.classes == ["旱地", "乔木林地"]
    # Every column of the file is kept, in its own words.
    assert json.loads(read.properties_json[0])["QSDWMC"] == "奢岭街道新立城村"


def test_the_class_field_can_be_named_and_a_wrong_name_lists_the_columns(tmp_path):
    path = write_geojson(tmp_path / "l.geojson", feature_collection(
        {"a": FARMLAND["F1"]}, {"a": {"地类": "水田"}}))
    assert read_reference(path, "landuse", class_field="地类").classes == ["水田"]
    with pytest.raises(InputError) as missing:
        read_reference(path, "landuse")
    assert missing.value.problem.code == "reference_class_missing"
    assert "地类" in missing.value.problem.message_zh
    with pytest.raises(InputError) as wrong:
        read_reference(path, "landuse", class_field="DLMC")
    assert wrong.value.problem.code == "reference_class_field"


def test_a_file_with_one_line_among_its_polygons_is_refused_whole(tmp_path):
    collection = feature_collection(FARMLAND)
    collection["features"].append({"type": "Feature", "properties": {"BSM": "road"},
                                   "geometry": {"type": "LineString",
                                                "coordinates": [[125.6, 43.6], [125.7, 43.7]]}})
    with pytest.raises(ReferenceRefused) as refused:
        read_reference(write_geojson(tmp_path / "f.geojson", collection), "farmland")
    [line] = [p for p in refused.value.problems if p.is_error]
    assert line.code == "reference_not_polygon" and line.feature == "#3"


def test_an_invalid_polygon_is_repaired_and_said(tmp_path):
    bowtie = shapely.Polygon([(125.60, 43.60), (125.62, 43.62), (125.62, 43.60),
                              (125.60, 43.62)])
    read = read_reference(write_geojson(tmp_path / "b.geojson",
                                        feature_collection({"x": bowtie})), "eco_redline")
    assert read.geometries[0].is_valid and read.geometries[0].geom_type == "MultiPolygon"
    assert [p.code for p in read.problems] == ["reference_repaired"]


def test_an_unknown_kind_is_refused_with_the_known_ones(tmp_path):
    path = write_geojson(tmp_path / "f.geojson", feature_collection(FARMLAND))
    with pytest.raises(InputError) as refused:
        read_reference(path, "forest")
    assert "farmland" in refused.value.problem.message_en


def test_the_name_is_the_kinds_unless_given_and_is_kept_short(tmp_path):
    path = write_geojson(tmp_path / "f.geojson", feature_collection(FARMLAND))
    assert read_reference(path, "farmland").name == "永久基本农田"
    assert read_reference(path, "farmland", name="  2024 年  划定成果 ").name == "2024 年 划定成果"
    assert len(read_reference(path, "farmland", name="名" * 500).name) == 80
