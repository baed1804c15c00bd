"""The shipped plan and layers say no more than their sources.

Four checks: no count or length of our own drawings is reported as progress; no feature is
graded more precisely than the feature it was placed from; every item the plan article names
is in ``seeds/plan.toml``; every qualifier (以上, 左右 or none) is the article's own.
The article's words live in this module as data: the tests never read the article itself.
"""

from __future__ import annotations

import math
import re

import pytest
import shapely
from pyproj import Geod
from shapely.geometry import shape

from app_parts.page_data import load_app_data, target_groups, target_rows
from geo_app.catalog import ACCURACY_LEVELS, load_catalog, load_layer_geojson
from geo_app.i18n import load_strings
from geo_app.plan import load_plan
from geo_app.targets import (
    DRAWINGS,
    PLANNERS_DATA_MEASURES,
    PROGRESS_OUTCOMES,
    SAMPLE,
    SCHEMATIC,
)

GEOD = Geod(ellps="GRS80")
# A point this close to a town seat was set at that seat (the layers offset them by ~0.5 km).
NEAR_SEAT_M = 1000.0

# Every item the article (2022-02-24) names, spelled as the article spells it.
ARTICLE_ITEMS = (
    # 2022年主要预期目标
    "地区生产总值",
    "固定资产投资",
    "本级财政收入",
    # 主攻项目开发
    "谋划包装重大项目",
    "引进超亿元项目",
    "合同引资额",
    "到位内资",
    "征供地",
    "开复工项目",
    # 提升产业层级
    "战略性新兴产业产值",
    "规上工业企业",
    "规上工业总产值",
    "四大旅游线",
    "南、中、北三大旅游片区",
    "国家全域旅游示范区",
    "梅花鹿节",
    "奢岭草莓节",
    "冰雪温泉节",
    "乡村旅游线",
    "接待游客",
    "社会消费品零售总额",
    "高标准农田",
    "主要农作物综合机械化作业率",
    "一品镇村",
    "市级以上农业产业化龙头企业",
    "国家级鹿业现代农业产业园",
    "区级以上产业园",
    "鹿业全产业链产值",
    "全区梅花鹿",
    # 推进开发区建设
    "康养新城",
    "长春国际影都板块拓展区",
    "一城三带多园",
    "重点基础设施配套工程",
    "互联互通旅游路",
    "长双快速路连接线",
    "规划展馆",
    "国信乡村振兴学院",
    "商贸旅游技术学校",
    "中日联谊医院奢岭医院",
    "千亿级经济隆起带",
    "储备重大产业项目",
    "总部经济基地",
    # 推动城乡融合
    "一带引领",
    "三核联动",
    "两翼协同",
    "多点支撑",
    "国土空间规划",
    "城区大外环",
    "城区小内环",
    "城南生态宜居区路网",
    "经济圈环线二期",
    "延长高速重要节点",
    "南北出口改造",
    "城区两广场",
    "改造老旧路",
    "绿化美化农村公路",
    "国家级乡村示范点",
    "盘古屯",
    "曙光民俗村",
    "“奢岭-双营-鹿乡”示范带",
    "牧原二期",
    "薪大肉牛项目",
    "国家城乡融合发展试验区",
    # 加强生态建设
    "秸秆“五化”综合利用率",
    "保护性耕作面积",
    "新增国土绿化面积",
    "生态环境监控指挥中心",
    "再生资源回收利用产业园区",
    # 办好惠民实事
    "转移农村劳动力",
    "教育重点工程",
    "公共卫生综合服务中心",
    "全民健身中心",
    "三文之家",
    "新增城市社区",
)

