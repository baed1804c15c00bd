"""The compliance check on hand-made cases whose answers are known by construction, each
against an independent geodesic measure (pyproj's Geod on shapely's exact overlay)."""

from __future__ import annotations

import pytest
import shapely
from control_files import (
    DEV_BOUNDARY,
    FARMLAND,
    LANDUSE,
    PARCELS,
    RED_LINE,
    feature_collection,
    geodesic_ha,
    inside_ha,
    landuse_collection,
    outside_ha,
    write_geojson,
)

from geo_app.control import check_workspace, read_reference
from geo_app.workspace import NewParcel, Workspace

# The bar: every figure within 5 m² of an independent geodesic computation.
WITHIN_HA = 5 / 10_000


@pytest.fixture
def workspace(tmp_path):
    ws = Workspace.open(tmp_path / "ws", seed=None)
    ws.import_parcels(
        [NewParcel(key, {"status": "planned"}, geometry) for key, geometry in PARCELS.items()],
        "王工", "parcels.geojson",
    )
    return ws


def load(ws, tmp_path, kind, collection, **options):
    path = write_geojson(tmp_path / f"{kind}.geojson", collection)
    return ws.import_reference(read_reference(path, kind, **options), "王工")


@pytest.fixture
def checked(workspace, tmp_path):
    load(workspace, tmp_path, "farmland", feature_collection(FARMLAND))
    load(workspace, tmp_path, "eco_redline", feature_collection(RED_LINE))
    load(workspace, tmp_path, "dev_boundary", feature_collection(DEV_BOUNDARY))
    load(workspace, tmp_path, "landuse", landuse_collection())
    result = check_workspace(workspace)
    return {p.parcel_id: p for p in result.parcels}, result


def test_every_figure_matches_an_independent_geodesic_overlay(checked):
    by_id, _ = checked
    assert set(by_id) == set(PARCELS)
    for key, parcel in PARCELS.items():
        found = by_id[key]
        assert found.hectares == pytest.approx(geodesic_ha(parcel), abs=WITHIN_HA)
        assert found.farmland_ha == pytest.approx(
            inside_ha(parcel, FARMLAND.values()), abs=WITHIN_HA)
        assert found.eco_redline_ha == pytest.approx(
            inside_ha(parcel, RED_LINE.values()), abs=WITHIN_HA)
        assert found.outside_dev_boundary_ha == pytest.approx(
            outside_ha(parcel, DEV_BOUNDARY.values()), abs=WITHIN_HA)
        for name, _, polygon in LANDUSE.values():
            expected = inside_ha(parcel, [polygon])
            assert found.landuse_ha.get(name, 0.0) == pytest.approx(expected, abs=WITHIN_HA)


def test_a_parcel_half_in_farmland_conflicts_with_half_its_hectares(checked):
    by_id, _ = checked
    half = by_id["half_in_farmland"]
    assert half.farmland_ha == pytest.approx(half.hectares / 2, rel=1e-3)
    [farmland] = [c for c in half.conflicts if c.kind == "farmland"]
    assert farmland.hectares == half.farmland_ha
    # Its farmland half is 旱地 in the land-use survey: cultivated land taken too.
    [cultivated] = [c for c in half.conflicts if c.kind == "landuse"]
    assert dict(cultivated.classes) == {"旱地": pytest.approx(half.farmland_ha, rel=1e-9)}
    assert half.outside_dev_boundary_ha == pytest.approx(0, abs=1e-9)


def test_a_parcel_across_the_development_boundary_conflicts_with_its_outer_part(checked):
    by_id, _ = checked
    across = by_id["across_boundary"]
    assert across.outside_dev_boundary_ha == pytest.approx(across.hectares / 2, rel=1e-3)
    assert [c.kind for c in across.conflicts] == ["dev_boundary"]
    # The piece drawn on the map is the outer half.
    assert across.pieces["dev_boundary"].bounds == pytest.approx((125.66, 43.56, 125.67, 43.57))


def test_a_parcel_in_a_hole_of_the_red_line_is_not_in_the_red_line(checked):
    by_id, _ = checked
    hole = by_id["in_red_line_hole"]
    assert hole.eco_redline_ha == 0.0
    assert not any(c.kind == "eco_redline" for c in hole.conflicts)
    # It lies outside the development boundary, wholly.
    assert hole.outside_dev_boundary_ha == pytest.approx(hole.hectares, rel=1e-12)


def test_touching_edges_are_no_overlap(checked):
    by_id, _ = checked
    touching = by_id["touching_edge"]
    assert touching.farmland_ha == 0.0
    assert not any(c.kind == "farmland" for c in touching.conflicts)


