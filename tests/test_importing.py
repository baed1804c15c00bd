import csv
import gc
import json
import os
import zipfile

import geopandas as gpd
import numpy as np
import openpyxl
import pytest
import shapely
from pyproj import Geod
from shapely.geometry.polygon import orient

from geo_app.crs import Converter
from geo_app.geodesy import hectares
from geo_app.importing import import_file, prepare_import, repaired
from geo_app.parcel_table import ColumnMapping, parse_field_options
from geo_app.problems import InputError
from geo_app.reading import ReadLimits, read_vector
from geo_app.reading.archives import inspect_zip, unsafe_member_name
from geo_app.workspace import DuplicateParcelError, Workspace

HOLED = shapely.Polygon(
    [(125.60, 43.50), (125.62, 43.50), (125.625, 43.515), (125.60, 43.52)],
    [[(125.605, 43.505), (125.61, 43.505), (125.61, 43.51), (125.605, 43.51)]],
)
TWO_PARTS = shapely.MultiPolygon(
    [shapely.box(125.70, 43.45, 125.705, 43.454), shapely.box(125.72, 43.46, 125.724, 43.463)]
)
SQUARE = shapely.box(125.55, 43.60, 125.56, 43.607)
PARCELS = gpd.GeoDataFrame(
    {
        "id": ["dk-1", "dk-2", "dk-3"],
        "name_zh": ["奢岭地块", "太平镇地块", "鹿乡地块"],
        "status": ["planned", "supplied", "in_acquisition"],
        "use": ["industrial", "tourism", "public"],
        "town": ["奢岭街道", "太平镇", "鹿乡镇"],
        "quarter": ["2022Q1", "2022Q2", "2022Q3"],
    },
    geometry=[HOLED, TWO_PARTS, SQUARE],
    crs="EPSG:4326",
)
BOWTIE = [[125.60, 43.50], [125.61, 43.51], [125.61, 43.50], [125.60, 43.51], [125.60, 43.50]]


def geod_hectares(geometry):
    geod = Geod(ellps="GRS80")
    total = 0.0
    for part in shapely.get_parts(geometry):
        area, _ = geod.geometry_area_perimeter(orient(part, 1.0))
        total += area
    return total / 10_000


EXPECTED_HA = [geod_hectares(g) for g in PARCELS.geometry]


def feature(coords, geometry_type="Polygon", **properties):
    return {
        "type": "Feature",
        "properties": properties,
        "geometry": {"type": geometry_type, "coordinates": coords},
    }


def write_geojson(path, *features):
    path.write_text(
        json.dumps({"type": "FeatureCollection", "features": list(features)}, ensure_ascii=False),
        encoding="utf-8",
    )
    return path


# --- a file of each format -----------------------------------------------------------------


def _geojson(tmp_path):
    path = tmp_path / "parcels.geojson"
    PARCELS.to_file(path, driver="GeoJSON")
    return path


def _gpkg(tmp_path):
    path = tmp_path / "parcels.gpkg"
    PARCELS.to_crs(4530).to_file(path, driver="GPKG")
    return path


def _zipped_shapefile(tmp_path):
    folder = tmp_path / "shp"
    folder.mkdir()
    PARCELS.to_crs(4530).to_file(folder / "parcels.shp", encoding="UTF-8")
    path = tmp_path / "parcels.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for member in folder.iterdir():
            archive.write(member, member.name)
    return path


def _kml(tmp_path):
    path = tmp_path / "parcels.kml"
    PARCELS.to_file(path, driver="LIBKML")
    return path


def _kmz(tmp_path):
    kml = _kml(tmp_path)
    path = tmp_path / "parcels.kmz"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.write(kml, "doc.kml")
    return path


def _wkt_rows():
    rows = [["id", "name_zh", "status", "use", "town", "quarter", "wkt"]]
    for record in PARCELS.itertuples():
        rows.append([record.id, record.name_zh, record.status, record.use, record.town,
                     record.quarter, shapely.to_wkt(record.geometry, rounding_precision=-1)])
    return rows


def _csv_wkt(tmp_path):
    path = tmp_path / "parcels.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(_wkt_rows())
    return path


def _xlsx_wkt(tmp_path):
    path = tmp_path / "parcels.xlsx"
    book = openpyxl.Workbook()
    for row in _wkt_rows():
        book.active.append(row)
    book.save(path)
    return path


