import json
import zipfile

import geopandas as gpd
import numpy as np
import pytest
import shapely

from geo_app.crs import GK42, GK126, WGS84
from geo_app.geodesy import hectares
from geo_app.problems import InputError
from geo_app.reading import ReadLimits, guess_crs, json_nesting_depth, read_vector

SQUARE = [[125.70, 43.50], [125.71, 43.50], [125.71, 43.51], [125.70, 43.51], [125.70, 43.50]]


def feature(coords=None, geometry_type="Polygon", **properties):
    geometry = None
    if coords is not None:
        geometry = {"type": geometry_type, "coordinates": coords}
    return {"type": "Feature", "properties": properties, "geometry": geometry}


def collection(*features, **extra):
    return {"type": "FeatureCollection", "features": list(features), **extra}


def write_json(path, document):
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def read_code(path, **kwargs):
    with pytest.raises(InputError) as info:
        read_vector(path, **kwargs)
    return info.value.problem


def parcels_frame(crs=4326):
    geoms = [shapely.box(125.70, 43.50, 125.71, 43.51), shapely.box(125.72, 43.50, 125.73, 43.505)]
    frame = gpd.GeoDataFrame({"id": ["a", "b"], "name_zh": ["甲", "乙"]}, geometry=geoms, crs=4326)
    return frame.to_crs(crs)


# --- GeoJSON ------------------------------------------------------------------------------


def test_reads_geojson_with_ids_properties_and_the_rfc7946_default(tmp_path):
    path = write_json(
        tmp_path / "p.geojson",
        collection(feature([SQUARE], id="p-1", status="planned"), feature([SQUARE], name="x")),
    )
    data = read_vector(path)
    assert data.source_crs is WGS84 and data.crs_origin == "default"
    assert data.ids == ["p-1", 1] and data.labels == ["p-1", "#1"]
    assert data.has_id == [True, False]
    assert data.frame.crs.to_epsg() == 4326
    assert data.frame.loc[0, "status"] == "planned"
    assert data.problems == [] and data.format_name == "GeoJSON"


def test_feature_level_id_is_used_when_properties_have_none(tmp_path):
    document = collection(feature([SQUARE]))
    document["features"][0]["id"] = "rfc-id"
    data = read_vector(write_json(tmp_path / "p.geojson", document))
    assert data.labels == ["rfc-id"]


def test_bare_geometry_is_one_feature(tmp_path):
    path = write_json(tmp_path / "b.json", {"type": "MultiPolygon", "coordinates": [[SQUARE]]})
    data = read_vector(path)
    assert len(data) == 1 and data.frame.geometry.iloc[0].geom_type == "MultiPolygon"


def test_single_feature_document(tmp_path):
    data = read_vector(write_json(tmp_path / "f.geojson", feature([SQUARE], id="one")))
    assert data.labels == ["one"]


def test_third_coordinate_is_ignored(tmp_path):
    ring = [[x, y, 200.0] for x, y in SQUARE]
    data = read_vector(write_json(tmp_path / "z.geojson", collection(feature([ring]))))
    assert not data.frame.geometry.iloc[0].has_z


def test_a_property_called_geometry_does_not_clash(tmp_path):
    path = write_json(tmp_path / "g.geojson", collection(feature([SQUARE], geometry="text")))
    data = read_vector(path)
    assert data.frame.loc[0, "geometry_property"] == "text"
    assert data.frame.geometry.iloc[0].geom_type == "Polygon"


