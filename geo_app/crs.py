"""Coordinate systems planners use around Shuangyang, as explicit objects.

``CoordinateSystem`` names one system; ``Converter`` moves coordinates between two of them.
GCJ-02 is not an EPSG system: it is WGS84 shifted by a published formula, so conversions
through it go via WGS84 (see :mod:`geo_app.gcj02`). WGS84 and CGCS2000 agree to a few
centimetres here and PROJ treats the step between them as a null transformation.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numpy.typing import ArrayLike, NDArray
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError

from geo_app import gcj02
from geo_app.problems import KeyedError


class UnknownCRSError(KeyedError):
    """A coordinate-system name that is neither an alias nor a valid EPSG/PROJ definition.

    ``key`` names its words in strings.toml; ``str()`` gives the English.
    """

    exit_code = 2


@dataclass(frozen=True)
class CoordinateSystem:
    key: str
    label_zh: str
    label_en: str
    # The EPSG code PROJ works in; for GCJ-02 it is WGS84 plus the formula shift.
    epsg: int
    is_gcj02: bool = False

    @property
    def pyproj_crs(self) -> CRS:
        return _crs_from_epsg(self.epsg)

    @property
    def is_geographic(self) -> bool:
        return self.pyproj_crs.is_geographic

    def __str__(self) -> str:
        return self.key


WGS84 = CoordinateSystem("wgs84", "WGS84 经纬度", "WGS84 lon/lat", 4326)
CGCS2000 = CoordinateSystem("cgcs2000", "CGCS2000 经纬度", "CGCS2000 lon/lat", 4490)
GK42 = CoordinateSystem(
    "gk42", "CGCS2000 3度带高斯-克吕格 第42带（带号）", "CGCS2000 3° GK zone 42 (zone prefix)", 4530
)
GK126 = CoordinateSystem(
    "gk126",
    "CGCS2000 3度带高斯-克吕格 中央经线126°E（无带号）",
    "CGCS2000 3° GK CM 126°E (no prefix)",
    4551,
)
WEB_MERCATOR = CoordinateSystem("webmerc", "Web墨卡托", "Web Mercator", 3857)
GCJ02 = CoordinateSystem("gcj02", "GCJ-02（高德/腾讯）", "GCJ-02 (AutoNavi/Tencent)", 4326, True)

NAMED_SYSTEMS: dict[str, CoordinateSystem] = {
    cs.key: cs for cs in (WGS84, CGCS2000, GK42, GK126, WEB_MERCATOR, GCJ02)
}


@lru_cache(maxsize=64)
def _crs_from_epsg(epsg: int) -> CRS:
    return CRS.from_epsg(epsg)


def parse_crs(text: str | CoordinateSystem) -> CoordinateSystem:
    """Accept an alias (``wgs84``, ``gk42`` …), ``EPSG:NNNN`` or a bare EPSG number."""
    if isinstance(text, CoordinateSystem):
        return text
    name = str(text).strip().lower()
    if name in NAMED_SYSTEMS:
        return NAMED_SYSTEMS[name]
    code = name.removeprefix("epsg:")
    if not code.isdigit():
        raise UnknownCRSError("crs.unknown_name", name=text, names=", ".join(NAMED_SYSTEMS))
    epsg = int(code)
    for cs in NAMED_SYSTEMS.values():
        if cs.epsg == epsg and not cs.is_gcj02:
            return cs
    try:
        crs = _crs_from_epsg(epsg)
    except CRSError as exc:
        raise UnknownCRSError("crs.unknown_epsg", epsg=epsg) from exc
    return CoordinateSystem(f"epsg:{epsg}", crs.name, crs.name, epsg)


def from_pyproj(crs: CRS | None) -> CoordinateSystem | None:
    """The CoordinateSystem for a CRS read from a file, or None when the file had none."""
    if crs is None:
        return None
    epsg = crs.to_epsg(min_confidence=70)
    if epsg is None:
        raise UnknownCRSError("crs.no_epsg", name=crs.name)
    return parse_crs(f"EPSG:{epsg}")


@lru_cache(maxsize=64)
def _transformer(src_epsg: int, dst_epsg: int) -> Transformer:
    # always_xy: lon/lat and easting/northing order, whatever the EPSG axis order says.
    return Transformer.from_crs(src_epsg, dst_epsg, always_xy=True)


class Converter:
    """Converts coordinate arrays from one system to another.

    Inputs and outputs are in x/y order: lon, lat for geographic systems and
    easting, northing for projected ones (EPSG:4530/4551 list northing first; we do not).
    """

    def __init__(self, source: str | CoordinateSystem, target: str | CoordinateSystem):
        self.source = parse_crs(source)
        self.target = parse_crs(target)

    def __call__(self, x: ArrayLike, y: ArrayLike) -> tuple[NDArray, NDArray]:
        x = np.asarray(x, dtype=float)
        y = np.asarray(y, dtype=float)
        if self.source.is_gcj02:
            x, y = gcj02.gcj02_to_wgs84(x, y)
        if self.source.epsg != self.target.epsg:
            x, y = _transformer(self.source.epsg, self.target.epsg).transform(x, y)
            x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
        if self.target.is_gcj02:
            x, y = gcj02.wgs84_to_gcj02(x, y)
        return x, y

    def transform_xy(self, coords: NDArray) -> NDArray:
        """For ``shapely.transform``: an (N, 2) array in, an (N, 2) array out."""
        x, y = self(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    def __repr__(self) -> str:
        return f"Converter({self.source.key!r} -> {self.target.key!r})"