def _csv_vertices(tmp_path):
    """GBK, survey X/Y (northing first, zone prefix), one vertex per row, 圈号 for rings."""
    path = tmp_path / "vertices.csv"
    convert = Converter("wgs84", "gk42")
    with path.open("w", encoding="gbk", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["地块编号", "name_zh", "status", "圈号", "X", "Y"])
        for record in PARCELS.itertuples():
            ring_number = 0
            for polygon in shapely.get_parts(record.geometry):
                for ring in [polygon.exterior, *polygon.interiors]:
                    ring_number += 1
                    coords = np.asarray(ring.coords)
                    east, north = convert(coords[:, 0], coords[:, 1])
                    for e, n in zip(east, north, strict=True):
                        writer.writerow([record.id, record.name_zh, record.status,
                                         ring_number, f"{n:.4f}", f"{e:.4f}"])
    return path


def _jzd(tmp_path):
    convert = Converter("wgs84", "gk42")
    lines = ["[属性描述]", "坐标系=2000国家大地坐标系", "几度分带=3", "投影类型=高斯克吕格",
             "计量单位=米", "带号=42", "[地块坐标]"]
    for record in PARCELS.itertuples():
        points = []
        ring_number = 0
        for polygon in shapely.get_parts(record.geometry):
            for ring in [polygon.exterior, *polygon.interiors]:
                ring_number += 1
                coords = np.asarray(ring.coords)
                east, north = convert(coords[:, 0], coords[:, 1])
                points += [f"J{i + 1},{ring_number},{n:.4f},{e:.4f}"
                           for i, (e, n) in enumerate(zip(east, north, strict=True))]
        lines.append(f"{len(points)},,{record.id},{record.name_zh},面,,工业用地,0601,@")
        lines += points
    path = tmp_path / "parcels.txt"
    path.write_text("\n".join(lines), encoding="gbk")
    return path


FORMATS = {
    "GeoJSON": _geojson,
    "GeoPackage": _gpkg,
    "zipped Shapefile": _zipped_shapefile,
    "KML": _kml,
    "KMZ": _kmz,
    "CSV": _csv_wkt,
    "XLSX": _xlsx_wkt,
    "CSV vertices": _csv_vertices,
    "界址点": _jzd,
}


@pytest.mark.parametrize("name", FORMATS)
def test_every_format_round_trips_to_geod_hectares(tmp_path, name):
    path = FORMATS[name](tmp_path)
    workspace = Workspace.open(tmp_path / "ws", seed=None)
    result = import_file(workspace, path, "测试员", boundary=None)
    assert result.outcome is not None, [p.line("en") for p in result.plan.problems]
    stored = {p.parcel_id: p for p in workspace.parcels()}
    assert set(stored) == {"dk-1", "dk-2", "dk-3"}
    got = [float(hectares([stored[i].geometry])[0]) for i in ("dk-1", "dk-2", "dk-3")]
    assert got == pytest.approx(EXPECTED_HA, rel=1e-6)
    assert stored["dk-1"].properties["name_zh"] == "奢岭地块"
    assert result.plan.hectares == pytest.approx(sum(EXPECTED_HA), rel=1e-6)
    assert not result.plan.errors


def test_a_repeat_import_is_refused_unless_replacing(tmp_path):
    path = _geojson(tmp_path)
    workspace = Workspace.open(tmp_path / "ws", seed=None)
    import_file(workspace, path, "ann", boundary=None)
    with pytest.raises(InputError) as info:
        import_file(workspace, path, "ann", boundary=None)
    assert info.value.problem.code == "parcel_exists"
    result = import_file(workspace, path, "ann", boundary=None, replace=True)
    assert set(result.outcome.removed) == {"dk-1", "dk-2", "dk-3"}
    assert workspace.count() == 3


# --- what goes wrong, file by file --------------------------------------------------------


def codes_of(plan):
    return {p.code for p in plan.problems}


def error_codes(plan):
    return {p.code for p in plan.problems if p.is_error}


