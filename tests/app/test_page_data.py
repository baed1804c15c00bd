from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from app_parts.page_data import (
    CATALOG_ENV,
    as_filter_values,
    catalog_path_from_env,
    default_visible_layers,
    feature_at,
    feature_table,
    filter_choices,
    filter_table,
    format_hectares,
    format_number,
    kept_choices,
    ordered_visible,
    row_of_feature,
)
from geo_app.catalog import load_catalog


def _feature(fid, geometry, **props):
    return {"type": "Feature", "properties": {"id": fid, **props}, "geometry": geometry}


def _square(west, south, size):
    ring = [[west, south], [west + size, south], [west + size, south + size],
            [west, south + size], [west, south]]
    return {"type": "Polygon", "coordinates": [ring]}


def test_catalog_path_comes_from_the_environment_or_defaults():
    assert catalog_path_from_env({}) is None
    assert catalog_path_from_env({CATALOG_ENV: "  "}) is None
    assert catalog_path_from_env({CATALOG_ENV: "x/catalog.toml"}) == Path("x/catalog.toml")


def test_visible_layers_follow_the_catalog_order():
    catalog = load_catalog()
    defaults = default_visible_layers(catalog)
    assert defaults
    assert all(catalog.layer(i).default_visible for i in defaults)
    reversed_choice = [*list(reversed(catalog.ids())), "not_a_layer"]
    assert ordered_visible(catalog, reversed_choice) == catalog.ids()


def test_filter_choices_put_statuses_in_workflow_order():
    parcels = pd.DataFrame(
        {
            "status": ["supplied", "planned", "in_acquisition", "supplied"],
            "town": ["奢岭街道", "鹿乡镇", "奢岭街道", None],
            "quarter": ["2022Q3", "2022Q1", "2022Q1", "2022Q2"],
        }
    )
    choices = filter_choices(parcels)
    assert choices.statuses == ("planned", "in_acquisition", "supplied")
    # A parcel without a town can be picked out too: "unknown" comes last.
    assert choices.towns == ("奢岭街道", "鹿乡镇", "unknown")
    assert choices.quarters == ("2022Q1", "2022Q2", "2022Q3")


def test_selections_drop_vanished_values_and_empty_means_any():
    assert kept_choices(["a", "gone"], ("a", "b")) == ["a"]
    assert kept_choices(None, ("a",)) == []
    assert as_filter_values([]) is None
    assert as_filter_values(["a"]) == ("a",)


@pytest.mark.parametrize(
    ("value", "lang", "expected"),
    [
        (20_000_000_000, "zh", "200亿"),
        (20_000_000_000, "en", "20 billion"),
        (5_800_000, "zh", "580万"),
        (5_800_000, "en", "5.8 million"),
        (200, "zh", "200"),
        (1234.5, "en", "1,234.5"),
    ],
)
def test_format_number(value, lang, expected):
    assert format_number(value, lang) == expected


def test_hectares_print_with_two_decimals():
    assert format_hectares(200) == "200.00"
    assert format_hectares(1234.567) == "1,234.57"


def test_feature_table_puts_provenance_first_and_filters_on_any_column():
    collection = {
        "features": [
            _feature("b-2", None, name_zh="乙", name_en="Bee", extra=[1, 2]),
            _feature("a-1", None, name_zh="甲", name_en="Ant", extra=None),
        ]
    }
    table = feature_table(collection)
    assert list(table.columns[:3]) == ["id", "name_zh", "name_en"]
    assert table.loc[0, "extra"] == "[1, 2]"
    assert list(filter_table(table, "ANT")["id"]) == ["a-1"]
    assert list(filter_table(table, "乙")["id"]) == ["b-2"]
    assert len(filter_table(table, " ")) == 2
    assert row_of_feature(table, "a-1") == 1
    assert row_of_feature(table, "zzz") is None
    assert feature_table({"features": []}).empty


