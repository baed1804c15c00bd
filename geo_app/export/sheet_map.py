"""The map frame of the printed sheet: layers, point labels, scale bar, north arrow.

The frame is drawn in the CGCS2000 Gauss-Krüger plane (EPSG:4551), one unit per metre,
so ``matplotlib-scalebar`` measures true ground distance. The north arrow points to true
north at the centre of the map (grid and true north differ by under half a degree here).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import shapely
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.transforms import Bbox
from matplotlib_scalebar.scalebar import ScaleBar

from geo_app.export import mapdraw
from geo_app.export.request import ExportRequest
from geo_app.export.scene import Scene, visible_part
from geo_app.export.sheet import INK, SAMPLE_RED, Rect
from geo_app.fonts import CJKFont
from geo_app.i18n import load_strings

# Simplify drawn outlines to a tenth of a millimetre on paper: invisible, and it keeps
# dense layers fast. Areas are never taken from these shapes.
DRAW_TOLERANCE_INCH = 0.1 / 25.4
LABEL_FONT_PT = 5.5
MAP_BACKGROUND = "#fbfbf8"
# Label positions tried in turn (offset in points, alignment) until one overlaps nothing.
LABEL_SPOTS = (
    ((4.0, 2.0), "left", "bottom"),
    ((-4.0, 2.0), "right", "bottom"),
    ((4.0, -2.0), "left", "top"),
    ((-4.0, -2.0), "right", "top"),
)


def fit_limits(box: Sequence[float], aspect: float) -> tuple[float, float, float, float]:
    """Grow the narrower side of a plane box so it fills an axes of height/width ``aspect``."""
    xmin, ymin, xmax, ymax = box
    width, height = xmax - xmin, ymax - ymin
    if height / width < aspect:
        grow = (width * aspect - height) / 2
        ymin, ymax = ymin - grow, ymax + grow
    else:
        grow = (height / aspect - width) / 2
        xmin, xmax = xmin - grow, xmax + grow
    return xmin, xmax, ymin, ymax


def draw_map(
    figure: Figure, rect: Rect, scene: Scene, request: ExportRequest, font: CJKFont
) -> list[mapdraw.DrawnLayer]:
    """Draw the map frame; returns what was drawn, for the legend."""
    ax, tolerance = map_axes(figure, rect, scene.bbox)
    drawn: list[mapdraw.DrawnLayer] = []
    labels: list[tuple[float, float, str]] = []
    for order, layer in enumerate(scene.layers):
        frame = visible_part(layer.frame, scene.bbox)
        if not len(frame):
            continue
        geometries = mapdraw.to_plane(frame.geometry.values)
        if layer.spec.geometry != "point":
            geometries = shapely.simplify(geometries, tolerance, preserve_topology=True)
        properties = frame.drop(columns=frame.geometry.name).to_dict("records")
        drawn.append(
            mapdraw.draw_layer(ax, layer.spec, geometries, properties, 2 + order, request.lang)
        )
        if layer.spec.geometry == "point":
            labels.extend(_point_labels(geometries, properties, request.lang))
    place_labels(ax, labels, font.properties(LABEL_FONT_PT))
    scale_bar(ax, font)
    north_arrow(ax, scene.bbox, request.lang, font, rect)
    if any(layer.spec.sample_data for layer in drawn):
        sample_stamp(ax, request.lang, font)
    return drawn


def map_axes(
    figure: Figure, rect: Rect, bbox: tuple[float, float, float, float]
) -> tuple[Axes, float]:
    """The map frame in the plane, fitted to the lon/lat ``bbox``; with the tolerance (in
    metres) outlines are simplified to for drawing."""
    ax = figure.add_axes(rect.fraction(figure.get_figwidth(), figure.get_figheight()))
    ax.set_facecolor(MAP_BACKGROUND)
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_linewidth(0.8)
        spine.set_color(INK)
    xmin, xmax, ymin, ymax = fit_limits(mapdraw.plane_box(bbox), rect.h / rect.w)
    ax.set_xlim(xmin, xmax)
    ax.set_ylim(ymin, ymax)
    # The limits already fill the box at equal scale; this records it for the scale bar.
    ax.set_aspect("equal", adjustable="datalim")
    return ax, (xmax - xmin) / rect.w * DRAW_TOLERANCE_INCH


def _point_labels(
    geometries: Sequence[Any], properties: Sequence[Mapping[str, Any]], lang: str
) -> list[tuple[float, float, str]]:
    labels = []
    for geometry, props in zip(geometries, properties, strict=True):
        name = props.get(f"name_{lang}") or props.get("name_zh")
        if name:
            point = shapely.get_point(geometry, 0) if geometry.geom_type != "Point" else geometry
            labels.append((point.x, point.y, str(name)))
    return labels


def place_labels(
    ax: Axes, labels: Sequence[tuple[float, float, str]], label_font: FontProperties
) -> None:
    """Put each label at the first spot that overlaps no earlier label; else leave it out.
    Labels are plain text (a ``$`` in a name is never read as mathematics)."""
    renderer = ax.figure.canvas.get_renderer()
    frame = ax.get_window_extent(renderer)
    placed: list[Bbox] = []
    for x, y, name in labels:
        for offset, ha, va in LABEL_SPOTS:
            text = ax.annotate(name, (x, y), xytext=offset, textcoords="offset points",
                               ha=ha, va=va, fontproperties=label_font, color=INK, zorder=50,
                               annotation_clip=True, parse_math=False)
            box = text.get_window_extent(renderer)
            inside = frame.contains(box.x0, box.y0) and frame.contains(box.x1, box.y1)
            if inside and not any(box.overlaps(other) for other in placed):
                placed.append(box)
                break
            text.remove()


def scale_bar(ax: Axes, font: CJKFont) -> None:
    ax.add_artist(
        ScaleBar(
            1.0,
            "m",
            location="lower left",
            length_fraction=0.22,
            box_alpha=0.8,
            color=INK,
            font_properties={"family": font.family, "size": 7},
        )
    )


def north_arrow(
    ax: Axes, bbox: tuple[float, float, float, float], lang: str, font: CJKFont, rect: Rect
) -> None:
    centre_lon = (bbox[0] + bbox[2]) / 2
    centre_lat = (bbox[1] + bbox[3]) / 2
    angle = math.radians(mapdraw.grid_north_angle(centre_lon, centre_lat))
    length_in = 0.45
    base = (1.0 - 0.35 / rect.w, 1.0 - 0.75 / rect.h)
    tip = (
        base[0] + length_in * math.sin(angle) / rect.w,
        base[1] + length_in * math.cos(angle) / rect.h,
    )
    ax.annotate(
        "",
        xy=tip,
        xytext=base,
        xycoords="axes fraction",
        arrowprops={"arrowstyle": "-|>,head_length=0.8,head_width=0.35", "color": INK, "lw": 1.6},
        zorder=60,
    )
    ax.text(tip[0], tip[1] + 0.05 / rect.h, load_strings().get("export.page.north", lang),
            transform=ax.transAxes, ha="center", va="bottom", color=INK,
            fontproperties=font.properties(10, "bold"), zorder=60)


def sample_stamp(ax: Axes, lang: str, font: CJKFont) -> None:
    ax.text(0.012, 0.985, load_strings().get("export.page.sample_stamp", lang),
            transform=ax.transAxes, ha="left", va="top", color=SAMPLE_RED, zorder=60,
            fontproperties=font.properties(9, "bold"),
            bbox={"boxstyle": "square,pad=0.35", "facecolor": "white",
                  "edgecolor": SAMPLE_RED, "linewidth": 1.0})
