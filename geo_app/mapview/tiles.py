"""The parcel layer drawn from vector tiles: one PMTiles archive the app serves itself.

A workspace above the tile threshold (:mod:`geo_app.workspace.tile_file`) does not travel
to the browser as GeoJSON: the page names the archive of the workspace's current change,
and protomaps-leaflet reads the tiles it needs from it with HTTP range requests, on a
canvas, as the map pans and zooms (no server round trip for drawing). The parcels keep the
layer's look: colour by status from the catalog's palette, the accuracy's dash and
opacities, the sidebar's filters (applied in the browser to the values written in the
tiles, which are the ledger's filter keys). What a tile does not hold (names, popups,
hectares) the server answers on a click, from the workspace.

While the archive of the workspace's current change is still being written (in a worker),
the page draws what it can: the archive of the change before, faded and named out of date
in the legend, or else the dashed outline of the parcels' extent. Neither is ever drawn as
the current parcels.

A page that opens from disk (the HTML export) has no server to read ranges from, nor to
answer a click: it carries the archive itself (``url`` is then ``#`` and the id of the
element holding it, :func:`page_archive_url`), and a click opens a popup from the tile's
own values (``popup``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from folium.elements import JSCSSMixin

from geo_app.mapview.elements import RawMacroElement, template
from geo_app.mapview.options import Bounds, ParcelFilter

# vendor.toml's name for the library's script.
TILES_JS = ("protomaps_js",)
# Zooms the browser may draw: closer ones are drawn from the archive's last level.
DRAWN_MAX_ZOOM = 22


@dataclass(frozen=True)
class ParcelTiles:
    """What the map needs to draw the parcel layer from an archive.

    ``url``: the archive as served, None while none can be drawn (its tiles are being
    prepared: the map outlines ``bounds``); ``bounds``: its parcels' extent in display
    coordinates (Leaflet order), None when empty; ``highlight``: the selected parcel as a
    GeoJSON feature (the map cannot find it among tiles), None when no parcel is selected;
    ``out_of_date``: the archive is of an earlier change, drawn while the current one is
    prepared; ``popup``: what a click on a parcel shows when no server answers it (see
    :func:`tile_popup`), None where the server does.
    """

    url: str | None
    bounds: Bounds | None
    min_zoom: int
    max_zoom: int
    layer: str = "parcels"
    count: int = 0
    highlight: Mapping[str, Any] | None = None
    out_of_date: bool = False
    popup: Mapping[str, Any] | None = None

    @property
    def preparing(self) -> bool:
        """Whether the archive of the current change is still being prepared."""
        return self.out_of_date or self.url is None


def page_archive_url(element_id: str) -> str:
    """The ``url`` of an archive the page carries in the element ``element_id``."""
    return f"#{element_id}"


def tile_popup(fields: Sequence[tuple[str, str]], words: Mapping[str, Mapping[str, str]],
               note: str, sample: str | None = None) -> dict[str, Any]:
    """A popup made in the page from a tile's values: ``fields`` (tile column, label) in
    order, ``words`` (column -> value -> the page's words for it), ``note`` under them,
    ``sample``: the sample-data flag, None for real parcels."""
    return {"fields": [list(field) for field in fields],
            "words": {column: dict(values) for column, values in words.items()},
            "note": note, "sample": sample}


def _dash(text: str | None) -> list[float] | None:
    if not text:
        return None
    values = [float(v) for v in str(text).replace(",", " ").split()]
    return values or None


def _filter(parcel_filter: ParcelFilter) -> dict[str, list[str] | None]:
    return {
        key: None if allowed is None else sorted(allowed)
        for key, allowed in (
            ("status", parcel_filter.statuses),
            ("town", parcel_filter.towns),
            ("quarter", parcel_filter.quarters),
        )
    }


def tile_rules(layer_rules: Mapping[str, Any], parcel_filter: ParcelFilter,
               tiles: ParcelTiles, labels: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The GeoJSON layer's rules (see ``builder._layer_rules``) as the tile layer uses
    them: dash patterns as numbers, the filter, the archive's zooms; ``labels``: the
    colour field's values as the page's language says them (for the hover text)."""
    accuracy = {
        level: {**values, "dashArray": _dash(values.get("dashArray"))}
        for level, values in layer_rules.get("accuracy", {}).items()
    }
    base = dict(layer_rules["base"])
    base["dashArray"] = _dash(base.get("dashArray"))
    return {
        "base": base,
        "colorBy": layer_rules.get("colorBy"),
        "palette": dict(layer_rules.get("palette", {})),
        "accuracy": accuracy,
        "filter": _filter(parcel_filter),
        "pane": layer_rules.get("pane") or "overlayPane",
        "attribution": layer_rules.get("attribution", ""),
        "url": tiles.url,
        "layer": tiles.layer,
        "minZoom": tiles.min_zoom,
        "maxDataZoom": tiles.max_zoom,
        "maxZoom": DRAWN_MAX_ZOOM,
        "labels": dict(labels or {}),
        "outOfDate": tiles.out_of_date,
        "popup": None if tiles.popup is None else dict(tiles.popup),
    }


class ParcelTileLayer(JSCSSMixin, RawMacroElement):
    """The parcels from the archive, drawn on canvas tiles by protomaps-leaflet (its
    script comes with the page, before the map: the layer is made with the map)."""

    default_js: ClassVar[list] = []
    default_css: ClassVar[list] = []

    def __init__(self, rules: Mapping[str, Any], bounds: Bounds | None):
        super().__init__()
        self._name = "GeoAppParcelTiles"
        self._template = template("parcel_tiles.js")
        self.rules = rules
        self.bounds = bounds

    def _get_self_bounds(self) -> list[list[float | None]]:
        if self.bounds is None:
            return [[None, None], [None, None]]
        return [list(self.bounds[0]), list(self.bounds[1])]
