from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from geo_app.catalog import (
    ACCURACY_LEVELS,
    PROVENANCE_FIELDS,
    CatalogError,
    LayerSpec,
    check_layers,
    load_catalog,
    load_layer_frame,
    load_layer_geojson,
)
from geo_app.plan import load_plan

CONTRACT_LAYERS = {
    "boundary",
    "towns",
    "town_cells",
    "rivers",
    "layout",
    "tourism_zones",
    "tourism_lines",
    "festivals",
    "villages",
    "roads",
    "land_parcels",
}
CONTRACT_GROUPS = {"base", "layout", "tourism", "villages", "roads", "land_supply"}


def test_shipped_catalog_lists_the_contract_layers_in_known_groups():
    catalog = load_catalog()
    assert set(catalog.ids()) >= CONTRACT_LAYERS
    assert set(catalog.groups) == CONTRACT_GROUPS
    grouped = catalog.by_group()
    assert list(grouped) == sorted(grouped, key=lambda g: catalog.groups[g].order)
    assert sum(len(layers) for layers in grouped.values()) == len(catalog.layers)
    assert catalog.layer("land_parcels").sample_data
    assert catalog.layer("land_parcels").style.color_by == "status"
    assert set(catalog.layer("land_parcels").style.palette) == {
        "planned",
        "in_acquisition",
        "supplied",
    }


def test_every_shipped_layer_loads_with_provenance():
    catalog = load_catalog()
    for spec in catalog.layers:
        collection = load_layer_geojson(spec)
        assert collection["type"] == "FeatureCollection"
        assert collection["features"], spec.id
        for feature in collection["features"]:
            properties = feature["properties"]
            assert set(PROVENANCE_FIELDS) <= set(properties)
            assert properties["accuracy"] in ACCURACY_LEVELS


def test_layers_load_by_id_and_as_frames_in_wgs84():
    frame = load_layer_frame("land_parcels")
    assert frame.crs.to_epsg() == 4326
    assert {"id", "status", "town", "quarter", "geometry"} <= set(frame.columns)
    assert len(frame) == len(load_layer_geojson("land_parcels")["features"])


def test_each_call_returns_a_fresh_copy():
    first = load_layer_geojson("towns")
    first["features"].clear()
    assert load_layer_geojson("towns")["features"]


def test_shipped_layers_pass_the_cross_layer_checks():
    check_layers(load_catalog(), load_plan())


# ----------------------------------------------------------------------- broken inputs

GROUPS = '[groups.base]\nname_zh = "底图"\nname_en = "Base"\norder = 1\n'
LAYER = (
    '[[layers]]\nid = "dots"\nfile = "dots.geojson"\ngroup = "base"\nname_zh = "点"\n'
    'name_en = "Dots"\ngeometry = "point"\ndefault_visible = true\n'
    '[layers.style]\ncolor = "#112233"\nradius = 4\n'
)


def point_feature(feature_id: str = "dot-1", **overrides) -> dict:
    properties = {
        "id": feature_id,
        "name_zh": "点",
        "name_en": "Dot",
        "plan_ref": None,
        "accuracy": "approximate",
        "source": "test",
    }
    properties.update(overrides)
    return {
        "type": "Feature",
        "properties": {k: v for k, v in properties.items() if v is not ...},
        "geometry": {"type": "Point", "coordinates": [125.6, 43.5]},
    }


def make_catalog(tmp_path: Path, catalog_text: str, features: list[dict] | None = None) -> Path:
    (tmp_path / "catalog.toml").write_text(catalog_text, encoding="utf-8")
    if features is not None:
        collection = {"type": "FeatureCollection", "features": features}
        (tmp_path / "dots.geojson").write_text(json.dumps(collection), encoding="utf-8")
    return tmp_path / "catalog.toml"


def test_a_minimal_catalog_loads(tmp_path):
    catalog = load_catalog(make_catalog(tmp_path, GROUPS + LAYER, [point_feature()]))
    spec = catalog.layer("dots")
    assert isinstance(spec, LayerSpec)
    assert spec.path == tmp_path / "dots.geojson"
    assert load_layer_geojson(spec)["features"][0]["properties"]["id"] == "dot-1"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (GROUPS + LAYER.replace('"#112233"', '"blue"'), "style color 'blue' is not a hex colour"),
        (GROUPS + LAYER.replace('group = "base"', 'group = "sky"'), "group 'sky' is not one of"),
        (GROUPS + LAYER.replace('"point"', '"blob"'), "geometry 'blob' is not one of"),
        (GROUPS + LAYER.replace('name_en = "Dots"\n', ""), "missing field 'name_en'"),
        (GROUPS + LAYER.replace("dots.geojson", "gone.geojson"), "file 'gone.geojson' is missing"),
        (GROUPS + LAYER + LAYER, "duplicate id"),
        (GROUPS + LAYER + 'color_by = "status"\n', "color_by needs a property name and a palette"),
        (GROUPS + LAYER + "fill_opacity = 3\n", "fill_opacity 3 is outside"),
        (
            GROUPS + LAYER + 'color_by = "s"\n[layers.style.palette]\na = "#12"\n',
            "palette colour for 'a'",
        ),
    ],
)
def test_broken_catalog_entries_name_file_layer_and_reason(tmp_path, text, reason):
    path = make_catalog(tmp_path, text, [point_feature()])
    with pytest.raises(CatalogError) as caught:
        load_catalog(path)
    message = str(caught.value)
    assert "catalog.toml" in message
    assert "layer 'dots'" in message
    assert reason in message


