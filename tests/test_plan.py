from __future__ import annotations

from pathlib import Path

import pytest

from geo_app.plan import KINDS, PlanError, load_plan

SECTIONS = {
    "2022年主要预期目标",
    "主攻项目开发",
    "提升产业层级",
    "推进开发区建设",
    "推动城乡融合",
    "加强生态建设",
    "办好惠民实事",
}


@pytest.fixture(scope="module")
def plan():
    return load_plan()


def test_land_supply_target_is_at_least_200_ha_measured_on_parcels(plan):
    item = plan.item("land_supply_ha")
    assert (item.quantity, item.unit, item.comparison) == (200, "ha", "at_least")
    assert item.measure == "parcel_hectares"
    assert item.measure_layer == "land_parcels"
    assert item.section == "主攻项目开发"


@pytest.mark.parametrize(
    ("item_id", "quantity", "unit", "comparison"),
    [
        ("gdp_growth", 8, "percent", "about"),
        ("fixed_investment_growth", 15, "percent", "about"),
        ("fiscal_revenue_growth", 7, "percent", "at_least"),
        ("major_projects_prepared", 120, "count", "exactly"),
        ("major_projects_prepared_over_100m", 40, "count", "exactly"),
        ("projects_introduced_over_100m", 10, "count", "at_least"),
        ("contracted_investment", 20_000_000_000, "yuan", "at_least"),
        ("domestic_capital_in_place", 3_000_000_000, "yuan", "at_least"),
        ("projects_started", 90, "count", "about"),
        ("projects_started_over_100m", 55, "count", "at_least"),
        ("strategic_emerging_output", 3_500_000_000, "yuan", "exactly"),
        ("industrial_enterprises_above_scale", 33, "count", "exactly"),
        ("industrial_output", 8_500_000_000, "yuan", "at_least"),
        ("tourist_visits", 5_800_000, "person_times", "at_least"),
        ("retail_sales", 3_200_000_000, "yuan", "exactly"),
        ("high_standard_farmland", 110_000, "mu", "exactly"),
        ("farm_mechanisation_rate", 93, "percent", "exactly"),
        ("one_product_towns_villages", 15, "count", "exactly"),
        ("agri_leading_enterprises", 49, "count", "exactly"),
        ("agri_industrial_parks", 10, "count", "exactly"),
        ("deer_industry_output", 7_000_000_000, "yuan", "exactly"),
        ("sika_deer_stock", 320_000, "head", "exactly"),
        ("dev_zone_infrastructure_investment", 800_000_000, "yuan", "exactly"),
        ("dev_zone_infrastructure_works", 7, "count", "exactly"),
        ("north_south_exits", 350_000_000, "yuan", "exactly"),
        ("old_road_renovation", 160, "km", "exactly"),
        ("rural_road_greening", 30, "km", "exactly"),
        ("national_demo_villages", 5, "count", "exactly"),
        ("rural_tourism_routes", 5, "count", "exactly"),
        ("four_tourism_lines", 4, "count", "exactly"),
        ("tourism_zones", 3, "count", "exactly"),
        ("straw_utilisation_rate", 75, "percent", "at_least"),
        ("conservation_tillage", 500_000, "mu", "exactly"),
        ("new_greening", 3200, "ha", "exactly"),
        ("rural_labour_transfer", 60_000, "person_times", "exactly"),
        ("education_investment", 650_000_000, "yuan", "exactly"),
        ("education_works", 5, "count", "exactly"),
        ("three_culture_households", 1000, "households", "at_least"),
        ("new_urban_communities", 2, "count", "exactly"),
    ],
)
def test_quantitative_targets(plan, item_id, quantity, unit, comparison):
    item = plan.item(item_id)
    assert item.quantity == quantity
    assert item.unit == unit
    assert item.comparison == comparison
    assert item in plan.targets()


@pytest.mark.parametrize(
    "name_zh",
    [
        "城区大外环",
        "城区小内环",
        "经济圈环线二期",
        "延长高速重要节点",
        "长双快速路连接线",
        "互联互通旅游路",
        "南北出口改造",
        "城南生态宜居区路网",
    ],
)
def test_every_named_road_project_is_a_spatial_item(plan, name_zh):
    matches = [i for i in plan.by_kind("road_project") if i.name_zh.startswith(name_zh)]
    assert len(matches) == 1
    assert matches[0].spatial


