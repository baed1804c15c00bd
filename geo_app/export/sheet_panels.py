"""The text parts of the printed sheet: title block, legend, land-supply box and notes."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from pyproj import Proj

from geo_app.export import mapdraw
from geo_app.export.request import ExportRequest
from geo_app.export.scene import (
    INEXACT_ACCURACY,
    Scene,
    accuracy_names,
    attribution_sources,
)
from geo_app.export.sheet import (
    BAR_BACK,
    BAR_FILL,
    FRAME,
    INK,
    LINE_SPACING,
    MARGIN_IN,
    MUTED,
    NOTE_FONT_PT,
    SAMPLE_RED,
    Rect,
)
from geo_app.export.supply import SupplySummary
from geo_app.export.wrap import wrap
from geo_app.fonts import CJKFont
from geo_app.i18n import load_strings
from geo_app.plan import load_plan

LEGEND_SIZES_PT = (8.0, 7.5, 7.0, 6.5, 6.0, 5.5)
LEGEND_COLUMNS = (1, 2, 3)
# Room the legend's symbol column and padding take beside the label text.
LEGEND_SYMBOL_IN = 0.55
SUPPLY_PAD_IN = 0.1
SUPPLY_SAMPLE_PT = 6.5


# ------------------------------------------------------------------ title block


def sheet_title(request: ExportRequest) -> str:
    return request.title or load_strings().get("export.title.default", request.lang)


def sheet_subtitle(request: ExportRequest) -> str:
    if request.subtitle is not None:
        return request.subtitle
    meta = load_plan().meta
    return str(meta.get(f"title_{request.lang}") or meta.get("title_zh", ""))


def draw_title_block(figure: Figure, request: ExportRequest, font: CJKFont) -> None:
    page_w, page_h = figure.get_figwidth(), figure.get_figheight()
    top = 1.0 - MARGIN_IN / page_h
    left, right = MARGIN_IN / page_w, 1.0 - MARGIN_IN / page_w
    figure.text(left, top, sheet_title(request), va="top", ha="left", color=INK,
                fontproperties=font.properties(18, "bold"))
    subtitle = sheet_subtitle(request)
    if subtitle:
        figure.text(left, top - 0.42 / page_h, subtitle, va="top", ha="left", color=MUTED,
                    fontproperties=font.properties(10.5))
    date = load_strings().get("export.page.date", request.lang, date=request.date.isoformat())
    figure.text(right, top, date, va="top", ha="right", color=MUTED,
                fontproperties=font.properties(8.5))


# ------------------------------------------------------------------ legend


def legend_entries_with_accuracy(
    drawn: Sequence[mapdraw.DrawnLayer], lang: str
) -> list[mapdraw.LegendEntry]:
    strings = load_strings()
    entries = mapdraw.legend_entries(drawn, lang)
    shown = {level for layer in drawn for level in layer.accuracy_levels}
    for level in INEXACT_ACCURACY:
        if level in shown and mapdraw.accuracy_dash(level):
            entries.append(
                mapdraw.LegendEntry(
                    mapdraw.accuracy_handle(level), strings.get(f"legend.accuracy.{level}", lang)
                )
            )
    return entries


def draw_legend(
    figure: Figure,
    rect: Rect,
    drawn: Sequence[mapdraw.DrawnLayer],
    lang: str,
    font: CJKFont,
) -> None:
    """The legend at the largest font size that fits its box, in as few columns as that allows."""
    draw_legend_entries(figure, rect, legend_entries_with_accuracy(drawn, lang), lang, font)


def draw_legend_entries(
    figure: Figure,
    rect: Rect,
    entries: Sequence[mapdraw.LegendEntry],
    lang: str,
    font: CJKFont,
) -> None:
    """:func:`draw_legend` for entries of any kind (labels are plain text)."""
    if not entries:
        return
    ax = figure.add_axes(rect.fraction(figure.get_figwidth(), figure.get_figheight()))
    ax.set_axis_off()
    renderer = figure.canvas.get_renderer()
    box = ax.get_window_extent(renderer)
    legend = None
    for size in LEGEND_SIZES_PT:
        for columns in LEGEND_COLUMNS:
            if rect.w / columns < LEGEND_SYMBOL_IN * 3:
                continue
            # Measuring a legend means laying out all its text: skip sizes that clearly
            # cannot fit (the estimate is within ~5% of the measured height).
            if _estimated_height_in(entries, size, columns, rect.w) > rect.h * 1.1:
                continue
            if legend is not None:
                legend.remove()
            legend = _legend(ax, entries, size, columns, rect.w, lang, font)
            extent = legend.get_window_extent(renderer)
            if extent.height <= box.height + 0.5 and extent.width <= box.width + 0.5:
                return
    # Nothing fitted: the last (smallest) attempt stays rather than no legend at all.


def _estimated_height_in(
    entries: Sequence[mapdraw.LegendEntry], size: float, columns: int, width_in: float
) -> float:
    width_em = (width_in / columns - LEGEND_SYMBOL_IN) * 72.0 / size
    lines = [len(wrap(entry.label, width_em)) for entry in entries]
    per_column = math.ceil(len(lines) / columns)
    tallest = max(sum(lines[i : i + per_column]) for i in range(0, len(lines), per_column))
    # Text lines, plus matplotlib's 0.5-em spacing between entries and the title line.
    points = tallest * size * 1.15 + (per_column - 1) * size * 0.5 + (size + 1.5) * 1.2
    return points / 72.0


def _legend(ax, entries, size: float, columns: int, width_in: float, lang: str, font: CJKFont):
    width_em = (width_in / columns - LEGEND_SYMBOL_IN) * 72.0 / size
    labels = ["\n".join(wrap(entry.label, width_em)) for entry in entries]
    legend = ax.legend(
        [entry.handle for entry in entries],
        labels,
        loc="upper left",
        ncols=columns,
        prop=font.properties(size),
        title=load_strings().get("legend.title", lang),
        title_fontproperties=font.properties(size + 1.5, "bold"),
        frameon=True,
        fancybox=False,
        edgecolor=FRAME,
        alignment="left",
        borderaxespad=0.0,
        handlelength=2.2,
        columnspacing=1.2,
    )
    legend.get_frame().set_linewidth(0.6)
    for entry, text in zip(entries, legend.get_texts(), strict=True):
        # Layer and class names come from files: a "$" in them is text, not mathematics.
        text.set_parse_math(False)
        if entry.is_heading:
            text.set_fontproperties(font.properties(size, "bold"))
    return legend


# ------------------------------------------------------------------ land-supply box


def _supply_sample_lines(supply: SupplySummary, lang: str, width_in: float) -> list[str]:
    if not supply.sample_data:
        return []
    text = load_strings().get("export.supply.sample", lang)
    return wrap(text, (width_in - 2 * SUPPLY_PAD_IN) * 72.0 / SUPPLY_SAMPLE_PT)


def supply_height(supply: SupplySummary, lang: str, width_in: float) -> float:
    statuses = len(supply.lines(lang)) - 3
    sample = len(_supply_sample_lines(supply, lang, width_in))
    return (
        2 * SUPPLY_PAD_IN
        + 0.27 + 0.26 + 0.2 + 0.24
        + statuses * 0.18
        + (0.06 + sample * SUPPLY_SAMPLE_PT * LINE_SPACING / 72.0 if sample else 0.0)
    )


def boxed_axes(figure: Figure, rect: Rect):
    """Axes over ``rect`` in inches from its lower-left corner, with a thin frame."""
    ax = figure.add_axes(rect.fraction(figure.get_figwidth(), figure.get_figheight()))
    ax.set_xlim(0, rect.w)
    ax.set_ylim(0, rect.h)
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_color(FRAME)
        spine.set_linewidth(0.6)
    return ax


def draw_supply(
    figure: Figure, rect: Rect, supply: SupplySummary, lang: str, font: CJKFont
) -> None:
    ax = boxed_axes(figure, rect)
    heading, total, gap, *statuses = supply.lines(lang)
    pad = SUPPLY_PAD_IN
    y = rect.h - pad
    ax.text(pad, y, heading, va="top", fontproperties=font.properties(9, "bold"), color=INK)
    y -= 0.27
    ax.text(pad, y, total, va="top", fontproperties=font.properties(8.5), color=INK)
    y -= 0.26
    bar_w = rect.w - 2 * pad
    share = min(max(supply.share_of_target, 0.0), 1.0)
    ax.add_patch(Rectangle((pad, y - 0.1), bar_w, 0.1, facecolor=BAR_BACK, edgecolor="none"))
    ax.add_patch(Rectangle((pad, y - 0.1), bar_w * share, 0.1, facecolor=BAR_FILL,
                           edgecolor="none"))
    y -= 0.2
    ax.text(pad, y, gap, va="top", fontproperties=font.properties(8), color=INK)
    y -= 0.24
    for line in statuses:
        ax.text(pad, y, line, va="top", fontproperties=font.properties(7.5), color="#333333")
        y -= 0.18
    sample = _supply_sample_lines(supply, lang, rect.w)
    if sample:
        ax.text(pad, y - 0.06, "\n".join(sample), va="top", linespacing=LINE_SPACING,
                fontproperties=font.properties(SUPPLY_SAMPLE_PT), color=SAMPLE_RED)


# ------------------------------------------------------------------ notes


def max_distortion_cm_per_km(bbox: tuple[float, float, float, float]) -> float:
    """Largest length distortion of EPSG:4551 over the box, in cm per km (units of 1e-5)."""
    lons, lats = np.meshgrid(np.linspace(bbox[0], bbox[2], 9), np.linspace(bbox[1], bbox[3], 9))
    factors = Proj("EPSG:4551").get_factors(lons.ravel(), lats.ravel())
    scale = np.asarray(factors.meridional_scale)
    return float(np.max(np.abs(scale - 1.0)) * 1e5)


def note_paragraphs(scene: Scene, lang: str) -> list[tuple[str, str]]:
    """(text, colour) of each note printed under the map, in reading order."""
    strings = load_strings()
    distortion = math.ceil(max_distortion_cm_per_km(scene.bbox) * 10) / 10
    notes = [(strings.get("export.note.crs", lang, distortion=f"{distortion:.1f}"), INK)]
    levels = scene.inexact_levels()
    if levels:
        notes.append(
            (strings.get("export.note.caveat", lang, levels=accuracy_names(levels, lang)), INK)
        )
    samples = scene.sample_layers()
    if samples:
        names = ("、" if lang == "zh" else ", ").join(spec.name(lang) for spec in samples)
        notes.append((strings.get("export.note.sample", lang, layers=names), SAMPLE_RED))
    sources = attribution_sources(scene, lang)
    if sources:
        joined = ("；" if lang == "zh" else "; ").join(sources)
        notes.append((strings.get("export.note.attribution", lang, sources=joined), INK))
    return notes


def wrapped_notes(notes: Sequence[tuple[str, str]], width_in: float) -> list[tuple[str, str]]:
    width_em = width_in * 72.0 / NOTE_FONT_PT
    return [(line, colour) for text, colour in notes for line in wrap(text, width_em)]


def notes_height(lines: Sequence[tuple[str, str]]) -> float:
    return len(lines) * NOTE_FONT_PT * LINE_SPACING / 72.0


def draw_notes(
    figure: Figure, rect: Rect, lines: Sequence[tuple[str, str]], font: CJKFont
) -> None:
    page_w, page_h = figure.get_figwidth(), figure.get_figheight()
    line_h = NOTE_FONT_PT * LINE_SPACING / 72.0
    note_font = font.properties(NOTE_FONT_PT)
    y = rect.y + rect.h
    for line, colour in lines:
        # Notes name layers and files: a "$" in them is text, not mathematics.
        figure.text(rect.x / page_w, y / page_h, line, va="top", ha="left", color=colour,
                    fontproperties=note_font, parse_math=False)
        y -= line_h
