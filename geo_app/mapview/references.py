"""Control lines on the map: the workspace's reference layers and the compliance check's
conflict pieces.

A small layer (at most :func:`reference_tile_threshold` polygons) travels in the page: its
polygons near the parcels, within :data:`NEAR_MARGIN_M` of one, simplified for display and
written compactly (whole 1e-5 degrees, each vertex as the step from the one before, every
distinct cell text once). A bigger one, a district's farmland or land-use layer of a
hundred thousand polygons, is drawn whole from a PMTiles archive of its own
(:mod:`geo_app.workspace.tile_file`, written by a worker once per stored layer), styled as
the small ones are; a click on one of its polygons is answered from the tile (class, id)
and, for the polygon's columns, by the server (:func:`reference_polygons_at`). Until its
archive is written, the page draws its polygons near the parcels, at most :data:`MAX_DRAWN`
(those touching a parcel first, then the nearest), and the legend says so. The check itself
always uses every polygon (:mod:`geo_app.control.check`); hectares never come from the
display copy.

The preparation (:func:`control_overlay`) does not depend on the page's language and is
done once per change of the parcels or the layers; :func:`add_control_overlay` adds it to a
map with the words of the page's language. Every text that reaches the page as HTML (column
names, cell texts, layer names, file names) is escaped here, on the server; the page only
joins escaped pieces.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from html import escape
from typing import Any, ClassVar

import folium
import numpy as np
import shapely
from folium.elements import JSCSSMixin
from folium.map import CustomPane
from markupsafe import Markup
from shapely.geometry.base import BaseGeometry

from geo_app.basemaps.display_datum import to_display_datum
from geo_app.control.check import CheckResult
from geo_app.control.kinds import Kind, KindRegistry, kinds
from geo_app.i18n import Strings
from geo_app.mapview.elements import (
    RawMacroElement,
    html_text,
    js_value,
    template,
)
from geo_app.mapview.options import DEFAULT_SIMPLIFY_DEG
from geo_app.mapview.popups import PLANNER_ROWS, PLANNER_VALUE_CHARS
from geo_app.values import is_missing
from geo_app.workspace import ReferenceLayer, Workspace
from geo_app.workspace.references import envelope
from geo_app.workspace.tile_file import tile_threshold

# Polygons farther than this from every parcel are not drawn.
NEAR_MARGIN_M = 500.0
# At most this many polygons of one layer are drawn: about 110 KB of page for a layer of
# field polygons (see tests/mapview/test_mapview_references.py).
MAX_DRAWN = 1500
# Zooms the browser may draw a tiled layer at: closer ones from the archive's last level.
DRAWN_MAX_ZOOM = 22
# Land-use classes with a legend entry of their own; the rest are counted in one line.
MAX_LEGEND_CLASSES = 12
# Whole units of this many per degree: 1e-5 degree, about 1 m here.
COORDINATE_SCALE = 100_000
METRES_PER_DEGREE = 111_320.0
# Panes, once the map has reference layers: one per kind, over the plan's other layers
# (overlayPane, 400: a district outline or a schematic zone would otherwise catch every
# pointer over them) and under the parcels, which move to a pane of their own with the
# selection; the conflict pieces lie over the parcels, under markers, tooltips and popups.
# Kinds stack in reverse order of kinds.toml, whatever is switched off and on again: the
# land-use survey (which covers everything) lowest, farmland highest.
REFERENCE_PANE = "gmReferences"
REFERENCE_PANE_Z = 400
PARCEL_PANE = "gmParcels"
PARCEL_PANE_Z = 410
CONFLICT_PANE = "gmConflicts"
CONFLICT_PANE_Z = 450
# At most this many vertices of conflict pieces are drawn (about 150 KB of page); the
# pieces of the parcels after them are left out, and the legend says how many.
MAX_CONFLICT_VERTICES = 20_000
HATCH_ID = "gmConflictHatch"
CONFLICT_STYLE = {"color": "#e31a1c", "weight": 2.5, "dash": "6 3",
                  "fill": f"url(#{HATCH_ID})", "fill_opacity": 1.0}
# Between the conflicts of one parcel, by language.
SEPARATORS = {"zh": "；", "en": "; "}
# A boolean cell, in the popup.
BOOLEAN_TEXT = {True: "✓", False: "✗"}


# ----------------------------------------------------------------------- prepared data


def reference_tile_threshold(environ: Any = None) -> int:
    """The polygon count above which a reference layer is drawn whole from tiles: the
    parcels' tile threshold (``GEO_APP_TILE_THRESHOLD``), and never above
    :data:`MAX_DRAWN`, so a layer drawn in the page is never cut short."""
    import os

    return min(tile_threshold(os.environ if environ is None else environ), MAX_DRAWN)


@dataclass(frozen=True)
class ReferenceDrawing:
    """One reference layer made ready for the page, in no particular language.

    ``near``: its polygons near the parcels; ``shown``: those drawn (at most
    :data:`MAX_DRAWN`). ``classes`` and ``class_counts``: the land-use classes drawn, most
    frequent first (empty for the other kinds). ``payload``: the script value the page
    reads, serialised once.
    """

    layer: ReferenceLayer
    near: int
    shown: int
    classes: tuple[str, ...]
    class_counts: tuple[int, ...]
    more_columns: int
    payload: Markup
    # The polygons as drawn (display datum) that catch the pointer (filled kinds only),
    # for telling the page's click handling that a click landed on one.
    clickable: shapely.STRtree | None = field(default=None, compare=False, repr=False)
    # Big enough to be drawn whole from tiles (the payload then serves only until its
    # archive is written), with the whole layer's classes, most frequent first.
    tiled: bool = False
    all_classes: tuple[str, ...] = ()
    all_class_counts: tuple[int, ...] = ()

    @property
    def left_out(self) -> int:
        return self.near - self.shown

    @property
    def payload_bytes(self) -> int:
        return len(str(self.payload).encode("utf-8"))


@dataclass(frozen=True)
class ConflictPiece:
    """A part of a parcel in conflict with one kind of control line, as drawn."""

    parcel_id: str
    kind: str
    hectares: float
    classes: tuple[tuple[str, float], ...]
    # As :func:`encoded_polygons` writes it.
    rings: list[list[list[int]]]


@dataclass(frozen=True)
class ControlOverlay:
    """What the map draws of the control lines: the active reference layers near the
    parcels and the conflict pieces of the check."""

    references: tuple[ReferenceDrawing, ...] = ()
    conflicts: tuple[ConflictPiece, ...] = ()
    margin_m: float = NEAR_MARGIN_M
    # The check's conflicts by parcel, for the pieces' popups.
    conflict_texts: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    # Conflict pieces not drawn (past :data:`MAX_CONFLICT_VERTICES`).
    conflicts_left_out: int = 0

    @property
    def is_empty(self) -> bool:
        return not self.references and not self.conflicts

    @property
    def left_out(self) -> int:
        return sum(drawing.left_out for drawing in self.references)

    @property
    def tiled(self) -> tuple[ReferenceDrawing, ...]:
        """The layers drawn whole from tiles (once their archives are written)."""
        return tuple(drawing for drawing in self.references if drawing.tiled)

    def reference_at(self, x: float, y: float) -> bool:
        """Whether a click at (x, y), in the map's display datum, landed on a drawn
        reference polygon (one with a fill: an outline is only hit on its line)."""
        point = shapely.Point(x, y)
        return any(
            drawing.clickable is not None
            and len(drawing.clickable.query(point, predicate="intersects"))
            for drawing in self.references
        )


def _margin_degrees(margin_m: float, latitude: float) -> float:
    """``margin_m`` in degrees of longitude (the larger of the two degrees here)."""
    return margin_m / (METRES_PER_DEGREE * max(math.cos(math.radians(latitude)), 0.1))


def _grown(bounds: tuple[float, float, float, float], by: float) -> tuple[float, ...]:
    west, south, east, north = bounds
    return (west - by, south - by, east + by, north + by)


def _nearest_first(geometries: np.ndarray, fids: np.ndarray, tree: shapely.STRtree,
                   margin_deg: float) -> np.ndarray:
    """Positions of the polygons within ``margin_deg`` of a parcel, touching ones first,
    then by distance (ties by feature id, so a page is the same on every run)."""
    if not len(geometries):
        return np.zeros(0, dtype=np.int64)
    pairs, distance = tree.query_nearest(
        geometries, max_distance=margin_deg, return_distance=True, all_matches=False
    )
    positions = np.asarray(pairs[0], dtype=np.int64)
    order = np.lexsort((fids[positions], distance))
    return positions[order]


def _display_geometries(geometries: np.ndarray, datum: str, simplify_deg: float) -> np.ndarray:
    shown = geometries
    if simplify_deg > 0 and len(shown):
        simpler = shapely.simplify(shown, simplify_deg, preserve_topology=True)
        shown = np.where(shapely.is_empty(simpler), shown, simpler)
    if datum != "wgs84" and len(shown):
        shown = shapely.transform(shown, lambda xy: to_display_datum(xy, datum))
    return shown


def encoded_polygons(geometries: np.ndarray) -> list[list[list[list[int]]]]:
    """Each (multi)polygon as its polygons' rings, each ring a flat list of whole 1e-5
    degrees: the first vertex, then each step from the one before (the closing vertex left
    out: the page closes rings itself). Computed for the whole array at once."""
    parts, part_owner = shapely.get_parts(geometries, return_index=True)
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    coordinates, coordinate_ring = shapely.get_coordinates(rings, return_index=True)
    units = np.rint(coordinates * COORDINATE_SCALE).astype(np.int64)
    starts = np.flatnonzero(np.r_[True, coordinate_ring[1:] != coordinate_ring[:-1]])
    steps = np.diff(units, axis=0, prepend=units[:1])
    steps[starts] = units[starts]
    last = np.r_[starts[1:], len(units)] - 1
    keep = np.ones(len(units), dtype=bool)
    keep[last] = False
    flat = steps[keep].ravel().tolist()
    # Each ring's place in the flat list (two numbers per vertex kept).
    sizes = 2 * (np.r_[starts[1:], len(units)] - starts - 1)
    bounds = np.r_[0, np.cumsum(sizes)].tolist()
    out: list[list[list[list[int]]]] = [[] for _ in range(len(geometries))]
    current: dict[int, list[list[int]]] = {}
    for ring_number, part in enumerate(ring_part.tolist()):
        if part not in current:
            current[part] = []
            out[int(part_owner[part])].append(current[part])
        current[part].append(flat[bounds[ring_number]:bounds[ring_number + 1]])
    return out


def decoded_rings(polygons: Sequence[Sequence[Sequence[int]]]) -> list[list[list[tuple]]]:
    """:func:`encoded_polygons` read back as (lon, lat) rings, as the page reads them."""
    out = []
    for rings in polygons:
        decoded = []
        for flat in rings:
            units = np.cumsum(np.asarray(flat, dtype=np.int64).reshape(-1, 2), axis=0)
            decoded.append([tuple(xy) for xy in (units / COORDINATE_SCALE).tolist()])
        out.append(decoded)
    return out


def cell_text(value: Any) -> str | None:
    """A cell of the file as the popup shows it (None: nothing to show)."""
    if is_missing(value):
        return None
    if isinstance(value, bool):
        return BOOLEAN_TEXT[value]
    text = str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)
    text = text.strip()
    if not text:
        return None
    if len(text) > PLANNER_VALUE_CHARS:
        text = text[: PLANNER_VALUE_CHARS - 1] + "…"
    return text


def _columns(properties: Sequence[Mapping[str, Any]]) -> list[str]:
    seen: dict[str, None] = {}
    for row in properties:
        for name in row:
            seen.setdefault(str(name), None)
    return list(seen)


def _cells(properties: Sequence[Mapping[str, Any]], columns: Sequence[str]
           ) -> tuple[list[list[int]], list[str]]:
    """Per feature, per column: 0 (nothing) or 1 + the index of its escaped text in the
    list of distinct texts."""
    texts: dict[str, int] = {}
    rows = []
    for row in properties:
        cells = []
        for name in columns:
            text = cell_text(row.get(name))
            cells.append(0 if text is None else 1 + texts.setdefault(escape(text), len(texts)))
        while cells and cells[-1] == 0:
            cells.pop()
        rows.append(cells)
    return rows, list(texts)


def draw_reference(
    workspace: Workspace,
    layer: ReferenceLayer,
    parcels: Sequence[BaseGeometry],
    *,
    datum: str = "wgs84",
    simplify_deg: float = DEFAULT_SIMPLIFY_DEG,
    margin_m: float = NEAR_MARGIN_M,
    cap: int = MAX_DRAWN,
    registry: KindRegistry | None = None,
    tile_above: int | None = None,
) -> ReferenceDrawing:
    """``layer``'s polygons near ``parcels`` (lon/lat), made ready for the page; a layer of
    more than ``tile_above`` polygons (:func:`reference_tile_threshold`) is marked to be
    drawn whole from tiles, with its whole classes for the legend."""
    registry = registry or kinds()
    limit = reference_tile_threshold() if tile_above is None else tile_above
    tiled: dict[str, Any] = {}
    if layer.feature_count > limit:
        tiled["tiled"] = True
        if registry[layer.kind].rule == "classes":
            counted = workspace.reference_class_counts(layer.layer_id)
            tiled["all_classes"] = tuple(name or "" for name, _ in counted)
            tiled["all_class_counts"] = tuple(count for _, count in counted)
    parcel_array = np.asarray(list(parcels), dtype=object)
    box = envelope(parcel_array)
    empty = ReferenceDrawing(layer, 0, 0, (), (), 0, js_value({"g": []}), **tiled)
    if box is None:
        return empty
    margin_deg = _margin_degrees(margin_m, (box[1] + box[3]) / 2)
    features = workspace.reference_features(
        layer.layer_id, _grown(box, margin_deg), with_properties=True
    )
    order = _nearest_first(features.geometries, features.fids,
                           shapely.STRtree(parcel_array), margin_deg)
    if not len(order):
        return empty
    chosen = order[:cap]
    geometries = _display_geometries(features.geometries[chosen], datum, simplify_deg)
    properties = [features.properties[i] for i in chosen] if features.properties else []
    all_columns = _columns(properties)
    columns = all_columns[:PLANNER_ROWS]
    cells, texts = _cells(properties, columns)
    payload: dict[str, Any] = {
        "g": encoded_polygons(geometries),
        "v": cells,
        "cols": [escape(name) for name in columns],
        "vals": texts,
    }
    classes: tuple[str, ...] = ()
    counts: tuple[int, ...] = ()
    if registry[layer.kind].rule == "classes":
        names = [features.classes[i] or "" for i in chosen]
        distinct, inverse, tally = np.unique(np.asarray(names, dtype=object),
                                             return_inverse=True, return_counts=True)
        # Most frequent first; the page's palette and the legend follow this order.
        rank = np.lexsort((distinct.astype(str), -tally))
        position = np.empty(len(rank), dtype=np.int64)
        position[rank] = np.arange(len(rank))
        classes = tuple(str(distinct[i]) for i in rank)
        counts = tuple(int(tally[i]) for i in rank)
        payload["c"] = position[inverse].tolist()
    filled = registry[layer.kind].fill_opacity > 0
    return ReferenceDrawing(
        layer=layer, near=len(order), shown=len(chosen), classes=classes,
        class_counts=counts, more_columns=max(0, len(all_columns) - PLANNER_ROWS),
        payload=js_value(payload),
        clickable=shapely.STRtree(geometries) if filled else None,
        **tiled,
    )


def _conflict_pieces(check: CheckResult, datum: str, simplify_deg: float,
                     max_vertices: int = MAX_CONFLICT_VERTICES,
                     ) -> tuple[tuple[ConflictPiece, ...], int]:
    """The check's conflict pieces as drawn, and how many were left out."""
    found = [(parcel, conflict, parcel.pieces.get(conflict.kind))
             for parcel in check.parcels for conflict in parcel.conflicts]
    found = [(p, c, g) for p, c, g in found if g is not None and not g.is_empty]
    if not found:
        return (), 0
    shown = _display_geometries(np.asarray([g for _, _, g in found], dtype=object), datum,
                                simplify_deg)
    pieces = []
    vertices = 0
    for (parcel, conflict, _), rings in zip(found, encoded_polygons(shown), strict=True):
        vertices += sum(len(ring) for polygon in rings for ring in polygon) // 2
        if vertices > max_vertices and pieces:
            break
        pieces.append(ConflictPiece(parcel.parcel_id, conflict.kind, conflict.hectares,
                                    conflict.classes, rings))
    return tuple(pieces), len(found) - len(pieces)


