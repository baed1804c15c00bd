"""The map's own Leaflet elements; their JavaScript and HTML live in ``templates/``."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
from branca.element import Element, Figure, MacroElement
from markupsafe import Markup

from geo_app.mapview.options import Bounds

TEMPLATES_DIR = Path(__file__).with_name("templates")


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


class SafeGeoJsonLayer(RawMacroElement):
    """A GeoJSON layer whose only HTML is each feature's pre-escaped ``_tooltip``/``_popup``."""

    def __init__(self, data: Mapping[str, Any], rules: Mapping[str, Any], bounds: Bounds | None):
        super().__init__()
        self._name = "GeoAppLayer"
        self._template = template("layer.js")
        self.data = data
        self.rules = rules
        self.bounds = bounds

    def _get_self_bounds(self) -> list[list[float | None]]:
        if self.bounds is None:
            return [[None, None], [None, None]]
        return [list(self.bounds[0]), list(self.bounds[1])]


class Legend(RawMacroElement):
    def __init__(self, html: str):
        super().__init__()
        self._name = "GeoAppLegend"
        self._template = template("legend.js")
        self.html = html


class ClickCoordinates(RawMacroElement):
    def __init__(self, hint: str, label: str):
        super().__init__()
        self._name = "GeoAppClick"
        self._template = template("click.js")
        self.hint = hint
        self.label = label


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
