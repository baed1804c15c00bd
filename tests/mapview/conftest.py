import json

import pytest

from geo_app.catalog import load_catalog

HOSTILE = "<img src=x onerror=alert(1)>"
TEMPLATE_CODE = "{{ 7 * 7 }}"

CATALOG = """
[groups.base]
name_zh = "底图要素"
name_en = "Base features"
order = 1

[groups.villages]
name_zh = "乡村振兴"
name_en = "Villages"
order = 2

[groups.land_supply]
name_zh = "征供地"
name_en = "Land supply"
order = 3

[[layers]]
id = "boundary"
file = "boundary.geojson"
group = "base"
name_zh = "区界"
name_en = "Boundary"
geometry = "polygon"
default_visible = true
[layers.style]
color = "#333333"
fill_color = "#ffffff"
fill_opacity = 0.0

[[layers]]
id = "villages"
file = "villages.geojson"
group = "villages"
name_zh = "示范村"
name_en = "Demonstration villages"
geometry = "point"
default_visible = true
[layers.style]
color = "#1b7837"
radius = 7

[[layers]]
id = "hidden_notes"
file = "hidden.geojson"
group = "villages"
name_zh = "隐藏图层"
name_en = "Hidden layer"
geometry = "point"
default_visible = false
[layers.style]
color = "#999999"

[[layers]]
id = "land_parcels"
file = "land_parcels.geojson"
group = "land_supply"
name_zh = "地块"
name_en = "Parcels"
geometry = "polygon"
default_visible = true
sample_data = true
[layers.style]
color = "#444444"
fill_color = "#888888"
fill_opacity = 0.5
color_by = "status"
[layers.style.palette]
planned = "#8073ac"
supplied = "#1a9850"
"""


def _feature(fid, name_zh, name_en, geometry, accuracy="surveyed", plan_ref=None, **extra):
    properties = {
        "id": fid, "name_zh": name_zh, "name_en": name_en, "plan_ref": plan_ref,
        "accuracy": accuracy, "source": "测试数据", **extra,
    }
    return {"type": "Feature", "properties": properties, "geometry": geometry}


def _square(lon, lat, size):
    ring = [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size],
            [lon, lat]]
    return {"type": "Polygon", "coordinates": [ring]}


def _parcel(fid, lon, status, town, quarter):
    return _feature(
        fid, f"地块 {fid}", f"Parcel {fid}", _square(lon, 43.5, 0.01), "schematic",
        "land_supply_ha", status=status, use="industrial", use_zh="工业", town=town,
        quarter=quarter, sample=True,
    )


LAYERS = {
    "boundary.geojson": [
        _feature("boundary-test", "双阳区", "Shuangyang", _square(125.3, 43.3, 0.6),
                 "approximate"),
    ],
    "villages.geojson": [
        _feature("village-hostile", HOSTILE, HOSTILE, {"type": "Point",
                 "coordinates": [125.61234567, 43.51234567]}, plan_ref="national_demo_villages"),
        _feature("village-braces", TEMPLATE_CODE, TEMPLATE_CODE,
                 {"type": "Point", "coordinates": [125.7, 43.6]}, "schematic"),
    ],
    "hidden.geojson": [
        _feature("hidden-one", "隐藏要素甲", "Hidden one",
                 {"type": "Point", "coordinates": [125.65, 43.55]}),
        _feature("hidden-two", "隐藏要素乙", "Notes on p-1",
                 {"type": "Point", "coordinates": [125.66, 43.56]}),
    ],
    "land_parcels.geojson": [
        _parcel("p-1", 125.50, "planned", "奢岭街道", "2022Q1"),
        _parcel("p-2", 125.55, "supplied", "太平镇", "2022Q3"),
        _parcel("p-3", 125.60, "supplied", "奢岭街道", "2022Q4"),
    ],
}


@pytest.fixture
def tiny_catalog(tmp_path):
    folder = tmp_path / "layers"
    folder.mkdir()
    (folder / "catalog.toml").write_text(CATALOG, encoding="utf-8")
    for name, features in LAYERS.items():
        collection = {"type": "FeatureCollection", "features": features}
        (folder / name).write_text(json.dumps(collection, ensure_ascii=False), encoding="utf-8")
    return load_catalog(folder / "catalog.toml")