def control_overlay(
    workspace: Workspace,
    parcels: Sequence[BaseGeometry],
    check: CheckResult | None = None,
    *,
    datum: str = "wgs84",
    simplify_deg: float = DEFAULT_SIMPLIFY_DEG,
    margin_m: float = NEAR_MARGIN_M,
    cap: int = MAX_DRAWN,
    tile_above: int | None = None,
) -> ControlOverlay:
    """The workspace's active reference layers near ``parcels`` (those of more than
    ``tile_above`` polygons marked to be drawn whole from tiles) and, when ``check`` is
    given, its conflict pieces; in ``datum`` (the basemap's)."""
    registry = kinds()
    layers = sorted(workspace.reference_layers(),
                    key=lambda layer: (registry[layer.kind].order, layer.layer_id))
    drawings = tuple(
        draw_reference(workspace, layer, parcels, datum=datum, simplify_deg=simplify_deg,
                       margin_m=margin_m, cap=cap, registry=registry, tile_above=tile_above)
        for layer in layers
    )
    conflicts, left_out = (
        _conflict_pieces(check, datum, simplify_deg) if check is not None else ((), 0)
    )
    texts = {
        parcel.parcel_id: {lang: SEPARATORS[lang].join(c.text(lang) for c in parcel.conflicts)
                           for lang in SEPARATORS}
        for parcel in (check.in_conflict if check is not None else [])
    }
    return ControlOverlay(drawings, conflicts, margin_m, texts, left_out)