def test_click_picks_the_smallest_polygon_and_prefers_near_points_and_lines():
    layers = {
        "cells": {"features": [_feature("cell", _square(125.0, 43.0, 1.0))]},
        "parcels": {"features": [_feature("parcel", _square(125.4, 43.4, 0.01))]},
        "villages": {
            "features": [_feature("village", {"type": "Point", "coordinates": [125.7, 43.7]})]
        },
        "roads": {
            "features": [
                _feature("road", {"type": "LineString",
                                  "coordinates": [[125.2, 43.2], [125.2, 43.3]]})
            ]
        },
    }
    assert feature_at(125.405, 43.405, layers).feature_id == "parcel"
    assert feature_at(125.9, 43.9, layers).feature_id == "cell"
    # About 80 m east of the village point: the point wins over the cell under it.
    hit = feature_at(125.701, 43.7, layers)
    assert hit.feature_id == "village"
    assert 60 < hit.distance_m < 100
    assert feature_at(125.2005, 43.25, layers).feature_id == "road"
    # About 800 m from the road: too far for a line, so the cell under the click.
    assert feature_at(125.21, 43.25, layers).feature_id == "cell"
    assert feature_at(124.0, 42.0, layers) is None


def test_escape_markdown_leaves_no_markup():
    from app_parts.page_data import escape_markdown

    assert escape_markdown("a*b*_c_ [x](javascript:y) <b>") == (
        "a\\*b\\*\\_c\\_ \\[x\\]\\(javascript\\:y\\) \\<b\\>"
    )
    assert escape_markdown("奢岭街道") == "奢岭街道"


def _copy_layers(tmp_path: Path) -> Path:
    import shutil

    from geo_app.resources import LAYERS_DIR

    shutil.copytree(LAYERS_DIR, tmp_path / "layers")
    return tmp_path / "layers" / "catalog.toml"


def test_app_data_matches_the_default_ledger_and_measures_every_target():
    from app_parts.page_data import load_app_data
    from geo_app.ledger import default_ledger
    from geo_app.plan import load_plan

    data = load_app_data()
    assert data.ledger.total_ha == pytest.approx(default_ledger().total_ha, rel=1e-12)
    assert data.ledger.target_ha == load_plan().item("land_supply_ha").quantity
    assert [t.item.id for t in data.targets] == [i.id for i in load_plan().targets()]
    assert data.broken_layers == {}
    assert data.usable_catalog is data.catalog
    assert set(data.choices.statuses) <= {"planned", "in_acquisition", "supplied"}


def test_a_broken_layer_is_left_out_and_explained(tmp_path):
    from app_parts.page_data import load_app_data

    catalog_path = _copy_layers(tmp_path)
    spec = load_catalog().layers[0]
    (catalog_path.parent / spec.file).write_text("{", encoding="utf-8")
    data = load_app_data(catalog_path)
    assert list(data.broken_layers) == [spec.id]
    assert spec.file in data.broken_layers[spec.id]
    assert spec.id not in data.usable_catalog.ids()
    assert spec.id in data.catalog.ids()


def test_data_version_changes_when_a_layer_file_changes(tmp_path):
    from app_parts.page_data import data_version

    catalog_path = _copy_layers(tmp_path)
    before = data_version(catalog_path)
    spec = load_catalog(catalog_path).layers[-1]
    spec.path.write_text(spec.path.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert data_version(catalog_path) != before


def test_breakdown_and_target_tables_are_worded_per_language():
    from app_parts.page_data import breakdown_frame, load_app_data, target_rows
    from geo_app.i18n import load_strings

    frame = breakdown_frame({"a": 1.234, "b": 2.0}, str.upper, "cat", "ha")
    assert list(frame.index) == ["A", "B"]
    assert list(frame["ha"]) == [1.23, 2.0]
    data = load_app_data()
    strings = load_strings()
    for lang in ("zh", "en"):
        rows = target_rows(data.targets, data.catalog, strings, lang)
        assert len(rows) == len(data.targets)
        method = rows[strings.get("app.targets.column.method", lang)]
        assert all(isinstance(text, str) and text for text in method)
