"""Print-quality map sheets (PDF, SVG, PNG) drawn with matplotlib.

The sheet has a title block, the map in the CGCS2000 Gauss-Krüger plane (so the scale bar
measures true distances), a north arrow, the legend, the land-supply box and the notes a
briefing map must carry: coordinate system, accuracy caveat, sample-data warning and data
sources. A ``Figure`` is built per call (no pyplot state). matplotlib settings are changed
only inside ``rc_context`` and under a lock, so concurrent exports cannot leak into each
other or into the rest of the program.

Formats: PDF keeps fonts as Type 3 glyph procedures (small, fast, and the text stays
extractable and searchable); SVG draws glyphs as paths so the sheet looks the same on
machines without a Chinese font (its ``<title>`` carries the title as text); PNG is
exactly paper inches × dpi pixels.
"""

from __future__ import annotations

import io
import threading

import matplotlib
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from geo_app.basemaps.publishing import approval_notes
from geo_app.export import sheet_panels as panels
from geo_app.export.request import ExportRequest
from geo_app.export.scene import Scene
from geo_app.export.sheet import MARGIN_IN, page_layout, side_panel_width
from geo_app.export.sheet_map import draw_map
from geo_app.export.supply import SupplySummary
from geo_app.fonts import CJKFont, find_cjk_font

SOFTWARE = "geo-app"
RENDER_LOCK = threading.Lock()
# Type 3 PDF fonts: a CJK font embedded as Type 42 took 0.8 s to subset and made poppler
# warn about a font-type mismatch. svg.hashsalt makes SVG ids repeatable.
SAVE_SETTINGS = {"pdf.fonttype": 3, "svg.fonttype": "path", "svg.hashsalt": SOFTWARE}


def figure_size(request: ExportRequest) -> tuple[float, float]:
    if request.format != "png":
        return request.paper_inches
    # Agg truncates inches × dpi to whole pixels; aim half a pixel past the rounded paper
    # size so the truncation lands exactly on it.
    width_px, height_px = request.pixel_size
    return (width_px + 0.5) / request.dpi, (height_px + 0.5) / request.dpi


def compose(scene: Scene, supply: SupplySummary, request: ExportRequest, font: CJKFont) -> Figure:
    """The whole sheet as a matplotlib Figure (not yet saved)."""
    figure = Figure(figsize=figure_size(request), facecolor="white")
    FigureCanvasAgg(figure)
    page_w = request.paper_inches[0]
    notes = panels.wrapped_notes(panels.note_paragraphs(scene, request.lang)
                                 + [(line, panels.INK) for line in approval_notes(request.lang)],
                                 page_w - 2 * MARGIN_IN)
    layout = page_layout(
        request,
        notes_height=panels.notes_height(notes),
        supply_height=panels.supply_height(supply, request.lang, side_panel_width(request)),
    )
    panels.draw_title_block(figure, request, font)
    drawn = draw_map(figure, layout.map, scene, request, font)
    panels.draw_legend(figure, layout.legend, drawn, request.lang, font)
    panels.draw_supply(figure, layout.supply, supply, request.lang, font)
    panels.draw_notes(figure, layout.notes, notes, font)
    return figure


def render_snapshot(scene: Scene, supply: SupplySummary, request: ExportRequest) -> bytes:
    """The sheet as PDF, SVG or PNG bytes, according to ``request.format``."""
    font = find_cjk_font()
    title = panels.sheet_title(request)
    buffer = io.BytesIO()
    with RENDER_LOCK, matplotlib.rc_context(SAVE_SETTINGS):
        figure = compose(scene, supply, request, font)
        if request.format == "png":
            figure.savefig(buffer, format="png", dpi=request.dpi,
                           metadata={"Title": title, "Software": SOFTWARE})
        elif request.format == "svg":
            figure.savefig(buffer, format="svg", metadata={"Title": title, "Date": None})
        else:
            figure.savefig(buffer, format="pdf",
                           metadata={"Title": title, "Creator": SOFTWARE, "Producer": SOFTWARE})
    return buffer.getvalue()
