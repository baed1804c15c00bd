import importlib
import io
import json
import math
import subprocess
import sys
import textwrap
import zipfile
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geo_app.catalog import load_layer_frame
from geo_app.cli import COMMANDS, Command, all_commands, main, register
from geo_app.crs import Converter
from geo_app.geodesy import hectares, plane_hectares
from geo_app.reading import ReadLimits

SUBPROCESS_TIMEOUT = 120


def run(*argv):
    out, err = io.StringIO(), io.StringIO()
    code = main(list(map(str, argv)), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def run_process(*argv, cwd):
    result = subprocess.run(
        [sys.executable, "-m", "geo_app", *map(str, argv)],
        capture_output=True,
        text=True,
        timeout=SUBPROCESS_TIMEOUT,
        cwd=cwd,
    )
    return result.returncode, result.stdout, result.stderr


def parcel_frame():
    geoms = [
        shapely.box(125.60, 43.50, 125.61, 43.505),
        shapely.Polygon(
            shapely.box(125.65, 43.52, 125.662, 43.528).exterior.coords,
            [shapely.box(125.654, 43.522, 125.657, 43.525).exterior.coords],
        ),
        shapely.MultiPolygon(
            [
                shapely.box(125.70, 43.45, 125.705, 43.454),
                shapely.box(125.72, 43.46, 125.724, 43.463),
            ]
        ),
    ]
    return gpd.GeoDataFrame(
        {
            "id": ["p-1", "p-2", "p-3"],
            "status": ["planned", "supplied", "in_acquisition"],
            "use": ["industrial", "tourism", "public"],
            "town": ["奢岭街道", "云山街道", "鹿乡镇"],
            "quarter": ["2022Q1", "2022Q2", "2022Q3"],
        },
        geometry=geoms,
        crs=4326,
    )


def expected_hectares():
    return hectares(np.asarray(parcel_frame().geometry.array, dtype=object))


# --- totals -------------------------------------------------------------------------------


def test_totals_json_matches_the_shipped_parcels():
    code, out, err = run("totals", "--json")
    assert code == 0, err
    result = json.loads(out)
    assert {
        "target_ha",
        "total_ha",
        "gap_ha",
        "by_status",
        "by_town",
        "by_use",
        "by_quarter",
        "parcel_count",
        "sample_data",
    } <= set(result)
    assert result["target_ha"] == 200.0
    layer = load_layer_frame("land_parcels")
    total = float(hectares(np.asarray(layer.geometry.array, dtype=object)).sum())
    assert result["total_ha"] == pytest.approx(total, rel=1e-9)
    assert result["parcel_count"] == len(layer)
    assert result["gap_ha"] == pytest.approx(max(200.0 - total, 0.0), rel=1e-9)
    assert sum(result["by_status"].values()) == pytest.approx(total, rel=1e-9)
    assert result["sample_data"] is True


def test_totals_table_is_chinese_first_with_an_english_switch():
    code, out, _ = run("totals")
    assert code == 0
    assert "目标" in out and "公顷" in out and "示例数据" in out and "按状态" in out
    code, out, _ = run("totals", "--lang", "en")
    assert code == 0
    assert "target (at least)" in out and "200.00" in out and "by status" in out
    assert "公顷" not in out


def test_totals_table_names_statuses_and_uses_as_the_map_does():
    from geo_app.i18n import t

    for lang in ("zh", "en"):
        code, out, _ = run("totals", "--lang", lang)
        assert code == 0
        for status in ("planned", "in_acquisition", "supplied"):
            assert f"  {t(f'parcel.status.{status}', lang)}  " in out, status
        assert f"  {t('parcel.use.industrial', lang)}  " in out
    assert "征收收储中" not in out


def test_totals_from_a_parcels_file_with_filters(tmp_path):
    path = tmp_path / "parcels.gpkg"
    parcel_frame().to_crs(4530).to_file(path)
    code, out, err = run("totals", "--parcels", path, "--target", "10", "--json")
    assert code == 0, err
    result = json.loads(out)
    assert result["total_ha"] == pytest.approx(expected_hectares().sum(), rel=1e-8)
    assert result["target_ha"] == 10.0 and result["gap_ha"] == 0.0
    assert result["by_town"]["鹿乡镇"] == pytest.approx(expected_hectares()[2], rel=1e-8)
    code, out, _ = run("totals", "--parcels", path, "--status", "supplied", "--json")
    assert json.loads(out)["total_ha"] == pytest.approx(expected_hectares()[1], rel=1e-8)
    assert json.loads(out)["target_ha"] == 200.0


def test_totals_places_parcels_of_a_file_without_towns_by_location(tmp_path):
    path = tmp_path / "parcels.geojson"
    parcel_frame().drop(columns="town").to_file(path)
    code, out, err = run("totals", "--parcels", path, "--lang", "en", "--json")
    assert code == 0, err
    assert "schematic town areas" in err
    by_town = json.loads(out)["by_town"]
    assert by_town.get("unknown", 0.0) == 0.0
    assert sum(by_town.values()) == pytest.approx(expected_hectares().sum(), rel=1e-8)


def test_totals_refuses_a_parcels_file_with_a_broken_parcel(tmp_path):
    path = tmp_path / "parcels.geojson"
    frame = parcel_frame()
    frame.loc[0, "geometry"] = shapely.Polygon(
        [(125.60, 43.50), (125.61, 43.505), (125.61, 43.50), (125.60, 43.505)]
    )
    frame.to_file(path)
    code, out, err = run("totals", "--parcels", path, "--lang", "en")
    assert code == 1 and out == ""
    assert err.startswith("feature p-1: ")


# --- area ---------------------------------------------------------------------------------


def write_formats(tmp_path):
    frame = parcel_frame()
    files = {}
    files["geojson"] = tmp_path / "p.geojson"
    frame.to_file(files["geojson"])
    files["gpkg"] = tmp_path / "p.gpkg"
    frame.to_crs(4551).to_file(files["gpkg"])
    shp_dir = tmp_path / "shp"
    shp_dir.mkdir()
    frame.to_crs(4530).to_file(shp_dir / "parcels.shp")
    files["zip"] = tmp_path / "parcels.zip"
    with zipfile.ZipFile(files["zip"], "w") as archive:
        for part in shp_dir.iterdir():
            archive.write(part, part.name)
    files["kml"] = tmp_path / "p.kml"
    frame.to_file(files["kml"], driver="KML")
    return files


@pytest.mark.parametrize("kind", ["geojson", "gpkg", "zip", "kml"])
def test_area_json_for_each_format(tmp_path, kind):
    path = write_formats(tmp_path)[kind]
    code, out, err = run("area", path, "--json")
    assert code == 0, err
    result = json.loads(out)
    got = [f["hectares"] for f in result["features"]]
    np.testing.assert_allclose(got, expected_hectares(), rtol=1e-8)
    gk = plane_hectares(np.asarray(parcel_frame().geometry.array, dtype=object))
    np.testing.assert_allclose([f["gk_plane_hectares"] for f in result["features"]], gk, rtol=1e-6)
    assert result["total_ha"] == pytest.approx(sum(got), rel=1e-12)
    if kind != "kml":  # KML keeps its own placemark ids
        assert [f["id"] for f in result["features"]] == ["p-1", "p-2", "p-3"]


def test_area_ids_fall_back_to_the_feature_index(tmp_path):
    path = tmp_path / "noid.geojson"
    parcel_frame().drop(columns="id").to_file(path)
    code, out, _ = run("area", path, "--json")
    assert code == 0
    assert [f["id"] for f in json.loads(out)["features"]] == [0, 1, 2]


def test_area_crs_option_for_gcj02(tmp_path):
    frame = parcel_frame()
    to_gcj = Converter("wgs84", "gcj02")
    frame.geometry = shapely.transform(
        np.asarray(frame.geometry.array, dtype=object), to_gcj.transform_xy
    )
    path = tmp_path / "gcj.geojson"
    path.write_text(frame.to_json())
    code, out, _ = run("area", path, "--crs", "gcj02", "--json")
    assert code == 0
    np.testing.assert_allclose(
        [f["hectares"] for f in json.loads(out)["features"]], expected_hectares(), rtol=1e-6
    )


def test_area_table(tmp_path):
    code, out, _ = run("area", write_formats(tmp_path)["geojson"])
    assert code == 0
    assert "p-2" in out and "合计" in out and "椭球" in out
    assert f"{expected_hectares().sum():,.4f}" in out


# --- convert ------------------------------------------------------------------------------


# The spherical Mercator formula, worked out independently of PROJ.
WEB_MERCATOR_POINT = (
    6378137.0 * math.radians(125.7),
    6378137.0 * math.log(math.tan(math.pi / 4 + math.radians(43.5) / 2)),
)


@pytest.mark.parametrize(
    "argv, expected, decimals",
    [
        (
            ["--from", "gcj02", "--to", "wgs84", "125.664662", "43.525311"],
            (125.658534, 43.522943),
            7,
        ),
        (["--from", "wgs84", "--to", "gk42", "125.7", "43.5"], (42475736.990, 4818312.413), 3),
        (["--from", "wgs84", "--to", "gk126", "125.7", "43.5"], (475736.990, 4818312.413), 3),
        (["--from", "gk42", "--to", "wgs84", "42475736.990", "4818312.413"], (125.7, 43.5), 7),
        (
            ["--from", "wgs84", "--to", "gcj02", "125.6585341", "43.5229428"],
            (125.664662, 43.525311),
            7,
        ),
        (["--from", "EPSG:4326", "--to", "webmerc", "125.7", "43.5"], WEB_MERCATOR_POINT, 3),
    ],
)
def test_convert(argv, expected, decimals):
    code, out, err = run("convert", *argv)
    assert code == 0, err
    x_text, y_text = out.split()
    assert len(x_text.split(".")[1]) == decimals and len(y_text.split(".")[1]) == decimals
    assert float(x_text) == pytest.approx(expected[0], abs=2e-6 if decimals == 7 else 1.0)
    assert float(y_text) == pytest.approx(expected[1], abs=2e-6 if decimals == 7 else 1.0)


def test_convert_refuses_impossible_points():
    code, _, err = run(
        "convert", "--from", "wgs84", "--to", "gk42", "43.5", "125.7", "--lang", "en"
    )
    assert code == 1 and "give the longitude first" in err
    code, _, err = run(
        "convert", "--from", "gk42", "--to", "wgs84", "125.7", "43.5", "--lang", "en"
    )
    assert code == 1 and "looks like degrees" in err


def test_convert_with_negative_numbers_and_decimals():
    code, out, _ = run(
        "convert", "--from", "wgs84", "--to", "webmerc", "-70.5", "-33.4", "--decimals", "1"
    )
    assert code == 0 and out.strip().startswith("-7848")


# --- validate -----------------------------------------------------------------------------


def test_validate_a_good_file(tmp_path):
    files = write_formats(tmp_path)
    code, out, _ = run("validate", files["geojson"], "--lang", "en")
    assert code == 0
    # GDAL writes the CRS84 name into the GeoJSON it produces.
    assert (
        out.strip()
        == "usable: 3 features (GeoJSON), coordinate system wgs84 (declared by the file)"
    )
    plain = tmp_path / "plain.geojson"
    plain.write_text(parcel_frame().to_json())
    code, out, _ = run("validate", plain, "--lang", "en")
    assert (
        out.strip() == "usable: 3 features (GeoJSON), coordinate system wgs84 (the GeoJSON default)"
    )
    code, out, _ = run("validate", files["gpkg"], "--parcels")
    assert code == 0 and "可用：3 个要素" in out and "gk126" in out


def test_validate_parcels_attributes(tmp_path):
    path = tmp_path / "p.geojson"
    frame = parcel_frame()
    frame.loc[1, "status"] = "finished"
    frame.to_file(path)
    assert run("validate", path)[0] == 0
    code, out, _ = run("validate", path, "--parcels", "--lang", "en")
    # An unknown status word is kept and counted as unknown: the file is usable.
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith('warning: file: column "status": the supply status of 1 parcel')
    assert '"finished" (1)' in lines[0]
    assert '  supply status ← column "status" (recognised by its name)' in lines
    code, out, _ = run(
        "validate", path, "--parcels", "--lang", "en", "--status-word", "finished=supplied"
    )
    assert code == 0 and "finished" not in out


def test_validate_any_geometry(tmp_path):
    path = tmp_path / "points.geojson"
    gpd.GeoDataFrame({"id": ["a"]}, geometry=[shapely.Point(125.7, 43.5)], crs=4326).to_file(path)
    assert run("validate", path)[0] == 1
    assert run("validate", path, "--any-geometry")[0] == 0


def test_usage_errors_exit_2():
    assert run()[0] == 2
    assert run("nonsense")[0] == 2
    assert run("area")[0] == 2
    code, _, err = run("validate", "x.geojson", "--crs", "nowhere")
    assert code == 2 and "未知的坐标系 'nowhere'" in err
    code, _, err = run("validate", "x.geojson", "--crs", "nowhere", "--lang", "en")
    assert code == 2 and "unknown coordinate system 'nowhere'" in err
    assert run("convert", "--from", "wgs84", "--to", "gk42", "abc", "1")[0] == 2
    assert run("--help")[0] == 0


def test_help_follows_the_language():
    _, out_zh, _ = run("area", "--help")
    _, out_en, _ = run("area", "--help", "--lang", "en")
    assert "矢量文件" in out_zh and "vector file" in out_en


def test_internal_errors_are_one_line_and_exit_3(monkeypatch):
    def explode(args, console):
        raise RuntimeError("boom")

    monkeypatch.setitem(
        COMMANDS, "explode", Command("explode", "cli.area.help", lambda p, tr: None, explode)
    )
    code, _, err = run("explode", "--lang", "en")
    assert code == 3 and err.strip() == "internal error (RuntimeError): boom"
    assert "Traceback" not in err
    assert run("explode")[2].strip() == "内部错误（RuntimeError）：boom"


def test_register_adds_a_subcommand(monkeypatch):
    monkeypatch.setattr("geo_app.cli.entry.COMMANDS", dict(COMMANDS))

    def greet_arguments(parser, tr):
        parser.add_argument("name")

    def greet(args, console):
        console.print(console.text("cli.import.workspace", path=args.name))
        return 0

    register(Command("greet", "cli.validate.help", greet_arguments, greet))
    assert run("greet", "Shuangyang", "--lang", "en")[:2] == (0, "workspace: Shuangyang\n")
    code, out, _ = run("--help", "--lang", "en")
    assert code == 0 and "greet" in out


# --- the bad-input corpus -------------------------------------------------------------------

SQUARE = [[125.70, 43.50], [125.71, 43.50], [125.71, 43.51], [125.70, 43.51], [125.70, 43.50]]


def fc(*geometries, properties=None):
    return json.dumps(
        {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "properties": properties if properties is not None else {"id": f"f{i}"},
                    "geometry": g,
                }
                for i, g in enumerate(geometries)
            ],
        }
    )


