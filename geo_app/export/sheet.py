"""Where things sit on the printed sheet, in inches from the lower-left corner.

Landscape sheets put the legend and land-supply box in a column right of the map;
portrait sheets put them side by side under it. Notes run full width at the bottom.
"""

from __future__ import annotations

from dataclasses import dataclass

from geo_app.export.request import ExportRequest

MARGIN_IN = 0.4
TITLE_BAND_IN = 0.85
GAP_IN = 0.18
NOTE_FONT_PT = 6.5
LINE_SPACING = 1.4
INK = "#222222"
MUTED = "#444444"
FRAME = "#999999"
SAMPLE_RED = "#c62828"
BAR_FILL = "#2e7d32"
BAR_BACK = "#e0e0e0"


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    w: float
    h: float

    def fraction(self, page_w: float, page_h: float) -> tuple[float, float, float, float]:
        """The box as figure fractions (left, bottom, width, height) for ``add_axes``."""
        return self.x / page_w, self.y / page_h, self.w / page_w, self.h / page_h


@dataclass(frozen=True)
class Layout:
    page_w: float
    page_h: float
    map: Rect
    legend: Rect
    supply: Rect
    notes: Rect


def side_panel_width(request: ExportRequest) -> float:
    """Width of the land-supply box: the side column, or the right part under the map."""
    page_w = request.paper_inches[0]
    if request.orientation == "landscape":
        return 2.75 if request.paper == "A4" else 3.5
    return page_w - 2 * MARGIN_IN - legend_width(request) - GAP_IN


def legend_width(request: ExportRequest) -> float:
    if request.orientation == "landscape":
        return side_panel_width(request)
    return (request.paper_inches[0] - 2 * MARGIN_IN) * 0.58


def page_layout(request: ExportRequest, notes_height: float, supply_height: float) -> Layout:
    page_w, page_h = request.paper_inches
    notes = Rect(MARGIN_IN, MARGIN_IN, page_w - 2 * MARGIN_IN, notes_height)
    top = page_h - MARGIN_IN - TITLE_BAND_IN
    bottom = notes.y + notes.h + GAP_IN
    if request.orientation == "landscape":
        panel_w = side_panel_width(request)
        panel_x = page_w - MARGIN_IN - panel_w
        map_box = Rect(MARGIN_IN, bottom, panel_x - GAP_IN - MARGIN_IN, top - bottom)
        supply = Rect(panel_x, bottom, panel_w, supply_height)
        legend_y = bottom + supply_height + GAP_IN
        legend = Rect(panel_x, legend_y, panel_w, top - legend_y)
        return Layout(page_w, page_h, map_box, legend, supply, notes)
    width = page_w - 2 * MARGIN_IN
    panel_h = max(supply_height, 2.9 if request.paper == "A4" else 3.6)
    map_y = bottom + panel_h + GAP_IN
    map_box = Rect(MARGIN_IN, map_y, width, top - map_y)
    legend_w = legend_width(request)
    legend = Rect(MARGIN_IN, bottom, legend_w, panel_h)
    supply_x = MARGIN_IN + legend_w + GAP_IN
    supply = Rect(supply_x, bottom + panel_h - supply_height, side_panel_width(request),
                  supply_height)
    return Layout(page_w, page_h, map_box, legend, supply, notes)