@pytest.mark.parametrize(
    "coords, code, words",
    [
        (
            [[["125.7", 43.5], [125.71, 43.5], [125.71, 43.51], [125.7, 43.5]]],
            "coordinates_as_text",
            "holds text",
        ),
        (
            [[[125.7, 43.5], [125.71, 43.5], [125.71, 43.51], [125.7, 43.52]]],
            "ring_not_closed",
            "is not closed",
        ),
        ([[[125.7, 43.5], [125.71, 43.5], [125.7, 43.5]]], "ring_too_few_points", "at least 4"),
        ([[125.7, 43.5], [125.71, 43.5]], "bad_coordinates", "one level of [ ] is missing"),
        (
            [[[[125.7, 43.5]], [125.71, 43.5], [125.71, 43.51], [125.7, 43.5]]],
            "bad_coordinates",
            "too many",
        ),
        (
            [[[125.7], [125.71, 43.5], [125.71, 43.51], [125.7, 43.5]]],
            "bad_coordinates",
            "needs lon and lat",
        ),
        (
            [[[None, 43.5], [125.71, 43.5], [125.71, 43.51], [125.7, 43.5]]],
            "bad_coordinates",
            "holds null",
        ),
        ("125.7,43.5", "bad_coordinates", "found text"),
    ],
)
def test_bad_coordinates_are_explained_per_feature(tmp_path, coords, code, words):
    path = write_json(
        tmp_path / "c.geojson", collection(feature([SQUARE], id="ok"), feature(coords, id="bad"))
    )
    data = read_vector(path)
    (problem,) = data.problems
    assert (problem.code, problem.feature) == (code, "bad")
    assert words in problem.message_en
    assert problem.message_zh and problem.message_zh != problem.message_en
    assert data.unreadable_rows == {1}
    assert data.frame.geometry.iloc[1] is None
    assert data.frame.geometry.iloc[0] is not None


def test_nan_and_infinity_literals_are_reported(tmp_path):
    path = tmp_path / "nan.geojson"
    path.write_text(
        '{"type":"FeatureCollection","features":['
        '{"type":"Feature","properties":{},"geometry":{"type":"Point","coordinates":[NaN,43]}},'
        '{"type":"Feature","properties":{},"geometry":{"type":"Point","coordinates":[125,-Infinity]}}'
        "]}"
    )
    data = read_vector(path)
    assert [p.code for p in data.problems] == ["not_finite", "not_finite"]


def test_properties_must_be_an_object(tmp_path):
    document = collection(feature([SQUARE]))
    document["features"][0]["properties"] = [1, 2]
    data = read_vector(write_json(tmp_path / "p.geojson", document))
    assert data.problems[0].code == "bad_properties"
    assert "found a list" in data.problems[0].message_en


def test_feature_of_the_wrong_type(tmp_path):
    document = collection({"type": "Polygon", "coordinates": [SQUARE]}, 5)
    data = read_vector(write_json(tmp_path / "t.geojson", document))
    assert [p.code for p in data.problems] == ["not_a_feature", "not_a_feature"]
    assert data.labels == ["#0", "#1"]


def test_unknown_geometry_type(tmp_path):
    path = write_json(tmp_path / "u.geojson", collection(feature([SQUARE], geometry_type="Circle")))
    assert read_vector(path).problems[0].code == "bad_geometry"


@pytest.mark.parametrize(
    "text, code, words",
    [
        ('{"type": "FeatureCollection",\n "features": [1 2]}', "broken_json", "line 2, column 17"),
        ('{"type": "FeatureCollection", "features": [', "truncated_json", "truncated"),
        (
            '{"type": "FeatureCollection", "features": [], "name": "abc',
            "truncated_json",
            "truncated",
        ),
        ('{"type": "FeatureCollection", "features": [],}', "broken_json", "property name"),
        ('{"type": "FeatureCollection"} x', "broken_json", "more content"),
        ("[1, 2]", "not_geojson", "top level is a list"),
        ('{"features": []}', "not_geojson", 'no "type"'),
        ('{"type": "Topology"}', "not_geojson", "unknown GeoJSON type"),
        ('{"type": "FeatureCollection", "features": {}}', "bad_features", "must be a list"),
        ("   \n\t ", "empty_file", "whitespace"),
        ('{"type": "Feature", "x": ' + "1" * 5000 + "}", "number_too_long", "digits"),
    ],
)
def test_file_level_json_problems(tmp_path, text, code, words):
    path = tmp_path / "bad.geojson"
    path.write_text(text)
    problem = read_code(path)
    assert problem.code == code and problem.feature is None
    assert words in problem.message_en


def test_utf16_and_non_utf8_files(tmp_path):
    utf16 = tmp_path / "u16.geojson"
    utf16.write_bytes(json.dumps(collection()).encode("utf-16"))
    assert "UTF-16" in read_code(utf16).message_en
    latin = tmp_path / "latin.geojson"
    latin.write_bytes(b'{"type": "FeatureCollection",\n"name": "caf\xe9", "features": []}')
    problem = read_code(latin)
    assert problem.code == "not_utf8" and "line 2" in problem.message_en