def test_missing_catalog_and_bad_toml_are_reported(tmp_path):
    with pytest.raises(CatalogError, match="catalog file is missing"):
        load_catalog(tmp_path / "catalog.toml")
    path = make_catalog(tmp_path, GROUPS + "[[layers]\n")
    with pytest.raises(CatalogError, match=r"catalog\.toml: not valid TOML"):
        load_catalog(path)


def test_missing_groups_are_reported(tmp_path):
    with pytest.raises(CatalogError, match=r"\[groups\] tables are missing"):
        load_catalog(make_catalog(tmp_path, LAYER, [point_feature()]))


@pytest.mark.parametrize(
    ("features", "reason", "who"),
    [
        ([point_feature(source=...)], "missing field 'source'", "'dot-1'"),
        ([point_feature(accuracy="exact")], "unknown accuracy 'exact'", "'dot-1'"),
        ([point_feature(), point_feature()], "duplicate id", "'dot-1'"),
        ([point_feature(name_zh="")], "field 'name_zh' must be non-empty text", "'dot-1'"),
        ([point_feature(id=...)], "missing field 'id'", "feature 1"),
    ],
)
def test_broken_features_name_file_feature_and_reason(tmp_path, features, reason, who):
    spec = load_catalog(make_catalog(tmp_path, GROUPS + LAYER, features)).layer("dots")
    with pytest.raises(CatalogError) as caught:
        load_layer_geojson(spec)
    message = str(caught.value)
    assert "dots.geojson" in message
    assert who in message
    assert reason in message


def test_geometry_that_does_not_fit_the_layer_is_rejected(tmp_path):
    line = point_feature()
    line["geometry"] = {"type": "LineString", "coordinates": [[125.6, 43.5], [125.7, 43.6]]}
    spec = load_catalog(make_catalog(tmp_path, GROUPS + LAYER, [line])).layer("dots")
    with pytest.raises(CatalogError, match="'LineString' does not fit a point layer"):
        load_layer_geojson(spec)


def test_projected_coordinates_are_rejected(tmp_path):
    far = point_feature()
    far["geometry"]["coordinates"] = [42_550_000.0, 4_820_000.0]
    spec = load_catalog(make_catalog(tmp_path, GROUPS + LAYER, [far])).layer("dots")
    with pytest.raises(CatalogError, match="not WGS84 lon/lat"):
        load_layer_geojson(spec)


def test_invalid_json_is_reported(tmp_path):
    spec = load_catalog(make_catalog(tmp_path, GROUPS + LAYER, [point_feature()])).layer("dots")
    spec.path.write_text("{not json", encoding="utf-8")
    with pytest.raises(CatalogError, match=r"dots\.geojson: not valid JSON"):
        load_layer_geojson(spec)


@pytest.mark.parametrize("extra", [
    {"parcel_number": 2**70},
    {"parts": [1, {"number": -(2**65)}]},
])
def test_an_integer_beyond_64_bits_in_a_layer_file_reads_back_exactly(tmp_path, extra):
    # orjson would read it as a float; the json module keeps it, at the top or nested.
    spec = load_catalog(make_catalog(tmp_path, GROUPS + LAYER, [point_feature(**extra)])).layer(
        "dots")
    properties = load_layer_geojson(spec)["features"][0]["properties"]
    assert repr({key: properties[key] for key in extra}) == repr(extra)


def test_edited_file_is_read_again(tmp_path):
    spec = load_catalog(make_catalog(tmp_path, GROUPS + LAYER, [point_feature()])).layer("dots")
    assert len(load_layer_geojson(spec)["features"]) == 1
    collection = {"type": "FeatureCollection", "features": [point_feature(), point_feature("d2")]}
    spec.path.write_text(json.dumps(collection), encoding="utf-8")
    stat = spec.path.stat()
    os.utime(spec.path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert len(load_layer_geojson(spec)["features"]) == 2


def test_unknown_plan_ref_is_reported_by_the_cross_layer_check(tmp_path):
    catalog = load_catalog(
        make_catalog(tmp_path, GROUPS + LAYER, [point_feature(plan_ref="no_such_item")])
    )
    with pytest.raises(CatalogError) as caught:
        check_layers(catalog, load_plan())
    message = str(caught.value)
    assert "dots.geojson" in message and "'dot-1'" in message
    assert "unknown plan_ref 'no_such_item'" in message


def test_ids_repeated_across_layers_are_reported(tmp_path):
    second = LAYER.replace('id = "dots"', 'id = "more"').replace("dots.geojson", "more.geojson")
    catalog_path = make_catalog(tmp_path, GROUPS + LAYER + second, [point_feature()])
    (tmp_path / "more.geojson").write_text((tmp_path / "dots.geojson").read_text())
    with pytest.raises(CatalogError, match=r"'dot-1': duplicate id \(also in layer 'dots'\)"):
        check_layers(load_catalog(catalog_path), load_plan())