@dataclass(frozen=True)
class ReferenceTiles:
    """A reference layer's archive, ready to draw: ``url`` as served, the archive's zooms
    and ``count`` of polygons."""

    layer_id: int
    url: str
    count: int
    min_zoom: int
    max_zoom: int
    layer: str = "reference"


@dataclass(frozen=True)
class PolygonHere:
    """A reference polygon under a click, as the server answers it: its layer, feature id,
    class and columns (the tile holds only the id and the class)."""

    drawing: ReferenceDrawing
    fid: int
    land_class: str | None
    properties: Mapping[str, Any]


def reference_polygons_at(workspace: Workspace, drawings: Sequence[ReferenceDrawing],
                          lon: float, lat: float) -> list[PolygonHere]:
    """The polygons of ``drawings`` under (lon, lat), lon/lat (the stored layer, never the
    display copy), highest pane first."""
    registry = kinds()
    point = shapely.Point(lon, lat)
    found = []
    for drawing in sorted(drawings, key=lambda d: registry[d.layer.kind].order):
        features = workspace.reference_features(drawing.layer.layer_id, (lon, lat, lon, lat),
                                                with_properties=True)
        for i in np.flatnonzero(shapely.intersects(features.geometries, point)):
            found.append(PolygonHere(drawing, int(features.fids[i]), features.classes[i],
                                     (features.properties or [{}] * len(features))[i]))
    return found