def test_nesting_depth_ignores_brackets_inside_strings():
    assert json_nesting_depth(b'{"a": [[1]], "b": "[[[[{{{\\"]]]"}') == 3
    assert json_nesting_depth(b"[" * 100_000 + b"]" * 100_000) == 100_000
    assert json_nesting_depth(b"42") == 0


def test_deep_nesting_is_refused_before_parsing(tmp_path):
    path = tmp_path / "deep.geojson"
    path.write_text("[" * 100_000 + "]" * 100_000)
    problem = read_code(path)
    assert problem.code == "too_deep" and "100000" in problem.message_en


# --- limits and files ---------------------------------------------------------------------


def test_feature_vertex_and_size_limits(tmp_path):
    path = write_json(tmp_path / "p.geojson", collection(*[feature([SQUARE]) for _ in range(4)]))
    assert read_code(path, limits=ReadLimits(max_features=3)).code == "too_many_features"
    assert read_code(path, limits=ReadLimits(max_vertices=19)).code == "too_many_vertices"
    assert read_code(path, limits=ReadLimits(max_file_bytes=100)).code == "file_too_large"
    assert len(read_vector(path, limits=ReadLimits(max_features=4, max_vertices=20))) == 4


def test_default_size_limit_on_a_sparse_file(tmp_path):
    path = tmp_path / "huge.geojson"
    limit = ReadLimits().max_file_bytes
    with path.open("wb") as handle:
        handle.truncate(limit + 1024 * 1024)
    problem = read_code(path)
    assert problem.code == "file_too_large"
    assert f"{limit / 1024 / 1024:.1f} MB" in problem.message_en
    assert "GEO_APP_MAX_FILE_MB" in problem.message_en
    assert "GEO_APP_MAX_FILE_MB" in problem.message_zh


@pytest.mark.parametrize(
    "make, code",
    [
        (lambda p: p / "missing.geojson", "no_such_file"),
        (lambda p: p, "is_directory"),
        (lambda p: ((p / "e.geojson").write_bytes(b"") and None) or p / "e.geojson", "empty_file"),
    ],
)
def test_missing_directory_and_empty(tmp_path, make, code):
    assert read_code(make(tmp_path)).code == code


@pytest.mark.parametrize(
    "name, content, words",
    [
        (
            "x.geojson",
            bytes(range(256)) * 4,
            "named as GeoJSON (.geojson) but contains binary data",
        ),
        ("x.geojson", b"PK\x03\x04" + b"\x00" * 100, "contains a ZIP archive"),
        ("x.gpkg", b'{"type": "FeatureCollection", "features": []}', "contains JSON text"),
        ("x.kml", b"hello, not xml", "contains plain text"),
        ("x.zip", b"SQLite format 3\x00" + b"\x00" * 100, "contains an SQLite"),
    ],
)
def test_name_that_does_not_match_the_content(tmp_path, name, content, words):
    path = tmp_path / name
    path.write_bytes(content)
    problem = read_code(path)
    assert problem.code == "wrong_format" and words in problem.message_en


# --- other formats through GDAL -------------------------------------------------------------


def zip_shapefile(frame, tmp_path, name="parcels", parts=(".shp", ".shx", ".dbf", ".prj", ".cpg")):
    folder = tmp_path / f"{name}_shp"
    folder.mkdir()
    frame.to_file(folder / f"{name}.shp")
    archive = tmp_path / f"{name}.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for part in parts:
            if (folder / f"{name}{part}").exists():
                zf.write(folder / f"{name}{part}", f"{name}{part}")
    return archive


def test_geopackage_keeps_its_coordinate_system(tmp_path):
    path = tmp_path / "p.gpkg"
    parcels_frame(4551).to_file(path)
    data = read_vector(path)
    assert data.source_crs is GK126 and data.crs_origin == "file"
    assert data.labels == ["a", "b"] and data.format_name == "GeoPackage"
    np.testing.assert_allclose(
        hectares(np.asarray(data.frame.geometry.array)),
        hectares(np.asarray(parcels_frame().geometry.array)),
        rtol=1e-9,
    )


