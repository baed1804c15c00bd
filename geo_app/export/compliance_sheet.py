"""The compliance sheet (合规性审查图) as PDF, PNG or SVG.

Drawn like the layout sheet (the same fonts, title block, scale bar, north arrow, sample
stamp and notes): the map of the parcels over the control lines
(:mod:`~geo_app.export.compliance_map`), the totals of the check, the table of the parcels
in conflict (:mod:`~geo_app.export.compliance_table`), and the sources of every reference
layer (kind, name, file, coordinate system, when and by whom it was loaded), with each kind
not checked said as such. The figures are those of one ``check_workspace`` on the parcels
exported, to four decimals (one square metre).

The table lists the parcels in conflict, most hectares in conflict first. When they do not
fit, a PDF continues the table on further pages, numbered, up to :data:`MAX_PAGES`; a PNG
or SVG, being one page, lists those that fit. Either way the last line then says how many
parcels in conflict, with how many hectares, are not listed and where the whole list is:
no row is ever dropped without a word.

Every text that comes from a file or a user (ids, layer names, file names, who loaded a
layer, the title) is drawn as plain text: never as mathematics (``$``), and in SVG only as
glyph outlines, so it cannot become markup.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import matplotlib
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure

from geo_app.basemaps.publishing import approval_notes
from geo_app.catalog import Catalog
from geo_app.control import CheckResult, kinds
from geo_app.export import compliance
from geo_app.export import compliance_table as table
from geo_app.export.compliance_map import (
    draw_compliance_map,
    legend_size,
    map_bbox,
    near_features,
    near_metres,
)
from geo_app.export.request import ExportRequest
from geo_app.export.sheet import (
    GAP_IN,
    INK,
    MARGIN_IN,
    MUTED,
    SAMPLE_RED,
    TITLE_BAND_IN,
    Rect,
)
from geo_app.export.sheet_panels import (
    boxed_axes,
    draw_legend_entries,
    draw_notes,
    max_distortion_cm_per_km,
    notes_height,
    wrapped_notes,
)
from geo_app.export.snapshot import RENDER_LOCK, SAVE_SETTINGS, SOFTWARE, figure_size
from geo_app.export.wrap import wrap
from geo_app.fonts import CJKFont, find_cjk_font
from geo_app.i18n import load_strings
from geo_app.workspace import Workspace

TOTALS_PAD_IN = 0.1
TOTALS_HEADING_PT = 9.0
TOTALS_LINE_PT = 7.5
TOTALS_LINE_IN = TOTALS_LINE_PT * 1.45 / 72.0
# Parcels labelled on the map: those listed on the first page, at most this many.
MAX_LABELS = 40
# A PDF's pages at most (about 400 parcels in conflict on A4): a longer list is counted on
# the last page and is whole in the CSV/XLSX parcel table and in ``geo-app check``.
MAX_PAGES = 10


def table_heading(result: CheckResult, lang: str, page: int = 1, pages: int = 1) -> str:
    strings = load_strings()
    heading = strings.get("export.compliance.table_heading", lang,
                          count=f"{len(result.in_conflict):,}")
    if pages > 1:
        heading += strings.get("export.compliance.table_part", lang, page=page, pages=pages)
    return heading


def empty_table_row(result: CheckResult, lang: str, table_w: float) -> table.Row:
    key = "export.compliance.no_conflicts" if result.layers else "export.compliance.no_layers"
    return table.note_row(load_strings().get(key, lang), table_w)


# ------------------------------------------------------------------ totals


def totals_lines(result: CheckResult, summary: dict[str, Any], lang: str,
                 width_in: float) -> list[tuple[str, str]]:
    width_em = (width_in - 2 * TOTALS_PAD_IN) * 72.0 / TOTALS_LINE_PT
    lines: list[tuple[str, str]] = []
    for text, conflict in compliance.summary_lines(result, lang, summary):
        colour = SAMPLE_RED if conflict and result.in_conflict else INK
        lines += [(line, colour) for line in wrap(text, width_em)]
    return lines


def totals_height(lines: Sequence[tuple[str, str]]) -> float:
    return 2 * TOTALS_PAD_IN + 0.25 + len(lines) * TOTALS_LINE_IN


def draw_totals(figure: Figure, rect: Rect, lines: Sequence[tuple[str, str]], lang: str,
                font: CJKFont) -> None:
    ax = boxed_axes(figure, rect)
    y = rect.h - TOTALS_PAD_IN
    ax.text(TOTALS_PAD_IN, y, load_strings().get("export.compliance.totals_heading", lang),
            va="top", fontproperties=font.properties(TOTALS_HEADING_PT, "bold"), color=INK)
    y -= 0.25
    for line, colour in lines:
        ax.text(TOTALS_PAD_IN, y, line, va="top", color=colour, parse_math=False,
                fontproperties=font.properties(TOTALS_LINE_PT))
        y -= TOTALS_LINE_IN


# ------------------------------------------------------------------ notes and title


def note_paragraphs(data: SheetData, lang: str) -> list[tuple[str, str]]:
    """(text, colour) of each note under the map: the sources of the reference layers, the
    kinds not checked (in red: nothing found there because nothing was looked at), how the
    hectares are measured, which features are drawn, the coordinate system, the sample-data
    warning and the publishing notes."""
    strings = load_strings()
    result = data.result
    notes = [(strings.get("export.compliance.sources_heading", lang), INK)]
    notes += [(line, INK) for line in compliance.layer_lines(result, lang)]
    notes += [(line, SAMPLE_RED) for line in compliance.unchecked_lines(result, lang)]
    notes.append((strings.get("export.compliance.method", lang,
                              min_m2=f"{kinds().min_conflict_m2:g}"), INK))
    if result.layers:
        notes.append((strings.get("export.compliance.near", lang,
                                  metres=f"{data.near_m:,.0f}"), INK))
    distortion = math.ceil(max_distortion_cm_per_km(data.bbox) * 10) / 10
    notes.append((strings.get("export.note.crs", lang, distortion=f"{distortion:.1f}"), INK))
    if data.sample_data:
        notes.append((strings.get("export.compliance.sample", lang), SAMPLE_RED))
    notes += [(line, INK) for line in approval_notes(lang)]
    return notes


def sheet_title(request: ExportRequest) -> str:
    return request.title or load_strings().get("export.compliance.title_default", request.lang)


def sheet_subtitle(request: ExportRequest) -> str:
    if request.subtitle is not None:
        return request.subtitle
    return load_strings().get("export.compliance.subtitle_default", request.lang)


def draw_title_block(figure: Figure, request: ExportRequest, font: CJKFont,
                     subtitle: str) -> None:
    page_w, page_h = figure.get_figwidth(), figure.get_figheight()
    top = 1.0 - MARGIN_IN / page_h
    left, right = MARGIN_IN / page_w, 1.0 - MARGIN_IN / page_w
    figure.text(left, top, sheet_title(request), va="top", ha="left", color=INK,
                fontproperties=font.properties(18, "bold"), parse_math=False)
    if subtitle:
        figure.text(left, top - 0.42 / page_h, subtitle, va="top", ha="left", color=MUTED,
                    fontproperties=font.properties(10.5), parse_math=False)
    date = load_strings().get("export.page.date", request.lang, date=request.date.isoformat())
    figure.text(right, top, date, va="top", ha="right", color=MUTED,
                fontproperties=font.properties(8.5))


def draw_page_number(figure: Figure, page: int, pages: int, lang: str, font: CJKFont) -> None:
    if pages < 2:
        return
    page_w, page_h = figure.get_figwidth(), figure.get_figheight()
    text = load_strings().get("export.compliance.page", lang, page=page, pages=pages)
    figure.text(1.0 - MARGIN_IN / page_w, 0.5 * MARGIN_IN / page_h, text, va="center",
                ha="right", color=MUTED, fontproperties=font.properties(7))


# ------------------------------------------------------------------ layout


@dataclass(frozen=True)
class FirstPage:
    map: Rect
    totals: Rect
    legend: Rect
    table: Rect
    notes: Rect


def legend_height(request: ExportRequest, entries: int) -> float:
    """Room for the legend: two columns of its entries (it shrinks its font to fit)."""
    most = 1.55 if request.paper == "A4" else 2.2
    return min(max(0.4 + math.ceil(entries / 2) * 0.19, 0.8), most)


def first_page(request: ExportRequest, notes_h: float, totals_w: float,
               totals_h: float, legend_h: float) -> FirstPage:
    page_w, page_h = request.paper_inches
    content_w = page_w - 2 * MARGIN_IN
    notes = Rect(MARGIN_IN, MARGIN_IN, content_w, notes_h)
    top = page_h - MARGIN_IN - TITLE_BAND_IN
    bottom = notes.y + notes.h + GAP_IN
    if request.orientation == "landscape":
        map_w = content_w - totals_w - GAP_IN
        map_box = Rect(MARGIN_IN, bottom, map_w, top - bottom)
        x = MARGIN_IN + map_w + GAP_IN
        totals = Rect(x, top - totals_h, totals_w, totals_h)
        legend = Rect(x, bottom, totals_w, legend_h)
        table_y = bottom + legend_h + GAP_IN
        table = Rect(x, table_y, totals_w, totals.y - GAP_IN - table_y)
        return FirstPage(map_box, totals, legend, table, notes)
    band = max(totals_h, legend_h)
    map_h = (top - bottom) * 0.45
    map_box = Rect(MARGIN_IN, top - map_h, content_w, map_h)
    band_y = map_box.y - GAP_IN - band
    totals = Rect(MARGIN_IN, band_y + band - totals_h, totals_w, totals_h)
    legend_x = MARGIN_IN + totals_w + GAP_IN
    legend = Rect(legend_x, band_y, content_w - totals_w - GAP_IN, band)
    table = Rect(MARGIN_IN, bottom, content_w, band_y - GAP_IN - bottom)
    return FirstPage(map_box, totals, legend, table, notes)


def side_width(request: ExportRequest) -> float:
    """Width of the totals box (and, landscape, of the whole right column with the table)."""
    page_w = request.paper_inches[0]
    if request.orientation == "landscape":
        return (page_w - 2 * MARGIN_IN - GAP_IN) * 0.5
    return (page_w - 2 * MARGIN_IN) * 0.45


def next_page_table(request: ExportRequest) -> Rect:
    page_w, page_h = request.paper_inches
    top = page_h - MARGIN_IN - TITLE_BAND_IN
    return Rect(MARGIN_IN, MARGIN_IN, page_w - 2 * MARGIN_IN, top - MARGIN_IN)


# ------------------------------------------------------------------ the sheet


@dataclass(frozen=True)
class SheetData:
    result: CheckResult
    summary: dict[str, Any]
    # The parcels in conflict, most hectares in conflict first, with those hectares.
    ranked: list[tuple[Any, float]]
    parcels: list[Any]
    bbox: tuple[float, float, float, float]
    near_m: float
    near: list[Any]
    sample_data: bool
    catalog: Catalog | None


def sheet_data(result: CheckResult, ledger: Any, catalog: Catalog | None,
               workspace: Workspace | None) -> SheetData:
    """What the sheet draws, read before drawing (the workspace is read outside the lock
    that keeps matplotlib's settings to one sheet at a time)."""
    parcels = list(np.asarray(ledger.parcels.geometry.array, dtype=object))
    bbox = map_bbox(parcels, catalog)
    near_m = near_metres(bbox)
    near = near_features(workspace, result, parcels, bbox, near_m)
    return SheetData(result, result.summary(), compliance.ranked_conflicts(result), parcels,
                     bbox, near_m, near, bool(ledger.sample_data), catalog)


def _table_pages(data: SheetData, request: ExportRequest, box: Rect, next_box: Rect,
                 pitch: float) -> list[table.TablePage]:
    """The conflict table over the first page's box and, for a PDF, up to
    :data:`MAX_PAGES` pages in all; what does not fit is counted on the last."""
    lang = request.lang
    strings = load_strings()
    parcels = [parcel for parcel, _ in data.ranked]
    if not parcels:
        return [table.TablePage([], [], empty_table_row(data.result, lang, box.w))]

    def slots(rect: Rect) -> int:
        header = table.header_row(lang, rect.w)
        return int((rect.h - table.HEADING_IN - 0.06) / pitch + 1e-6) - header.lines

    pdf = request.format == "pdf"
    omitted_key = "export.compliance.omitted_pdf" if pdf else "export.compliance.omitted"
    conflict_ha = [ha for _, ha in data.ranked]
    rows = [table.parcel_row(parcel, lang, box.w) for parcel in parcels]
    continued = table.note_row(strings.get("export.compliance.continued", lang), box.w)
    pages = table.paginate(parcels, rows, slots(box), slots(next_box), pdf,
                           table.omitted_row(conflict_ha, lang, box.w, omitted_key), continued,
                           MAX_PAGES)
    if len(pages) == 1:
        return pages
    # The further pages are as wide as the page: their rows are laid out again.
    first = pages[0]
    done = len(first.rows)
    wide = [table.parcel_row(parcel, lang, next_box.w) for parcel in parcels[done:]]
    rest = table.paginate(
        parcels[done:], wide, slots(next_box), slots(next_box), True,
        table.omitted_row(conflict_ha[done:], lang, next_box.w, omitted_key),
        table.note_row(strings.get("export.compliance.continued", lang), next_box.w),
        MAX_PAGES - 1)
    return [first, *rest]


def compose(data: SheetData, request: ExportRequest, font: CJKFont) -> list[Figure]:
    """The sheet's pages as matplotlib Figures (one unless a PDF's table continues)."""
    lang = request.lang
    result = data.result
    page_w = request.paper_inches[0]
    notes = wrapped_notes(note_paragraphs(data, lang), page_w - 2 * MARGIN_IN)
    totals_w = side_width(request)
    totals = totals_lines(result, data.summary, lang, totals_w)
    entries = legend_size(result, data.near, bool(data.ranked))
    layout = first_page(request, notes_height(notes), totals_w, totals_height(totals),
                        legend_height(request, entries))
    pitch = table.line_pitch(font)
    next_box = next_page_table(request)
    pages = _table_pages(data, request, layout.table, next_box, pitch)

    figure = _page(request)
    draw_title_block(figure, request, font, sheet_subtitle(request))
    drawn = draw_compliance_map(figure, layout.map, data.bbox, result, data.parcels, data.near,
                                pages[0].ids[:MAX_LABELS], data.catalog, data.sample_data,
                                lang, font)
    draw_legend_entries(figure, layout.legend, drawn.legend, lang, font)
    draw_totals(figure, layout.totals, totals, lang, font)
    table.draw_table(figure, layout.table, table_heading(result, lang, 1, len(pages)),
                     table.header_row(lang, layout.table.w), pages[0], pitch, font)
    draw_notes(figure, layout.notes, notes, font)
    draw_page_number(figure, 1, len(pages), lang, font)
    figures = [figure]
    for number, page in enumerate(pages[1:], start=2):
        figure = _page(request)
        draw_title_block(figure, request, font, load_strings().get(
            "export.compliance.continued_subtitle", lang))
        table.draw_table(figure, next_box, table_heading(result, lang, number, len(pages)),
                         table.header_row(lang, next_box.w), page, pitch, font)
        draw_page_number(figure, number, len(pages), lang, font)
        figures.append(figure)
    return figures


def _page(request: ExportRequest) -> Figure:
    figure = Figure(figsize=figure_size(request), facecolor="white")
    FigureCanvasAgg(figure)
    return figure


def render_compliance(
    result: CheckResult,
    ledger: Any,
    request: ExportRequest,
    catalog: Catalog | None = None,
    workspace: Workspace | None = None,
) -> bytes:
    """The compliance sheet as PDF, SVG or PNG bytes, according to ``request.format``."""
    font = find_cjk_font()
    data = sheet_data(result, ledger, catalog, workspace)
    title = sheet_title(request)
    buffer = io.BytesIO()
    with RENDER_LOCK, matplotlib.rc_context(SAVE_SETTINGS):
        figures = compose(data, request, font)
        if request.format == "png":
            figures[0].savefig(buffer, format="png", dpi=request.dpi,
                               metadata={"Title": title, "Software": SOFTWARE})
        elif request.format == "svg":
            figures[0].savefig(buffer, format="svg", metadata={"Title": title, "Date": None})
        else:
            metadata = {"Title": title, "Creator": SOFTWARE, "Producer": SOFTWARE}
            with PdfPages(buffer, metadata=metadata) as pdf:
                for figure in figures:
                    pdf.savefig(figure)
    return buffer.getvalue()