def polygon_rows(found: PolygonHere, strings: Strings, lang: str) -> list[tuple[str, str]]:
    """What the page says of a polygon under a click: its layer, id, class and columns
    (plain text: the page writes it as text)."""
    registry = kinds()
    kind = registry[found.drawing.layer.kind]
    word = lambda name: strings.get(f"map.reference.popup.{name}", lang)  # noqa: E731
    rows = [(word("layer"), _layer_label(kind, found.drawing.layer, strings, lang)),
            (word("feature"), str(found.fid))]
    if kind.rule == "classes":
        rows.append((word("class"), found.land_class
                     or strings.get("map.reference.no_class", lang)))
    for name, value in found.properties.items():
        text = cell_text(value)
        if text is not None:
            rows.append((str(name), text))
    return rows


# ----------------------------------------------------------------------- on the map


class CompactPolygons(RawMacroElement):
    """Polygons sent compact (:func:`encoded_polygons`) in a pane of their own: a reference
    layer, styled by its kind (land use by class), or the conflict pieces. Each polygon has
    a tooltip and a popup joined in the page from pieces escaped here."""

    def __init__(self, payload: Markup, style: Mapping[str, Any], texts: Mapping[str, Any]):
        super().__init__()
        self._name = "GeoAppCompactPolygons"
        self._template = template("compact_polygons.js")
        self.payload = payload
        self.style = style
        self.texts = texts


