from __future__ import annotations

import geopandas as gpd
import pytest
from pyproj import Geod
from shapely.geometry import LineString, Point, box

from geo_app.plan import Plan, PlanItem
from geo_app.targets import (
    DRAWINGS,
    MET,
    NOT_MEASURED,
    OVER,
    PLANNERS_DATA,
    PROGRESS_OUTCOMES,
    SAMPLE,
    SAMPLE_DATA,
    SCHEMATIC,
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


def _planners_parcels() -> gpd.GeoDataFrame:
    """The same parcels as a land bureau's file: no sample flag."""
    return _parcels().drop(columns="sample")


def _mixed_parcels() -> gpd.GeoDataFrame:
    frame = _parcels()
    frame["sample"] = [False, False, True]
    return frame


def _loader(layer_id: str) -> gpd.GeoDataFrame:
    layers = {
        "land_parcels": _parcels(),
        "roads": _roads(),
        "bureau_parcels": _planners_parcels(),
        "mixed_parcels": _mixed_parcels(),
    }
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
    # Sample parcels only: their figure is kept, labelled, and is no progress.
    assert result.outcome == SAMPLE and result.basis == SAMPLE_DATA
    assert not result.is_progress
    assert result.gap == pytest.approx(200 - result.measured)
    assert result.sample_data is True
    assert result.accuracy_counts == {"approximate": 1, "schematic": 1}


def test_planners_parcels_measure_progress():
    item = _item(
        quantity=200, unit="ha", comparison="at_least", measure="parcel_hectares",
        measure_layer="bureau_parcels",
    )
    result = measure_target(item, _loader)
    assert result.basis == PLANNERS_DATA and result.is_progress
    assert result.outcome == SHORT
    assert result.measured == pytest.approx(_truth_ha(_parcels()), rel=1e-7)
    assert result.share == pytest.approx(result.measured / 200)
    assert result.sample_data is False and result.samples_left_out == 0


def test_sample_parcels_among_planners_parcels_are_left_out():
    item = _item(
        quantity=200, unit="ha", comparison="at_least", measure="parcel_hectares",
        measure_layer="mixed_parcels",
    )
    result = measure_target(item, _loader)
    real = _mixed_parcels()[~_mixed_parcels()["sample"]]
    assert result.basis == PLANNERS_DATA and result.outcome == SHORT
    assert result.measured == pytest.approx(_truth_ha(real), rel=1e-7)
    assert result.feature_count == 2 and result.samples_left_out == 1


def test_a_layer_the_catalog_marks_as_sample_is_sample_data_as_a_whole():
    item = _item(
        quantity=1, unit="ha", comparison="at_least", measure="parcel_hectares",
        measure_layer="bureau_parcels",
    )
    result = measure_target(item, _loader, sample_layers={"bureau_parcels"})
    assert result.basis == SAMPLE_DATA and result.outcome == SAMPLE


def test_no_parcels_is_no_progress_yet_but_still_a_measurement():
    def empty(layer_id: str) -> gpd.GeoDataFrame:
        return _planners_parcels().iloc[:0]

    item = _item(quantity=200, unit="ha", comparison="at_least",
                 measure="parcel_hectares", measure_layer="land_parcels")
    result = measure_target(item, empty)
    assert result.basis == PLANNERS_DATA and result.measured == 0 and result.outcome == SHORT


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
    # A length of our own drawn roads is no measurement of the plan, however long.
    assert result.outcome == SCHEMATIC and result.basis == DRAWINGS
    assert result.gap is None and result.share is None


def test_feature_count_counts_matching_features():
    item = _item(quantity=3, unit="count", comparison="exactly", measure="feature_count",
                 measure_layer="land_parcels", measure_filter={"status": "supplied"})
    result = measure_target(item, _loader)
    assert result.measured == 2
    assert result.outcome == SCHEMATIC and result.is_drawing
    assert result.share is None and result.gap is None


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
    assert results[2].outcome == NOT_MEASURED and results[2].basis is None


def test_only_planners_data_can_state_progress():
    drawn = measure_target(
        _item(quantity=2, unit="count", comparison="exactly", measure="feature_count",
              measure_layer="roads"),
        _loader,
    )
    # Two roads against a target of two would have "reached"; a count of drawings never does.
    assert drawn.outcome not in PROGRESS_OUTCOMES
    record = drawn.to_dict()
    assert record["basis"] == DRAWINGS and record["share"] is None and record["gap"] is None
    assert record["outcome"] == SCHEMATIC and record["measured"] == 2


def test_geodesic_km_ignores_points_length():
    frame = gpd.GeoDataFrame(geometry=[Point(125.5, 43.5)], crs="EPSG:4326")
    assert geodesic_km(frame) == 0
