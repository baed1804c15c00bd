"""The readers' limits: one setting per limit, named in the message of a file past it, the
GDAL reader streaming batches, and the defaults large enough for a district's ledger."""

import io
import json
import os
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from scale_files import bureau_geopackage

from geo_app.cli import main
from geo_app.importing import check_upload
from geo_app.problems import InputError
from geo_app.reading import (
    LIMIT_SETTINGS,
    LimitSettingError,
    ReadLimits,
    read_vector,
)
from geo_app.reading import gdal as gdal_reader
from geo_app.validation import validate_file
from geo_app.workspace import Workspace

SQUARE = [[125.70, 43.50], [125.71, 43.50], [125.71, 43.51], [125.70, 43.51], [125.70, 43.50]]
VARIABLES = [setting.variable for setting in LIMIT_SETTINGS]


@pytest.fixture(autouse=True)
def no_limit_settings(monkeypatch):
    """Each test starts from the readers' own limits, whatever the environment says."""
    for variable in VARIABLES:
        monkeypatch.delenv(variable, raising=False)


def squares(path: Path, count: int) -> Path:
    features = [
        {"type": "Feature", "properties": {"id": f"p-{i}"},
         "geometry": {"type": "Polygon", "coordinates": [SQUARE]}}
        for i in range(count)
    ]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return path


def refusal(path: Path, **kwargs) -> InputError:
    with pytest.raises(InputError) as info:
        read_vector(path, **kwargs)
    return info.value


def test_every_limit_has_one_setting_of_its_own():
    fields = [setting.field for setting in LIMIT_SETTINGS]
    assert len(set(fields)) == len(fields) and len(set(VARIABLES)) == len(VARIABLES)
    assert set(fields) <= set(ReadLimits.__dataclass_fields__)
    assert all(variable.startswith("GEO_APP_MAX_") for variable in VARIABLES)


def test_a_file_past_a_setting_is_refused_naming_it_in_both_languages(tmp_path, monkeypatch):
    path = squares(tmp_path / "four.geojson", 4)
    monkeypatch.setenv("GEO_APP_MAX_FEATURES", "3")
    problem = refusal(path).problem
    assert problem.code == "too_many_features"
    assert "too many features: 4, the limit is 3" in problem.message_en
    assert "GEO_APP_MAX_FEATURES" in problem.message_en
    assert "GEO_APP_MAX_FEATURES" in problem.message_zh
    monkeypatch.setenv("GEO_APP_MAX_FEATURES", "4")
    assert len(read_vector(path)) == 4


def test_a_setting_holds_over_the_limits_a_caller_passes(tmp_path, monkeypatch):
    path = squares(tmp_path / "four.geojson", 4)
    assert refusal(path, limits=ReadLimits(max_features=2)).problem.code == "too_many_features"
    monkeypatch.setenv("GEO_APP_MAX_FEATURES", "10")
    assert len(read_vector(path, limits=ReadLimits(max_features=2))) == 4


@pytest.mark.parametrize(
    "variable, value, code",
    [
        ("GEO_APP_MAX_VERTICES", "19", "too_many_vertices"),
        ("GEO_APP_MAX_FILE_MB", "1", "file_too_large"),
    ],
)
def test_the_vertex_and_size_settings(tmp_path, monkeypatch, variable, value, code):
    path = squares(tmp_path / "many.geojson", 12_000)  # 60,000 vertices, about 2 MB
    monkeypatch.setenv(variable, value)
    problem = refusal(path).problem
    assert problem.code == code and variable in problem.message_en and variable in (
        problem.message_zh)


def test_the_unpacked_size_setting(tmp_path, monkeypatch):
    archive = tmp_path / "parcels.zip"
    noise = np.random.default_rng(1).bytes(3 * 1024 * 1024)  # does not compress
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("parcels.dbf", noise)
        zf.writestr("parcels.shp", b"")
        zf.writestr("parcels.shx", b"")
    monkeypatch.setenv("GEO_APP_MAX_UNZIPPED_MB", "2")
    problem = refusal(archive).problem
    assert problem.code == "zip_too_large"
    assert "the limit is 2.0 MB" in problem.message_en
    assert "GEO_APP_MAX_UNZIPPED_MB" in problem.message_en


