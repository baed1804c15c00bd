"""A drawn parcel: back to WGS84, checked, measured, placed in its town, described."""

from __future__ import annotations

import datetime as dt

import pytest
import shapely
from shapely.geometry import mapping

from geo_app.basemaps.display_datum import to_display_datum
from geo_app.catalog import load_catalog, load_layer_frame
from geo_app.geodesy import hectares
from geo_app.parcel_drawing import (
    DRAWN_ACCURACY,
    ParcelFields,
    drawn_geometry,
    drawn_hectares,
    drawn_properties,
    edited_properties,
    plan_quarters,
)
from geo_app.parcel_table.places import town_at
from geo_app.problems import InputError

SQUARE = shapely.box(125.55, 43.60, 125.56, 43.607)
FIELDS = ParcelFields("新地块", "", "planned", "industrial", "奢岭街道", "2022Q2")


def feature(geometry) -> dict:
    return {"type": "Feature", "properties": {}, "geometry": mapping(geometry)}


def test_a_drawn_feature_becomes_a_counter_clockwise_wgs84_polygon():
    clockwise = shapely.Polygon(list(SQUARE.exterior.coords)[::-1])
    geom = drawn_geometry(feature(clockwise), "wgs84")
    assert geom.equals(SQUARE) and geom.exterior.is_ccw
    assert drawn_geometry(mapping(SQUARE), "wgs84").equals(SQUARE)


def test_a_shape_drawn_on_gcj02_tiles_comes_back_to_wgs84():
    on_tiles = to_display_datum(SQUARE, "gcj02")
    assert on_tiles.hausdorff_distance(SQUARE) > 0.003  # hundreds of metres apart
    back = drawn_geometry(feature(on_tiles), "gcj02")
    assert back.hausdorff_distance(SQUARE) < 1e-6
    assert drawn_hectares(back) == pytest.approx(float(hectares([SQUARE])[0]), rel=1e-6)


@pytest.mark.parametrize("drawing, code", [
    (None, "no_drawing"),
    ({"type": "Feature", "geometry": None}, "no_drawing"),
    (feature(shapely.LineString([(125.5, 43.5), (125.6, 43.6)])), "not_polygon"),
    (feature(shapely.Polygon([(125.5, 43.5), (125.6, 43.6), (125.6, 43.5), (125.5, 43.6)])),
     "invalid_geometry"),
    ({"type": "Polygon", "coordinates": [[["a", "b"]]]}, "unreadable_drawing"),
])
def test_unusable_drawings_are_refused_with_a_reason(drawing, code):
    with pytest.raises(InputError) as caught:
        drawn_geometry(drawing, "wgs84")
    assert caught.value.problem.code == code


def test_the_town_is_the_one_holding_most_of_the_parcel():
    catalog = load_catalog()
    cells = load_layer_frame("town_cells")
    for town, cell in zip(cells["town"], cells.geometry, strict=True):
        inside = cell.representative_point().buffer(0.002)
        assert town_at(inside, catalog) == town
    assert town_at(shapely.box(120.0, 40.0, 120.01, 40.01), catalog) is None


def test_a_catalog_without_a_town_layer_names_no_town():
    catalog = load_catalog()
    without = type(catalog)(
        layers=tuple(s for s in catalog.layers if s.id != "town_cells"),
        groups=catalog.groups, path=catalog.path,
    )
    assert town_at(SQUARE, without) is None


def test_a_drawn_parcel_says_who_drew_it_and_how_exact_it_is():
    props = drawn_properties(FIELDS, "drawn-1", " 王工 ", dt.date(2024, 5, 6), "gcj02")
    assert props["id"] == "drawn-1"
    assert (props["name_zh"], props["name_en"]) == ("新地块", "新地块")
    assert props["use_zh"] == "工业" and props["plan_ref"] == "land_supply_ha"
    assert props["accuracy"] == DRAWN_ACCURACY
    assert "王工" in props["source"] and "2024-05-06" in props["source"]
    assert "gcj02" in props["source_en"]
    unnamed = ParcelFields("", "", "planned", "tourism", "鹿乡镇", "2022Q1")
    assert drawn_properties(unnamed, "drawn-2", "王工", dt.date(2024, 5, 6),
                            "wgs84")["name_zh"] == "drawn-2"


def test_an_edit_replaces_the_fields_and_keeps_the_rest():
    current = {"id": "p-1", "name_zh": "旧名", "name_en": "Old", "status": "planned",
               "note_zh": "备注", "sample": True}
    edited = edited_properties(current, FIELDS)
    assert edited["name_zh"] == "新地块" and edited["status"] == "planned"
    assert edited["note_zh"] == "备注" and edited["sample"] is True
    blank = ParcelFields("", "", "supplied", "tourism", "鹿乡镇", "2022Q3")
    assert edited_properties(current, blank)["name_zh"] == "旧名"


def test_the_plan_year_has_four_quarters():
    assert plan_quarters(2022) == ("2022Q1", "2022Q2", "2022Q3", "2022Q4")
