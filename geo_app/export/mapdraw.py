"""Drawing catalog layers on a matplotlib axes in the Gauss-Krüger plane (EPSG:4551).

The print map follows the web map's style: the catalog's colours and widths, and the web
map's accuracy rules (approximate and schematic features are dotted or dashed and drawn
fainter). Leaflet's CSS pixels become points at 96 px per inch. Drawing is done with one
collection per layer, which keeps large layers fast.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection, PathCollection
from matplotlib.colors import to_rgba
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.path import Path

from geo_app.catalog import LayerSpec, LayerStyle
from geo_app.crs import GK126, WGS84, Converter
from geo_app.i18n import load_strings
from geo_app.mapview.display import display_rules

# Leaflet sizes are CSS pixels; CSS fixes 96 px to the inch and print uses 72 pt to the inch.
POINTS_PER_CSS_PIXEL = 72.0 / 96.0
TO_PLANE = Converter(WGS84, GK126)
# A polygon layer of more features than this is dense on paper (a district's parcels are a
# few tenths of a millimetre each): its outlines are drawn this thin, in points.
DENSE_POLYGONS = 5000
DENSE_LINE_WIDTH_PT = 0.15


@dataclass(frozen=True)
class DrawnLayer:
    spec: LayerSpec
    feature_count: int
    # (value, words) of ``style.color_by`` among the drawn features, for the legend.
    colour_values: tuple[tuple[str, str], ...]
    accuracy_levels: tuple[str, ...]


def to_plane(geometries: Sequence[Any] | np.ndarray) -> np.ndarray:
    """Lon/lat shapely geometries to EPSG:4551 easting/northing (metres)."""
    return shapely.transform(np.asarray(geometries, dtype=object), TO_PLANE.transform_xy)


def plane_box(bbox: tuple[float, float, float, float], steps: int = 16) -> tuple[float, ...]:
    """Bounds in the plane of a lon/lat box; edges are densified because they bend there."""
    outline = shapely.segmentize(shapely.box(*bbox), max(bbox[2] - bbox[0], 1e-9) / steps)
    return tuple(float(v) for v in shapely.bounds(to_plane([outline])[0]))


def grid_north_angle(lon: float, lat: float) -> float:
    """Degrees from grid north (up on the map) to true north, clockwise positive."""
    x, y = TO_PLANE([lon, lon], [lat, lat + 0.01])
    return math.degrees(math.atan2(x[1] - x[0], y[1] - y[0]))


def dash_pattern(dash_array: str | None, line_width_pt: float) -> tuple | str:
    """A CSS dash-array ("6 4") as a matplotlib line style, lengths scaled like Leaflet's."""
    if not dash_array:
        return "solid"
    try:
        lengths = [float(part) for part in dash_array.replace(",", " ").split()]
    except ValueError:
        return "dashed"
    if not lengths or any(v < 0 for v in lengths) or not any(lengths):
        return "solid"
    if len(lengths) % 2:
        lengths *= 2
    # matplotlib multiplies dash lengths by the line width; Leaflet's are absolute pixels.
    width = max(line_width_pt, 0.1)
    return (0, tuple(v * POINTS_PER_CSS_PIXEL / width for v in lengths))


@dataclass(frozen=True)
class AccuracyLook:
    dash_array: str | None
    opacity: float
    fill_opacity: float


def accuracy_look(spec: LayerSpec, accuracy: Any) -> AccuracyLook:
    """How a feature of this accuracy is drawn: the web map's rule over the layer's style.

    As on the web map, points are never dashed and a point layer without a fill colour
    takes the default point fill opacity.
    """
    style = spec.style
    rule = display_rules().accuracy.get(str(accuracy), {})
    point = spec.geometry == "point"
    fill_opacity = style.fill_opacity
    if point and not style.fill_color:
        fill_opacity = float(display_rules().points.get("fill_opacity", fill_opacity))
    return AccuracyLook(
        dash_array=None if point else (rule.get("dash_array") or style.dash_array),
        opacity=float(rule.get("opacity_factor", 1.0)),
        fill_opacity=fill_opacity * float(rule.get("fill_opacity_factor", 1.0)),
    )


def accuracy_dash(level: str) -> str | None:
    return display_rules().accuracy.get(level, {}).get("dash_array")


def _polygon_path(polygon: shapely.Polygon) -> Path:
    return _rings_path(np.asarray([polygon], dtype=object))