# Each quantitative target's figure exactly as the article writes it (number, unit and any
# 超 / 以上 / 左右 right beside it). "区级以上产业园" grades the parks, not the count, so
# only "10个" is the figure there.
ARTICLE_FIGURES = {
    "gdp_growth": "8%左右",
    "fixed_investment_growth": "15%左右",
    "fiscal_revenue_growth": "7%以上",
    "major_projects_prepared": "120个",
    "major_projects_prepared_over_100m": "40个",
    "projects_introduced_over_100m": "10个以上",
    "contracted_investment": "超200亿元",
    "domestic_capital_in_place": "30亿元以上",
    "land_supply_ha": "200公顷以上",
    "projects_started": "90个左右",
    "projects_started_over_100m": "55个以上",
    "strategic_emerging_output": "35亿元",
    "industrial_enterprises_above_scale": "33户",
    "industrial_output": "85亿元以上",
    "four_tourism_lines": "四大",
    "tourism_zones": "三大",
    "rural_tourism_routes": "5条",
    "tourist_visits": "580万人次以上",
    "retail_sales": "32亿元",
    "high_standard_farmland": "11万亩",
    "farm_mechanisation_rate": "93%",
    "one_product_towns_villages": "15个",
    "agri_leading_enterprises": "49户",
    "agri_industrial_parks": "10个",
    "deer_industry_output": "70亿元",
    "sika_deer_stock": "32万只",
    "dev_zone_infrastructure_investment": "8亿元",
    "dev_zone_infrastructure_works": "7项",
    "dev_zone_reserve_projects": "15个",
    "north_south_exits": "3.5亿元",
    "old_road_renovation": "160公里",
    "rural_road_greening": "30公里",
    "national_demo_villages": "5个",
    "straw_utilisation_rate": "75%以上",
    "conservation_tillage": "50万亩",
    "new_greening": "3200公顷",
    "rural_labour_transfer": "6万人次",
    "education_investment": "6.5亿元",
    "education_works": "5项",
    "three_culture_households": "1000户以上",
    "new_urban_communities": "2个",
}
# Targets the plan derives rather than quotes: 5 sites named, 2 of them by name.
DERIVED_TARGETS = {"national_demo_villages_unnamed"}

_FIGURE = re.compile(
    r"^(?P<over>超)?(?P<number>\d+(?:\.\d+)?|[三四])(?P<scale>万|亿)?(?P<unit>[^\d]*?)"
    r"(?P<qualifier>以上|左右)?$"
)
_WORD_NUMBERS = {"三": 3, "四": 4}
_SCALES = {None: 1, "万": 10_000, "亿": 100_000_000}


def _normal(text: str) -> str:
    """Names compared without quotes and with any dash the same."""
    text = re.sub(r"[“”\"'「」]", "", text)
    return re.sub(r"[-–—－]", "-", text)


@pytest.fixture(scope="module")
def plan():
    return load_plan()


@pytest.fixture(scope="module")
def features():
    catalog = load_catalog()
    return {spec.id: load_layer_geojson(spec)["features"] for spec in catalog.layers}


@pytest.fixture(scope="module")
def by_id(features):
    return {f["properties"]["id"]: f for layer in features.values() for f in layer}


# ----------------------------------------------------------------------- drawings as progress


@pytest.fixture(scope="module")
def app_data():
    return load_app_data()


def test_no_count_of_our_drawings_is_reported_as_progress(app_data, features):
    shipped_parcels = {f["properties"]["id"] for f in features["land_parcels"]}
    for result in app_data.targets:
        item = result.item
        if item.measure is None:
            continue
        counted = features[item.measure_layer]
        if item.measure not in PLANNERS_DATA_MEASURES:
            # Every shipped layer but the parcels is our drawing of the article's words.
            assert result.basis == DRAWINGS, item.id
            assert result.outcome == SCHEMATIC, item.id
            assert result.share is None and result.gap is None, item.id
        # Nothing shipped is planners' data: the parcels are the generated samples.
        assert all(f["properties"].get("sample") for f in counted) or (
            item.measure_layer != app_data.parcel_layer
        )
        assert result.outcome not in PROGRESS_OUTCOMES, item.id
    land = next(r for r in app_data.targets if r.item.measure_layer == app_data.parcel_layer)
    assert land.outcome == SAMPLE and shipped_parcels


def test_drawn_targets_read_as_schematic_in_both_languages(app_data, plan):
    strings = load_strings()
    drawn = target_groups(app_data.targets).drawn
    assert {r.item.id for r in drawn} == {
        "four_tourism_lines", "tourism_zones", "rural_tourism_routes", "national_demo_villages",
    }
    for lang in ("zh", "en"):
        rows = target_rows(drawn, app_data.catalog, strings, lang)
        outcome, share, measured = (
            rows[strings.get(f"app.targets.column.{name}", lang)]
            for name in ("outcome", "share", "measured")
        )
        assert set(outcome) == {strings.get("app.targets.outcome.schematic", lang)}
        assert all(value is None or math.isnan(value) for value in share)
        reached = {strings.get(f"app.targets.outcome.{o}", lang) for o in PROGRESS_OUTCOMES}
        assert not reached & set(outcome)
        drawn_word = strings.get("app.targets.value.drawn", lang, value="").strip()[:3]
        assert all(drawn_word in text for text in measured)


