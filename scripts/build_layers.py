"""Build every plan layer in layers/ except the boundary (see build_boundary.py).

Positions come from the control points written down in layers/SOURCES.md; schematic shapes
(rings, zones, corridors) are drawn in metres on the CGCS2000 Gauss-Krüger plane (CM 126°E)
and moved to WGS84. Sample parcels come from a seeded generator, so the output is the same
bytes on every run.

A feature set at or through a town seat names it in ``placed_from``; the build refuses a
feature graded more precisely than what it was placed from (a point set at a schematic seat
is schematic too). Lines say in ``course_described`` whether a cited source describes the
places they pass; where none does, the course is our reading and the line is schematic.

    python scripts/build_layers.py            # writes into layers/
    python scripts/build_layers.py --out DIR  # writes into DIR
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import shapely
import shapely.affinity
from pyproj import Geod
from shapely.geometry import LineString, MultiLineString, MultiPolygon, Point, Polygon, mapping
from shapely.geometry import shape as to_shape

ROOT = Path(__file__).resolve().parents[1]
for extra in (ROOT, Path(__file__).resolve().parent):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))

from build_boundary import dumps_feature_collection, round_coordinates, write_text  # noqa: E402

from geo_app.crs import Converter  # noqa: E402
from geo_app.geodesy import hectares  # noqa: E402
from geo_app.ledger import PARCEL_STATUSES  # noqa: E402
from geo_app.parcel_table import vocabulary  # noqa: E402

LonLat = tuple[float, float]
_TO_PLANE = Converter("wgs84", "gk126")
_TO_LONLAT = Converter("gk126", "wgs84")
_GEOD = Geod(ellps="GRS80")

PARCEL_SEED = 20220224
SAMPLE_SOURCE = "示例数据，非真实供地 / sample data, not real land supply"
SCHEMATIC_NOTE_ZH = "示意，非法定界线"
SCHEMATIC_NOTE_EN = "Schematic, not a legal boundary"
CONTROL_POINT_NOTE = "控制点按公开文字描述估计（误差约 3–5 公里），见 layers/SOURCES.md"
CONTROL_POINT_NOTE_EN = (
    "Control points estimated from published descriptions (±3–5 km), see layers/SOURCES.md"
)
# Most precise first, as in geo_app.catalog.ACCURACY_LEVELS.
ACCURACY_ORDER = ("surveyed", "approximate", "schematic")


# --------------------------------------------------------------------------- geometry helpers


def to_plane(geom: Any) -> Any:
    return shapely.transform(geom, _TO_PLANE.transform_xy)


def to_lonlat(geom: Any) -> Any:
    return shapely.transform(geom, _TO_LONLAT.transform_xy)


def plane_point(lonlat: LonLat) -> Point:
    return to_plane(Point(lonlat))


def finish(geom: Any) -> Any:
    """Round to 6 decimals and orient polygons counter-clockwise; refuse invalid results."""
    geom = round_coordinates(geom)
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        geom = shapely.orient_polygons(geom, exterior_cw=False)
    if not geom.is_valid:
        raise SystemExit(f"invalid geometry after rounding: {shapely.is_valid_reason(geom)}")
    return geom


def polygonal(geom: Any) -> Any:
    """Keep only the polygon parts of a clipping result."""
    parts = [part for part in shapely.get_parts(geom) if part.geom_type == "Polygon"]
    if not parts:
        raise SystemExit("clipping left no polygon")
    return parts[0] if len(parts) == 1 else MultiPolygon(parts)


def lineal(geom: Any, min_part_deg: float = 0.0) -> Any:
    """Line parts of a clipping result; pieces shorter than min_part_deg are border slivers."""
    merged = shapely.line_merge(geom) if geom.geom_type == "MultiLineString" else geom
    parts = [
        part
        for part in shapely.get_parts(merged)
        if part.geom_type == "LineString" and part.length >= min_part_deg
    ]
    if not parts:
        raise SystemExit("clipping left no line")
    return parts[0] if len(parts) == 1 else MultiLineString(parts)


def clip_line(line: LineString, area: Any) -> Any:
    """The line inside the area, without the short slivers where it grazes a border notch."""
    return lineal(line.intersection(area), min_part_deg=0.005)


def ellipse_lonlat(
    centre: LonLat, half_width_m: float, half_height_m: float, rotation_deg: float = 0.0
) -> Polygon:
    """A smooth ellipse drawn in metres, returned in lon/lat."""
    circle = plane_point(centre).buffer(1.0, quad_segs=12)
    scaled = shapely.affinity.scale(circle, half_width_m, half_height_m)
    rotated = shapely.affinity.rotate(scaled, rotation_deg, origin="centroid")
    return to_lonlat(rotated)


def corridor_lonlat(path: Sequence[LonLat], half_width_m: float) -> Polygon:
    line = to_plane(LineString(path))
    return to_lonlat(line.buffer(half_width_m, quad_segs=6))


def ring_line_lonlat(
    centre: LonLat, half_width_m: float, half_height_m: float, rotation_deg: float = 0.0
) -> LineString:
    ring = ellipse_lonlat(centre, half_width_m, half_height_m, rotation_deg).exterior
    return LineString(ring.coords)


# --------------------------------------------------------------------------- features


@dataclass(frozen=True)
class Provenance:
    accuracy: str
    source: str
    source_en: str
    note_zh: str | None = None
    note_en: str | None = None


def feature(
    feature_id: str,
    name_zh: str,
    name_en: str,
    plan_ref: str | None,
    provenance: Provenance,
    geom: Any,
    **extra: Any,
) -> dict:
    properties: dict[str, Any] = {
        "id": feature_id,
        "name_zh": name_zh,
        "name_en": name_en,
        "plan_ref": plan_ref,
        "accuracy": provenance.accuracy,
        "source": provenance.source,
        "source_en": provenance.source_en,
    }
    if provenance.note_zh:
        properties["note_zh"] = provenance.note_zh
        properties["note_en"] = provenance.note_en
    properties.update(extra)
    # A path through no town seat was placed from nothing drawn: no empty property.
    if not properties.get("placed_from"):
        properties.pop("placed_from", None)
    return {"type": "Feature", "properties": properties, "geometry": mapping(finish(geom))}


def collection(features: Iterable[dict]) -> dict:
    return {"type": "FeatureCollection", "features": list(features)}


def load_boundary(layers_dir: Path) -> Any:
    document = json.loads((layers_dir / "boundary.geojson").read_text(encoding="utf-8"))
    return to_shape(document["features"][0]["geometry"])


# --------------------------------------------------------------------------- towns


@dataclass(frozen=True)
class Town:
    code: str
    name_zh: str
    name_en: str
    level_zh: str
    lonlat: LonLat
    accuracy: str
    basis_zh: str
    basis_en: str


NBS_SOURCE = "国家统计局区划代码（2024 年版，经 AreaCity-JsSpider-StatsGov 整理，MIT）"
NBS_SOURCE_EN = "NBS division codes (2024 edition, via AreaCity-JsSpider-StatsGov, MIT)"

TOWNS = (
    Town(
        "220112001",
        "云山街道",
        "Yunshan Subdistrict",
        "街道",
        (125.659, 43.523),
        "approximate",
        "区政府所在地，GeoNames 2034791（CC BY 4.0）",
        "District seat, GeoNames 2034791 (CC BY 4.0)",
    ),
    Town(
        "220112002",
        "平湖街道",
        "Pinghu Subdistrict",
        "街道",
        (125.680, 43.495),
        "schematic",
        "未找到可核实的位置，示意置于城区东南、双阳湖以北",
        "No verifiable position found; placed schematically south-east of the city centre",
    ),
    Town(
        "220112003",
        "奢岭街道",
        "Sheling Subdistrict",
        "街道",
        (125.52, 43.68),
        "approximate",
        "“位于双阳区西北部，北倚净月潭”（公开介绍，2020）",
        "Described as the north-west of the district next to Jingyuetan (public profile, 2020)",
    ),
    Town(
        "220112004",
        "山河街道",
        "Shanhe Subdistrict",
        "街道",
        (125.76, 43.41),
        "approximate",
        "城区东南、G334 国道沿线（区情介绍）",
        "South-east of the city on national road G334 (district profile)",
    ),
    Town(
        "220112101",
        "鹿乡镇",
        "Luxiang Town",
        "镇",
        (125.54, 43.54),
        "approximate",
        "“位于双阳区西部”（中国经济网，2020-09-20）",
        "Described as the west of the district (China Economic Net, 2020-09-20)",
    ),
    Town(
        "220112102",
        "太平镇",
        "Taiping Town",
        "镇",
        (125.84, 43.48),
        "schematic",
        "只知在区东部，位置示意",
        "Known only to be in the east of the district; schematic position",
    ),
    Town(
        "220112104",
        "齐家镇",
        "Qijia Town",
        "镇",
        (125.78, 43.62),
        "schematic",
        "只知在区东北、饮马河一侧，位置示意",
        "Known only to be in the north-east by the Yinma River; schematic position",
    ),
    Town(
        "220112203",
        "双营子回族乡",
        "Shuangyingzi Hui Ethnic Township",
        "乡",
        (125.67, 43.58),
        "approximate",
        "城区以北，G9902 双阳北互通所在（长春市交通运输局环评公示，2021-03）",
        "North of the city, where the G9902 Shuangyang North interchange lies "
        "(Changchun transport bureau EIA notice, 2021-03)",
    ),
)
TOWN_BY_NAME = {town.name_zh: town for town in TOWNS}
TOWN_BY_LONLAT = {town.lonlat: town for town in TOWNS}


def town_id(name_zh: str) -> str:
    return f"town-{TOWN_BY_NAME[name_zh].code}"


def towns_on(path: Sequence[LonLat]) -> str:
    """Ids of the town seats a drawn path passes through, for ``placed_from``."""
    return ",".join(
        sorted({f"town-{TOWN_BY_LONLAT[point].code}" for point in path if point in TOWN_BY_LONLAT})
    )


def town_features() -> list[dict]:
    features = []
    for town in TOWNS:
        note_zh = (
            "位置为镇（街道）驻地的近似点"
            if town.accuracy == "approximate"
            else ("位置为示意，未经核实")
        )
        note_en = (
            "Approximate position of the town seat"
            if town.accuracy == "approximate"
            else "Schematic position, not verified"
        )
        provenance = Provenance(
            town.accuracy,
            f"名称与代码：{NBS_SOURCE}；位置：{town.basis_zh}",
            f"Name and code: {NBS_SOURCE_EN}; position: {town.basis_en}",
            note_zh,
            note_en,
        )
        features.append(
            feature(
                f"town-{town.code}",
                town.name_zh,
                town.name_en,
                None,
                provenance,
                Point(town.lonlat),
                code=town.code,
                level_zh=town.level_zh,
            )
        )
    return features


def town_cells(boundary: Any) -> dict[str, Any]:
    """Voronoi cells of the town points, clipped to the district, keyed by town name."""
    points = [plane_point(town.lonlat) for town in TOWNS]
    plane_boundary = to_plane(boundary)
    envelope = plane_boundary.envelope.buffer(20_000)
    cells = shapely.voronoi_polygons(shapely.MultiPoint(points), extend_to=envelope)
    by_town: dict[str, Any] = {}
    for town, point in zip(TOWNS, points, strict=True):
        cell = next(part for part in cells.geoms if part.contains(point))
        by_town[town.name_zh] = polygonal(to_lonlat(cell).intersection(boundary))
    return _merge_slivers(by_town)


def _merge_slivers(cells: dict[str, Any]) -> dict[str, Any]:
    """Hand crumbs cut off by a wiggly border to the neighbour they share most edge with.

    A straight Voronoi edge meeting a ragged outline leaves tiny detached pieces; in a
    schematic map they would only look like errors.
    """
    main_parts: dict[str, Any] = {}
    crumbs: list[tuple[str, Any]] = []
    for name, cell in cells.items():
        parts = sorted(shapely.get_parts(cell), key=lambda part: part.area, reverse=True)
        main_parts[name] = parts[0]
        crumbs.extend((name, part) for part in parts[1:])
    merged = {name: [part] for name, part in main_parts.items()}
    for owner, crumb in crumbs:

        def shared_edge(name: str, crumb: Any = crumb) -> float:
            return crumb.boundary.intersection(main_parts[name].boundary).length

        neighbour = max((name for name in main_parts if name != owner), key=shared_edge)
        target = neighbour if shared_edge(neighbour) > 0 else owner
        merged[target].append(crumb)
    return {name: polygonal(shapely.union_all(parts)) for name, parts in merged.items()}


def town_cell_features(cells: dict[str, Any]) -> list[dict]:
    provenance = Provenance(
        "schematic",
        "由各镇（街道）驻地点生成的泰森多边形，裁切到区界；不是行政区划界线",
        "Voronoi cells of the town-seat points clipped to the district outline; "
        "not administrative boundaries",
        SCHEMATIC_NOTE_ZH,
        SCHEMATIC_NOTE_EN,
    )
    features = []
    for town in TOWNS:
        cell = cells[town.name_zh]
        features.append(
            feature(
                f"town-cell-{town.code}",
                f"{town.name_zh}（示意范围）",
                f"{town.name_en} (schematic area)",
                None,
                provenance,
                polygonal(cell),
                code=town.code,
                town=town.name_zh,
            )
        )
    return features


# --------------------------------------------------------------------------- places


PLACES: dict[str, LonLat] = {
    "city": (125.659, 43.523),
    "sheling": (125.52, 43.68),
    "guoxin_hot_spring": (125.529, 43.686),
    "luxiang": (125.54, 43.54),
    "shuangyingzi": (125.67, 43.58),
    "qijia": (125.78, 43.62),
    "taiping": (125.84, 43.48),
    "shanhe": (125.76, 43.41),
    "shenlufeng": (125.85, 43.40),
    "shuangyang_lake": (125.69, 43.48),
    "pinghu": (125.680, 43.495),
}


# --------------------------------------------------------------------------- rivers


def river_features(boundary: Any) -> list[dict]:
    shuangyang_river = LineString(
        [
            (125.74, 43.40),
            (125.715, 43.445),
            (125.69, 43.48),
            (125.672, 43.50),
            (125.66, 43.52),
            (125.666, 43.56),
            (125.68, 43.60),
        ]
    )
    # The Yinma River is the eastern edge with Yongji county: take that stretch of the outline.
    east_edge = (
        boundary.exterior.intersection(shapely.box(125.80, 43.46, 126.1, 43.80))
        if boundary.geom_type == "Polygon"
        else None
    )
    features = [
        feature(
            "river-shuangyang-he",
            "双阳河",
            "Shuangyang River",
            None,
            Provenance(
                "approximate",
                "走向按公开区情描述估计：源于南部，经双阳水库和城区向北流入饮马河；"
                "控制点误差约 3–5 公里",
                "Course estimated from district profiles: rises in the south, passes the "
                "Shuangyang reservoir and the city, flows north to the Yinma River; "
                "control points ±3–5 km",
                "河道为近似走向，汇入饮马河的位置未核实",
                "Approximate course; the confluence with the Yinma River is not verified",
            ),
            clip_line(shuangyang_river, boundary),
        ),
    ]
    if east_edge is not None and not east_edge.is_empty:
        features.append(
            feature(
                "river-yinma-he",
                "饮马河",
                "Yinma River",
                None,
                Provenance(
                    "approximate",
                    "饮马河为双阳区与永吉县的东部界河，此处以区界轮廓东段代替河道",
                    "The Yinma River forms the eastern edge with Yongji county; the eastern "
                    "stretch of the district outline stands in for its course",
                    "以区界代替河道，位置近似",
                    "District outline used as the river course; approximate",
                ),
                lineal(east_edge),
            )
        )
    return features


# --------------------------------------------------------------------------- layout


LAYOUT_BASIS_ZH = (
    "原文只有“一带引领、三核联动、两翼协同、多点支撑”的提法，未列出成员；此处为解读示意："
)
LAYOUT_BASIS_EN = (
    "The article names the pattern (one belt, three cores, two wings, many points) "
    "without its members; this is a schematic reading: "
)


def layout_features(boundary: Any) -> list[dict]:
    def schematic(reason_zh: str, reason_en: str) -> Provenance:
        return Provenance(
            "schematic",
            LAYOUT_BASIS_ZH + reason_zh,
            LAYOUT_BASIS_EN + reason_en,
            "示意解读，非规划图",
            "Schematic reading, not a planning map",
        )

    belt = corridor_lonlat(
        [(125.47, 43.74), PLACES["sheling"], PLACES["shuangyingzi"], PLACES["city"]], 2500
    )
    features = [
        feature(
            "layout-belt-changshuang",
            "一带：长双发展带（示意）",
            "Belt: Changchun–Shuangyang development belt (schematic)",
            "layout_belt",
            schematic(
                "开发区一节提出打造“千亿级经济隆起带”，并建设长双快速路连接线，"
                "故把“一带”画作沿长双方向、经奢岭和双营子到城区的发展带；"
                "原文未给出隆起带的位置，这是解读，不是它的范围",
                "the development-zone paragraph speaks of a 100-billion economic belt and the "
                "Changchun–Shuangyang expressway link, so the belt is drawn from Sheling via "
                "Shuangyingzi to the city; the article gives no place for the economic belt, so "
                "this is a reading, not its extent",
            ),
            polygonal(belt.intersection(boundary)),
            role="belt",
            role_zh="一带",
        )
    ]
    cores = (
        (
            "city",
            "中心品质城区",
            "Quality city centre",
            "city",
            "原文把“中心品质城区建设”列为重点任务，核心取区政府所在的云山街道城区",
            "the article lists building a quality city centre as a key task; core at the "
            "district seat (Yunshan)",
            3000,
        ),
        (
            "sheling",
            "奢岭康养新城・影都拓展区",
            "Sheling wellness new town and film-city extension",
            "sheling",
            "开发区一节提出建设康养新城、打造长春国际影都板块拓展区，但未给出二者的位置；"
            "长春国际影都在净月、与奢岭相邻，奢岭又是北部温泉康养片区，故把这一核示意在奢岭",
            "the development-zone paragraph names a wellness new town and an extension of "
            "Changchun International Film City without placing either; the Film City lies in "
            "Jingyue next to Sheling, and Sheling holds the northern hot-spring area, so this "
            "core is sketched there",
            3000,
        ),
        (
            "luxiang",
            "鹿乡梅花鹿产业核",
            "Luxiang sika-deer industry core",
            "luxiang",
            "原文以鹿业全产业链为特色产业，鹿乡镇是梅花鹿产业的集中地",
            "the article makes the whole deer-industry chain a signature industry; Luxiang is "
            "its centre",
            2800,
        ),
    )
    for key, name_zh, name_en, place, reason_zh, reason_en, radius in cores:
        features.append(
            feature(
                f"layout-core-{key}",
                f"核：{name_zh}（示意）",
                f"Core: {name_en} (schematic)",
                "layout_cores",
                schematic(reason_zh, reason_en),
                polygonal(ellipse_lonlat(PLACES[place], radius, radius).intersection(boundary)),
                role="core",
                role_zh="三核",
            )
        )
    wings = (
        (
            "east",
            "东翼：齐家—太平现代农业（示意）",
            "East wing: Qijia–Taiping modern farming (schematic)",
            (125.81, 43.56),
            7000,
            11000,
            -15,
            "东部齐家、太平沿饮马河以农业为主，与原文的高标准农田、特色果蔬相对应",
            "the eastern towns along the Yinma River are farmland, matching the article's "
            "farmland and fruit targets",
        ),
        (
            "south",
            "南翼：山河—神鹿峰生态旅游（示意）",
            "South wing: Shanhe–Shenlufeng eco-tourism (schematic)",
            (125.80, 43.40),
            9000,
            5500,
            20,
            "南部山河街道有神鹿峰与吊水壶国家森林公园，与原文的南部旅游片区相对应",
            "the southern Shanhe area holds Shenlufeng and the Diaoshuihu forest park, matching "
            "the article's southern tourism zone",
        ),
    )
    for key, name_zh, name_en, centre, half_w, half_h, rotation, reason_zh, reason_en in wings:
        area = ellipse_lonlat(centre, half_w, half_h, rotation).intersection(boundary)
        features.append(
            feature(
                f"layout-wing-{key}",
                name_zh,
                name_en,
                "layout_wings",
                schematic(reason_zh, reason_en),
                polygonal(area),
                role="wing",
                role_zh="两翼",
            )
        )
    points = (
        ("shuangyingzi", "双营子回族乡", "Shuangyingzi"),
        ("pinghu", "平湖街道", "Pinghu"),
        ("qijia", "齐家镇", "Qijia"),
        ("taiping", "太平镇", "Taiping"),
        ("shanhe", "山河街道", "Shanhe"),
        ("shenlufeng", "神鹿峰旅游度假区", "Shenlufeng resort"),
        ("shuangyang_lake", "双阳湖（两湖新区）", "Shuangyang Lake area"),
    )
    for key, name_zh, name_en in points:
        features.append(
            feature(
                f"layout-point-{key.replace('_', '-')}",
                f"支撑点：{name_zh}（示意）",
                f"Supporting point: {name_en} (schematic)",
                "layout_points",
                schematic(
                    "“多点”取未列入三核的镇（街道）驻地和旅游片区节点",
                    "the many points are read as town seats and tourism sites outside the cores",
                ),
                ellipse_lonlat(PLACES[key], 1200, 1200),
                role="point",
                role_zh="多点",
            )
        )
    return features


# --------------------------------------------------------------------------- tourism


TOURISM_ZONE_SOURCE = (
    "南、中、北三大旅游片区出自原文；各片区所指据中国吉林网 2024-09 报道（北部国信温泉康养、"
    "中部两湖新区、南部神鹿峰旅游度假区），范围为示意"
)
TOURISM_ZONE_SOURCE_EN = (
    "The three zones are named in the article; what each holds follows a 2024-09 "
    "cnjiwang.com report (north: Guoxin hot-spring wellness, centre: Two Lakes area, south: "
    "Shenlufeng resort); extents are schematic"
)


def tourism_zone_features(boundary: Any) -> list[dict]:
    provenance = Provenance(
        "schematic",
        TOURISM_ZONE_SOURCE,
        TOURISM_ZONE_SOURCE_EN,
        SCHEMATIC_NOTE_ZH,
        SCHEMATIC_NOTE_EN,
    )
    zones = (
        (
            "north",
            "北部旅游片区：温泉康养（示意）",
            "Northern zone: hot-spring wellness (schematic)",
            (125.53, 43.69),
            6500,
            5500,
            30,
        ),
        (
            "central",
            "中部旅游片区：两湖新区（示意）",
            "Central zone: Two Lakes area (schematic)",
            (125.68, 43.49),
            5000,
            4500,
            0,
        ),
        (
            "south",
            "南部旅游片区：神鹿峰（示意）",
            "Southern zone: Shenlufeng (schematic)",
            (125.83, 43.39),
            7500,
            5000,
            15,
        ),
    )
    return [
        feature(
            f"tourism-zone-{key}",
            name_zh,
            name_en,
            "tourism_zones",
            provenance,
            polygonal(ellipse_lonlat(centre, half_w, half_h, rot).intersection(boundary)),
            zone=key,
        )
        for key, name_zh, name_en, centre, half_w, half_h, rot in zones
    ]


def tourism_line_features(boundary: Any) -> list[dict]:
    main_provenance = Provenance(
        "schematic",
        "“四大旅游线”出自原文，但原文未给出名称和走向；此处按三大片区和节庆地点示意连线",
        "The four main lines are named in the article without names or courses; drawn "
        "schematically between the three zones and the festival venues",
        "原文未给出线路名称和走向：所连地点是我们的假设，只示意共有四条线",
        "The article gives neither names nor courses: the places linked are our assumption; "
        "the lines only show that there are four",
    )
    main_lines = (
        (
            "奢岭—城区—双阳湖",
            "Sheling–city–Shuangyang Lake",
            [
                PLACES["guoxin_hot_spring"],
                PLACES["shuangyingzi"],
                PLACES["city"],
                PLACES["shuangyang_lake"],
            ],
        ),
        (
            "双阳湖—山河—神鹿峰",
            "Shuangyang Lake–Shanhe–Shenlufeng",
            [PLACES["shuangyang_lake"], (125.72, 43.44), PLACES["shanhe"], PLACES["shenlufeng"]],
        ),
        ("城区—鹿乡", "city–Luxiang", [PLACES["city"], (125.60, 43.535), PLACES["luxiang"]]),
        ("城区—齐家", "city–Qijia", [PLACES["city"], (125.72, 43.58), PLACES["qijia"]]),
    )
    features = []
    for number, (via_zh, via_en, path) in enumerate(main_lines, start=1):
        features.append(
            feature(
                f"tourism-line-main-{number}",
                f"旅游线 {number}（示意：{via_zh}）",
                f"Tourism line {number} (schematic: {via_en})",
                "four_tourism_lines",
                main_provenance,
                clip_line(LineString(path), boundary),
                line_type="main",
                line_type_zh="四大旅游线",
                course_described=False,
                placed_from=towns_on(path),
            )
        )
    rural_source = (
        "“康养度假、探险骑行等 5 条乡村旅游线”出自原文，未给出走向",
        "Five rural routes (wellness, adventure cycling and others) are named in the article "
        "without courses",
    )
    themed_provenance = Provenance(
        "schematic",
        f"{rural_source[0]}；按主题示意画在相关镇村"
        "（康养度假在奢岭温泉一带，探险骑行在山河—神鹿峰山区）",
        f"{rural_source[1]}; drawn schematically where the theme points (wellness at the "
        "Sheling hot springs, adventure cycling in the Shanhe–Shenlufeng hills)",
        "原文只给出主题，未给出走向：所经地点是我们的假设",
        "The article gives the theme but no course: the places passed are our assumption",
    )
    unthemed_provenance = Provenance(
        "schematic",
        f"{rural_source[0]}；其余三条原文连主题也未给出，画在鹿乡、齐家、太平一带没有依据，"
        "只示意共有五条",
        f"{rural_source[1]}; the article does not even give a theme for the other three, so "
        "placing them around Luxiang, Qijia and Taiping has no basis: they only show that "
        "there are five",
        "原文未给出这条线的主题和走向，图上位置没有依据",
        "The article gives neither theme nor course for this route; its place on the map "
        "has no basis",
    )
    rural_routes = (
        (
            "康养度假",
            "wellness holidays",
            [(125.51, 43.695), PLACES["guoxin_hot_spring"], (125.55, 43.665), (125.53, 43.65)],
        ),
        (
            "探险骑行",
            "adventure cycling",
            [PLACES["shanhe"], (125.80, 43.395), PLACES["shenlufeng"], (125.88, 43.375)],
        ),
        (None, None, [PLACES["luxiang"], (125.52, 43.52), (125.51, 43.55), (125.53, 43.565)]),
        (None, None, [PLACES["qijia"], (125.80, 43.64), (125.82, 43.61), (125.80, 43.595)]),
        (None, None, [PLACES["taiping"], (125.85, 43.47), (125.86, 43.455), (125.845, 43.445)]),
    )
    for number, (theme_zh, theme_en, path) in enumerate(rural_routes, start=1):
        name_zh = f"乡村旅游线 {number}（示意，" + (
            f"{theme_zh}）" if theme_zh else "原文未给出主题和走向）"
        )
        name_en = f"Rural route {number} (schematic, " + (
            f"{theme_en})" if theme_en else "no theme or course in the article)"
        )
        features.append(
            feature(
                f"tourism-line-rural-{number}",
                name_zh,
                name_en,
                "rural_tourism_routes",
                themed_provenance if theme_zh else unthemed_provenance,
                clip_line(LineString(path), boundary),
                line_type="rural",
                line_type_zh="乡村旅游线",
                course_described=False,
                placed_from=towns_on(path),
            )
        )
    return features


def festival_features() -> list[dict]:
    # The article names the festivals, never their venues. A venue the festival's name gives
    # (奢岭) is placed at that seat and graded like it; a venue we assume is schematic.
    return [
        feature(
            "festival-sika-deer",
            "梅花鹿节（举办地为假定）",
            "Sika Deer Festival (venue assumed)",
            "festival_sika_deer",
            Provenance(
                "schematic",
                "节庆名出自原文，原文未给出举办地；假定在“中国梅花鹿之乡”鹿乡镇"
                "（中国经济网，2020），点位取鹿乡镇驻地",
                "Festival named in the article, which gives no venue; assumed to be Luxiang, "
                "the sika-deer town (China Economic Net, 2020), and placed at its seat",
                "举办地是我们的假定，不是原文所说；点位为示意",
                "The venue is our assumption, not the article's; schematic position",
            ),
            Point(PLACES["luxiang"]),
            venue_zh="鹿乡镇（假定）",
            venue_en="Luxiang (assumed)",
            placed_from=town_id("鹿乡镇"),
        ),
        feature(
            "festival-sheling-strawberry",
            "奢岭草莓节",
            "Sheling Strawberry Festival",
            "festival_sheling_strawberry",
            Provenance(
                "approximate",
                "节庆名出自原文，名称即含举办地奢岭；位置为奢岭街道驻地旁的近似点",
                "Festival named in the article; its name gives the place, Sheling; "
                "approximate point beside the Sheling seat",
                "举办地按名称在奢岭街道，点位取驻地附近，未核实具体场地",
                "Venue in Sheling by its name, placed beside the seat; the exact site is not "
                "verified",
            ),
            Point((125.515, 43.675)),
            venue_zh="奢岭街道",
            venue_en="Sheling",
            placed_from=town_id("奢岭街道"),
        ),
        feature(
            "festival-ice-snow-hot-spring",
            "冰雪温泉节（举办地为假定）",
            "Ice, Snow and Hot Spring Festival (venue assumed)",
            "festival_ice_snow_hot_spring",
            Provenance(
                "schematic",
                "节庆名出自原文，原文未给出举办地；因名称含“温泉”，假定在奢岭国信南山温泉"
                "（北部温泉康养片区，中国吉林网 2024-09），点位取该温泉酒店的公开坐标"
                "（坐标系未注明，若为 GCJ-02 则偏约 560 米）",
                "Festival named in the article, which gives no venue; as its name says hot "
                "spring, assumed to be the Guoxin Nanshan hot spring in Sheling (the northern "
                "hot-spring area, cnjiwang.com 2024-09), placed at the hotel's published "
                "coordinate (datum not stated; about 560 m off if it is GCJ-02)",
                "举办地是我们的假定；点位为温泉酒店的公开坐标，不是镇驻地",
                "The venue is our assumption; the point is the hotel's published coordinate, "
                "not the town seat",
            ),
            Point(PLACES["guoxin_hot_spring"]),
            venue_zh="奢岭国信温泉（假定）",
            venue_en="Guoxin hot spring (assumed)",
        ),
    ]


# --------------------------------------------------------------------------- villages


def village_features() -> list[dict]:
    # Each village is known only by the town it belongs to and is set beside that town's
    # seat, so it can be graded no better than the seat.
    return [
        feature(
            "village-pangutun",
            "盘古屯",
            "Pangutun",
            "village_pangutun",
            Provenance(
                "approximate",
                "名称出自原文；“鹿乡镇刘家村盘古屯”（中国经济网 2020；腾讯新闻 2020-10-04），"
                "位置取鹿乡镇驻地（近似点）旁",
                "Named in the article; in Liujia village, Luxiang (China Economic Net 2020; "
                "Tencent News 2020-10-04); placed beside Luxiang's approximate seat",
                "只知属鹿乡镇刘家村，点位误差可达数公里",
                "Known only to be in Liujia village, Luxiang; may be several km off",
            ),
            Point((125.545, 43.545)),
            demo_level="national",
            town="鹿乡镇",
            placed_from=town_id("鹿乡镇"),
        ),
        feature(
            "village-shuguang",
            "曙光民俗村",
            "Shuguang folk village",
            "village_shuguang",
            Provenance(
                "schematic",
                "名称出自原文；“齐家镇曙光村”（中国吉林网 2025-07），位置取齐家镇驻地旁；"
                "齐家镇驻地本身只是示意点，故此点也只是示意（原定为近似，已改正）",
                "Named in the article; Shuguang village, Qijia (cnjiwang.com 2025-07); placed "
                "beside the Qijia seat, which is itself only schematic, so this point is "
                "schematic too (formerly graded approximate, corrected)",
                "只知属齐家镇，齐家镇驻地位置本身未核实：示意点",
                "Known only to be in Qijia, whose own seat is not verified: schematic point",
            ),
            Point((125.785, 43.625)),
            demo_level="national",
            town="齐家镇",
            placed_from=town_id("齐家镇"),
        ),
    ]


def demo_belt_features(boundary: Any) -> list[dict]:
    points = [
        PLACES["sheling"],
        (125.60, 43.63),
        PLACES["shuangyingzi"],
        (125.61, 43.56),
        PLACES["luxiang"],
    ]
    path = LineString(points)
    return [
        feature(
            "demo-belt-sheling-shuangying-luxiang",
            "“奢岭—双营—鹿乡”示范带（示意）",
            "Sheling–Shuangying–Luxiang demonstration belt (schematic)",
            "sheling_shuangying_luxiang_belt",
            Provenance(
                "schematic",
                "示范带名称出自原文；按奢岭、双营子、鹿乡三地近似位置示意连线",
                "Named in the article; drawn schematically through the approximate positions "
                "of Sheling, Shuangyingzi and Luxiang",
                "示意连线，非规划线位",
                "Schematic line, not a planned alignment",
            ),
            clip_line(path, boundary),
            # The article names the three places the belt links, not a line between them.
            course_described=True,
            placed_from=towns_on(points),
        )
    ]


# --------------------------------------------------------------------------- roads


# Control points from layers/SOURCES.md (placeholders, ±3–5 km).
G1221_YANTONGSHAN = (126.009, 43.292)
G1221_SHUANGYANG_WEST = (125.56, 43.52)
G1221_PATH = (
    G1221_YANTONGSHAN,
    (125.97, 43.33),
    (125.82, 43.42),
    G1221_SHUANGYANG_WEST,
    (125.53, 43.65),
    (125.58, 43.79),
)
CHANGSHUANG_PATH = ((125.46, 43.76), PLACES["sheling"], (125.60, 43.60), (125.65, 43.55))
TOURISM_ROAD_PATH = (
    (125.505, 43.665),
    PLACES["sheling"],
    PLACES["guoxin_hot_spring"],
    (125.545, 43.695),
)


def geodesic_km(path: Sequence[LonLat]) -> float:
    lons, lats = zip(*path, strict=True)
    return _GEOD.line_length(lons, lats) / 1000.0


def road_features(boundary: Any) -> list[dict]:
    clip = boundary.buffer(0.002)

    def approximate(source_zh: str, source_en: str) -> Provenance:
        return Provenance(
            "approximate",
            f"{source_zh}；{CONTROL_POINT_NOTE}",
            f"{source_en}; {CONTROL_POINT_NOTE_EN}",
            "线位为近似，非设计线位",
            "Approximate course, not the design alignment",
        )

    def schematic(source_zh: str, source_en: str) -> Provenance:
        return Provenance(
            "schematic",
            source_zh,
            source_en,
            "线位未公开：走向是示意，非设计线位",
            "Course not published: the line is a sketch, not the design alignment",
        )

    city = PLACES["city"]
    g1221_straight_km = geodesic_km([G1221_YANTONGSHAN, G1221_SHUANGYANG_WEST])
    chengnan_grid = MultiLineString(
        [
            [(125.640, 43.507), (125.676, 43.507)],
            [(125.640, 43.500), (125.676, 43.500)],
            [(125.646, 43.512), (125.646, 43.496)],
            [(125.658, 43.512), (125.658, 43.496)],
            [(125.670, 43.512), (125.670, 43.496)],
        ]
    )
    return [
        feature(
            "road-outer-ring",
            "城区大外环（示意）",
            "City outer ring road (schematic)",
            "outer_ring_road",
            schematic(
                "项目名出自原文（全线贯通城区大外环）；线位未公开，以环绕城区的环线示意",
                "Named in the article (outer ring to be fully connected); course not published, "
                "drawn as a ring around the city",
            ),
            ring_line_lonlat(city, 4200, 3600),
            road_class_zh="城市道路",
            course_described=False,
        ),
        feature(
            "road-inner-ring",
            "城区小内环（示意）",
            "City inner ring road (schematic)",
            "inner_ring_road",
            schematic(
                "项目名出自原文（加速打通城区小内环）；线位未公开，以环绕中心城区的小环示意",
                "Named in the article (inner ring sections to be opened); course not "
                "published, drawn as a small ring around the centre",
            ),
            ring_line_lonlat(city, 1800, 1500),
            road_class_zh="城市道路",
            course_described=False,
        ),
        feature(
            "road-chengnan-grid",
            "城南生态宜居区路网（示意）",
            "Chengnan eco-living area road grid (schematic)",
            "chengnan_road_network",
            schematic(
                "项目名出自原文（纵横交错的城南生态宜居区路网）；以城区以南的方格路网示意",
                "Named in the article (a criss-cross grid in the southern eco-living area); "
                "drawn as a grid south of the centre",
            ),
            chengnan_grid,
            road_class_zh="城市道路",
            course_described=False,
        ),
        feature(
            "road-g9902-shuangyang-yitong",
            "经济圈环线二期：G9902 双阳—伊通段",
            "Economic-circle ring phase 2: G9902 Shuangyang–Yitong section",
            "economic_ring_phase2",
            approximate(
                "原文“完成经济圈环线二期”；即长春都市圈环线 G9902 双阳—伊通段 31.6 公里，"
                "自双阳北互通经双营子、鹿乡至伊通北，2024-11-27 通车（维基百科、吉林日报）",
                "Article: complete phase 2 of the economic-circle ring; this is the 31.6 km "
                "G9902 Shuangyang–Yitong section from Shuangyang North via Shuangyingzi and "
                "Luxiang to Yitong North, opened 2024-11-27 (Wikipedia, Jilin Daily)",
            ),
            clip_line(
                LineString([(125.67, 43.59), (125.60, 43.55), (125.55, 43.50), (125.48, 43.43)]),
                clip,
            ),
            road_class_zh="高速公路",
            route="G9902",
            course_described=True,
        ),
        feature(
            "road-g1221-yanchang",
            "延长高速（G1221）双阳段（示意走向）",
            "Yanji–Changchun expressway (G1221) in Shuangyang (schematic course)",
            "yanchang_expressway_nodes",
            Provenance(
                "schematic",
                "原文“完成延长高速重要节点建设”；烟筒山—双阳西段 40.4 公里 2024-09-30 通车，"
                "设神鹿峰、双阳西收费站，双阳西—莲花山段约 35 公里（吉林省交通运输厅、中新网）。"
                "控制点是占位估计，且彼此不符：烟筒山到“双阳西”占位点的直线距离已有 "
                f"{g1221_straight_km:.1f} 公里，长于 40.4 公里的路段，两点合计至少偏出 "
                f"{g1221_straight_km - 40.4:.1f} 公里；图上线路在双阳湖占位点附近跨双阳河，"
                "也不是实际跨河位置。故降为示意，两处收费站（重要节点）位置未知，不画",
                "Article: complete key nodes of the Yanji–Changchun expressway; the 40.4 km "
                "Yantongshan–Shuangyang West section opened 2024-09-30 with Shenlufeng and "
                "Shuangyang West toll stations; Shuangyang West–Lianhuashan about 35 km "
                "(Jilin transport department, China News). The control points are placeholders "
                "that disagree: the straight line from Yantongshan to the Shuangyang West "
                f"placeholder is already {g1221_straight_km:.1f} km, longer than the 40.4 km "
                f"section, so between them the two are at least "
                f"{g1221_straight_km - 40.4:.1f} km too far apart; the drawn line crosses the "
                "Shuangyang River near the Shuangyang Lake "
                "placeholder, which is not the real crossing. Hence schematic; the two toll "
                "stations (the key nodes) are not located and not drawn",
                "示意走向：控制点彼此不符，收费站（重要节点）位置未知，不画",
                "Schematic course: the control points disagree; the toll stations (the key "
                "nodes) are not located and not drawn",
            ),
            clip_line(LineString(G1221_PATH), clip),
            road_class_zh="高速公路",
            route="G1221",
            course_described=True,
        ),
        feature(
            "road-changshuang-link",
            "长双快速路（整条路的近似走向，连接线未单独定位）",
            "Changchun–Shuangyang expressway road (approximate course of the whole road; "
            "the link is not located)",
            "changshuang_expressway_link",
            Provenance(
                "approximate",
                "原文“长双快速路连接线竣工通车”；长双快速路自长春净月、新湖经奢岭至城区北缘，"
                "与长双公路、长双烟铁路并行（2020 年公开介绍）。来源描述的是整条长双快速路，"
                "“连接线”是其中哪一段未公开，故此线按整条路命名（原名“长双快速路连接线”，"
                f"已改正）；{CONTROL_POINT_NOTE}",
                "Article: the link is completed and opened; the expressway road runs from "
                "Jingyue/Xinhu in Changchun via Sheling to the north edge of the city, beside "
                "the old Changchun–Shuangyang road and railway (public profile, 2020). The "
                "source describes the whole expressway road and does not say which stretch is "
                "the link, so the line is named for the whole road (formerly named the link, "
                f"corrected); {CONTROL_POINT_NOTE_EN}",
                "整条长双快速路的近似走向；原文的连接线是其中未公开的一段",
                "Approximate course of the whole expressway road; the article's link is an "
                "unpublished stretch of it",
            ),
            clip_line(LineString(CHANGSHUANG_PATH), clip),
            road_class_zh="快速路",
            course_described=True,
            placed_from=towns_on(CHANGSHUANG_PATH),
        ),
        feature(
            "road-interconnection-tourism",
            "互联互通旅游路（示意）",
            "Interconnection tourism road (schematic)",
            "interconnection_tourism_road",
            schematic(
                "项目名出自原文开发区一节（开工建设）；走向未公开，示意画在奢岭开发区，"
                "连接康养新城与温泉片区",
                "Named in the article's development-zone paragraph (construction starts); "
                "course not published, drawn schematically in Sheling linking the wellness town "
                "and the hot-spring area",
            ),
            LineString(TOURISM_ROAD_PATH),
            road_class_zh="旅游公路",
            course_described=False,
            placed_from=towns_on(TOURISM_ROAD_PATH),
        ),
        feature(
            "road-exit-north",
            "北出口改造（示意）",
            "Northern city exit renewal (schematic)",
            "north_south_exits",
            schematic(
                "原文“投资 3.5 亿元高标准完成南北出口改造”；位置未公开，示意画在城区北侧"
                "进出长春方向的道路上",
                "Article: 350 million yuan to renew the northern and southern exits; "
                "positions not published, drawn on the city's northern road towards Changchun",
            ),
            LineString([(125.655, 43.538), (125.650, 43.548), (125.644, 43.556)]),
            road_class_zh="城市出入口",
            course_described=False,
        ),
        feature(
            "road-exit-south",
            "南出口改造（示意）",
            "Southern city exit renewal (schematic)",
            "north_south_exits",
            schematic(
                "原文“投资 3.5 亿元高标准完成南北出口改造”；位置未公开，示意画在城区南侧出城道路上",
                "Article: 350 million yuan to renew the northern and southern exits; "
                "positions not published, drawn on the city's southern road",
            ),
            LineString([(125.668, 43.508), (125.675, 43.497), (125.684, 43.489)]),
            road_class_zh="城市出入口",
            course_described=False,
        ),
    ]


# --------------------------------------------------------------------------- sample parcels


USE_ZH = {
    "industrial": "工业",
    "tourism": "旅游",
    "residential": "居住",
    "public": "公共服务",
    "commercial": "商业服务",
}
# The ledger's statuses: one list, the product's own.
STATUSES = PARCEL_STATUSES
QUARTERS = ("2022Q1", "2022Q2", "2022Q3", "2022Q4")


@dataclass(frozen=True)
class ParcelCluster:
    prefix: str
    name_zh: str
    name_en: str
    centre: LonLat
    radius_m: float
    count: int
    orientation_deg: float
    uses: tuple[tuple[str, int], ...]


# Sample areas are named by place only: a sample cluster must not place a plan item the
# plan cannot place (康养新城, the deer park). The names were changed for that reason; the
# generator's draws are unchanged, so the parcels are the same shapes.
CLUSTERS = (
    ParcelCluster(
        "SL",
        "奢岭街道一带",
        "area around Sheling",
        (125.527, 43.672),
        2600,
        13,
        35,
        (("tourism", 4), ("residential", 3), ("public", 2), ("commercial", 2)),
    ),
    ParcelCluster(
        "CN",
        "城南生态宜居区",
        "Chengnan eco-living area",
        (125.652, 43.503),
        1700,
        12,
        0,
        (("residential", 5), ("public", 2), ("commercial", 2)),
    ),
    ParcelCluster(
        "LX",
        "鹿乡镇一带",
        "area around Luxiang",
        (125.548, 43.530),
        2200,
        10,
        -20,
        (("industrial", 6), ("commercial", 1), ("public", 1)),
    ),
    ParcelCluster(
        "SH",
        "山河—神鹿峰一带",
        "area around Shanhe–Shenlufeng",
        (125.830, 43.405),
        2800,
        9,
        15,
        (("tourism", 5), ("commercial", 1), ("public", 1)),
    ),
)


def parcel_outline(rng: random.Random, area_m2: float, max_vertices: int) -> Polygon:
    """A parcel-like ring around the origin: a rectangle with cut corners and kinked edges."""
    aspect = rng.uniform(1.0, 2.4)
    width = math.sqrt(area_m2 * aspect)
    height = area_m2 / width
    corners = [
        (-width / 2, -height / 2),
        (width / 2, -height / 2),
        (width / 2, height / 2),
        (-width / 2, height / 2),
    ]
    extra = rng.randint(1, max_vertices - 4)
    cuts = min(extra, rng.randint(0, 2))
    kinks = extra - cuts
    cut_corners = set(rng.sample(range(4), cuts))
    ring: list[tuple[float, float]] = []
    kinks_per_edge = [0, 0, 0, 0]
    for _ in range(kinks):
        kinks_per_edge[rng.randrange(4)] += 1
    for index, corner in enumerate(corners):
        nxt = corners[(index + 1) % 4]
        prv = corners[index - 1]
        if index in cut_corners:
            share = rng.uniform(0.12, 0.22)
            ring.append(_lerp(corner, prv, share))
            ring.append(_lerp(corner, nxt, share))
        else:
            ring.append(corner)
        edge_len = math.dist(corner, nxt)
        normal = ((nxt[1] - corner[1]) / edge_len, -(nxt[0] - corner[0]) / edge_len)
        count = kinks_per_edge[index]
        for k in range(count):
            t = 0.25 + 0.5 * (k + rng.uniform(0.2, 0.8)) / count
            offset = rng.uniform(-0.04, 0.04) * min(width, height)
            x, y = _lerp(corner, nxt, t)
            ring.append((x + normal[0] * offset, y + normal[1] * offset))
    polygon = Polygon(ring)
    return shapely.affinity.scale(polygon, *(2 * [math.sqrt(area_m2 / polygon.area)]))


def _lerp(a: tuple[float, float], b: tuple[float, float], t: float) -> tuple[float, float]:
    return (a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t)


def parcel_shape(rng: random.Random, area_m2: float, shape_kind: str) -> Any:
    if shape_kind == "hole":
        outline = parcel_outline(rng, area_m2 * 1.06, 16)
        hole = shapely.affinity.scale(
            shapely.affinity.rotate(Point(0, 0).buffer(1.0, quad_segs=1), rng.uniform(0, 90)),
            *(2 * [math.sqrt(area_m2 * 0.06 / 2.0)]),
        )
        return Polygon(outline.exterior.coords, [hole.exterior.coords])
    if shape_kind == "multi":
        first = parcel_outline(rng, area_m2 * 0.6, 10)
        second = parcel_outline(rng, area_m2 * 0.4, 10)
        gap = (first.bounds[2] - first.bounds[0]) / 2 + (second.bounds[2] - second.bounds[0]) / 2
        return MultiPolygon([first, shapely.affinity.translate(second, gap + 40.0, 0.0)])
    return parcel_outline(rng, area_m2, 20)


def sample_parcels(boundary: Any, cells: dict[str, Any], keep_out: Sequence[Any]) -> list[dict]:
    rng = random.Random(PARCEL_SEED)
    allowed = (
        to_plane(boundary)
        .buffer(-300)
        .difference(to_plane(shapely.union_all(list(keep_out))).buffer(80))
    )
    placed: list[Any] = []
    features: list[dict] = []
    shape_plan = _shape_kinds(sum(cluster.count for cluster in CLUSTERS), rng)
    for cluster in CLUSTERS:
        centre = plane_point(cluster.centre)
        uses = [use for use, weight in cluster.uses for _ in range(weight)]
        for number in range(1, cluster.count + 1):
            shape_kind = shape_plan.pop()
            area_m2 = 10_000 * (
                rng.uniform(5.0, 10.5) if rng.random() < 0.1 else rng.uniform(1.3, 4.6)
            )
            outline = parcel_shape(rng, area_m2, shape_kind)
            geom = _place(rng, outline, centre, cluster, placed, allowed)
            placed.append(geom)
            lonlat = finish(to_lonlat(geom))
            town = _town_of(lonlat, cells)
            use = rng.choice(uses)
            label = f"{cluster.prefix}-{number:02d}"
            features.append(
                feature(
                    f"parcel-{label.lower()}",
                    f"示例地块 {label}",
                    f"Sample parcel {label}",
                    "land_supply_ha",
                    Provenance(
                        "schematic",
                        SAMPLE_SOURCE,
                        "Generated sample parcel (seeded), not real land supply",
                        f"示例数据：{cluster.name_zh}的演示地块，非真实供地",
                        f"Sample data: demonstration parcel in the {cluster.name_en}, "
                        "not real land supply",
                    ),
                    lonlat,
                    status=rng.choices(STATUSES, weights=(4, 3, 3))[0],
                    use=use,
                    use_zh=USE_ZH[use],
                    town=town,
                    quarter=rng.choice(QUARTERS),
                    area_zh=cluster.name_zh,
                    sample=True,
                )
            )
    return features


def _shape_kinds(total: int, rng: random.Random) -> list[str]:
    kinds = ["plain"] * total
    for index in rng.sample(range(total), 5):
        kinds[index] = "hole"
    kinds[rng.choice([i for i, kind in enumerate(kinds) if kind == "plain"])] = "multi"
    kinds[rng.choice([i for i, kind in enumerate(kinds) if kind == "plain"])] = "multi"
    return kinds


def _place(
    rng: random.Random,
    outline: Any,
    centre: Point,
    cluster: ParcelCluster,
    placed: list[Any],
    allowed: Any,
) -> Any:
    for _ in range(500):
        distance = cluster.radius_m * math.sqrt(rng.random())
        bearing = rng.uniform(0, 2 * math.pi)
        rotated = shapely.affinity.rotate(
            outline, cluster.orientation_deg + rng.uniform(-12, 12), origin=(0, 0)
        )
        candidate = shapely.affinity.translate(
            rotated,
            centre.x + distance * math.cos(bearing),
            centre.y + distance * math.sin(bearing),
        )
        if not allowed.contains(candidate):
            continue
        if any(candidate.distance(other) < 30.0 for other in placed):
            continue
        return candidate
    raise SystemExit(f"could not place a parcel in {cluster.prefix}; widen the cluster")


def _town_of(geom: Any, cells: dict[str, Any]) -> str:
    point = geom.representative_point()
    for name, cell in cells.items():
        if cell.covers(point):
            return name
    return min(cells, key=lambda name: cells[name].distance(point))


# --------------------------------------------------------------------------- main


def check_towns_against_the_one_list() -> None:
    """The towns here add seats and sources to the product's one list of towns (the ledger
    vocabulary): their codes and names must be that list's, in its order."""
    here = [(town.code, town.name_zh, town.name_en) for town in TOWNS]
    there = [(town.code, town.name, town.name_en) for town in vocabulary().towns]
    if here != there:
        raise SystemExit(
            f"towns differ from geo_app/parcel_table/vocabulary.toml: {here} != {there}"
        )