def test_broken_and_truncated_json(tmp_path):
    broken = tmp_path / "broken.geojson"
    broken.write_text('{"type": "FeatureCollection", "features": [}', encoding="utf-8")
    assert error_codes(prepare_import(broken)) == {"broken_json"}
    truncated = tmp_path / "truncated.geojson"
    truncated.write_text(json.dumps({"type": "FeatureCollection", "features": [
        feature([BOWTIE])]})[:60], encoding="utf-8")
    assert error_codes(prepare_import(truncated)) == {"truncated_json"}


def test_bowtie_is_refused_with_the_repair_and_its_hectares(tmp_path):
    path = write_geojson(tmp_path / "bow.geojson", feature([BOWTIE], id="b1", status="planned"))
    workspace = Workspace.open(tmp_path / "ws", seed=None)
    refused = import_file(workspace, path, "ann", boundary=None)
    assert refused.outcome is None and workspace.count() == 0
    [problem] = [p for p in refused.plan.problems if p.is_error]
    assert problem.code == "self_intersection" and problem.feature == "b1"
    fixed = repaired(shapely.Polygon(BOWTIE))
    fixed_ha = f"{float(hectares([fixed])[0]):,.4f}"
    assert "--repair" in problem.message_en and fixed_ha in problem.message_en
    assert fixed_ha in problem.message_zh
    accepted = import_file(workspace, path, "ann", boundary=None, repair=True)
    assert accepted.outcome is not None and workspace.count() == 1
    [repair] = accepted.plan.repairs
    assert repair.hectares_after == pytest.approx(float(hectares([fixed])[0]))
    assert repair.change == pytest.approx(repair.hectares_after - repair.hectares_before)
    assert workspace.parcel("b1").geometry.is_valid


def test_geometry_faults_each_get_their_own_message(tmp_path):
    unclosed = [[125.6, 43.5], [125.61, 43.5], [125.61, 43.51], [125.6, 43.51]]
    nan = [[125.6, 43.5], [125.61, 43.5], ["NaN", 43.51], [125.6, 43.5]]
    text = [[125.6, 43.5], [125.61, 43.5], ["125.61", "43.51"], [125.6, 43.5]]
    degenerate = [[125.6, 43.5], [125.61, 43.5], [125.6, 43.5]]
    path = write_geojson(
        tmp_path / "faults.geojson",
        feature([unclosed], id="unclosed"),
        feature([text], id="text"),
        feature([degenerate], id="degenerate"),
        feature([], id="empty"),
        feature([125.6, 43.5], "Point", id="point"),
    )
    found = {(p.feature, p.code) for p in prepare_import(path, boundary=None).problems}
    assert {
        ("unclosed", "ring_not_closed"),
        ("text", "coordinates_as_text"),
        ("degenerate", "ring_too_few_points"),
        ("empty", "empty_geometry"),
        ("point", "not_polygon"),
    } <= found
    nan_path = tmp_path / "nan.geojson"
    nan_path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        feature([nan], id="nan")]}).replace('"NaN"', "NaN"), encoding="utf-8")
    assert ("nan", "not_finite") in {(p.feature, p.code) for p in prepare_import(nan_path).problems}


def test_swapped_lat_lon_and_gk_numbers_without_a_crs(tmp_path):
    swapped = [[y, x] for x, y in shapely.box(125.6, 43.5, 125.61, 43.51).exterior.coords]
    path = write_geojson(tmp_path / "swapped.geojson", feature([swapped], id="s"))
    assert error_codes(prepare_import(path)) == {"swapped_lat_lon"}
    gk = shapely.transform(SQUARE, Converter("wgs84", "gk42").transform_xy)
    path = write_geojson(
        tmp_path / "gk.geojson", feature([list(map(list, gk.exterior.coords))], id="g")
    )
    plan = prepare_import(path, boundary=None)
    assert plan.ok and plan.data.source_crs.key == "gk42" and "crs_assumed" in codes_of(plan)
    assert plan.hectares == pytest.approx(geod_hectares(SQUARE), rel=1e-6)
    # --crs overrides the guess.
    assert prepare_import(path, "gk42", boundary=None).data.crs_origin == "option"


