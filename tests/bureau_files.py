"""Parcel ledgers shaped like a land bureau's, built by the tests themselves.

Twelve parcels in the district with known truth (id, project, status, town, date, use),
written in four layouts planners hand over: Chinese column names in a GBK Shapefile
without .cpg in Gauss-Krüger zone 42 (with the "42" prefix); pinyin initials in a
GeoPackage (zone 42 without the prefix) with free-text dates and areas in 亩; an XLSX
ledger with WKT, Excel dates and areas in 平方米; English names in GeoJSON. In every
layout one parcel's declared area is 5 % off, one status word is not a known one, and
towns are written short.
"""

from __future__ import annotations

import datetime as dt
import zipfile
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import openpyxl
import shapely
from pyproj import Geod

GEOD = Geod(ellps="GRS80")
OFF_BY = 1.05  # the declared area of the flagged parcel, against the measured one
FLAGGED = 4  # index of that parcel


@dataclass(frozen=True)
class Truth:
    id: str
    name: str
    status: str  # the ledger's code; "unknown" for the word no list knows
    town: str  # NBS name
    date: dt.date
    use: str  # use group
    use_text: str  # what the bureau wrote
    centre: tuple[float, float]
    size: tuple[float, float]  # degrees

    @property
    def geometry(self) -> shapely.Polygon:
        (x, y), (w, h) = self.centre, self.size
        # Sizes are written three times too large, for legibility: parcels of 3-30 ha.
        w, h = w / 3, h / 3
        return shapely.box(x - w / 2, y - h / 2, x + w / 2, y + h / 2)

    @property
    def hectares(self) -> float:
        return abs(GEOD.geometry_area_perimeter(shapely.orient_polygons(self.geometry))[0]) / 1e4

    @property
    def quarter(self) -> str:
        return f"{self.date.year}Q{(self.date.month - 1) // 3 + 1}"


PARCELS: tuple[Truth, ...] = (
    Truth("SY2022-001", "奢岭康养小镇一期", "supplied", "奢岭街道", dt.date(2022, 3, 15), "tourism",
          "旅游用地", (125.5927, 43.7021), (0.012, 0.008)),
    Truth("SY2022-002", "双阳经开区装备制造园", "supplied", "平湖街道", dt.date(2022, 5, 20),
          "industrial", "工业用地", (125.6280, 43.4391), (0.015, 0.010)),
    Truth("SY2022-003", "鹿乡梅花鹿产业园", "in_acquisition", "鹿乡镇", dt.date(2022, 6, 2),
          "industrial", "工业用地", (125.5243, 43.5117), (0.010, 0.010)),
    Truth("SY2022-004", "云山商业综合体", "planned", "云山街道", dt.date(2022, 8, 9), "commercial",
          "商业用地", (125.6312, 43.5087), (0.006, 0.005)),
    Truth("SY2022-005", "山河物流园", "supplied", "山河街道", dt.date(2022, 9, 30), "logistics",
          "物流仓储用地", (125.7362, 43.3657), (0.011, 0.009)),
    Truth("SY2022-006", "太平回迁安置小区", "supplied", "太平镇", dt.date(2022, 11, 11),
          "residential", "城镇住宅用地", (125.8400, 43.4505), (0.008, 0.006)),
    Truth("SY2022-007", "齐家乡村振兴示范区", "planned", "齐家镇", dt.date(2023, 1, 18),
          "agricultural", "农业设施建设用地", (125.7736, 43.6664), (0.009, 0.009)),
    Truth("SY2022-008", "双营子民族文化街", "supplied", "双营子回族乡", dt.date(2022, 12, 1),
          "commercial", "商业用地", (125.6553, 43.6496), (0.007, 0.005)),
    Truth("SY2022-009", "长双快速路连接线", "in_acquisition", "奢岭街道", dt.date(2022, 4, 7),
          "transport", "公路用地", (125.6200, 43.7200), (0.020, 0.003)),
    Truth("SY2022-010", "平湖学校扩建", "supplied", "平湖街道", dt.date(2022, 7, 1), "public",
          "教育用地", (125.6000, 43.4500), (0.005, 0.004)),
    Truth("SY2022-011", "奢岭冰雪运动基地", "unknown", "奢岭街道", dt.date(2022, 10, 26), "tourism",
          "旅游用地", (125.5600, 43.6800), (0.010, 0.007)),
    Truth("SY2022-012", "鹿乡农产品冷链仓", "supplied", "鹿乡镇", dt.date(2022, 2, 14), "logistics",
          "物流仓储用地", (125.5000, 43.4800), (0.006, 0.006)),
)