def test_zipped_shapefile(tmp_path):
    data = read_vector(zip_shapefile(parcels_frame(4530), tmp_path))
    assert data.source_crs is GK42 and data.crs_origin == "file"
    assert data.frame.loc[0, "name_zh"] == "甲"
    assert data.frame.geometry.iloc[0].bounds[0] == pytest.approx(125.70, abs=1e-7)


def test_zipped_shapefile_without_prj_is_assumed_gk42_and_said(tmp_path):
    archive = zip_shapefile(parcels_frame(4530), tmp_path, parts=(".shp", ".shx", ".dbf"))
    data = read_vector(archive)
    assert data.source_crs is GK42 and data.crs_origin == "assumed"
    # Without a .cpg the attribute encoding is assumed and said as well (geo_app.reading.dbf).
    assert {p.code for p in data.problems} == {"crs_assumed", "dbf_encoding_assumed"}
    assert data.frame.loc[0, "name_zh"] == "甲"
    (problem,) = [p for p in data.problems if p.code == "crs_assumed"]
    assert problem.severity == "warning" and problem.code == "crs_assumed"
    assert "gk42" in problem.message_en and "gk42" in problem.message_zh


def test_zip_without_shapefile_or_with_missing_parts(tmp_path):
    archive = tmp_path / "notes.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("readme.txt", "no shapes here")
        zf.writestr("table.csv", "a,b\n1,2\n")
    problem = read_code(archive)
    assert problem.code == "zip_without_shapefile" and "readme.txt" in problem.message_en
    partial = zip_shapefile(parcels_frame(), tmp_path, name="nodbf", parts=(".shp", ".shx"))
    problem = read_code(partial)
    assert problem.code == "shapefile_incomplete" and "nodbf.dbf" in problem.message_en


def test_damaged_and_oversized_zips(tmp_path):
    damaged = tmp_path / "damaged.zip"
    damaged.write_bytes(b"PK\x03\x04" + b"\x17" * 300)
    assert read_code(damaged).code == "bad_zip"
    archive = zip_shapefile(parcels_frame(), tmp_path)
    assert read_code(archive, limits=ReadLimits(max_unzipped_bytes=10)).code == "zip_too_large"


def test_kml(tmp_path):
    path = tmp_path / "p.kml"
    parcels_frame().to_file(path, driver="KML")
    data = read_vector(path)
    assert data.source_crs is WGS84 and len(data) == 2
    np.testing.assert_allclose(
        hectares(np.asarray(data.frame.geometry.array)),
        hectares(np.asarray(parcels_frame().geometry.array)),
        rtol=1e-9,
    )


def test_broken_kml_and_gpkg(tmp_path):
    kml = tmp_path / "broken.kml"
    kml.write_text('<?xml version="1.0"?><kml><Document><Placemark><Polygon>')
    assert read_code(kml).code == "unreadable"
    gpkg = tmp_path / "broken.gpkg"
    gpkg.write_bytes(b"SQLite format 3\x00" + bytes(2000))
    assert read_code(gpkg).code == "unreadable"


# --- coordinate systems ---------------------------------------------------------------------


def test_gdal_written_geojson_declares_its_crs(tmp_path):
    path = tmp_path / "gk.geojson"
    parcels_frame(4530).to_file(path)
    assert '"crs"' in path.read_text()
    data = read_vector(path)
    assert data.source_crs is GK42 and data.crs_origin == "file"


@pytest.mark.parametrize(
    "name, expected",
    [
        ("urn:ogc:def:crs:OGC:1.3:CRS84", WGS84),
        ("urn:ogc:def:crs:EPSG::4551", GK126),
        ("EPSG:4530", GK42),
    ],
)
def test_crs_member_names(tmp_path, name, expected):
    frame = parcels_frame(expected.epsg)
    document = json.loads(frame.to_json())
    document["crs"] = {"type": "name", "properties": {"name": name}}
    assert read_vector(write_json(tmp_path / "c.geojson", document)).source_crs is expected


def test_unknown_crs_member(tmp_path):
    document = collection(
        feature([SQUARE]), crs={"type": "name", "properties": {"name": "nowhere"}}
    )
    assert read_code(write_json(tmp_path / "c.geojson", document)).code == "unknown_file_crs"
    document["crs"] = {"type": "link"}
    assert read_code(write_json(tmp_path / "c.geojson", document)).code == "bad_crs_member"


