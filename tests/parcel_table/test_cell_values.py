import datetime as dt
import sys

import numpy as np
import pandas as pd
import pytest

from geo_app.parcel_table.values import (
    parse_date,
    parse_number,
    parse_quarter,
    status_code,
    text_of,
    town_name,
    unit_in_text,
    use_group,
)

MAY_20 = dt.date(2022, 5, 20)


@pytest.mark.parametrize(
    "cell",
    ["2022/5/20", "2022-05-20", "20220520", 20220520, "2022年5月20日", "2022.5.20",
     44701, 44701.0, "44701", pd.Timestamp("2022-05-20 13:00"), np.datetime64("2022-05-20"),
     MAY_20, " 2022/05/20 ", "２０２２/５/２０"],
)
def test_dates_in_every_form_a_ledger_uses(cell):
    assert parse_date(cell) == MAY_20


@pytest.mark.parametrize("cell", ["", None, float("nan"), "2022/13/40", "明年", 3.5, 123, True,
                                  "1850/1/1"])
def test_what_is_not_a_date(cell):
    assert parse_date(cell) is None


@pytest.mark.parametrize(
    ("cell", "quarter"),
    [("2022Q2", "2022Q2"), ("2022-Q3", "2022Q3"), ("2022年第二季度", "2022Q2"),
     ("2022年4季度", "2022Q4"), ("2022/11/3", "2022Q4"), ("2022年1月", "2022Q1")],
)
def test_quarters(cell, quarter):
    assert parse_quarter(cell) == quarter


@pytest.mark.parametrize(
    ("word", "code"),
    [("已出让", "supplied"), ("已划拨", "supplied"), ("已成交", "supplied"), ("已供", "supplied"),
     ("征收中", "in_acquisition"), ("在征", "in_acquisition"), ("拟供地", "planned"),
     ("计划供地", "planned"), ("拟出让", "planned"), ("SUPPLIED", "supplied"),
     ("in_acquisition", "in_acquisition"), ("已供地", "supplied"), (" 已出让 ", "supplied")],
)
def test_status_words(word, code):
    assert status_code(word) == code


def test_an_unknown_status_word_is_not_guessed_but_can_be_mapped():
    assert status_code("已批未供") is None
    assert status_code("已批未供", {"已批未供": "planned"}) == "planned"


@pytest.mark.parametrize(
    ("written", "name"),
    [("奢岭", "奢岭街道"), ("奢岭镇", "奢岭街道"), ("鹿乡", "鹿乡镇"), ("双营子乡", "双营子回族乡"),
     ("平湖", "平湖街道"), ("太平镇 ", "太平镇"), ("双阳区齐家镇", "齐家镇"),
     ("吉林省长春市双阳区云山街道", "云山街道"), ("Sheling", "奢岭街道"), ("山河街道", "山河街道")],
)
def test_town_names(written, name):
    assert town_name(written) == name


def test_a_town_outside_the_district_is_not_placed():
    assert town_name("朝阳区") is None and town_name("") is None


@pytest.mark.parametrize(
    ("use", "group", "code"),
    [("工业用地", "industrial", None), ("1001", "industrial", "1001"),
     ("0901", "commercial", "0901"), ("城镇住宅用地", "residential", None),
     ("0701", "residential", "0701"), ("1202", "transport", "1202"),
     ("物流仓储用地", "logistics", None), ("1101", "logistics", "1101"),
     ("商服用地", "commercial", None), ("旅游", "tourism", None),
     ("industrial", "industrial", None),
     ("教育用地", "public", None), ("080403", "public", "080403"), ("商业", "commercial", None)],
)
def test_uses_grouped_by_first_level_class(use, group, code):
    assert use_group(use) == (group, code)


def test_a_use_nothing_places_is_left_to_the_planners_words():
    assert use_group("待定") is None


@pytest.mark.parametrize(
    ("cell", "number"), [(3.2, 3.2), ("3,200.5", 3200.5), ("3.2公顷", 3.2), (0, 0.0)]
)
def test_numbers(cell, number):
    assert parse_number(cell) == number


@pytest.mark.parametrize("cell", ["", "约", -3.0, float("inf"), None])
def test_not_numbers(cell):
    assert parse_number(cell) is None


@pytest.mark.parametrize(
    ("text", "unit"),
    [("批准面积（公顷）", "ha"), ("面积_亩", "mu"), ("用地面积(平方米)", "m2"), ("area_ha", "ha"),
     ("MJ(㎡)", "m2"), ("PZMJ", None), ("3.2公顷", "ha")],
)
def test_units_named_in_text(text, unit):
    assert unit_in_text(text) == unit


def test_text_says_nothing_exactly_when_only_spaces_are_left():
    # The parcel table finds a text column's blank cells with str.strip alone: NFKC turns
    # no character that is not a space into one.
    for point in range(sys.maxunicode + 1):
        if 0xD800 <= point <= 0xDFFF:
            continue  # surrogates are not text
        cell = f" {chr(point)} "
        assert (text_of(cell) is None) == (not cell.strip()), hex(point)