class ReferenceTileLayer(JSCSSMixin, RawMacroElement):
    """A reference layer drawn whole from its archive by protomaps-leaflet, in its kind's
    pane; a click on a polygon opens its popup (see ``reference_tiles.js``)."""

    default_js: ClassVar[list] = []
    default_css: ClassVar[list] = []

    def __init__(self, rules: Mapping[str, Any], texts: Mapping[str, Any]):
        super().__init__()
        self._name = "GeoAppReferenceTiles"
        self._template = template("reference_tiles.js")
        self.rules = rules
        self.texts = texts


class ConflictHatch(RawMacroElement):
    """The hatching conflict pieces (and their legend swatch) are filled with."""

    def __init__(self) -> None:
        super().__init__()
        self._name = "GeoAppConflictHatch"
        self._template = template("conflict_hatch.js")
        self.pattern_id = HATCH_ID
        self.color = CONFLICT_STYLE["color"]


class ControlLineStyle(RawMacroElement):
    """The looks of the control lines' lines in the legend."""

    def __init__(self) -> None:
        super().__init__()
        self._name = "GeoAppControlLineStyle"
        self._template = template("control_lines.css")


def _when(stamp: str) -> str:
    """A stored UTC stamp to the minute, as people read it."""
    return stamp[:16].replace("T", " ")