def poly(ring):
    return {"type": "Polygon", "coordinates": [ring]}


@dataclass
class Case:
    name: str
    # Writes the input into the folder and returns the path to pass.
    make: object
    words: str
    exit_code: int = 1
    extra: tuple = ()


def _text(name, text):
    def make(folder):
        path = folder / name
        path.write_text(text, encoding="utf-8")
        return path

    return make


def _bytes(name, data):
    def make(folder):
        path = folder / name
        path.write_bytes(data)
        return path

    return make


# One past each of the readers' own limits (no setting in the environment).
OVER_SIZE_MB = ReadLimits().max_file_bytes // (1024 * 1024) + 10
OVER_FEATURES = ReadLimits().max_features + 1


def _sparse(folder):
    path = folder / "huge.geojson"
    with path.open("wb") as handle:
        handle.truncate(OVER_SIZE_MB * 1024 * 1024)
    return path


def _not_a_shapefile_zip(folder):
    path = folder / "notes.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "hello")
    return path


def _directory(folder):
    path = folder / "a_folder.geojson"
    path.mkdir()
    return path


GK42_RING = np.column_stack(Converter("wgs84", "gk42")(*np.array(SQUARE).T)).tolist()

CORPUS = [
    Case(
        "broken_json",
        _text("broken.geojson", '{"type": "FeatureCollection",\n"features": [}'),
        "broken JSON at line 2",
    ),
    Case("truncated_json", _text("truncated.geojson", fc(poly(SQUARE))[:-30]), "truncated"),
    Case("empty_file", _text("empty.geojson", ""), "the file is empty"),
    Case(
        "binary_garbage", _bytes("garbage.geojson", bytes(range(256)) * 64), "contains binary data"
    ),
    Case(
        "coordinates_as_strings",
        _text("strings.geojson", fc(poly([[str(x), str(y)] for x, y in SQUARE]))),
        'holds text "125.7"',
    ),
    Case(
        "properties_as_list",
        _text("props.geojson", fc(poly(SQUARE), properties=[1, 2])),
        '"properties" must be an object',
    ),
    Case(
        "nan_literal",
        _text("nan.geojson", fc(poly(SQUARE)).replace("125.71, 43.5]", "NaN, 43.5]", 1)),
        "NaN or Infinity",
    ),
    Case(
        "infinity_literal",
        _text("inf.geojson", fc(poly(SQUARE)).replace("43.51]", "Infinity]", 1)),
        "NaN or Infinity",
    ),
    Case(
        "bowtie",
        _text(
            "bowtie.geojson",
            fc(
                poly(
                    [[125.7, 43.5], [125.71, 43.51], [125.71, 43.5], [125.7, 43.51], [125.7, 43.5]]
                )
            ),
        ),
        "crosses itself near 125.705000, 43.505000",
    ),
    Case("unclosed_ring", _text("unclosed.geojson", fc(poly(SQUARE[:-1]))), "ring 1 is not closed"),
    Case(
        "ring_with_3_points",
        _text("three.geojson", fc(poly([SQUARE[0], SQUARE[1], SQUARE[0]]))),
        "needs at least 4",
    ),
    Case(
        "empty_collection",
        _text("gc.geojson", fc({"type": "GeometryCollection", "geometries": []})),
        "the geometry is empty",
    ),
    Case("null_geometry", _text("null.geojson", fc(None)), "has no geometry"),
    Case(
        "swapped_lat_lon",
        _text("swapped.geojson", fc(poly([[y, x] for x, y in SQUARE]))),
        "order looks swapped",
    ),
    Case(
        "projected_without_crs",
        _text("projected.geojson", fc(poly([[x * 1e4, y * 1e4] for x, y in SQUARE]))),
        "no coordinate system; pass --crs",
    ),
    Case(
        "gk42_without_crs",
        _text("gk42.geojson", fc(poly(GK42_RING))),
        "warning: file: the file has no coordinate system; the numbers look like gk42",
        0,
    ),
    Case(
        "deep_nesting",
        _text("deep.geojson", "[" * 100_000 + "]" * 100_000),
        "nested too deeply (100000 levels",
    ),
    Case(
        "over_the_size_limit", _sparse,
        f"the file is too large: {OVER_SIZE_MB}.0 MB, the limit is "
        f"{OVER_SIZE_MB - 10}.0 MB (the environment variable GEO_APP_MAX_FILE_MB changes",
    ),
    Case(
        "too_many_features",
        _text("many.geojson",
              fc(*[{"type": "Point", "coordinates": [125.7, 43.5]}] * OVER_FEATURES)),
        f"too many features: {OVER_FEATURES:,}, the limit is {OVER_FEATURES - 1:,} (the "
        "environment variable GEO_APP_MAX_FEATURES changes this limit)",
    ),
    Case("a_directory", _directory, "is a folder, not a file"),
    Case(
        "missing_file",
        lambda folder: folder / "missing.geojson",
        "there is no file called missing.geojson",
    ),
    Case(
        "zip_not_a_shapefile", _not_a_shapefile_zip, "holds no Shapefile (.shp), only: readme.txt"
    ),
    Case(
        "unknown_crs_option",
        _text("ok.geojson", fc(poly(SQUARE))),
        "unknown coordinate system 'mars2000'",
        2,
        ("--crs", "mars2000"),
    ),
    Case("top_level_list", _text("list.geojson", "[1, 2, 3]"), "the top level is a list"),
    Case(
        "duplicate_ids",
        _text("dups.geojson", fc(poly(SQUARE), poly(SQUARE), properties={"id": "same"})),
        "used by 2 features",
    ),
    Case("utf16", _bytes("u16.geojson", fc(poly(SQUARE)).encode("utf-16")), "UTF-16"),
    Case(
        "gpkg_that_is_text",
        _text("p.gpkg", "just some text"),
        "named as GeoPackage (.gpkg) but contains plain text",
    ),
]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    folder = tmp_path_factory.mktemp("corpus")
    return {case.name: (case, case.make(folder)) for case in CORPUS}