def test_shapefile_without_prj_and_gbk_without_cpg(tmp_path):
    folder = tmp_path / "shp"
    folder.mkdir()
    PARCELS.to_crs(4530).to_file(folder / "p.shp", encoding="GBK")
    (folder / "p.cpg").unlink()
    (folder / "p.prj").unlink()
    path = tmp_path / "p.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for member in folder.iterdir():
            archive.write(member, member.name)
    plan = prepare_import(path, boundary=None)
    assert plan.ok
    assert {"crs_assumed", "dbf_encoding_assumed"} <= codes_of(plan)
    [encoding] = [p for p in plan.problems if p.code == "dbf_encoding_assumed"]
    assert "GBK" in encoding.message_zh and "GBK" in encoding.message_en
    names = {p.parcel_id: p.properties["name_zh"] for p in plan.parcels}
    assert names == {"dk-1": "奢岭地块", "dk-2": "太平镇地块", "dk-3": "鹿乡地块"}
    # A loose .shp beside its .dbf is read the same way.
    loose = read_vector(folder / "p.shp")
    assert loose.frame["name_zh"].tolist() == ["奢岭地块", "太平镇地块", "鹿乡地块"]


def test_html_and_script_in_properties_stay_text(tmp_path):
    hostile = '<script>alert("x")</script><b onmouseover="alert(1)">地块</b>'
    path = write_geojson(
        tmp_path / "html.geojson",
        feature([list(map(list, SQUARE.exterior.coords))], id="h", name_zh=hostile,
                status="planned", note_zh="<iframe src=x>"),
    )
    workspace = Workspace.open(tmp_path / "ws", seed=None)
    import_file(workspace, path, "ann", boundary=None)
    stored = workspace.parcel("h").properties
    assert stored["name_zh"] == hostile and stored["note_zh"] == "<iframe src=x>"


def test_status_words_and_missing_attributes(tmp_path):
    coords = [list(map(list, SQUARE.exterior.coords))]
    path = write_geojson(
        tmp_path / "status.geojson",
        feature(coords, id="a", status="已供地", town="太平镇", use="industrial", quarter="2022Q1"),
        feature(coords, id="b"),
    )
    plan = prepare_import(path, boundary=None)
    assert plan.ok
    assert {p.parcel_id: p.properties.get("status") for p in plan.parcels} == {
        "a": "supplied",
        "b": None,
    }
    # b says nothing about its town, use or date: counted as unknown, not refused.
    assert all(not p.is_error for p in plan.problems)
    unknown = write_geojson(tmp_path / "unknown.geojson", feature(coords, id="c", status="批了"))
    plan = prepare_import(unknown, boundary=None)
    assert plan.ok
    (parcel,) = plan.parcels
    assert "status" not in parcel.properties and parcel.properties["status_原值"] == "批了"
    assert "status_not_understood" in {p.code for p in plan.problems}


def test_a_parcel_numbered_for_a_blank_id_keeps_the_planners_own_id_column(tmp_path):
    coords = [list(map(list, SQUARE.exterior.coords))]
    path = write_geojson(
        tmp_path / "ledger.geojson",
        feature(coords, 地块编号="SY-1", id="旧编号7"),
        feature(coords, 地块编号=" ", id="旧编号8"),
    )
    plan = prepare_import(path, boundary=None, mapping=ColumnMapping({"id": "地块编号"}))
    first, second = (p.properties for p in plan.parcels)
    assert (first["id"], first["id_原值"]) == ("SY-1", "旧编号7")
    assert (second["id"], second["id_原值"]) == ("ledger-2", "旧编号8")


@pytest.mark.parametrize(
    ("word", "code"),
    [
        ("计划供地", "planned"),
        ("计划供应", "planned"),
        ("征收中", "in_acquisition"),
        ("征收收储中", "in_acquisition"),
        ("In acquisition", "in_acquisition"),
        ("已供应", "supplied"),
        ("Supplied", "supplied"),
    ],
)
def test_status_words_of_the_product_old_and_new_are_understood(tmp_path, word, code):
    coords = [list(map(list, SQUARE.exterior.coords))]
    path = write_geojson(tmp_path / "status.geojson", feature(coords, id="a", status=word))
    plan = prepare_import(path, boundary=None)
    assert plan.ok and plan.parcels[0].properties["status"] == code