@pytest.mark.parametrize("value", ["lots", "0", "-5", "1.5"])
def test_an_unusable_setting_is_said_not_ignored(tmp_path, monkeypatch, value):
    path = squares(tmp_path / "one.geojson", 1)
    monkeypatch.setenv("GEO_APP_MAX_VERTICES", value)
    with pytest.raises(LimitSettingError) as info:
        read_vector(path)
    assert "GEO_APP_MAX_VERTICES" in info.value.message("en")
    assert value in info.value.message("zh")
    out, err = io.StringIO(), io.StringIO()
    code = main(["validate", str(path), "--lang", "en"], stdout=out, stderr=err)
    assert code == 1 and "GEO_APP_MAX_VERTICES" in out.getvalue() + err.getvalue()
    assert "Traceback" not in out.getvalue() + err.getvalue()


def test_thousands_separators_are_understood(monkeypatch):
    monkeypatch.setenv("GEO_APP_MAX_FEATURES", "500,000")
    monkeypatch.setenv("GEO_APP_MAX_FILE_MB", "1_024")
    limits = ReadLimits().configured()
    assert limits.max_features == 500_000 and limits.max_file_bytes == 1024 * 1024 * 1024
    assert limits.max_vertices == ReadLimits().max_vertices


def test_an_upload_past_the_setting_is_refused_before_it_is_read(tmp_path, monkeypatch):
    workspace = Workspace.open(tmp_path / "ws")
    monkeypatch.setenv("GEO_APP_MAX_FILE_MB", "1")
    plan = check_upload(workspace, "big.geojson", b" " * (2 * 1024 * 1024))
    (problem,) = plan.problems
    assert problem.code == "file_too_large" and "GEO_APP_MAX_FILE_MB" in problem.message_zh


# --- the GDAL reader in batches -------------------------------------------------------------


def grid(count: int) -> gpd.GeoDataFrame:
    boxes = [shapely.box(125.6 + 0.002 * i, 43.5, 125.601 + 0.002 * i, 43.501)
             for i in range(count)]
    return gpd.GeoDataFrame(
        {"编号": [f"G{i:03d}" for i in range(count)], "面积": np.arange(count) * 0.5,
         "日期": ["2022-05-20"] * count},
        geometry=boxes, crs=4326,
    ).to_crs(4530)


def test_batches_read_as_one(tmp_path, monkeypatch):
    path = tmp_path / "grid.gpkg"
    grid(23).to_file(path)
    whole = read_vector(path)
    monkeypatch.setattr(gdal_reader, "BATCH_FEATURES", 5)
    batched = read_vector(path)
    assert batched.ids == whole.ids == list(range(1, 24))
    assert batched.frame.drop(columns="geometry").equals(whole.frame.drop(columns="geometry"))
    assert shapely.equals_exact(
        np.asarray(batched.frame.geometry.array), np.asarray(whole.frame.geometry.array), 0
    ).all()


def test_a_stream_past_the_vertex_limit_stops_at_the_batch(tmp_path, monkeypatch):
    path = tmp_path / "grid.gpkg"
    grid(30).to_file(path)
    monkeypatch.setattr(gdal_reader, "BATCH_FEATURES", 4)
    spent = []
    original = gdal_reader._Budget.spend

    def spend(self, features, geometries):
        spent.append(features)
        original(self, features, geometries)

    monkeypatch.setattr(gdal_reader._Budget, "spend", spend)
    problem = refusal(path, limits=ReadLimits(max_vertices=42)).problem
    assert problem.code == "too_many_vertices" and "GEO_APP_MAX_VERTICES" in problem.message_en
    # 5 vertices a box: the third batch of four passes 42; nothing after it is read.
    assert spent == [4, 4, 4]


def test_an_empty_layer_reads_as_no_features(tmp_path):
    path = tmp_path / "empty.gpkg"
    grid(1).iloc[:0].to_file(path)
    data = read_vector(path)
    assert len(data) == 0
    assert [p.code for p in validate_file(path).problems] == ["no_features"]


# --- the defaults -----------------------------------------------------------------------------


def test_the_defaults_take_a_district_ledger(tmp_path):
    """A bureau's GeoPackage of 100,000 parcels (two million vertices) is within every
    default limit with room to spare; the test writes a smaller one and scales."""
    limits = ReadLimits()
    assert limits.max_features >= 100_000 and limits.max_vertices >= 2_000_000
    path = bureau_geopackage(tmp_path / "ledger.gpkg", 5_000)
    per_parcel = os.path.getsize(path) / 5_000
    assert per_parcel * 100_000 < limits.max_file_bytes
    assert len(read_vector(path)) == 5_000