@pytest.mark.parametrize(
    "name_zh",
    [
        "梅花鹿节",
        "奢岭草莓节",
        "冰雪温泉节",
        "盘古屯",
        "曙光民俗村",
        "“奢岭—双营—鹿乡”示范带",
        "一带引领",
        "三核联动",
        "两翼协同",
        "多点支撑",
        "国信乡村振兴学院（新建）",
        "中日联谊医院奢岭医院（投入运营）",
        "规划展馆",
        "康养新城",
        "长春国际影都板块拓展区",
        "千亿级经济隆起带",
        "总部经济基地（启动建设）",
        "城区两广场绿化提标工程",
        "国家城乡融合发展试验区",
    ],
)
def test_named_places_are_spatial(plan, name_zh):
    assert any(i.name_zh == name_zh and i.spatial for i in plan.items)


def test_unlocated_facilities_explain_why_they_are_not_drawn(plan):
    facilities = plan.by_kind("facility")
    assert len(facilities) >= 3
    for item in facilities:
        assert item.not_drawn_reason_zh and item.not_drawn_reason_en


def test_unnamed_demo_villages_are_recorded_not_invented(plan):
    unnamed = plan.item("national_demo_villages_unnamed")
    assert unnamed.quantity == 3
    assert unnamed.not_drawn_reason_zh
    named = [i for i in plan.by_kind("village") if i.id.startswith("village_")]
    total = plan.item("national_demo_villages").quantity
    assert len(named) + unnamed.quantity == total


def test_road_km_targets_have_no_honest_measure(plan):
    assert plan.item("old_road_renovation").measure is None
    assert plan.item("rural_road_greening").measure is None


def test_every_item_is_well_formed(plan):
    assert plan.meta["year"] == 2022
    for item in plan.items:
        assert item.kind in KINDS
        assert item.section in SECTIONS, item.id
        assert item.name_zh and item.name_en
        if item.quantity is not None:
            assert item.unit_zh, item.id


def test_spatial_items_and_targets_are_views_of_items(plan):
    assert set(plan.spatial_items()) == {i for i in plan.items if i.spatial}
    assert all(i.quantity is not None for i in plan.targets())
    with pytest.raises(KeyError):
        plan.item("no_such_item")


# ----------------------------------------------------------------------- loader errors

GOOD_META = '[meta]\ntitle_zh = "t"\ntitle_en = "t"\nsource = "s"\nyear = 2022\n'
GOOD_ITEM = (
    '[[items]]\nid = "a_target"\nname_zh = "甲"\nname_en = "A"\nkind = "target"\n'
    'section = "主攻项目开发"\n'
)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "broken_plan.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_minimal_plan_loads(tmp_path):
    plan = load_plan(write(tmp_path, GOOD_META + GOOD_ITEM))
    assert plan.ids() == ("a_target",)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (GOOD_ITEM.replace('name_en = "A"\n', ""), "missing field 'name_en'"),
        (GOOD_ITEM.replace('"target"', '"monument"'), "kind 'monument' is not one of"),
        (GOOD_ITEM + "quantity = 5\n", "quantity without a unit"),
        (GOOD_ITEM + 'quantity = 5\nunit = "furlong"\n', "unit 'furlong' is not one of"),
        (GOOD_ITEM + 'quantity = "5"\nunit = "km"\n', "quantity must be a number"),
        (GOOD_ITEM + 'quantity = 5\nunit = "km"\ncomparison = "roughly"\n', "comparison"),
        (GOOD_ITEM + 'measure = "line_km"\nquantity = 5\nunit = "km"\n', "without measure_layer"),
        (GOOD_ITEM + 'spatial = true\nnot_drawn_reason_zh = "无"\n', "needs both zh and en"),
        (GOOD_ITEM + 'colour = "red"\n', "unknown field(s) 'colour'"),
        (GOOD_ITEM + GOOD_ITEM, "duplicate id"),
    ],
)
def test_broken_items_are_named_with_file_item_and_reason(tmp_path, body, reason):
    with pytest.raises(PlanError) as caught:
        load_plan(write(tmp_path, GOOD_META + body))
    message = str(caught.value)
    assert "broken_plan.toml" in message
    assert "'a_target'" in message
    assert reason in message


def test_missing_file_is_reported(tmp_path):
    with pytest.raises(PlanError, match=r"nowhere\.toml: plan file is missing"):
        load_plan(tmp_path / "nowhere.toml")


def test_bad_toml_is_reported(tmp_path):
    with pytest.raises(PlanError, match=r"broken_plan\.toml: not valid TOML"):
        load_plan(write(tmp_path, GOOD_META + "[[items]\nid = 1\n"))


def test_missing_meta_is_reported(tmp_path):
    with pytest.raises(PlanError, match=r"\[meta\] table is missing"):
        load_plan(write(tmp_path, GOOD_ITEM))


def test_item_without_id_is_named_by_position(tmp_path):
    with pytest.raises(PlanError, match=r"item 2: missing field 'id'"):
        load_plan(
            write(tmp_path, GOOD_META + GOOD_ITEM + GOOD_ITEM.replace('id = "a_target"\n', ""))
        )