# ----------------------------------------------------------------------- grades


def _rank(level: str) -> int:
    return ACCURACY_LEVELS.index(level)


def test_no_feature_is_graded_more_precisely_than_what_it_was_placed_from(features, by_id):
    placed = 0
    for layer in features.values():
        for feature in layer:
            properties = feature["properties"]
            for source_id in filter(None, properties.get("placed_from", "").split(",")):
                placed += 1
                source = by_id[source_id]["properties"]
                assert _rank(properties["accuracy"]) >= _rank(source["accuracy"]), (
                    properties["id"], source_id
                )
    assert placed


def test_points_beside_a_town_seat_are_graded_no_better_than_the_seat(features):
    seats = [(shape(t["geometry"]), t["properties"]) for t in features["towns"]]
    for layer_id, layer in features.items():
        if layer_id == "towns":
            continue
        for feature in layer:
            geom = shape(feature["geometry"])
            if geom.geom_type != "Point":
                continue
            for seat, town in seats:
                metres = GEOD.inv(geom.x, geom.y, seat.x, seat.y)[2]
                if metres <= NEAR_SEAT_M:
                    assert _rank(feature["properties"]["accuracy"]) >= _rank(
                        town["accuracy"]
                    ), (feature["properties"]["id"], town["name_zh"])


def test_lines_through_a_town_seat_name_it(features):
    seats = {
        tuple(shape(t["geometry"]).coords[0]): t["properties"]["id"] for t in features["towns"]
    }
    for layer in features.values():
        for feature in layer:
            geom = shape(feature["geometry"])
            if geom.geom_type not in ("LineString", "MultiLineString"):
                continue
            named = set(filter(None, feature["properties"].get("placed_from", "").split(",")))
            vertices = {tuple(xy) for xy in shapely.get_coordinates(geom)}
            passed = {seats[xy] for xy in vertices if xy in seats}
            assert passed <= named, feature["properties"]["id"]


def test_routes_say_whether_a_source_describes_their_course(features):
    for layer_id in ("roads", "tourism_lines", "demo_belt"):
        for feature in features[layer_id]:
            properties = feature["properties"]
            assert isinstance(properties.get("course_described"), bool), properties["id"]
            if not properties["course_described"]:
                assert properties["accuracy"] == "schematic", properties["id"]
    # The article gives no course for any tourism line or rural route.
    assert not any(f["properties"]["course_described"] for f in features["tourism_lines"])


def test_no_feature_claims_nodes_that_are_not_drawn(features):
    for layer in features.values():
        for feature in layer:
            assert "节点" not in feature["properties"]["name_zh"], feature["properties"]["id"]


def test_sample_parcels_place_no_plan_item_the_plan_cannot_place(features, plan):
    drawn_refs = {f["properties"]["plan_ref"] for layer in features.values() for f in layer}
    drawn_names = [plan.item(ref).name_zh for ref in drawn_refs if ref in plan]
    for parcel in features["land_parcels"]:
        area = parcel["properties"]["area_zh"]
        # An area is a place ("…一带") or part of a plan item the map does draw.
        assert area.endswith("一带") or any(area in name for name in drawn_names), area


# ----------------------------------------------------------------------- the article's items


def test_every_item_the_article_names_is_in_the_plan(plan):
    names = [_normal(item.name_zh) for item in plan.items]
    missing = [name for name in ARTICLE_ITEMS if not any(_normal(name) in n for n in names)]
    assert missing == []


def test_every_target_has_the_articles_figure_and_qualifier(plan):
    targets = {item.id for item in plan.targets()} - DERIVED_TARGETS
    assert targets == set(ARTICLE_FIGURES)
    for item_id, words in ARTICLE_FIGURES.items():
        item = plan.item(item_id)
        match = _FIGURE.match(words)
        assert match, words
        number = match["number"]
        value = _WORD_NUMBERS[number] if number in _WORD_NUMBERS else float(number)
        assert item.quantity == pytest.approx(value * _SCALES[match["scale"]]), item_id
        if match["over"] or match["qualifier"] == "以上":
            expected = "at_least"
        elif match["qualifier"] == "左右":
            expected = "about"
        else:
            # 达到, 实现, 发展到 or a bare figure: printed bare, never read as a floor.
            expected = "exactly"
        assert item.comparison == expected, (item_id, words)
