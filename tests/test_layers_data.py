"""The shipped layers against the data contract and against each other."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import numpy as np
import pytest
import shapely
from shapely.geometry import shape

from geo_app.catalog import load_catalog, load_layer_frame, load_layer_geojson
from geo_app.geodesy import hectares
from geo_app.plan import load_plan
from geo_app.resources import LAYERS_DIR, PROJECT_ROOT

TOWNS = {
    "云山街道",
    "平湖街道",
    "奢岭街道",
    "山河街道",
    "鹿乡镇",
    "太平镇",
    "齐家镇",
    "双营子回族乡",
}
# Lines and cells may run along the outline; 0.003° is about 250 m.
EDGE_TOLERANCE_DEG = 0.003


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


@pytest.fixture(scope="module")
def plan():
    return load_plan()


@pytest.fixture(scope="module")
def all_features(catalog):
    return {spec.id: load_layer_geojson(spec)["features"] for spec in catalog.layers}


@pytest.fixture(scope="module")
def boundary():
    return load_layer_frame("boundary").geometry.iloc[0]


def geometries(features):
    return [shape(feature["geometry"]) for feature in features]


def test_ids_are_unique_across_all_layers(all_features):
    ids = [f["properties"]["id"] for features in all_features.values() for f in features]
    assert len(ids) == len(set(ids))


def test_plan_refs_resolve_and_only_base_features_lack_one(all_features, catalog, plan):
    for layer_id, features in all_features.items():
        for feature in features:
            ref = feature["properties"]["plan_ref"]
            if ref is None:
                assert catalog.layer(layer_id).group == "base", feature["properties"]["id"]
            else:
                assert ref in plan, ref


def test_every_spatial_plan_item_is_drawn_or_explained(all_features, plan):
    drawn = {f["properties"]["plan_ref"] for features in all_features.values() for f in features}
    for item in plan.spatial_items():
        assert (item.id in drawn) != item.has_not_drawn_reason, item.id


def test_measures_point_at_layers_and_properties_that_exist(all_features, plan):
    for item in plan.items:
        if item.measure is None:
            continue
        features = all_features[item.measure_layer]
        for key, value in item.measure_filter.items():
            assert any(f["properties"].get(key) == value for f in features), item.id


def test_feature_counts_match_what_the_article_names(all_features, plan):
    def count(item_id):
        item = plan.item(item_id)
        return sum(
            all(f["properties"].get(k) == v for k, v in item.measure_filter.items())
            for f in all_features[item.measure_layer]
        )

    assert count("tourism_zones") == 3
    assert count("four_tourism_lines") == 4
    assert count("rural_tourism_routes") == 5
    # Only the two named villages are drawn; the other three are not guessed.
    assert count("national_demo_villages") == 2


def test_geometries_are_valid_wgs84_and_rounded(all_features):
    for layer_id, features in all_features.items():
        for geom in geometries(features):
            assert geom.is_valid, layer_id
            coords = shapely.get_coordinates(geom)
            assert np.all((coords[:, 0] > 125.3) & (coords[:, 0] < 126.1)), layer_id
            assert np.all((coords[:, 1] > 43.2) & (coords[:, 1] < 43.9)), layer_id
            assert np.array_equal(np.round(coords, 6), coords), layer_id


def test_polygon_exteriors_are_counter_clockwise_and_holes_clockwise(all_features):
    for layer_id, features in all_features.items():
        for geom in geometries(features):
            for polygon in shapely.get_parts(geom):
                if polygon.geom_type != "Polygon":
                    continue
                assert polygon.exterior.is_ccw, layer_id
                assert not any(ring.is_ccw for ring in polygon.interiors), layer_id


def test_features_lie_in_the_district(all_features, boundary):
    near = boundary.buffer(EDGE_TOLERANCE_DEG)
    for layer_id, features in all_features.items():
        for feature, geom in zip(features, geometries(features), strict=True):
            assert near.covers(geom), (layer_id, feature["properties"]["id"])


def test_points_and_parcels_are_strictly_inside(all_features, boundary):
    for layer_id in ("towns", "festivals", "villages", "land_parcels"):
        for geom in geometries(all_features[layer_id]):
            assert boundary.contains(geom), layer_id


def test_town_points_carry_nbs_codes(all_features):
    towns = all_features["towns"]
    assert {t["properties"]["name_zh"] for t in towns} == TOWNS
    for town in towns:
        assert re.fullmatch(r"220112\d{3}", town["properties"]["code"])
        assert town["properties"]["accuracy"] in ("approximate", "schematic")


def test_town_cells_tile_the_district_and_say_they_are_schematic(all_features, boundary):
    cells = all_features["town_cells"]
    assert len(cells) == 8
    for cell in cells:
        assert cell["properties"]["accuracy"] == "schematic"
        assert "非法定界线" in cell["properties"]["note_zh"]
    union = shapely.union_all(geometries(cells))
    assert abs(hectares([union])[0] - hectares([boundary])[0]) < 1.0


def test_schematic_layers_claim_no_more_than_schematic(all_features):
    for layer_id in ("layout", "tourism_zones", "tourism_lines", "demo_belt", "land_parcels"):
        for feature in all_features[layer_id]:
            assert feature["properties"]["accuracy"] == "schematic", feature["properties"]["id"]
    assert not any(
        f["properties"]["accuracy"] == "surveyed"
        for features in all_features.values()
        for f in features
    )


def test_every_named_road_project_is_drawn(all_features, plan):
    drawn = {f["properties"]["plan_ref"] for f in all_features["roads"]}
    assert {item.id for item in plan.by_kind("road_project")} <= drawn


# ----------------------------------------------------------------------- sample parcels


@pytest.fixture(scope="module")
def parcels():
    return load_layer_frame("land_parcels")


def test_parcels_follow_the_contract(parcels):
    assert 40 <= len(parcels) <= 60
    assert parcels["sample"].eq(True).all()
    assert set(parcels["status"]) == {"planned", "in_acquisition", "supplied"}
    assert set(parcels["town"]) <= TOWNS
    assert set(parcels["quarter"]) <= {"2022Q1", "2022Q2", "2022Q3", "2022Q4"}
    assert parcels["use"].notna().all() and parcels["use_zh"].notna().all()
    assert parcels["plan_ref"].eq("land_supply_ha").all()
    assert parcels["name_zh"].str.startswith("示例地块 ").all()
    assert parcels["source"].str.contains("示例数据").all()


def test_parcel_sizes_and_shapes_are_varied(parcels):
    areas = hectares(parcels.geometry.to_numpy())
    assert areas.min() >= 1.0 and areas.max() <= 12.0
    parts = shapely.get_parts(parcels.geometry.to_numpy())
    rings = shapely.get_num_interior_rings(parts) + 1
    vertices = shapely.get_num_coordinates(parcels.geometry.to_numpy())
    distinct = vertices - np.bincount(
        shapely.get_parts(parcels.geometry.to_numpy(), return_index=True)[1], weights=rings
    )
    assert distinct.min() >= 5 and distinct.max() <= 20
    assert (shapely.get_num_interior_rings(parts) > 0).any()
    assert (parcels.geometry.geom_type == "MultiPolygon").any()


def test_parcels_do_not_overlap(parcels):
    geoms = parcels.geometry.to_numpy()
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="intersects")
    assert np.all(left == right)


def test_parcel_total_is_sample_data_not_the_target(parcels, plan):
    total = hectares(parcels.geometry.to_numpy()).sum()
    assert 100 < total < 180
    assert abs(total - plan.item("land_supply_ha").quantity) > 10


# ----------------------------------------------------------------------- reproducibility


def test_build_layers_reproduces_the_shipped_files(tmp_path):
    script = PROJECT_ROOT / "scripts" / "build_layers.py"
    spec = importlib.util.spec_from_file_location("build_layers_under_test", script)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    module.main(["--out", str(tmp_path), "--boundary-dir", str(LAYERS_DIR)])
    built = sorted(path.name for path in tmp_path.glob("*.geojson"))
    assert built
    for name in built:
        assert (tmp_path / name).read_bytes() == Path(LAYERS_DIR / name).read_bytes(), name