def _rings_path(polygons: np.ndarray) -> Path:
    """One compound path of every ring of ``polygons`` (single polygons, holes wound
    against their exterior): each ring starts with a move and ends closed, so under the
    non-zero fill rule holes stay open and neighbours never cancel each other."""
    rings = shapely.get_rings(polygons)
    coords, ring_of = shapely.get_coordinates(rings, return_index=True)
    codes = np.full(len(coords), Path.LINETO, dtype=Path.code_type)
    if len(coords):
        starts = np.flatnonzero(np.r_[True, ring_of[1:] != ring_of[:-1]])
        ends = np.r_[starts[1:] - 1, len(coords) - 1]
        codes[starts], codes[ends] = Path.MOVETO, Path.CLOSEPOLY
    return Path(coords[:, :2], codes)


def _parts(geometry: Any) -> list[Any]:
    return list(shapely.get_parts(geometry))


def draw_layer(
    ax: Axes,
    spec: LayerSpec,
    geometries: np.ndarray,
    properties: Sequence[Mapping[str, Any]],
    zorder: float,
    lang: str = "zh",
) -> DrawnLayer:
    """Draw one layer's (already projected) geometries with its catalog style."""
    style = spec.style
    width = style.weight * POINTS_PER_CSS_PIXEL
    # A layer has a handful of looks and colours: each worked out once, not per feature.
    look_of = functools.cache(lambda accuracy: accuracy_look(spec, accuracy))
    rgba = functools.cache(to_rgba)
    looks = [look_of(_hashable(props.get("accuracy"))) for props in properties]
    strokes = [
        rgba(style.colour_for(props), look.opacity)
        for props, look in zip(properties, looks, strict=True)
    ]
    fills = [
        rgba(style.fill_for(props), look.fill_opacity)
        for props, look in zip(properties, looks, strict=True)
    ]
    if spec.geometry == "polygon":
        dashes = [look.dash_array for look in looks]
        _draw_polygons(ax, geometries, strokes, fills, dashes, width, zorder)
    elif spec.geometry == "line":
        dashes = [look.dash_array for look in looks]
        _draw_lines(ax, geometries, strokes, dashes, width, zorder)
    else:
        _draw_points(ax, style, geometries, strokes, fills, width, zorder)
    values: dict[str, Mapping[str, Any]] = {}
    if style.color_by:
        for props in properties:
            value = props.get(style.color_by)
            # Rows come from a DataFrame: a property some features lack reads as NaN.
            if isinstance(value, str) or (value is not None and value == value):
                values.setdefault(str(value), props)
    colour_values = tuple(
        (value, value_label(style.color_by or "", value, props, lang))
        for value, props in values.items()
    )
    levels = {str(props.get("accuracy")) for props in properties}
    return DrawnLayer(spec, len(properties), colour_values, tuple(sorted(levels)))


def _hashable(value: Any) -> Any:
    """A property value usable as a cache key (a list or a table as its text)."""
    try:
        hash(value)
    except TypeError:
        return str(value)
    return value


def value_label(field_name: str, value: str, properties: Mapping[str, Any], lang: str) -> str:
    """A property value in words, as the web map's legend names it (``palette.<field>.<value>``
    in the string table), else the feature's own ``<field>_<lang>`` text, else the value."""
    strings = load_strings()
    key = f"palette.{field_name}.{value}"
    if key in strings:
        return strings.get(key, lang)
    own = properties.get(f"{field_name}_{lang}")
    if isinstance(own, str) and own:
        return own
    return value.replace("_", " ")


