"""界址点坐标 text: the parcel-boundary coordinate files Chinese land surveys exchange.

Layout (GBK or UTF-8)::

    [属性描述]
    坐标系=2000国家大地坐标系
    几度分带=3
    投影类型=高斯克吕格
    计量单位=米
    带号=42
    [地块坐标]
    5,1.2345,DK-01,示例地块,面,,工业用地,0601,@
    J1,1,4819123.456,42553123.456
    ...

A parcel line ends in ``@``: 界址点数, 地块面积, 地块编号, 地块名称, 图形属性, 图幅号,
地块用途, 地类编码. Point lines are 点号, 圈号, X, Y, where X is the northing and Y the
easting (with the zone number in front when the file uses one). 圈号 1 is the outer
boundary; other rings inside it are holes, and a ring outside it is read as another part
of the parcel (and said). The coordinate system comes from the header; without one, the
numbers are recognised the same way as in any other file.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from geo_app.crs import CoordinateSystem, parse_crs
from geo_app.problems import Problem, error, warning, words
from geo_app.reading.base import (
    RawLayer,
    ReadLimits,
    VertexBudget,
    check_feature_count,
    file_error,
)

FORMAT_NAME = "界址点坐标 TXT"
HEADER_SECTION = "属性描述"
PARCEL_SECTION = "地块坐标"
PARCEL_FIELDS = (
    "界址点数",
    "地块面积",
    "地块编号",
    "地块名称",
    "图形属性",
    "图幅号",
    "地块用途",
    "地类编码",
)
# Share by which a declared area may differ from the measured plane area before we say so.
AREA_TOLERANCE = 0.01


def looks_like_jzd(head: bytes) -> bool:
    for encoding in ("utf-8", "gb18030"):
        text = head.decode(encoding, errors="ignore")
        if f"[{PARCEL_SECTION}]" in text or f"[{HEADER_SECTION}]" in text:
            return True
    return False


def decode_text(data: bytes) -> tuple[str, str]:
    """The text and the name of its encoding: UTF-8 when it is valid UTF-8, else GBK."""
    try:
        return data.decode("utf-8-sig"), "UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        # GB18030 is the superset of GBK; every GBK file decodes the same way.
        return data.decode("gb18030"), "GBK"
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise file_error("unknown_encoding", line=line) from None


# --- the coordinate system ---------------------------------------------------------------

# (first EPSG code, first zone) of each datum's Gauss-Krüger series, by zone width and
# whether eastings carry the zone number; codes run on one per zone.
_GK_SERIES: dict[tuple[str, int, bool], tuple[int, int]] = {
    ("cgcs2000", 3, True): (4513, 25),
    ("cgcs2000", 3, False): (4534, 25),
    ("cgcs2000", 6, True): (4491, 13),
    ("cgcs2000", 6, False): (4502, 13),
    ("xian1980", 3, True): (2349, 25),
    ("xian1980", 3, False): (2370, 25),
    ("xian1980", 6, True): (2327, 13),
    ("xian1980", 6, False): (2338, 13),
    ("beijing1954", 3, True): (2401, 25),
    ("beijing1954", 3, False): (2422, 25),
    ("beijing1954", 6, True): (21413, 13),
    ("beijing1954", 6, False): (21453, 13),
}
_ZONES = {3: 21, 6: 11}


def gauss_kruger_epsg(datum: str, width: int, zone: int, prefixed: bool) -> int | None:
    series = _GK_SERIES.get((datum, width, prefixed))
    if series is None:
        return None
    first_code, first_zone = series
    if not 0 <= zone - first_zone < _ZONES[width]:
        return None
    return first_code + zone - first_zone


def _datum(text: str) -> str | None:
    if "2000" in text or "CGCS" in text.upper():
        return "cgcs2000"
    if "西安" in text or "80" in text:
        return "xian1980"
    if "北京" in text or "54" in text:
        return "beijing1954"
    return None


def _int(text: str | None) -> int | None:
    try:
        return int(float(text)) if text not in (None, "") else None
    except ValueError:
        return None


def declared_crs(
    header: dict[str, str], eastings: np.ndarray
) -> tuple[CoordinateSystem | None, list[Problem]]:
    """The system the header describes, checked against the eastings; None: recognise it."""
    problems: list[Problem] = []
    if not header:
        return None, problems
    system = header.get("坐标系", "")
    datum = _datum(system)
    if datum is None:
        if system:
            problems.append(warning("jzd_unknown_datum", system=system))
        return None, problems
    projection = header.get("投影类型", "")
    if projection and "高斯" not in projection:
        problems.append(warning("jzd_projection", projection=projection))
        return None, problems
    unit = header.get("计量单位", "米")
    if unit and unit not in ("米", "m", "M", "metre", "meter"):
        problems.append(warning("jzd_unit", unit=unit))
    width = _int(header.get("几度分带")) or 3
    finite = eastings[np.isfinite(eastings)]
    prefixed = bool(finite.size) and bool((finite >= 1e6).all())
    zone = _int(header.get("带号"))
    if prefixed:
        prefix_zone = int(finite[0] // 1e6)
        if zone is not None and zone != prefix_zone:
            raise file_error("jzd_zone_mismatch", zone=zone, prefix_zone=prefix_zone)
        zone = prefix_zone
    if width not in _ZONES or zone is None:
        return None, problems
    epsg = gauss_kruger_epsg(datum, width, zone, prefixed)
    if epsg is None:
        raise file_error("jzd_bad_zone", width=width, zone=zone)
    if datum != "cgcs2000":
        problems.append(warning("old_datum", datum=words(f"datum.{datum}")))
    return parse_crs(f"EPSG:{epsg}"), problems


# --- the text ----------------------------------------------------------------------------


Vertex = tuple[int, float, float]  # (line number, easting, northing)


@dataclass
class _Parcel:
    line: int
    fields: list[str]
    # ring number -> (point line numbers, [easting, northing] pairs), in file order
    rings: dict[str, list[Vertex]] = field(default_factory=dict)
    fault: Problem | None = None


def _lines(text: str) -> Iterator[tuple[int, str]]:
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if stripped:
            yield number, stripped


def _split_sections(text: str) -> tuple[dict[str, str], list[_Parcel], bool]:
    header: dict[str, str] = {}
    parcels: list[_Parcel] = []
    section = None
    saw_parcel_section = False
    for number, line in _lines(text):
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1].strip()
            saw_parcel_section |= section == PARCEL_SECTION
            continue
        if section == HEADER_SECTION:
            key, sep, value = line.partition("=")
            if sep:
                header[key.strip()] = value.strip()
        elif section == PARCEL_SECTION:
            _parcel_line(number, line, parcels)
    return header, parcels, saw_parcel_section


def _parcel_line(number: int, line: str, parcels: list[_Parcel]) -> None:
    fields = [part.strip() for part in line.replace("，", ",").split(",")]
    if fields[-1] == "@":
        parcels.append(_Parcel(number, fields[:-1]))
        return
    if not parcels:
        raise file_error("jzd_point_without_parcel", line=number)
    parcel = parcels[-1]
    if parcel.fault is not None:
        return
    if len(fields) < 4:
        parcel.fault = error("jzd_bad_point", line=number, count=len(fields))
        return
    try:
        northing, easting = float(fields[2]), float(fields[3])
    except ValueError:
        parcel.fault = error(
            "coordinates_as_text.jzd_line", line=number, x=fields[2], y=fields[3]
        )
        return
    if not (np.isfinite(northing) and np.isfinite(easting)):
        parcel.fault = error("not_finite.jzd_line", line=number)
        return
    parcel.rings.setdefault(fields[1] or "1", []).append((number, easting, northing))


def _ring_coords(points: list[Vertex]) -> np.ndarray:
    coords = np.array([(x, y) for _, x, y in points], dtype=float)
    if len(coords) and not np.array_equal(coords[0], coords[-1]):
        coords = np.vstack([coords, coords[:1]])
    return coords


def polygon_from_rings(
    rings: dict[str, list[Vertex]], label: str, line: int
) -> tuple[BaseGeometry | None, list[Problem]]:
    """A parcel's polygon from its numbered rings (``"1"``, else the first, is the outer one).

    Rings are closed when their last point does not repeat the first. Also used for
    coordinate tables with one vertex per row.
    """
    notes: list[Problem] = []
    if not rings:
        return None, [error("jzd_no_points", feature=label, line=line)]
    exterior_key = "1" if "1" in rings else next(iter(rings))
    closed: dict[str, np.ndarray] = {}
    for key, points in rings.items():
        coords = _ring_coords(points)
        distinct = len(np.unique(coords, axis=0))
        if distinct < 3:
            return None, [
                error(
                    "ring_too_few_points.numbered",
                    feature=label,
                    ring=key,
                    count=distinct,
                    line=points[0][0],
                )
            ]
        closed[key] = coords
    shell = shapely.Polygon(closed.pop(exterior_key))
    holes, parts = [], []
    for key, coords in closed.items():
        ring_polygon = shapely.Polygon(coords)
        if shell.is_valid and ring_polygon.is_valid and shell.covers(ring_polygon):
            holes.append(coords)
        else:
            parts.append(ring_polygon)
            notes.append(
                warning("ring_outside_outer", feature=label, ring=key, outer=exterior_key)
            )
    polygon = shapely.Polygon(shell.exterior.coords, holes)
    if parts:
        return shapely.MultiPolygon([polygon, *parts]), notes
    return polygon, notes


def _float(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if np.isfinite(value) else None


def _properties(parcel: _Parcel) -> dict[str, Any]:
    values = dict(zip(PARCEL_FIELDS, parcel.fields + [""] * len(PARCEL_FIELDS), strict=False))
    properties: dict[str, Any] = {
        "id": values["地块编号"] or None,
        "name_zh": values["地块名称"] or None,
        "use_zh": values["地块用途"] or None,
        "land_class_code": values["地类编码"] or None,
        "map_sheet": values["图幅号"] or None,
        "declared_area": _float(values["地块面积"]),
        "boundary_point_count": _int(values["界址点数"]),
    }
    return {key: value for key, value in properties.items() if value is not None}


def _check_declared(
    parcel: _Parcel, properties: dict[str, Any], geometry: BaseGeometry, label: str
) -> list[Problem]:
    notes: list[Problem] = []
    count = properties.get("boundary_point_count")
    found = sum(len(points) for points in parcel.rings.values())
    if count is not None and count != found:
        notes.append(warning("jzd_point_count", feature=label, declared=count, found=found))
    declared = properties.get("declared_area")
    plane_m2 = float(geometry.area)
    # Only metre coordinates give a plane area to compare with.
    in_metres = geometry.bounds[0] > 1000
    if declared and in_metres and plane_m2 > 0:
        as_ha, as_m2 = declared * 10_000, declared
        if min(abs(as_ha - plane_m2), abs(as_m2 - plane_m2)) > AREA_TOLERANCE * plane_m2:
            notes.append(
                warning(
                    "jzd_area_differs",
                    feature=label,
                    declared=f"{declared:g}",
                    plane=f"{plane_m2 / 10_000:.4f}",
                )
            )
    return notes


def read_jzd(path: Path, limits: ReadLimits) -> RawLayer:
    text, encoding = decode_text(path.read_bytes())
    header, parcels, saw_section = _split_sections(text)
    if not saw_section:
        raise file_error("jzd_no_parcels_section", section=PARCEL_SECTION)
    if not parcels:
        raise file_error("no_features.jzd", section=PARCEL_SECTION)
    check_feature_count(len(parcels), limits)
    budget = VertexBudget(limits.max_vertices)
    layer = RawLayer([], [], [], None, FORMAT_NAME, lonlat_by_default=False)
    if encoding == "GBK":
        layer.problems.append(warning("text_encoding"))
    for index, parcel in enumerate(parcels):
        budget.spend(sum(len(points) for points in parcel.rings.values()))
        properties = _properties(parcel)
        label = str(properties.get("id") or f"#{index}")
        geometry, notes = (
            (None, [parcel.fault])
            if parcel.fault
            else polygon_from_rings(parcel.rings, label, parcel.line)
        )
        notes = [_labelled(note, label) for note in notes]
        if geometry is None:
            layer.unreadable_rows.add(index)
        else:
            notes += _check_declared(parcel, properties, geometry, label)
        layer.problems += notes
        layer.geometries.append(geometry)
        layer.properties.append(properties)
        layer.fids.append(index)
    eastings = shapely.get_coordinates(
        np.asarray([g for g in layer.geometries if g is not None], dtype=object)
    )[:, 0]
    layer.declared_crs, crs_notes = declared_crs(header, eastings)
    layer.problems[:0] = crs_notes
    return layer


def _labelled(problem: Problem, label: str) -> Problem:
    return problem if problem.feature is not None else problem.with_feature(label)