def _layer_label(kind: Kind, layer: ReferenceLayer, strings: Strings, lang: str) -> str:
    """The kind's name, and the layer's own when the planner gave it another."""
    if layer.name in (kind.zh, kind.en):
        return kind.label(lang)
    return strings.get("map.reference.layer", lang, kind=kind.label(lang), name=layer.name)


def _loaded(strings: Strings, layer: ReferenceLayer, lang: str) -> str:
    return strings.get("map.reference.loaded", lang, file=layer.source,
                       at=_when(layer.loaded_at), by=layer.loaded_by)


def _style(kind: Kind, registry: KindRegistry, drawing: ReferenceDrawing) -> dict[str, Any]:
    base = {
        "color": kind.color, "weight": kind.weight, "opacity": 1.0,
        "fillColor": kind.fill_color, "fillOpacity": kind.fill_opacity,
        "fill": kind.fill_opacity > 0,
    }
    if kind.dash:
        base["dashArray"] = kind.dash
    style: dict[str, Any] = {"base": base, "pane": reference_pane(kind, registry)[0]}
    if drawing.classes:
        style["palette"] = [registry.class_color(name) for name in drawing.classes]
    return style


def _row(label: str, value: str) -> str:
    return f"<tr><th>{escape(label)}</th><td>{escape(value)}</td></tr>"


def _texts(kind: Kind, drawing: ReferenceDrawing, strings: Strings, lang: str) -> dict[str, Any]:
    """The layer's words for its tooltips and popups, escaped."""
    layer = drawing.layer
    label = _layer_label(kind, layer, strings, lang)
    word = lambda name: strings.get(f"map.reference.popup.{name}", lang)  # noqa: E731
    caveat = strings.get("map.reference.caveat", lang)
    rows = (_row(word("layer"), label) + _row(word("kind"), kind.label(lang))
            + _row(word("source"), layer.source)
            + _row(word("loaded"), strings.get("map.reference.loaded_value", lang,
                                               at=_when(layer.loaded_at), by=layer.loaded_by)))
    more = ""
    if drawing.more_columns:
        text = escape(strings.get("popup.more_columns", lang, count=drawing.more_columns))
        more = f'<tr><td colspan="2" class="gm-more">{text}</td></tr>'
    return {
        "tooltipHead": f"<b>{escape(label)}",
        "tooltipTail": f"</b><br>{escape(caveat)} · {escape(layer.source)}",
        "classSeparator": escape(" · "),
        "classes": [escape(name or strings.get("map.reference.no_class", lang))
                    for name in drawing.classes],
        "popupHead": (f'<div class="gm-popup"><h4>{escape(label)}</h4>'
                      f'<div class="gm-sample">{escape(caveat)}</div><table>{rows}'),
        "classRow": f"<tr><th>{escape(word('class'))}</th><td>",
        "popupTail": f"{more}</table></div>",
    }


def _tile_texts(kind: Kind, drawing: ReferenceDrawing, strings: Strings,
                lang: str) -> dict[str, Any]:
    """The popup's pieces for a layer drawn from tiles, escaped: the tile gives a polygon's
    class (looked up in ``classNames``, its escaped text at the same place in ``classes``)
    and its id; the columns are the server's to name, under the map."""
    texts = _texts(kind, dataclasses.replace(drawing, more_columns=0), strings, lang)
    word = lambda name: strings.get(f"map.reference.popup.{name}", lang)  # noqa: E731
    note = escape(strings.get("map.reference.popup.columns_below", lang))
    return {
        "tooltipHead": texts["tooltipHead"],
        "tooltipTail": texts["tooltipTail"],
        "classSeparator": texts["classSeparator"],
        "popupHead": texts["popupHead"],
        "classRow": texts["classRow"],
        "idRow": f"<tr><th>{escape(word('feature'))}</th><td>",
        "popupTail": f'<tr><td colspan="2" class="gm-more">{note}</td></tr></table></div>',
        "classNames": list(drawing.all_classes),
        "classes": [escape(name or strings.get("map.reference.no_class", lang))
                    for name in drawing.all_classes],
    }