def test_an_unknown_status_is_explained_with_the_way_to_map_it(tmp_path):
    coords = [list(map(list, SQUARE.exterior.coords))]
    path = write_geojson(tmp_path / "status.geojson", feature(coords, id="c", status="批了"))
    (problem,) = [
        p for p in prepare_import(path, boundary=None).problems
        if p.code == "status_not_understood"
    ]
    assert not problem.is_error
    assert "“批了”（1 个）" in problem.message_zh
    assert "--status-word 词=supplied|in_acquisition|planned" in problem.message_zh
    mapped = prepare_import(
        path, boundary=None, mapping=parse_field_options(status_words=["批了=supplied"])
    )
    assert mapped.parcels[0].properties["status"] == "supplied"


def test_duplicate_ids_and_missing_ids(tmp_path):
    coords = [list(map(list, SQUARE.exterior.coords))]
    duplicated = write_geojson(
        tmp_path / "dup.geojson", feature(coords, id="x"), feature(coords, id="x")
    )
    assert "duplicate_id" in error_codes(prepare_import(duplicated, boundary=None))
    anonymous = write_geojson(tmp_path / "地块.geojson", feature(coords), feature(coords))
    plan = prepare_import(anonymous, boundary=None)
    assert [p.parcel_id for p in plan.parcels] == ["地块-1", "地块-2"]
    assert "ids_assigned" in codes_of(plan)


def test_outside_the_district_is_a_warning(tmp_path):
    far = shapely.box(116.3, 39.9, 116.31, 39.91)
    path = write_geojson(tmp_path / "far.geojson",
                         feature([list(map(list, far.exterior.coords))], id="far"))
    plan = prepare_import(path)
    assert plan.ok
    assert ("far", "outside_district") in {(p.feature, p.code) for p in plan.problems}


def test_points_are_not_parcels(tmp_path):
    path = tmp_path / "points.csv"
    path.write_text("name,lon,lat\n甲,125.6,43.5\n乙,125.7,43.6\n", encoding="utf-8")
    assert error_codes(prepare_import(path)) == {"points_not_parcels"}
    nothing = tmp_path / "nothing.csv"
    nothing.write_text("name,value\n甲,1\n", encoding="utf-8")
    assert error_codes(prepare_import(nothing)) == {"no_geometry_columns"}
    bad_wkt = tmp_path / "bad.csv"
    bad_wkt.write_text('id,wkt\na,"POLYGON ((125.6 43.5, 125.7"\n', encoding="utf-8")
    assert ("a", "bad_wkt") in {(p.feature, p.code) for p in prepare_import(bad_wkt).problems}


def test_ewkt_srid_names_the_system(tmp_path):
    gk = shapely.transform(SQUARE, Converter("wgs84", "gk126").transform_xy)
    path = tmp_path / "ewkt.csv"
    path.write_text(f'id,wkt\ne,"SRID=4551;{gk.wkt}"\n', encoding="utf-8")
    plan = prepare_import(path, boundary=None)
    assert plan.data.source_crs.key == "gk126" and plan.data.crs_origin == "file"
    assert plan.hectares == pytest.approx(geod_hectares(SQUARE), rel=1e-6)


def test_files_that_are_not_what_their_names_say(tmp_path):
    zipped = tmp_path / "really_a_zip.geojson"
    with zipfile.ZipFile(zipped, "w") as archive:
        archive.writestr("a.txt", "x")
    json_csv = tmp_path / "really_json.csv"
    json_csv.write_text('{"type": "FeatureCollection", "features": []}', encoding="utf-8")
    text_xlsx = tmp_path / "really_text.xlsx"
    text_xlsx.write_text("id,wkt\n", encoding="utf-8")
    text_gpkg = tmp_path / "really_text.gpkg"
    text_gpkg.write_text("hello", encoding="utf-8")
    for path in (zipped, json_csv, text_xlsx, text_gpkg):
        [problem] = prepare_import(path).problems
        assert problem.code == "wrong_format", path.name
        assert path.suffix in problem.message_en


# --- archives ---------------------------------------------------------------------------------


def test_zip_members_that_climb_out_are_refused_before_reading(tmp_path):
    for name in ("../evil.shp", "/etc/evil.shp", "a/../../evil.shp", "C:\\evil.shp"):
        assert unsafe_member_name(name)
    assert not unsafe_member_name("folder/parcels.shp")
    path = tmp_path / "traversal.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("parcels.shp", b"\x00\x00\x27\x0a")
        archive.writestr("../../outside.txt", "x")
    [problem] = prepare_import(path).problems
    assert problem.code == "zip_unsafe_path" and "../../outside.txt" in problem.message_en
    assert not (tmp_path.parent / "outside.txt").exists()
    kmz = tmp_path / "traversal.kmz"
    with zipfile.ZipFile(kmz, "w") as archive:
        archive.writestr("/abs/doc.kml", "<kml/>")
    assert prepare_import(kmz).problems[0].code == "zip_unsafe_path"


