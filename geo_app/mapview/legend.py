"""The legend's content: visible layers by group, palette values, accuracy looks."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from geo_app.basemaps import Basemap
from geo_app.catalog import ACCURACY_LEVELS, Catalog, LayerSpec, LayerStyle
from geo_app.i18n import Strings
from geo_app.mapview.display import DisplayRules
from geo_app.mapview.elements import template

_SHAPES = {"point": "point", "line": "line", "polygon": "polygon"}


def _swatch_style(style: LayerStyle, colour: str | None = None, fill: str | None = None,
                  dash: str | None = None, opacity: float = 1.0) -> dict[str, Any]:
    colour = colour or style.color
    return {
        "color": colour,
        "fill": fill or style.fill_color or colour,
        "fill_opacity": style.fill_opacity if style.fill_color else 0.8,
        "weight": max(1.5, min(style.weight, 5.0)),
        "dash": dash or style.dash_array or "",
        "opacity": opacity,
    }


def _palette_label(strings: Strings, spec: LayerSpec, value: str, lang: str) -> str:
    for name in (f"palette.{spec.style.color_by}.{value}",):
        if name in strings:
            return strings.get(name, lang)
    return value


def _layer_entries(spec: LayerSpec, strings: Strings, lang: str) -> list[dict[str, Any]]:
    shape = _SHAPES[spec.geometry]
    style = spec.style
    if not style.palette:
        return [{"shape": shape, "style": _swatch_style(style), "label": spec.name(lang)}]
    separator = "：" if lang == "zh" else ": "
    return [
        {
            "shape": shape,
            "style": _swatch_style(style, colour, colour),
            "label": f"{spec.name(lang)}{separator}{_palette_label(strings, spec, value, lang)}",
        }
        for value, colour in style.palette.items()
    ]


def legend_html(
    catalog: Catalog,
    visible: Sequence[LayerSpec],
    basemap: Basemap,
    rules: DisplayRules,
    strings: Strings,
    lang: str,
    backdrop_shown: bool,
    datum_note: str | None = None,
    extra_groups: Sequence[dict[str, Any]] = (),
    layer_notes: Mapping[str, Sequence[str]] | None = None,
) -> str:
    """The legend's HTML; ``extra_groups`` (the control lines, see
    :mod:`geo_app.mapview.references`) come after the catalog's groups, each entry and
    group with optional ``notes`` lines. ``layer_notes``: lines said under a visible
    layer's group (layer id -> lines), such as how its features are drawn."""
    visible_ids = {spec.id for spec in visible}
    layer_notes = layer_notes or {}
    groups = []
    for group_id, specs in catalog.by_group().items():
        shown = [spec for spec in specs if spec.id in visible_ids]
        entries = [entry for spec in shown for entry in _layer_entries(spec, strings, lang)]
        if entries:
            group = {"name": catalog.groups[group_id].name(lang), "entries": entries}
            notes = [note for spec in shown for note in layer_notes.get(spec.id, ())]
            if notes:
                group["notes"] = notes
            groups.append(group)
    groups.extend(extra_groups)
    neutral = LayerStyle(color="#555555", weight=2.5)
    accuracy = [
        {
            "label": strings.get(f"legend.accuracy.{level}", lang),
            "style": _swatch_style(
                neutral,
                dash=rules.accuracy[level].get("dash_array"),
                opacity=float(rules.accuracy[level].get("opacity_factor", 1.0)),
            ),
        }
        for level in ACCURACY_LEVELS
    ]
    backdrop = None
    if backdrop_shown:
        backdrop_style = LayerStyle(color=basemap.backdrop_color, fill_color=basemap.background,
                                    fill_opacity=1.0)
        backdrop = {"label": strings.get("legend.backdrop", lang),
                    "style": _swatch_style(backdrop_style)}
    sample = any(spec.sample_data for spec in visible)
    return template("legend.html").render(
        title=strings.get("legend.title", lang),
        groups=groups,
        accuracy_title=strings.get("legend.accuracy_title", lang),
        accuracy=accuracy,
        backdrop=backdrop,
        sample_note=strings.get("legend.sample_data", lang) if sample else None,
        datum_note=datum_note,
    )