def _tile_rules(kind: Kind, registry: KindRegistry, drawing: ReferenceDrawing,
                tiles: ReferenceTiles) -> dict[str, Any]:
    base = {
        "color": kind.color, "weight": kind.weight, "opacity": 1.0,
        "fillColor": kind.fill_color, "fillOpacity": kind.fill_opacity,
        "fill": kind.fill_opacity > 0,
        "dashArray": [float(v) for v in kind.dash.replace(",", " ").split()]
        if kind.dash else None,
    }
    pane, z_index = reference_pane(kind, registry)
    rules: dict[str, Any] = {
        "base": base, "pane": pane, "z": z_index, "url": tiles.url, "layer": tiles.layer,
        "layerId": drawing.layer.layer_id, "minZoom": tiles.min_zoom,
        "maxDataZoom": tiles.max_zoom, "maxZoom": DRAWN_MAX_ZOOM,
    }
    if drawing.all_classes:
        rules["palette"] = {name: registry.class_color(name) for name in drawing.all_classes}
    return rules


def _legend_entries(kind: Kind, drawing: ReferenceDrawing, registry: KindRegistry,
                    strings: Strings, lang: str,
                    tiles: ReferenceTiles | None = None) -> list[dict[str, Any]]:
    layer = drawing.layer
    swatch = {"color": kind.color, "fill": kind.fill_color,
              "fill_opacity": kind.fill_opacity, "weight": max(1.5, min(kind.weight, 5.0)),
              "dash": kind.dash, "opacity": 1.0}
    notes = [_loaded(strings, layer, lang)]
    classes, counts = drawing.classes, drawing.class_counts
    if tiles is not None:
        # Drawn whole: nothing is left out, and the classes are the whole layer's.
        notes.append(strings.get("map.reference.tiles", lang, count=f"{tiles.count:,}",
                                 zoom=tiles.min_zoom))
        classes, counts = drawing.all_classes, drawing.all_class_counts
    else:
        if drawing.tiled:
            notes.append(strings.get("map.reference.tiles_preparing", lang,
                                     count=f"{layer.feature_count:,}"))
        if drawing.near == 0:
            notes.append(strings.get("map.reference.none_near", lang,
                                     count=f"{layer.feature_count:,}"))
        elif drawing.left_out:
            notes.append(strings.get("map.reference.left_out", lang,
                                     shown=f"{drawing.shown:,}", near=f"{drawing.near:,}",
                                     left=f"{drawing.left_out:,}"))
    label = _layer_label(kind, layer, strings, lang)
    entries = [{"shape": "polygon", "style": swatch, "label": label, "notes": notes}]
    for name, count in list(zip(classes, counts, strict=True))[:MAX_LEGEND_CLASSES]:
        colour = registry.class_color(name)
        entries.append({
            "shape": "polygon",
            "style": {**swatch, "fill": colour, "fill_opacity": max(kind.fill_opacity, 0.6)},
            "label": f"{name or strings.get('map.reference.no_class', lang)} ({count:,})",
            "notes": [],
        })
    hidden = len(classes) - MAX_LEGEND_CLASSES
    if hidden > 0:
        entries[-1]["notes"] = [strings.get("map.reference.more_classes", lang, count=hidden)]
    return entries


def _conflict_texts(overlay: ControlOverlay, strings: Strings, lang: str) -> dict[str, Any]:
    """Each conflict piece's tooltip and popup, escaped."""
    registry = kinds()
    title = strings.get("map.conflicts.piece", lang)
    tooltips, popups = [], []
    for piece in overlay.conflicts:
        what = registry[piece.kind].conflict(lang)
        figure = strings.get("popup.hectares_value", lang, value=f"{piece.hectares:,.4f}")
        every = overlay.conflict_texts.get(piece.parcel_id, {}).get(lang, "")
        tooltips.append(f"<b>{escape(piece.parcel_id)}</b><br>{escape(what)} {escape(figure)}")
        popups.append(
            f'<div class="gm-popup"><h4>{escape(title)}</h4><table>'
            + _row(strings.get("map.conflicts.parcel", lang), piece.parcel_id)
            + _row(strings.get("map.conflicts.kind", lang), what)
            + _row(strings.get("map.conflicts.hectares", lang), figure)
            + _row(strings.get("map.conflicts.all", lang), every)
            + "</table></div>"
        )
    return {"tooltips": tooltips, "popups": popups}