@pytest.mark.parametrize("command", ["validate", "area"])
@pytest.mark.parametrize("name", [case.name for case in CORPUS])
def test_bad_input_corpus(corpus, command, name):
    case, path = corpus[name]
    code, out, err = run(command, path, "--lang", "en", *case.extra)
    assert "Traceback" not in out + err
    if case.name == "gk42_without_crs" and command == "area":
        assert code == 0 and json.loads(run(command, path, "--json")[1])["total_ha"] > 0
        assert case.words in err
        return
    assert code == case.exit_code, out + err
    assert case.words in (out + err)
    lines = [line for line in (out + err).splitlines() if line.strip()]
    if code == 1:
        # validate reports on stdout, area on stderr; one line per problem.
        reported = out if command == "validate" else err
        assert all(
            line.startswith(("feature ", "file: ", "warning: ")) for line in reported.splitlines()
        )
    assert lines


def test_corpus_messages_are_chinese_by_default(corpus):
    _, path = corpus["bowtie"]
    code, out, _ = run("validate", path)
    assert code == 1 and out.startswith("要素 f0：边界自相交")


def test_corpus_in_a_separate_process_never_hangs_or_shows_a_traceback(corpus, tmp_path):
    paths = {name: str(path) for name, (_, path) in corpus.items()}
    script = textwrap.dedent(
        f"""
        import io, json
        from geo_app.cli import main
        results = {{}}
        for name, path in {paths!r}.items():
            for command in ("validate", "area"):
                out, err = io.StringIO(), io.StringIO()
                code = main([command, path, "--lang", "en"], stdout=out, stderr=err)
                results[name + ":" + command] = [code, out.getvalue() + err.getvalue()]
        print(json.dumps(results))
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=SUBPROCESS_TIMEOUT,
        cwd=tmp_path,
    )
    assert result.returncode == 0 and "Traceback" not in result.stderr
    results = json.loads(result.stdout)
    assert len(results) == 2 * len(CORPUS)
    assert all(code in (0, 1) for code, _ in results.values())
    assert all("Traceback" not in text for _, text in results.values())


def test_as_a_subprocess_module(corpus, tmp_path):
    code, out, err = run_process(
        "convert", "--from", "gcj02", "--to", "wgs84", "125.664662", "43.525311", cwd=tmp_path
    )
    assert code == 0 and err == ""
    assert [round(float(v), 6) for v in out.split()] == [125.658534, 43.522943]
    for name in ("deep_nesting", "binary_garbage", "over_the_size_limit"):
        _, path = corpus[name]
        code, out, err = run_process("validate", path, "--lang", "en", cwd=tmp_path)
        assert code == 1 and "Traceback" not in err and out.startswith("file: ")
    code, out, err = run_process("totals", "--json", cwd=tmp_path)
    assert code == 0 and json.loads(out)["target_ha"] == 200.0
    code, _, err = run_process("area", str(Path(tmp_path) / "nothing.kml"), cwd=tmp_path)
    assert code == 1 and "找不到文件" in err and "Traceback" not in err


def test_area_far_from_the_gk_zone_gives_no_plane_figure(tmp_path):
    path = tmp_path / "far.geojson"
    far = shapely.box(-170.0, 10.0, -169.99, 10.01)
    path.write_text(gpd.GeoDataFrame({"id": ["far"]}, geometry=[far], crs=4326).to_json())
    code, out, err = run("area", path, "--json", "--lang", "en")
    assert code == 0
    (result,) = json.loads(out)["features"]
    assert result["gk_plane_hectares"] is None and result["hectares"] > 0
    assert "warning: feature far: lies outside Shuangyang District" in err


# --- fuzz: area either refuses with a message or prints strict JSON ---------------------------

fuzz_numbers = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(min_value=-200, max_value=200),
    st.floats(min_value=125.6, max_value=125.8),
    st.floats(min_value=43.4, max_value=43.6),
)
fuzz_rings = st.lists(st.lists(fuzz_numbers, min_size=2, max_size=3), min_size=0, max_size=7)
fuzz_geometries = st.one_of(
    st.none(),
    st.builds(
        lambda rings: {"type": "Polygon", "coordinates": rings}, st.lists(fuzz_rings, max_size=3)
    ),
    st.builds(
        lambda polys: {"type": "MultiPolygon", "coordinates": polys},
        st.lists(st.lists(fuzz_rings, max_size=2), max_size=2),
    ),
    st.builds(lambda p: {"type": "Point", "coordinates": p}, st.lists(fuzz_numbers, max_size=3)),
)


def _strict_constant(name):
    raise ValueError(f"not JSON: {name}")


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(geometries=st.lists(fuzz_geometries, max_size=4), closed=st.booleans())
def test_area_fuzz(tmp_path, geometries, closed):
    for geometry in geometries:
        if closed and geometry and geometry["type"] == "Polygon":
            for ring in geometry["coordinates"]:
                if ring:
                    ring.append(list(ring[0]))
    path = tmp_path / "fuzz.geojson"
    path.write_text(fc(*geometries) if geometries else fc(), encoding="utf-8")
    code, out, err = run("area", path, "--json", "--lang", "en")
    assert code in (0, 1), err
    assert "Traceback" not in err
    if code == 0:
        result = json.loads(out, parse_constant=_strict_constant)
        assert len(result["features"]) == len(geometries)
    else:
        assert out == "" and err.strip()


# --- the registry of subcommands --------------------------------------------------------------


def test_the_registry_lists_exactly_the_commands_its_modules_define():
    from geo_app.cli.entry import COMMAND_SOURCES

    listed = [name for _, _, names in COMMAND_SOURCES for name in names]
    assert len(listed) == len(set(listed))
    for module_name, factory_name, names in COMMAND_SOURCES:
        made = getattr(importlib.import_module(module_name), factory_name)()
        made = made if isinstance(made, list) else [made]
        assert tuple(c.name for c in made) == names, module_name
    assert list(all_commands())[: len(listed)] == listed


def test_a_command_loads_only_its_own_module():
    # A fresh interpreter: `area` must not import the exports, the control lines or the
    # users' commands, and the help still lists every subcommand.
    script = (
        "import sys; from geo_app.cli import main; "
        "main(['area', '--help']); "
        "print(sorted(m for m in sys.modules if m.startswith('geo_app.cli.')))"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          check=True)
    loaded = done.stdout.strip().splitlines()[-1]
    assert "geo_app.cli.parcels" in loaded
    for other in ("geo_app.cli.export", "geo_app.cli.control", "geo_app.cli.users"):
        assert other not in loaded
    code, out, _ = run("--help", "--lang", "en")
    assert code == 0
    for name in ("area", "export", "reference", "users", "undo-import"):
        assert name in out


def test_a_wrong_command_name_lists_the_real_ones():
    code, _, err = run("aera", "--lang", "en")
    assert code == 2 and "area" in err and "export" in err


def test_the_language_may_follow_a_nested_subcommand(tmp_path, monkeypatch):
    monkeypatch.delenv("GEO_APP_DATA", raising=False)
    code, out, err = run("users", "list", "--workspace", tmp_path / "ws", "--lang", "en")
    assert code == 0, err
    assert "geo-app users add" in out and "账号" not in out
    code, _, err = run("users", "list", "--workspace", tmp_path / "ws", "--lang=fr")
    assert code == 2 and "fr" in err
