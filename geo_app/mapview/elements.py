"""The map's own Leaflet elements; their JavaScript and HTML live in ``templates/``."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from functools import cached_property, lru_cache
from html import escape
from pathlib import Path
from typing import Any

import jinja2
from branca.element import Element, Figure, MacroElement
from folium.map import Layer
from markupsafe import Markup

from geo_app.mapview.options import Bounds

TEMPLATES_DIR = Path(__file__).with_name("templates")


def html_text(text: str) -> str:
    """Text for a place folium writes as HTML through its own templates.

    Escaped for HTML, and "{" as an entity: folium renders its elements' output a second
    time as a template, where a "{{" from a layer name would run as template code.
    """
    return escape(text).replace("{", "&#123;")


def js_value(value: Any) -> Markup:
    """Compact JSON for a script; ``<``, ``>``, ``&`` and ``'`` escaped so no text can end the tag.

    Keys stay as written (folium's own filter would camel-case them) and Chinese stays UTF-8,
    half the size of ``\\u`` escapes.
    """
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    for raw, escaped in _JS_ESCAPES:
        text = text.replace(raw, escaped)
    return Markup(text)


# "{{", "{%" and "{#" occur in JSON only inside strings (an object's "{" is always followed
# by a quote or "}"), so escaping them there keeps any later template pass from running text.
_JS_ESCAPES = (
    ("<", "\\u003c"),
    (">", "\\u003e"),
    ("&", "\\u0026"),
    ("'", "\\u0027"),
    ("{{", "\\u007b{"),
    ("{%", "\\u007b%"),
    ("{#", "\\u007b#"),
)


class RawElement(Element):
    """Finished text placed in the page as it is: never compiled as a template."""

    def __init__(self, text: str):
        super().__init__()
        self._text = str(text)

    def render(self, **kwargs: Any) -> str:
        return self._text


class RawMacroElement(MacroElement):
    """A MacroElement whose rendered parts are inserted verbatim.

    branca's MacroElement turns each rendered part into a new template and renders it again;
    a "{{" in a feature's name would then be run as template code. Here the parts are
    rendered once, from our own templates, and then only copied.
    """

    def render(self, **kwargs: Any) -> None:
        figure = self.get_root()
        if not isinstance(figure, Figure):
            raise TypeError(f"{self._name} must be inside a folium Figure to render")
        macros = self._template.module.__dict__
        for part, target in (
            ("header", figure.header),
            ("html", figure.html),
            ("script", figure.script),
        ):
            macro = macros.get(part)
            if macro is not None:
                target.add_child(RawElement(macro(self, kwargs)), name=self.get_name())
        for child in self._children.values():
            child.render(**kwargs)


@lru_cache(maxsize=1)
def template_environment() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default=False),
        undefined=jinja2.StrictUndefined,
    )
    environment.filters["js_value"] = js_value
    return environment


def template(name: str) -> jinja2.Template:
    return template_environment().get_template(name)


# A popup is mostly table rows, and most rows ("layer: …", "accuracy: …") recur across a
# layer's features: the page gets each distinct piece once.
_POPUP_PIECE = re.compile(r"(<tr>.*?</tr>)", re.DOTALL)


def pack_popups(data: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """``data`` with each feature's ``_popup`` HTML as indexes into a list of pieces.

    Joining the pieces in order gives the popup back exactly (the text is split, never
    changed), so what was escaped stays escaped.
    """
    pieces: dict[str, int] = {}
    features = []
    for feature in data.get("features", []):
        properties = feature.get("properties") or {}
        popup = properties.get("_popup")
        if isinstance(popup, str) and popup:
            parts = [part for part in _POPUP_PIECE.split(popup) if part]
            properties = {**properties,
                          "_popup": [pieces.setdefault(part, len(pieces)) for part in parts]}
            feature = {**feature, "properties": properties}
        features.append(feature)
    return {**data, "features": features}, list(pieces)


class SafeGeoJsonLayer(RawMacroElement):
    """A GeoJSON layer whose only HTML is each feature's pre-escaped ``_tooltip``/``_popup``
    (popups travel packed, see :func:`pack_popups`, and are joined again in the browser)."""

    def __init__(self, data: Mapping[str, Any], rules: Mapping[str, Any], bounds: Bounds | None):
        super().__init__()
        self._name = "GeoAppLayer"
        self._template = template("layer.js")
        self.data = data
        self.rules = rules
        self.bounds = bounds

    @cached_property
    def packed(self) -> Markup:
        """The layer's data and popup pieces as one script value, serialised once (the map
        is rendered more than once on its way to the page)."""
        data, pieces = pack_popups(self.data)
        return js_value({"data": data, "popupPieces": pieces})

    def _get_self_bounds(self) -> list[list[float | None]]:
        if self.bounds is None:
            return [[None, None], [None, None]]
        return [list(self.bounds[0]), list(self.bounds[1])]


class LatePlugins(RawMacroElement):
    """Plugin controls whose files are loaded after the map's first draw (served pages).

    A control given to :meth:`add` is not a child of the map: this element's script adds
    it once its plugin files have arrived.
    """

    def __init__(self) -> None:
        super().__init__()
        self._name = "GeoAppLatePlugins"
        self._template = template("late_plugins.js")
        self.scripts: list[str] = []
        self.styles: list[str] = []
        self.parts: list[MacroElement] = []

    def add(self, parent: MacroElement, control: MacroElement, scripts: Sequence[str],
            styles: Sequence[str]) -> None:
        """``control`` (drawn on ``parent``) once ``scripts`` and ``styles`` are loaded;
        controls run in the order they were added."""
        control._parent = parent
        self.parts.append(control)
        self.scripts.extend(url for url in scripts if url not in self.scripts)
        self.styles.extend(url for url in styles if url not in self.styles)

    def parts_script(self) -> Markup:
        """The controls' own scripts, in order; a name one declares is put on window."""
        lines = []
        for index, part in enumerate(self.parts):
            # Named after this element, so the page's script is the same on every run
            # (a changed script would make streamlit-folium draw the map anew).
            part._id = f"{self._id}_{index}"
            text = str(part._template.module.script(part, {}))
            lines.append(text)
            name = part.get_name()
            if re.search(rf"\bvar\s+{re.escape(name)}\b", text):
                lines.append(f"window[{json.dumps(name)}] = {name};")
        return Markup("\n".join(lines))