def _conflict_style() -> dict[str, Any]:
    style = CONFLICT_STYLE
    return {
        "base": {"color": style["color"], "weight": style["weight"], "opacity": 1.0,
                 "fillColor": style["fill"], "fillOpacity": style["fill_opacity"],
                 "dashArray": style["dash"]},
        "pane": CONFLICT_PANE,
    }


def reference_pane(kind: Kind, registry: KindRegistry) -> tuple[str, int]:
    """The pane of a kind's layers, and its z-index (between 400 and the parcels')."""
    lowest = max(k.order for k in registry.kinds.values())
    return f"{REFERENCE_PANE}-{kind.key}", REFERENCE_PANE_Z + 1 + lowest - kind.order


def add_control_panes(m: folium.Map, overlay: ControlOverlay) -> str | None:
    """The panes the overlay draws in, before any layer is drawn; returns the pane the
    parcels (and the selection) are drawn in, None when they stay where they always are."""
    if overlay.conflicts:
        CustomPane(CONFLICT_PANE, z_index=CONFLICT_PANE_Z).add_to(m)
    if not overlay.references:
        return None
    registry = kinds()
    for kind in sorted({drawing.layer.kind for drawing in overlay.references}):
        name, z_index = reference_pane(registry[kind], registry)
        CustomPane(name, z_index=z_index).add_to(m)
    CustomPane(PARCEL_PANE, z_index=PARCEL_PANE_Z).add_to(m)
    return PARCEL_PANE


def add_control_overlay(m: folium.Map, overlay: ControlOverlay, strings: Strings,
                        lang: str, reference_tiles: Mapping[int, ReferenceTiles] | None = None,
                        use: Any = None) -> list[dict[str, Any]]:
    """The overlay's layers and conflict pieces on ``m`` (its panes made by
    :func:`add_control_panes`), each a group of the layer switcher; returns the legend's
    groups for them. ``reference_tiles``: the archives written so far, by layer id; a
    tiled layer without one is drawn near the parcels meanwhile. ``use``: how the map
    takes a tile layer's script (the builder's)."""
    reference_tiles = reference_tiles or {}
    if overlay.is_empty:
        return []
    registry = kinds()
    ControlLineStyle().add_to(m)
    legend: list[dict[str, Any]] = []
    prefix = strings.get("map.reference.group", lang)
    if overlay.references:
        entries = []
        for drawing in overlay.references:
            kind = registry[drawing.layer.kind]
            label = _layer_label(kind, drawing.layer, strings, lang)
            group = folium.FeatureGroup(name=html_text(f"{prefix} · {label}"), overlay=True,
                                        control=True)
            tiles = reference_tiles.get(drawing.layer.layer_id) if drawing.tiled else None
            if tiles is not None:
                element = ReferenceTileLayer(_tile_rules(kind, registry, drawing, tiles),
                                             _tile_texts(kind, drawing, strings, lang))
                if use is not None:
                    use(element)
                element.add_to(group)
            else:
                CompactPolygons(drawing.payload, _style(kind, registry, drawing),
                                _texts(kind, drawing, strings, lang)).add_to(group)
            group.add_to(m)
            entries += _legend_entries(kind, drawing, registry, strings, lang, tiles)
        whole = any(drawing.layer.layer_id in reference_tiles for drawing in overlay.tiled)
        caveat = "map.reference.caveat_tiles" if whole else "map.reference.caveat_long"
        legend.append({
            "name": prefix, "entries": entries,
            "notes": [strings.get(caveat, lang, margin=f"{overlay.margin_m:,.0f}")],
        })
    if overlay.conflicts:
        ConflictHatch().add_to(m)
        name = strings.get("map.conflicts.group", lang)
        group = folium.FeatureGroup(name=html_text(name), overlay=True, control=True)
        pieces = overlay.conflicts
        CompactPolygons(js_value({"g": [piece.rings for piece in pieces]}), _conflict_style(),
                        _conflict_texts(overlay, strings, lang)).add_to(group)
        group.add_to(m)
        style = CONFLICT_STYLE
        legend.append({"name": name, "notes": [], "entries": [{
            "shape": "polygon",
            "style": {"color": style["color"], "fill": style["fill"], "fill_opacity": 1.0,
                      "weight": style["weight"], "dash": style["dash"], "opacity": 1.0},
            "label": strings.get("map.conflicts.legend", lang,
                                 count=len({p.parcel_id for p in pieces})),
            "notes": [strings.get("map.conflicts.left_out", lang,
                                  count=overlay.conflicts_left_out)]
            if overlay.conflicts_left_out else [],
        }]})
    return legend
