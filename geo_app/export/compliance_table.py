"""The compliance sheet's table of parcels in conflict: rows, pages, drawing.

Rows are measured in lines of one fixed pitch (matplotlib spaces every line of a text with
a numeric line spacing by the font's own height), so each column of a page is drawn as one
block of text (two where some figures are red) rather than one text per cell: a table of
a thousand parcels draws in a fraction of a second instead of many seconds, and the
columns stay aligned line for line.

Rows the first page cannot hold continue on further pages (PDF) or are counted in a line
that says how many parcels, with how many hectares in conflict, are not listed (PNG, SVG).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from geo_app.control import ParcelCheck
from geo_app.export import compliance
from geo_app.export.sheet import INK, MUTED, SAMPLE_RED, Rect
from geo_app.export.wrap import em_width, wrap
from geo_app.fonts import CJKFont
from geo_app.i18n import load_strings

TABLE_FONT_PT = 6.5
LINESPACING = 1.45
CELL_PAD_IN = 0.03
# The table's heading line above its header row.
HEADING_IN = 0.2
HEADING_PT = 9.0
# A cell of more lines than this (a very long id) ends in an ellipsis; its full text is in
# the data exports.
MAX_CELL_LINES = 4
ROW_SHADE = "#f3f3f3"
RULE = "#777777"
# (figure, header key, share of the table's width, right-aligned number)
COLUMNS: tuple[tuple[str, str, float, bool], ...] = (
    ("id", "export.compliance.col_id", 0.19, False),
    ("hectares", "export.compliance.col_hectares", 0.105, True),
    ("farmland_ha", "export.compliance.col_farmland", 0.105, True),
    ("eco_redline_ha", "export.compliance.col_eco_redline", 0.105, True),
    ("outside_dev_boundary_ha", "export.compliance.col_outside_dev", 0.105, True),
    ("cultivated_ha", "export.compliance.col_cultivated", 0.105, True),
    ("conflicts", "export.compliance.col_conflicts", 0.285, False),
)
# The kind whose conflict a figure column shows (its figure is then printed in red).
COLUMN_KIND = {"farmland_ha": "farmland", "eco_redline_ha": "eco_redline",
               "outside_dev_boundary_ha": "dev_boundary", "cultivated_ha": "landuse"}


def line_pitch(font: CJKFont) -> float:
    """Inches from one table line to the next: measured on twenty lines of text."""
    figure = Figure(figsize=(2.0, 2.0))
    canvas = FigureCanvasAgg(figure)
    count = 20
    text = figure.text(0, 0, "\n".join(["国 lp"] * count), linespacing=LINESPACING,
                       fontproperties=font.properties(TABLE_FONT_PT))
    return text.get_window_extent(canvas.get_renderer()).height / figure.dpi / count


@dataclass(frozen=True)
class Row:
    """One row: the lines of each cell and the colour of each; ``whole``: one cell across
    the whole table (a note, drawn only as a page's footer)."""

    cells: tuple[tuple[str, ...], ...]
    colours: tuple[str, ...]
    bold: bool = False
    whole: bool = False

    @property
    def lines(self) -> int:
        return max(len(lines) for lines in self.cells)


def _width_em(share: float, table_w: float) -> float:
    return max((share * table_w - 2 * CELL_PAD_IN) * 72.0 / TABLE_FONT_PT, 1.0)


def cell_lines(text: str, width_em: float) -> tuple[str, ...]:
    """``text`` wrapped to the column; a word wider than the column is cut into pieces (a
    closing mark may hang one em past the edge, as :func:`wrap` lets it), and a cell longer
    than :data:`MAX_CELL_LINES` ends in an ellipsis."""
    lines: list[str] = []
    for line in wrap(text, width_em) or [""]:
        while em_width(line) > width_em + 1.0 and len(line) > 1:
            cut = 1
            while cut < len(line) and em_width(line[: cut + 1]) <= width_em:
                cut += 1
            lines.append(line[:cut])
            line = line[cut:]
        lines.append(line)
    if len(lines) > MAX_CELL_LINES:
        lines = [*lines[: MAX_CELL_LINES - 1], lines[MAX_CELL_LINES - 1][:-1] + "…"]
    return tuple(lines)


def header_row(lang: str, table_w: float) -> Row:
    """The column headers, the unit of each on a line of its own when it does not fit."""
    strings = load_strings()
    cells = []
    for _, key, share, _ in COLUMNS:
        width = _width_em(share, table_w)
        text = strings.get(key, lang)
        if em_width(text) > width:
            parts = text.replace("（", "\n（").replace(" (", "\n(").split("\n")
            cells.append(tuple(line for part in parts for line in cell_lines(part, width)))
        else:
            cells.append(cell_lines(text, width))
    return Row(tuple(cells), (INK,) * len(COLUMNS), bold=True)


def parcel_row(parcel: ParcelCheck, lang: str, table_w: float) -> Row:
    conflicting = {conflict.kind for conflict in parcel.conflicts}
    cells: list[tuple[str, ...]] = []
    colours: list[str] = []
    for name, _, share, _ in COLUMNS:
        if name == "id":
            text = parcel.parcel_id
        elif name == "hectares":
            text = compliance.format_ha(parcel.hectares)
        elif name == "conflicts":
            text = compliance.short_conflicts(parcel, lang)
        else:
            text = compliance.format_ha(compliance.parcel_figure(parcel, name))
        cells.append(cell_lines(text, _width_em(share, table_w)))
        colours.append(SAMPLE_RED if COLUMN_KIND.get(name) in conflicting else INK)
    return Row(tuple(cells), tuple(colours))


def note_row(text: str, table_w: float, colour: str = MUTED) -> Row:
    """A line across the whole table (no conflicts, rows not listed, continued)."""
    return Row((cell_lines(text, _width_em(1.0, table_w)),), (colour,), whole=True)


@dataclass(frozen=True)
class TablePage:
    rows: list[Row]
    # The parcels (by id) the page lists, and the line under the rows, if any.
    ids: list[str]
    footer: Row | None


def _fit(rows: Sequence[Row], slots: int) -> int:
    """How many of ``rows`` fit, in order, in ``slots`` lines."""
    used = count = 0
    for row in rows:
        if used + row.lines > slots:
            break
        used += row.lines
        count += 1
    return count


def paginate(
    parcels: Sequence[ParcelCheck],
    rows: Sequence[Row],
    first_slots: int,
    next_slots: int,
    more_pages: bool,
    omitted: Callable[[int], Row],
    continued: Row,
    max_pages: int = 1,
) -> list[TablePage]:
    """The rows split over pages: the first page holds ``first_slots`` lines under its
    header, the following ones ``next_slots``, up to ``max_pages`` pages. Rows that do not
    fit (all but the first page's without ``more_pages``, as for PNG and SVG) are counted
    in the last page's last line, ``omitted(first row left out)``."""
    ids = [parcel.parcel_id for parcel in parcels]
    if _fit(rows, first_slots) == len(rows):
        return [TablePage(list(rows), ids, None)]
    last = 1 if not more_pages else max(max_pages, 1)
    pages: list[TablePage] = []
    start, slots = 0, first_slots
    while start < len(rows):
        fits = _fit(rows[start:], slots)
        footer = None
        if start + fits < len(rows) and len(pages) + 1 == last:
            # Room for the line that says what is left out, measured at its longest.
            fits = _fit(rows[start:], slots - omitted(start).lines)
            pages.append(TablePage(list(rows[start:start + fits]), ids[start:start + fits],
                                   omitted(start + fits)))
            break
        if start + fits < len(rows):
            fits = max(_fit(rows[start:], slots - continued.lines), 1)
            footer = continued
        pages.append(TablePage(list(rows[start:start + fits]), ids[start:start + fits], footer))
        start += fits
        slots = next_slots
    return pages


def draw_table(
    figure: Figure, rect: Rect, heading: str, header: Row, page: TablePage, pitch: float,
    font: CJKFont,
) -> None:
    """The heading, the header row, the page's rows (every other one shaded) and the line
    under them."""
    ax = figure.add_axes(rect.fraction(figure.get_figwidth(), figure.get_figheight()))
    ax.set_xlim(0, rect.w)
    ax.set_ylim(0, rect.h)
    ax.set_axis_off()
    y = rect.h
    ax.text(0, y, heading, va="top", ha="left", color=INK, parse_math=False,
            fontproperties=font.properties(HEADING_PT, "bold"))
    y -= HEADING_IN
    ax.plot([0, rect.w], [y, y], color=RULE, linewidth=0.8)
    lefts = np.cumsum([0.0] + [share * rect.w for _, _, share, _ in COLUMNS])
    _draw_rows(ax, [header], lefts, y, font, bold=True)
    y -= header.lines * pitch
    ax.plot([0, rect.w], [y, y], color=RULE, linewidth=0.6)
    offset = 0
    for number, row in enumerate(page.rows):
        if number % 2:
            ax.add_patch(Rectangle((0, y - (offset + row.lines) * pitch), rect.w,
                                   row.lines * pitch, facecolor=ROW_SHADE, edgecolor="none",
                                   zorder=0))
        offset += row.lines
    _draw_rows(ax, page.rows, lefts, y, font)
    y -= offset * pitch
    ax.plot([0, rect.w], [y, y], color=RULE, linewidth=0.8)
    if page.footer is not None:
        ax.text(CELL_PAD_IN, y - 0.03, "\n".join(page.footer.cells[0]), va="top", ha="left",
                color=page.footer.colours[0], linespacing=LINESPACING, parse_math=False,
                fontproperties=font.properties(TABLE_FONT_PT))


def _draw_rows(ax: Axes, rows: Sequence[Row], lefts: np.ndarray, y: float, font: CJKFont,
               bold: bool = False) -> None:
    """Each column of ``rows`` as one block of lines per colour; a cell shorter than its
    row is padded with empty lines, so every block keeps the rows' pitch."""
    if not rows:
        return
    properties = font.properties(TABLE_FONT_PT, "bold" if bold else "normal")
    for index, (_, _, _, numeric) in enumerate(COLUMNS):
        blocks: dict[str, list[str]] = {}
        colours = {row.colours[index] for row in rows}
        for colour in colours:
            blocks[colour] = []
        for row in rows:
            cell = list(row.cells[index]) + [""] * (row.lines - len(row.cells[index]))
            for colour, lines in blocks.items():
                lines += cell if colour == row.colours[index] else [""] * row.lines
        x = lefts[index + 1] - CELL_PAD_IN if numeric else lefts[index] + CELL_PAD_IN
        for colour, lines in blocks.items():
            if not any(lines):
                continue
            ax.text(x, y, "\n".join(lines), va="top", ha="right" if numeric else "left",
                    multialignment="right" if numeric else "left", color=colour,
                    fontproperties=properties, linespacing=LINESPACING, parse_math=False)


def omitted_row(
    conflict_ha: Sequence[float], lang: str, table_w: float, key: str
) -> Callable[[int], Row]:
    """The line (the text ``key``) that counts the parcels in conflict the sheet does not
    list: those from a row on, with their hectares in conflict (``conflict_ha``, one per
    row)."""
    left_ha = np.cumsum(np.asarray(conflict_ha, dtype=float)[::-1])[::-1]

    def row(start: int) -> Row:
        text = load_strings().get(
            key, lang, count=f"{len(conflict_ha) - start:,}",
            hectares=compliance.format_ha(float(left_ha[start]) if start < len(left_ha)
                                          else 0.0))
        return note_row(text, table_w, SAMPLE_RED)

    return row