def test_crs_option_overrides_and_supplies(tmp_path):
    frame = parcels_frame(4551)
    path = tmp_path / "gk.geojson"
    document = json.loads(frame.to_json())
    document.pop("crs", None)
    write_json(path, document)
    assumed = read_vector(path)
    assert assumed.source_crs is GK126 and assumed.crs_origin == "assumed"
    given = read_vector(path, crs="EPSG:4551")
    assert given.crs_origin == "option" and given.problems == []


def test_crs_that_cannot_fit_the_numbers(tmp_path):
    lonlat = write_json(tmp_path / "ll.geojson", collection(feature([SQUARE])))
    problem = read_code(lonlat, crs="gk42")
    assert problem.code == "crs_mismatch" and "look like degrees" in problem.message_en
    gk = parcels_frame(4530)
    document = json.loads(gk.to_json())
    document["crs"] = {"type": "name", "properties": {"name": "EPSG:4326"}}
    problem = read_code(write_json(tmp_path / "gk.geojson", document))
    assert problem.code == "crs_mismatch" and "--crs gk42" in problem.message_en


@pytest.mark.parametrize(
    "x, y, kind",
    [
        ([125.7, 125.8], [43.5, 43.6], "lonlat"),
        ([43.5, 43.6], [125.7, 125.8], "swapped_lonlat"),
        ([42_475_736.99], [4_818_312.41], "gk42"),
        ([4_818_312.41], [42_475_736.99], "swapped_gk"),
        ([475_736.99], [4_818_312.41], "gk126"),
        ([4_818_312.41], [475_736.99], "swapped_gk"),
        ([1_553_000.0], [2_820_000.0], "unknown"),
        ([-9_000_000.0], [5_000_000.0], "unknown"),
        ([], [], "lonlat"),
    ],
)
def test_guess_crs(x, y, kind):
    assert guess_crs(np.array(x), np.array(y)).kind == kind


def test_crs_guesses_that_cannot_be_used(tmp_path):
    swapped = [[y, x] for x, y in SQUARE]
    problem = read_code(write_json(tmp_path / "s.geojson", collection(feature([swapped]))))
    assert problem.code == "swapped_lat_lon" and "swapped" in problem.message_en
    projected = [[x * 1e4, y * 1e4] for x, y in SQUARE]
    problem = read_code(write_json(tmp_path / "p.geojson", collection(feature([projected]))))
    assert problem.code == "projected_without_crs" and "pass --crs" in problem.message_en


def test_gcj02_option_shifts_back_to_wgs84(tmp_path):
    path = write_json(
        tmp_path / "g.geojson",
        collection(feature([125.664662, 43.525311], geometry_type="Point", id="centre")),
    )
    point = read_vector(path, crs="gcj02").frame.geometry.iloc[0]
    assert point.x == pytest.approx(125.6585, abs=0.0005)
    assert point.y == pytest.approx(43.5229, abs=0.0005)


def test_crs_option_over_a_declared_crs_is_said(tmp_path):
    path = tmp_path / "gk.gpkg"
    parcels_frame(4551).to_file(path)
    data = read_vector(path, crs="gk42")
    assert data.source_crs is GK42
    assert [p.code for p in data.problems] == ["crs_overridden"]
    assert "declares gk126" in data.problems[0].message_en


def test_a_library_message_never_shows_the_server_folder(tmp_path):
    bad = tmp_path / "secret-folder" / "地块.gpkg"
    bad.parent.mkdir()
    bad.write_bytes(b"SQLite format 3\x00" + b"\x00" * 2000)
    try:
        read_vector(bad)
    except InputError as exc:
        for text in (exc.problem.message_zh, exc.problem.message_en):
            assert "secret-folder" not in text and str(tmp_path) not in text
            assert "地块.gpkg" in text
    else:
        raise AssertionError("a broken GeoPackage was read")


def test_the_browsers_upload_limit_is_the_readers_file_limit():
    import tomllib
    from pathlib import Path

    config = Path(__file__).resolve().parents[1] / ".streamlit" / "config.toml"
    settings = tomllib.loads(config.read_text(encoding="utf-8"))
    assert settings["server"]["maxUploadSize"] * 1024 * 1024 == ReadLimits().max_file_bytes