def _bomb(path, megabytes):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        with archive.open("parcels.dbf", "w", force_zip64=True) as member:
            chunk = b"\x00" * (1024 * 1024)
            for _ in range(megabytes):
                member.write(chunk)
        archive.writestr("parcels.shp", b"")
        archive.writestr("parcels.shx", b"")
    return path


def test_zip_bombs_are_refused_from_the_directory_alone(tmp_path):
    small_limit = ReadLimits(max_unzipped_bytes=4 * 1024 * 1024)
    big = _bomb(tmp_path / "big.zip", 5)
    assert os.path.getsize(big) < 100_000
    plan = prepare_import(big, limits=small_limit)
    assert [p.code for p in plan.problems] == ["zip_too_large"]
    ratio = _bomb(tmp_path / "ratio.zip", 3)
    [problem] = prepare_import(ratio).problems
    assert problem.code == "zip_bomb"
    xlsx = _bomb(tmp_path / "bomb.xlsx", 3)
    assert prepare_import(xlsx).problems[0].code == "zip_bomb"
    with pytest.raises(InputError):
        inspect_zip(big, 4 * 1024 * 1024)


def test_size_parcel_and_vertex_limits(tmp_path):
    path = _geojson(tmp_path)
    assert error_codes(prepare_import(path, limits=ReadLimits(max_file_bytes=100))) == {
        "file_too_large"
    }
    assert error_codes(prepare_import(path, limits=ReadLimits(max_features=2))) == {
        "too_many_features"
    }
    assert error_codes(prepare_import(path, limits=ReadLimits(max_vertices=10))) == {
        "too_many_vertices"
    }
    jzd = _jzd(tmp_path)
    assert error_codes(prepare_import(jzd, limits=ReadLimits(max_vertices=10))) == {
        "too_many_vertices"
    }
    table = _csv_vertices(tmp_path)
    assert error_codes(prepare_import(table, limits=ReadLimits(max_features=2))) == {
        "too_many_features"
    }


def test_an_upload_is_checked_as_the_import_would_read_it_and_nothing_is_written(tmp_path):
    from bureau_files import LAYOUTS, PARCELS

    from geo_app.importing import check_upload
    from geo_app.workspace import Workspace

    path = LAYOUTS["chinese_shapefile"](tmp_path / "file")
    workspace = Workspace.open(tmp_path / "ws")
    before = workspace.count()
    plan = check_upload(workspace, "../供地台账.zip", path.read_bytes())
    assert plan.ok and len(plan.parcels) == len(PARCELS)
    assert plan.table.mapping.column("status") == "供地状态"
    unmapped = check_upload(
        workspace, "供地台账.zip", path.read_bytes(),
        mapping=parse_field_options(["status="]),
    )
    assert all("status" not in p.properties for p in unmapped.parcels)
    assert workspace.count() == before


# --- the cycle collector, paused while an import builds its rows ---------------------------


def test_an_import_pauses_the_cycle_collector_and_runs_it_again_after(tmp_path, monkeypatch):
    coords = [list(map(list, SQUARE.exterior.coords))]
    path = write_geojson(tmp_path / "one.geojson", feature(coords, id="g1", status="planned"))
    workspace = Workspace.open(tmp_path / "ws", seed=None)
    seen = []
    writing = Workspace.import_parcels

    def noting(self, *args, **kwargs):
        seen.append(gc.isenabled())
        return writing(self, *args, **kwargs)

    monkeypatch.setattr(Workspace, "import_parcels", noting)
    assert gc.isenabled()
    assert import_file(workspace, path, "ann", boundary=None).outcome is not None
    assert seen == [False] and gc.isenabled()
    # Refused as a whole (the id is taken now): running again all the same.
    with pytest.raises(DuplicateParcelError):
        import_file(workspace, path, "ann", boundary=None)
    assert seen == [False, False] and gc.isenabled()
