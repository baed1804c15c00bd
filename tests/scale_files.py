"""A land bureau's parcel ledger at a district's size, built by the tests and benchmarks.

``count`` parcels of 20 vertices each (19 corners and the closing one: 100,000 parcels
make two million vertices) on a grid over the district, each a slightly irregular
19-gon of 0.3 to 1.4 ha inside its own cell, so no two overlap and every one lies in the
district. The columns are a bureau's Chinese ones (地块编号, 项目名称, 土地用途, 供地状态,
供地日期, 所在乡镇, 批准面积) with its words: status words, short town names, dates
written ``2022/5/20``, declared areas in 公顷 equal to the measured ones to the fourth
decimal. The file is a GeoPackage in CGCS2000 Gauss-Krüger zone 42 with the "42" prefix
(EPSG:4530), the way bureaus hand them over.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

CORNERS = 19  # plus the closing vertex: 20 per parcel
STATUS_WORDS = ("已出让", "已划拨", "征收中", "拟供地")
SHORT_TOWNS = ("奢岭", "平湖", "鹿乡", "云山", "山河", "太平", "齐家", "双营子乡")
USES = ("工业用地", "商业用地", "城镇住宅用地", "物流仓储用地", "教育用地", "公路用地")


def district_cells(count: int, seed: int = 20220) -> tuple[np.ndarray, np.ndarray, float]:
    """Centres (lon, lat) of ``count`` grid cells well inside the district, and the cell
    size in degrees of latitude."""
    from geo_app.validation import district_boundary

    boundary = district_boundary()
    assert boundary is not None
    inner = shapely.buffer(boundary, -0.004)
    shapely.prepare(inner)
    west, south, east, north = inner.bounds
    # 1,675 km² of district; cells about 1.5 ha each leave room for 100,000 and more.
    cell = float(np.sqrt(inner.area / (count * 1.25)))
    while True:
        xs = np.arange(west + cell / 2, east, cell / 0.73)
        ys = np.arange(south + cell / 2, north, cell)
        gx, gy = np.meshgrid(xs, ys)
        gx, gy = gx.ravel(), gy.ravel()
        keep = shapely.contains_xy(inner, gx, gy)
        if keep.sum() >= count:
            break
        cell *= 0.95
    rng = np.random.default_rng(seed)
    chosen = np.sort(rng.choice(np.flatnonzero(keep), size=count, replace=False))
    return gx[chosen], gy[chosen], cell


def parcel_polygons(count: int, seed: int = 20220) -> np.ndarray:
    """``count`` non-overlapping 19-gons in lon/lat, file order north-west to south-east."""
    cx, cy, cell = district_cells(count, seed)
    rng = np.random.default_rng(seed + 1)
    angles = np.linspace(0, 2 * np.pi, CORNERS, endpoint=False)
    radius = cell * 0.5 * rng.uniform(0.55, 0.95, size=(count, 1))
    wobble = rng.uniform(0.85, 1.0, size=(count, CORNERS))
    xs = cx[:, None] + radius * wobble * np.cos(angles) / 0.73
    ys = cy[:, None] + radius * wobble * np.sin(angles)
    rings = np.stack([xs, ys], axis=2)
    rings = np.concatenate([rings, rings[:, :1]], axis=1)
    return shapely.polygons(rings)


def bureau_frame(count: int, seed: int = 20220) -> gpd.GeoDataFrame:
    """The ledger in lon/lat, with the bureau's columns."""
    from geo_app.geodesy import hectares

    polygons = parcel_polygons(count, seed)
    index = np.arange(count)
    rng = np.random.default_rng(seed + 2)
    months = rng.integers(1, 13, count)
    days = rng.integers(1, 29, count)
    dates = [f"2022/{m}/{d}" for m, d in zip(months.tolist(), days.tolist(), strict=True)]
    return gpd.GeoDataFrame(
        {
            "地块编号": pd.array([f"SY2022-{i:06d}" for i in index], dtype=object),
            "项目名称": [f"双阳区供地项目{i}号" for i in index],
            "土地用途": np.array(USES, dtype=object)[index % len(USES)],
            "供地状态": np.array(STATUS_WORDS, dtype=object)[rng.integers(0, 4, count)],
            "供地日期": dates,
            "所在乡镇": np.array(SHORT_TOWNS, dtype=object)[index % len(SHORT_TOWNS)],
            "批准面积": np.round(hectares(polygons), 4),
        },
        geometry=polygons,
        crs="EPSG:4326",
    )


def bureau_geopackage(path: Path, count: int, seed: int = 20220) -> Path:
    """The ledger written as a bureau would: a GeoPackage in EPSG:4530."""
    path.parent.mkdir(parents=True, exist_ok=True)
    bureau_frame(count, seed).to_crs(4530).to_file(path, layer="供地台账", driver="GPKG")
    return path
