from __future__ import annotations

import geopandas as gpd
import pytest
from pyproj import Geod
from shapely.geometry import LineString, Point, box

from geo_app.plan import Plan, PlanItem
from geo_app.targets import (
    MET,
    NOT_MEASURED,
    OVER,
    SHORT,
    UNMEASURABLE,
    compare,
    geodesic_km,
    measure_target,
    measure_targets,
)

GEOD = Geod(ellps="GRS80")


def _item(**fields) -> PlanItem:
    base = {"id": "t", "name_zh": "目标", "name_en": "Target", "kind": "target", "section": "节"}
    return PlanItem(**{**base, **fields})


def _parcels() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "id": ["p1", "p2", "p3"],
            "status": ["supplied", "planned", "supplied"],
            "accuracy": ["schematic", "schematic", "approximate"],
            "sample": [True, True, True],
        },
        geometry=[
            box(125.60, 43.50, 125.61, 43.51),
            box(125.62, 43.50, 125.63, 43.51),
            box(125.64, 43.50, 125.642, 43.502),
        ],
        crs="EPSG:4326",
    )


def _roads() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"id": ["r1", "r2"], "kind": ["expressway", "local"], "accuracy": ["schematic"] * 2},
        geometry=[
            LineString([(125.5, 43.5), (125.6, 43.5)]),
            LineString([(125.5, 43.6), (125.5, 43.7)]),
        ],
        crs="EPSG:4326",
    )


def _loader(layer_id: str) -> gpd.GeoDataFrame:
    layers = {"land_parcels": _parcels(), "roads": _roads()}
    return layers[layer_id]


def _truth_ha(frame: gpd.GeoDataFrame) -> float:
    return sum(abs(GEOD.geometry_area_perimeter(g)[0]) for g in frame.geometry) / 10_000


def test_parcel_hectares_are_ellipsoidal_and_respect_the_filter():
    item = _item(
        quantity=200, unit="ha", comparison="at_least", measure="parcel_hectares",
        measure_layer="land_parcels", measure_filter={"status": "supplied"},
    )
    result = measure_target(item, _loader)
    supplied = _parcels()[_parcels().status == "supplied"]
    assert result.feature_count == 2
    assert result.measured == pytest.approx(_truth_ha(supplied), rel=1e-7)
    assert result.outcome == SHORT
    assert result.gap == pytest.approx(200 - result.measured)
    assert result.sample_data is True
    assert result.accuracy_counts == {"approximate": 1, "schematic": 1}


def test_target_in_mu_is_measured_in_mu():
    item = _item(
        quantity=100, unit="mu", measure="parcel_hectares", measure_layer="land_parcels"
    )
    result = measure_target(item, _loader)
    assert result.measured == pytest.approx(_truth_ha(_parcels()) * 15, rel=1e-7)


def test_line_km_is_geodesic():
    item = _item(quantity=5, unit="km", measure="line_km", measure_layer="roads",
                 measure_filter={"kind": ["expressway"]})
    result = measure_target(item, _loader)
    expected = GEOD.line_length([125.5, 125.6], [43.5, 43.5]) / 1000
    assert result.measured == pytest.approx(expected, rel=1e-9)
    assert result.outcome == MET
    assert result.gap == 0


def test_feature_count_counts_matching_features():
    item = _item(quantity=3, unit="count", comparison="exactly", measure="feature_count",
                 measure_layer="land_parcels", measure_filter={"status": "supplied"})
    result = measure_target(item, _loader)
    assert result.measured == 2
    assert result.outcome == SHORT


def test_target_without_measure_says_so():
    result = measure_target(_item(quantity=70, unit="yuan"), _loader)
    assert result.outcome == NOT_MEASURED
    assert result.measured is None and result.gap is None and result.share is None


def test_mismatched_unit_is_unmeasurable_not_wrong():
    item = _item(quantity=5, unit="ha", measure="line_km", measure_layer="roads")
    result = measure_target(item, _loader)
    assert result.outcome == UNMEASURABLE
    assert "line_km" in result.problem


def test_missing_layer_or_property_is_reported():
    missing_layer = _item(quantity=1, unit="count", measure="feature_count",
                          measure_layer="nowhere")
    assert "nowhere" in measure_target(missing_layer, _loader).problem
    missing_property = _item(quantity=1, unit="count", measure="feature_count",
                             measure_layer="roads", measure_filter={"colour": "red"})
    result = measure_target(missing_property, _loader)
    assert result.outcome == UNMEASURABLE
    assert "colour" in result.problem


@pytest.mark.parametrize(
    ("measured", "target", "comparison", "expected"),
    [
        (200, 200, "at_least", MET),
        (199.99, 200, "at_least", SHORT),
        (250, 200, None, MET),
        (95, 100, "about", MET),
        (85, 100, "about", SHORT),
        (115, 100, "about", OVER),
        (3, 3, "exactly", MET),
        (4, 3, "exactly", OVER),
    ],
)
def test_compare(measured, target, comparison, expected):
    assert compare(measured, target, comparison) == expected


def test_measure_targets_covers_every_target_and_reads_each_layer_once():
    items = (
        _item(id="a", quantity=1, unit="count", measure="feature_count",
              measure_layer="roads"),
        _item(id="b", quantity=1, unit="km", measure="line_km", measure_layer="roads"),
        _item(id="c"),
        _item(id="d", quantity=2, unit="persons"),
    )
    plan = Plan(meta={}, items=items)
    reads: list[str] = []

    def counting_loader(layer_id: str) -> gpd.GeoDataFrame:
        reads.append(layer_id)
        return _loader(layer_id)

    results = measure_targets(plan, counting_loader)
    assert [r.item.id for r in results] == ["a", "b", "d"]
    assert reads == ["roads"]
    assert results[2].outcome == NOT_MEASURED


def test_geodesic_km_ignores_points_length():
    frame = gpd.GeoDataFrame(geometry=[Point(125.5, 43.5)], crs="EPSG:4326")
    assert geodesic_km(frame) == 0
