"""Shared renders for the export tests: each sheet is drawn once per test run."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from export_helpers import FIXED_DATE, render_with_warnings

from geo_app.export import ExportRequest


@pytest.fixture(scope="session")
def rendered() -> Callable[..., tuple[bytes, list[str]]]:
    """render(format=..., **options) cached for the whole run, with its warnings."""
    cache: dict[tuple, tuple[bytes, list[str]]] = {}

    def get(**options) -> tuple[bytes, list[str]]:
        key = tuple(sorted(options.items()))
        if key not in cache:
            cache[key] = render_with_warnings(ExportRequest(date=FIXED_DATE, **options))
        return cache[key]

    return get


SURVEYED_CATALOG = """
[groups.base]
name_zh = "底图要素"
name_en = "Base features"
order = 1

[[layers]]
id = "area"
file = "area.geojson"
group = "base"
name_zh = "测试范围"
name_en = "Test area"
geometry = "polygon"
default_visible = true
[layers.style]
color = "#333333"
fill_color = "#eeeeee"

[[layers]]
id = "streams"
file = "streams.geojson"
group = "base"
name_zh = "测试河流"
name_en = "Test streams"
geometry = "line"
default_visible = true
[layers.style]
color = "#4a90d9"
"""


def _feature(fid: str, name: str, geometry: dict) -> dict:
    properties = {"id": fid, "name_zh": name, "name_en": name, "plan_ref": None,
                  "accuracy": "surveyed", "source": "测试数据（实测）"}
    return {"type": "Feature", "properties": properties, "geometry": geometry}


@pytest.fixture
def surveyed_catalog(tmp_path):
    """A catalog whose every feature is surveyed and none is sample data."""
    import json

    from geo_app.catalog import load_catalog

    folder = tmp_path / "layers"
    folder.mkdir()
    (folder / "catalog.toml").write_text(SURVEYED_CATALOG, encoding="utf-8")
    ring = [[125.5, 43.4], [125.8, 43.4], [125.8, 43.7], [125.5, 43.7], [125.5, 43.4]]
    files = {
        "area.geojson": [_feature("area-1", "测试范围", {"type": "Polygon",
                                                         "coordinates": [ring]})],
        "streams.geojson": [_feature("stream-1", "测试河", {"type": "LineString",
                                     "coordinates": [[125.55, 43.45], [125.75, 43.65]]})],
    }
    for name, features in files.items():
        collection = {"type": "FeatureCollection", "features": features}
        (folder / name).write_text(json.dumps(collection, ensure_ascii=False), encoding="utf-8")
    return load_catalog(folder / "catalog.toml")


@pytest.fixture(autouse=True)
def shipped_parcels_only(monkeypatch):
    """Exports and `geo-app totals` use the shipped parcels unless a workspace is set."""
    from geo_app.workspace import DATA_ENV

    monkeypatch.delenv(DATA_ENV, raising=False)