class Legend(RawMacroElement):
    def __init__(self, html: str):
        super().__init__()
        self._name = "GeoAppLegend"
        self._template = template("legend.js")
        self.html = html


class DisplayDatum(RawMacroElement):
    """The basemap's datum in the page: turns points read off the tiles back into WGS84."""

    def __init__(self, datum: str):
        super().__init__()
        self._name = "GeoAppDatum"
        self._template = template("datum.js")
        self.datum = datum


class MeasureInWgs84(RawMacroElement):
    """Makes leaflet-measure measure in WGS84 on GCJ-02 tiles; add before the control."""

    def __init__(self, datum: DisplayDatum):
        super().__init__()
        self._name = "GeoAppMeasureDatum"
        self._template = template("measure_datum.js")
        self.datum = datum


class ClickCoordinates(RawMacroElement):
    def __init__(self, hint: str, label: str, datum: DisplayDatum):
        super().__init__()
        self._name = "GeoAppClick"
        self._template = template("click.js")
        self.hint = hint
        self.label = label
        self.datum = datum


class TileFallback(RawMacroElement):
    """Draws ``backdrop`` and a notice, once, when the tile layers cannot be fetched."""

    def __init__(self, tile_layers: Sequence[Any], backdrop: Any | None, text: str,
                 background: str, max_errors: int = 4, silence_ms: int = 15000):
        super().__init__()
        self._name = "GeoAppTileFallback"
        self._template = template("tile_fallback.js")
        self.tile_layers = list(tile_layers)
        self.backdrop = backdrop
        self.text = text
        self.background = background
        self.max_errors = max_errors
        self.silence_ms = silence_ms


class Attribution(RawMacroElement):
    """One more line in the map's attribution corner; ``html`` must already be escaped."""

    def __init__(self, html: str):
        super().__init__()
        self._name = "GeoAppAttribution"
        self._template = template("attribution.js")
        self.html = html


class LayerSwitcher(RawMacroElement):
    """Leaflet's layer switcher for the map's layers that ask for one (``control=True``).

    Like folium's LayerControl it lists the layers added before it, so add it last.
    """

    def __init__(self, position: str = "topright", collapsed: bool = True) -> None:
        super().__init__()
        self._name = "GeoAppLayers"
        self._template = template("layer_control.js")
        self.options = {"position": position, "collapsed": collapsed, "autoZIndex": True}
        self.base_layers: dict[str, str] = {}
        self.overlays: dict[str, str] = {}

    def render(self, **kwargs: Any) -> None:
        self.base_layers, self.overlays = {}, {}
        for item in self._parent._children.values():
            if isinstance(item, Layer) and item.control:
                named = self.overlays if item.overlay else self.base_layers
                named[item.layer_name] = item.get_name()
        super().render(**kwargs)


class ScaleBar(RawMacroElement):
    def __init__(self) -> None:
        super().__init__()
        self._name = "GeoAppScale"
        self._template = template("scale.js")


class PageStyle(RawMacroElement):
    def __init__(self, background: str):
        super().__init__()
        self._name = "GeoAppStyle"
        self._template = template("page.css")
        if not re.fullmatch(r"#[0-9a-fA-F]{3,8}", background):
            raise ValueError(f"background must be a hex colour, not {background!r}")
        self.background = background


_SCRIPT_END = re.compile(r"</(script)", re.IGNORECASE)
_STYLE_END = re.compile(r"</(style)", re.IGNORECASE)


class InlineAssets(RawElement):
    """Vendored CSS and JS written into the page head, in the order given."""

    def __init__(self, styles: Sequence[str], scripts: Sequence[str]):
        # The texts are the pinned vendored files; only a closing tag could break the page.
        super().__init__(
            template("inline_assets.html").render(
                styles=[Markup(_STYLE_END.sub(r"<\\/\1", css)) for css in styles],
                scripts=[Markup(_SCRIPT_END.sub(r"<\\/\1", js)) for js in scripts],
            )
        )