# What the bureaus write for each status code; the last parcel's word is not a known one.
STATUS_WORDS = {
    "chinese": {"supplied": "已出让", "in_acquisition": "征收中", "planned": "拟供地",
                "unknown": "已批未供"},
    "pinyin": {"supplied": "已划拨", "in_acquisition": "在征", "planned": "拟出让",
               "unknown": "已批未供"},
    "xlsx": {"supplied": "已成交", "in_acquisition": "征收中", "planned": "计划供地",
             "unknown": "已批未供"},
    "english": {"supplied": "Supplied", "in_acquisition": "In acquisition",
                "planned": "Planned", "unknown": "On hold"},
}
SHORT_TOWNS = {
    "奢岭街道": "奢岭", "平湖街道": "平湖", "鹿乡镇": "鹿乡", "云山街道": "云山",
    "山河街道": "山河", "太平镇": "太平", "齐家镇": "齐家", "双营子回族乡": "双营子乡",
}
ENGLISH_TOWNS = {
    "奢岭街道": "Sheling", "平湖街道": "Pinghu", "鹿乡镇": "Luxiang", "云山街道": "Yunshan",
    "山河街道": "Shanhe", "太平镇": "Taiping", "齐家镇": "Qijia", "双营子回族乡": "Shuangyingzi",
}
USE_CODES = {"旅游用地": "0903", "工业用地": "1001", "商业用地": "0901", "物流仓储用地": "1101",
             "城镇住宅用地": "0701", "农业设施建设用地": "0601", "公路用地": "1202",
             "教育用地": "0804"}
HECTARES_PER = {"ha": 1.0, "mu": 1 / 15, "m2": 1e-4}


def declared(truth_index: int, unit: str, decimals: int) -> float:
    """The declared area in ``unit``: the measured one, 5 % more for the flagged parcel."""
    ha = PARCELS[truth_index].hectares * (OFF_BY if truth_index == FLAGGED else 1.0)
    return round(ha / HECTARES_PER[unit], decimals)


def _frame(columns: dict[str, list], crs: int) -> gpd.GeoDataFrame:
    frame = gpd.GeoDataFrame(columns, geometry=[p.geometry for p in PARCELS], crs=4326)
    return frame.to_crs(crs)


def chinese_shapefile(folder: Path) -> Path:
    """地块编号 … in a zipped GBK Shapefile without .cpg, GK zone 42 with the prefix."""
    folder.mkdir(parents=True, exist_ok=True)
    words = STATUS_WORDS["chinese"]
    frame = _frame(
        {
            "地块编号": [p.id for p in PARCELS],
            "项目名称": [p.name for p in PARCELS],
            "土地用途": [p.use_text for p in PARCELS],
            "供地状态": [words[p.status] for p in PARCELS],
            "供地日期": [f"{p.date.year}/{p.date.month}/{p.date.day}" for p in PARCELS],
            "所在乡镇": [SHORT_TOWNS[p.town] for p in PARCELS],
            "批准面积": [declared(i, "ha", 4) for i in range(len(PARCELS))],
        },
        4530,
    )
    shp = folder / "shp"
    shp.mkdir(parents=True, exist_ok=True)
    frame.to_file(shp / "供地台账.shp", encoding="GBK")
    for cpg in shp.glob("*.cpg"):
        cpg.unlink()
    _clear_language_byte(shp / "供地台账.dbf")
    path = folder / "供地台账.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for part in sorted(shp.iterdir()):
            archive.write(part, part.name)
    return path