def _draw_polygons(ax, geometries, strokes, fills, dashes, width, zorder) -> None:
    """One compound path per look (stroke, fill, dash), not one per feature: a PDF of
    100,000 parcels is then a few paths the viewer fills at once. In a dense layer the
    outlines are drawn hairline-thin, so small parcels show as their fill colour rather
    than as a tangle of borders."""
    looks: dict[tuple, list[int]] = {}
    for index, look in enumerate(zip(strokes, fills, dashes, strict=True)):
        looks.setdefault(look, []).append(index)
    parts, owner = shapely.get_parts(np.asarray(geometries, dtype=object), return_index=True)
    # Holes wound against their exterior are cut out under any fill rule.
    parts = shapely.orient_polygons(parts)
    keep = ~shapely.is_empty(parts)
    parts, owner = parts[keep], owner[keep]
    if not len(parts):
        return
    line_width = min(width, DENSE_LINE_WIDTH_PT) if len(geometries) > DENSE_POLYGONS else width
    by_feature = np.empty(len(geometries), dtype=np.int64)
    paths, faces, edges, styles = [], [], [], []
    for number, ((stroke, fill, dash), members) in enumerate(looks.items()):
        by_feature[members] = number
        faces.append(fill)
        edges.append(stroke)
        styles.append(dash_pattern(dash, line_width))
    look_of_part = by_feature[owner]
    for number in range(len(faces)):
        paths.append(_rings_path(parts[look_of_part == number]))
    ax.add_collection(
        PathCollection(
            paths,
            facecolors=faces,
            edgecolors=edges,
            linewidths=line_width,
            linestyles=styles,
            zorder=zorder,
        ),
        autolim=False,
    )


def _draw_lines(ax, geometries, colours, dashes, width, zorder) -> None:
    segments, edges, styles = [], [], []
    for geometry, colour, dash in zip(geometries, colours, dashes, strict=True):
        for part in _parts(geometry):
            segments.append(np.asarray(part.coords)[:, :2])
            edges.append(colour)
            styles.append(dash_pattern(dash, width))
    if segments:
        ax.add_collection(
            LineCollection(
                segments,
                colors=edges,
                linewidths=width,
                linestyles=styles,
                capstyle="round",
                joinstyle="round",
                zorder=zorder,
            ),
            autolim=False,
        )


def _point_radius(style: LayerStyle) -> float:
    return float(style.radius or display_rules().points.get("radius", 6))


def _point_size(style: LayerStyle) -> float:
    diameter = 2.0 * _point_radius(style) * POINTS_PER_CSS_PIXEL
    return diameter**2


def _draw_points(ax, style, geometries, strokes, fills, width, zorder) -> None:
    xy = shapely.get_coordinates(list(geometries))
    counts = [len(_parts(g)) for g in geometries]
    if not len(xy):
        return
    edge = [colour for colour, n in zip(strokes, counts, strict=True) for _ in range(n)]
    face = [fill for fill, n in zip(fills, counts, strict=True) for _ in range(n)]
    ax.scatter(
        xy[:, 0],
        xy[:, 1],
        s=_point_size(style),
        c=face,
        edgecolors=edge,
        linewidths=max(width * 0.6, 0.5),
        zorder=zorder,
    )


@dataclass(frozen=True)
class LegendEntry:
    handle: Artist
    label: str
    # A heading line (the layer name above its colour classes) has no symbol of its own.
    is_heading: bool = False


def legend_entries(drawn: Sequence[DrawnLayer], lang: str) -> list[LegendEntry]:
    """One entry per layer; a layer coloured by a property gets a heading and one per class."""
    entries: list[LegendEntry] = []
    for layer in drawn:
        style = layer.spec.style
        name = layer.spec.name(lang)
        if style.color_by and layer.colour_values:
            entries.append(LegendEntry(Patch(facecolor="none", edgecolor="none"), name, True))
            for value, words in layer.colour_values:
                colour = style.palette.get(value, style.color)
                entries.append(LegendEntry(_handle(layer.spec, style, colour, colour), words))
        else:
            handle = _handle(layer.spec, style, style.color, style.fill_color or style.color)
            entries.append(LegendEntry(handle, name))
    return entries


def _handle(spec: LayerSpec, style: LayerStyle, colour: str, fill: str) -> Artist:
    width = style.weight * POINTS_PER_CSS_PIXEL
    linestyle = dash_pattern(style.dash_array, width)
    if spec.geometry == "polygon":
        return Patch(
            facecolor=to_rgba(fill, style.fill_opacity),
            edgecolor=colour,
            linewidth=width,
            linestyle=linestyle,
        )
    if spec.geometry == "line":
        return Line2D([], [], color=colour, linewidth=width, linestyle=linestyle)
    return Line2D(
        [],
        [],
        linestyle="none",
        marker="o",
        markersize=math.sqrt(_point_size(style)),
        markerfacecolor=to_rgba(fill, accuracy_look(spec, "surveyed").fill_opacity),
        markeredgecolor=colour,
    )


def accuracy_handle(level: str) -> Line2D:
    width = 1.2
    return Line2D([], [], color="#555555", linewidth=width,
                  linestyle=dash_pattern(accuracy_dash(level), width))