def test_a_two_part_parcel_is_measured_part_by_part(checked):
    by_id, _ = checked
    two = by_id["two_parts"]
    west, east = shapely.get_parts(PARCELS["two_parts"])
    assert two.farmland_ha == pytest.approx(geodesic_ha(west), abs=WITHIN_HA)
    # The eastern square is half in the red line's ring, half outside it.
    assert two.eco_redline_ha == pytest.approx(geodesic_ha(east) / 2, rel=1e-3)
    assert {c.kind for c in two.conflicts} == {"farmland", "eco_redline", "dev_boundary"}


def test_fields_sharing_an_edge_count_once(checked):
    by_id, _ = checked
    across = by_id["across_fields"]
    assert across.farmland_ha == pytest.approx(across.hectares, rel=1e-9)


def test_overlapping_reference_polygons_are_not_counted_twice(workspace, tmp_path):
    # The same fields loaded twice under two names: a parcel's farmland is still its own area.
    load(workspace, tmp_path, "farmland", feature_collection(FARMLAND), name="农田 A")
    load(workspace, tmp_path, "farmland", feature_collection(FARMLAND), name="农田 B")
    result = check_workspace(workspace)
    across = next(p for p in result.parcels if p.parcel_id == "across_fields")
    assert across.farmland_ha == pytest.approx(across.hectares, rel=1e-9)
    # And within one layer: a field drawn twice, overlapping itself.
    doubled = {"A": FARMLAND["F1"], "B": shapely.box(125.61, 43.60, 125.63, 43.62)}
    load(workspace, tmp_path, "eco_redline", feature_collection(doubled))
    result = check_workspace(workspace)
    across = next(p for p in result.parcels if p.parcel_id == "across_fields")
    assert across.eco_redline_ha == pytest.approx(across.hectares, rel=1e-9)


def test_kinds_without_a_layer_are_not_checked_rather_than_clear(workspace, tmp_path):
    load(workspace, tmp_path, "farmland", feature_collection(FARMLAND))
    result = check_workspace(workspace)
    summary = result.summary()
    assert summary["not_checked"] == ["eco_redline", "dev_boundary", "landuse"]
    assert summary["eco_redline_ha"] is None and summary["outside_dev_boundary_ha"] is None
    assert all(p.eco_redline_ha is None and p.landuse_ha is None for p in result.parcels)
    assert summary["farmland_ha"] == pytest.approx(
        sum(inside_ha(g, FARMLAND.values()) for g in PARCELS.values()), abs=WITHIN_HA)


def test_the_summary_adds_up_the_parcels_and_counts_conflict_hectares_once(checked):
    by_id, result = checked
    summary = result.summary()
    assert summary["parcels_in_conflict"] == sum(1 for p in by_id.values() if p.conflicts)
    assert summary["farmland_ha"] == pytest.approx(sum(p.farmland_ha for p in by_id.values()))
    # A piece in farmland and in 旱地 is one piece of land in conflict, not two.
    half = by_id["half_in_farmland"]
    assert half.conflict_hectares == pytest.approx(half.farmland_ha, rel=1e-9)


def test_a_sliver_below_a_square_metre_is_measured_but_no_conflict(workspace, tmp_path):
    # A field whose edge lies 1 mm inside the parcel (digitising noise): about 0.1 m².
    sliver = {"S": shapely.box(125.57, 43.60, 125.59 + 1e-8, 43.61)}
    load(workspace, tmp_path, "eco_redline", feature_collection(sliver))
    result = check_workspace(workspace)
    half = next(p for p in result.parcels if p.parcel_id == "half_in_farmland")
    assert 0 < half.eco_redline_ha < 1 / 10_000
    assert not any(c.kind == "eco_redline" for c in half.conflicts)


def test_other_layers_report_hectares_and_never_conflict(workspace, tmp_path):
    load(workspace, tmp_path, "other", feature_collection(FARMLAND), name="历史文化保护区")
    result = check_workspace(workspace)
    half = next(p for p in result.parcels if p.parcel_id == "half_in_farmland")
    assert half.other_ha["历史文化保护区"] == pytest.approx(
        inside_ha(PARCELS["half_in_farmland"], FARMLAND.values()), abs=WITHIN_HA)
    assert not result.in_conflict


def test_parcels_given_by_the_caller_are_checked_instead_of_the_workspace(workspace, tmp_path):
    load(workspace, tmp_path, "farmland", feature_collection(FARMLAND))
    result = check_workspace(workspace, ["x"], [FARMLAND["F1"]])
    [only] = result.parcels
    assert only.parcel_id == "x" and only.farmland_ha == pytest.approx(only.hectares, rel=1e-9)