def _clear_language_byte(dbf: Path) -> None:
    """Desktop GIS of the region often leaves the DBF language-driver byte empty."""
    data = bytearray(dbf.read_bytes())
    data[29] = 0
    dbf.write_bytes(bytes(data))


def pinyin_geopackage(folder: Path) -> Path:
    """DKBH, XMMC … in a GeoPackage, zone 42 without the prefix, free-text dates, 亩."""
    folder.mkdir(parents=True, exist_ok=True)
    words = STATUS_WORDS["pinyin"]
    dates = []
    for i, p in enumerate(PARCELS):
        forms = (f"{p.date.year}年{p.date.month}月{p.date.day}日", p.date.strftime("%Y%m%d"))
        dates.append(forms[i % 2])
    frame = _frame(
        {
            "DKBH": [p.id for p in PARCELS],
            "XMMC": [p.name for p in PARCELS],
            "TDYT": [USE_CODES[p.use_text] for p in PARCELS],
            "GDZT": [words[p.status] for p in PARCELS],
            "GDRQ": dates,
            "XZQMC": [f"双阳区{p.town}" for p in PARCELS],
            "PZMJ": [declared(i, "mu", 2) for i in range(len(PARCELS))],
        },
        4551,
    )
    path = folder / "gdtz_2022.gpkg"
    frame.to_file(path, layer="gdtz")
    return path


def xlsx_ledger(folder: Path) -> Path:
    """An Excel ledger: 宗地编号, WKT in lon/lat, real Excel dates, areas in 平方米."""
    folder.mkdir(parents=True, exist_ok=True)
    words = STATUS_WORDS["xlsx"]
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["宗地编号", "项目名称", "用地性质", "状态", "供地时间", "乡镇",
                  "用地面积（平方米）", "WKT"])
    for i, p in enumerate(PARCELS):
        sheet.append([p.id, p.name, p.use_text, words[p.status], p.date, SHORT_TOWNS[p.town],
                      declared(i, "m2", 0), p.geometry.wkt])
    path = folder / "供地台账.xlsx"
    book.save(path)
    return path


def english_geojson(folder: Path) -> Path:
    """English names in GeoJSON: parcel_id, project, land_use, supply_status …"""
    folder.mkdir(parents=True, exist_ok=True)
    words = STATUS_WORDS["english"]
    frame = _frame(
        {
            "parcel_id": [p.id for p in PARCELS],
            "project": [p.name for p in PARCELS],
            "land_use": [p.use_text for p in PARCELS],
            "supply_status": [words[p.status] for p in PARCELS],
            "supply_date": [p.date.isoformat() for p in PARCELS],
            "town": [ENGLISH_TOWNS[p.town] for p in PARCELS],
            "area_ha": [declared(i, "ha", 4) for i in range(len(PARCELS))],
        },
        4326,
    )
    path = folder / "land_supply.geojson"
    frame.to_file(path, driver="GeoJSON")
    return path


LAYOUTS = {
    "chinese_shapefile": chinese_shapefile,
    "pinyin_geopackage": pinyin_geopackage,
    "xlsx_ledger": xlsx_ledger,
    "english_geojson": english_geojson,
}


# A code-only ledger says 0903 (娱乐用地) where others write 旅游用地: the 2023 classification
# has no tourism class, so those parcels are commercial there.
USE_AS_CODED = {"tourism": "commercial"}


def expected_by(key: str, remap: dict[str, str] | None = None) -> dict[str, float]:
    """Hectares per value of a truth attribute (status, town, quarter, use)."""
    totals: dict[str, float] = {}
    for p in PARCELS:
        value = getattr(p, key)
        value = (remap or {}).get(value, value)
        totals[value] = totals.get(value, 0.0) + p.hectares
    return totals


def total_hectares() -> float:
    return float(np.sum([p.hectares for p in PARCELS]))