def build_all(layers_dir: Path) -> dict[str, dict]:
    check_towns_against_the_one_list()
    boundary = load_boundary(layers_dir)
    cells = town_cells(boundary)
    layers = {
        "towns": town_features(),
        "town_cells": town_cell_features(cells),
        "rivers": river_features(boundary),
        "layout": layout_features(boundary),
        "tourism_zones": tourism_zone_features(boundary),
        "tourism_lines": tourism_line_features(boundary),
        "festivals": festival_features(),
        "villages": village_features(),
        "demo_belt": demo_belt_features(boundary),
        "roads": road_features(boundary),
    }
    # Sample parcels keep clear of the drawn roads and rivers so the map reads cleanly.
    keep_out = [
        to_shape(item["geometry"]) for layer_id in ("roads", "rivers") for item in layers[layer_id]
    ]
    layers["land_parcels"] = sample_parcels(boundary, cells, keep_out)
    check_grades(layers)
    return {layer_id: collection(features) for layer_id, features in layers.items()}


def check_grades(layers: dict[str, list[dict]]) -> None:
    """Refuse a feature graded more precisely than a feature it was placed from, or a line
    whose course no source describes graded better than schematic."""
    grades = {
        item["properties"]["id"]: item["properties"]["accuracy"]
        for features in layers.values()
        for item in features
    }
    for features in layers.values():
        for item in features:
            properties = item["properties"]
            rank = ACCURACY_ORDER.index(properties["accuracy"])
            for source_id in filter(None, properties.get("placed_from", "").split(",")):
                if rank < ACCURACY_ORDER.index(grades[source_id]):
                    raise SystemExit(
                        f"{properties['id']} is {properties['accuracy']} but placed from "
                        f"{source_id}, which is {grades[source_id]}"
                    )
            if properties.get("course_described") is False and properties["accuracy"] != (
                "schematic"
            ):
                raise SystemExit(f"{properties['id']}: no described course, so schematic")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "layers", help="output folder")
    parser.add_argument(
        "--boundary-dir",
        type=Path,
        default=ROOT / "layers",
        help="folder holding boundary.geojson",
    )
    args = parser.parse_args(argv)
    layers = build_all(args.boundary_dir)
    for layer_id, layer in layers.items():
        write_text(args.out / f"{layer_id}.geojson", dumps_feature_collection(layer))
        print(f"{layer_id}: {len(layer['features'])} features")
    parcels = [to_shape(f["geometry"]) for f in layers["land_parcels"]["features"]]
    print(f"sample parcels total: {hectares(parcels).sum():.2f} ha")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
