import pandas as pd
import pytest

from geo_app.parcel_table import ColumnMapping, parse_field_options
from geo_app.parcel_table.columns import applied, recognise
from geo_app.parcel_table.mapping import layout_key, mapping_from_json, read_mapping_file
from geo_app.problems import InputError


@pytest.mark.parametrize(
    ("columns", "expected"),
    [
        (["地块编号", "项目名称", "土地用途", "供地状态", "供地日期", "所在乡镇", "批准面积"],
         {"id": "地块编号", "name": "项目名称", "use": "土地用途", "status": "供地状态",
          "date": "供地日期", "town": "所在乡镇", "declared_area": "批准面积"}),
        (["ZDBH", "XMMC", "YDXZ", "GDZT", "GDSJ", "XZMC", "PZMJ"],
         {"id": "ZDBH", "name": "XMMC", "use": "YDXZ", "status": "GDZT", "date": "GDSJ",
          "town": "XZMC", "declared_area": "PZMJ"}),
        (["dkbh", "Ｘｍｍｃ", "TDYT", "gdzt", "GDRQ", "XZQMC", "MJ"],
         {"id": "dkbh", "name": "Ｘｍｍｃ", "use": "TDYT", "status": "gdzt", "date": "GDRQ",
          "town": "XZQMC", "declared_area": "MJ"}),
        (["宗地编号", "用途", "状态", "乡镇", "面积（亩）", "Shape_Area"],
         {"id": "宗地编号", "use": "用途", "status": "状态", "town": "乡镇",
          "declared_area": "面积（亩）"}),
        (["Parcel_ID", "Project Name", "Land Use", "Supply Status", "Supply Date", "Town"],
         {"id": "Parcel_ID", "name": "Project Name", "use": "Land Use",
          "status": "Supply Status", "date": "Supply Date", "town": "Town"}),
    ],
)
def test_columns_recognised_by_their_names(columns, expected):
    frame = pd.DataFrame({c: ["x", "y"] for c in columns})
    mapping = recognise(frame)
    assert {k: v for k, v in mapping.columns.items() if v} == expected
    assert all(mapping.basis[k] == "name" for k in expected)


def test_a_better_name_wins_when_two_columns_could_hold_a_field():
    frame = pd.DataFrame({"面积": [1.0], "批准面积": [1.0], "状态": ["a"], "供地状态": ["b"]})
    mapping = recognise(frame)
    assert mapping.column("declared_area") == "批准面积" and mapping.column("status") == "供地状态"


def test_columns_recognised_by_their_values_when_names_say_nothing():
    frame = pd.DataFrame(
        {
            "字段1": ["已出让", "征收中", "拟供地", "已出让"],
            "字段2": ["奢岭", "鹿乡", "平湖", "太平"],
            "字段3": ["2022/5/20", "2022/6/1", "20220703", "2022年8月1日"],
            "字段4": ["工业用地", "商业用地", "0701", "公路用地"],
            "字段5": [1.5, 2.5, 3.5, 4.5],
        }
    )
    mapping = recognise(frame)
    assert (mapping.column("status"), mapping.column("town"), mapping.column("date"),
            mapping.column("use")) == ("字段1", "字段2", "字段3", "字段4")
    assert mapping.basis["status"] == "values"
    # A bare number column is not taken for dates (areas can look like Excel serials).
    assert mapping.column("declared_area") is None


def test_the_planner_overrides_and_a_column_serves_one_field():
    frame = pd.DataFrame({"状态": ["a"], "备注": ["已出让"]})
    mapping = applied(recognise(frame), parse_field_options(["status=备注"]))
    assert mapping.column("status") == "备注" and mapping.basis["status"] == "planner"
    moved = applied(recognise(frame), parse_field_options(["name=状态"]))
    assert moved.column("name") == "状态" and moved.column("status") is None


@pytest.mark.parametrize(
    "options",
    [(["status"], [], None), (["colour=红"], [], None), ([], ["已批=done"], None),
     ([], ["=planned"], None), ([], [], "acre")],
)
def test_malformed_options_are_refused_in_words(options):
    with pytest.raises(InputError) as info:
        parse_field_options(*options)
    assert info.value.problem.message_zh and info.value.problem.message_en


def test_mapping_files_round_trip_and_bad_ones_are_refused(tmp_path):
    mapping = parse_field_options(["status=GDZT", "town="], ["已批未供=planned"], "mu")
    path = tmp_path / "m.json"
    from geo_app.parcel_table import mapping_text

    path.write_text(mapping_text(mapping), encoding="utf-8")
    back = read_mapping_file(path)
    assert back.columns == {"status": "GDZT", "town": None}
    assert back.statuses == {"已批未供": "planned"} and back.area_unit == "mu"
    path.write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(InputError):
        read_mapping_file(path)
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(InputError):
        read_mapping_file(path)
    with pytest.raises(InputError):
        mapping_from_json({"fields": {"colour": "x"}})


def test_the_layout_ignores_order_and_case():
    assert layout_key(["DKBH", "GDZT"]) == layout_key(["gdzt", "dkbh"])
    assert layout_key(["DKBH"]) != layout_key(["DKBH", "GDZT"])
    assert ColumnMapping().column("status") is None
