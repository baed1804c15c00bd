"""What an export shows: the chosen layers, the area, and the notes that must go with them.

Snapshot, HTML and data exports all start from a ``Scene`` so they agree on which layers
and features are in, and on the caveats printed beside them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

import geopandas as gpd
import shapely

from geo_app.catalog import Catalog, LayerSpec, load_catalog, load_layer_frame
from geo_app.export.request import ExportOptionError, ExportRequest, Extent
from geo_app.i18n import t

# The contract's group of base layers (district outline, towns): their polygons define
# "the whole district" whichever layers are chosen for drawing.
DISTRICT_GROUP = "base"
# Share of the box added on each side so outlines do not touch the frame.
MARGIN = 0.03
INEXACT_ACCURACY = ("approximate", "schematic")

BBox = tuple[float, float, float, float]


@dataclass(frozen=True)
class SceneLayer:
    spec: LayerSpec
    # Every feature of the layer, EPSG:4326, properties as columns.
    frame: gpd.GeoDataFrame


@dataclass(frozen=True)
class Scene:
    layers: tuple[SceneLayer, ...]
    # The lon/lat box the map must show (W, S, E, N), margin included.
    bbox: BBox
    extent: Extent
    # The catalog the layers come from (the shipped one unless the caller gave another).
    catalog: Catalog | None = None

    @property
    def specs(self) -> tuple[LayerSpec, ...]:
        return tuple(layer.spec for layer in self.layers)

    def with_parcels(
        self, layer_ids: frozenset[str], parcels: gpd.GeoDataFrame, sample_data: bool
    ) -> Scene:
        """The scene with the parcel layers' features replaced by ``parcels`` (e.g. a
        workspace's), so the sheet draws the parcels its land-supply box totals."""
        layers = tuple(
            SceneLayer(dataclasses.replace(layer.spec, sample_data=sample_data), parcels)
            if layer.spec.id in layer_ids
            else layer
            for layer in self.layers
        )
        return dataclasses.replace(self, layers=layers)

    def shown(self) -> tuple[SceneLayer, ...]:
        """The layers with at least one feature inside the box, cut down to those features."""
        parts = (
            SceneLayer(layer.spec, visible_part(layer.frame, self.bbox)) for layer in self.layers
        )
        return tuple(part for part in parts if len(part.frame))

    def inexact_levels(self) -> tuple[str, ...]:
        """Accuracy levels below "surveyed" among the features shown, in contract order."""
        found: set[str] = set()
        for layer in self.shown():
            if "accuracy" in layer.frame:
                found.update(str(value) for value in layer.frame["accuracy"].unique())
        return tuple(level for level in INEXACT_ACCURACY if level in found)

    def sample_layers(self) -> tuple[LayerSpec, ...]:
        """Sample-data layers with features inside the box."""
        return tuple(layer.spec for layer in self.shown() if layer.spec.sample_data)


def choose_layers(catalog: Catalog, ids: Sequence[str] | None) -> tuple[LayerSpec, ...]:
    """The chosen layers in the catalog's drawing order; every layer when ``ids`` is None."""
    if ids is None:
        return catalog.layers
    known = catalog.ids()
    for layer_id in ids:
        if layer_id not in known:
            raise ExportOptionError(
                "export.error.unknown_layer", value=layer_id, known=", ".join(known)
            )
    wanted = set(ids)
    return tuple(spec for spec in catalog.layers if spec.id in wanted)


def district_bbox(catalog: Catalog) -> BBox:
    frames = [
        load_layer_frame(spec)
        for spec in catalog.layers
        if spec.group == DISTRICT_GROUP and spec.geometry == "polygon"
    ]
    if not frames:
        frames = [load_layer_frame(spec) for spec in catalog.layers]
    bounds = [frame.total_bounds for frame in frames if len(frame)]
    return (
        min(b[0] for b in bounds),
        min(b[1] for b in bounds),
        max(b[2] for b in bounds),
        max(b[3] for b in bounds),
    )


def feature_bbox(catalog: Catalog, feature_id: str) -> BBox:
    for spec in catalog.layers:
        frame = load_layer_frame(spec)
        match = frame[frame["id"] == feature_id]
        if len(match):
            west, south, east, north = match.total_bounds
            # A point or a straight north-south line has no area: show about 2 km around it.
            pad = 0.01
            if east - west < pad:
                west, east = west - pad, east + pad
            if north - south < pad:
                south, north = south - pad, north + pad
            return west, south, east, north
    raise ExportOptionError("export.error.unknown_feature", value=feature_id)


def with_margin(bbox: BBox, share: float = MARGIN) -> BBox:
    west, south, east, north = bbox
    dx, dy = (east - west) * share, (north - south) * share
    return west - dx, south - dy, east + dx, north + dy


def resolve_bbox(catalog: Catalog, extent: Extent) -> BBox:
    if extent.kind == "feature" and extent.feature_id is not None:
        return with_margin(feature_bbox(catalog, extent.feature_id), 0.15)
    if extent.kind == "bbox" and extent.bbox is not None:
        return extent.bbox
    return with_margin(district_bbox(catalog))


def build_scene(request: ExportRequest, catalog: Catalog | None = None) -> Scene:
    catalog = catalog if catalog is not None else load_catalog()
    specs = choose_layers(catalog, request.layers)
    bbox = resolve_bbox(catalog, request.extent)
    layers = tuple(SceneLayer(spec, load_layer_frame(spec)) for spec in specs)
    return Scene(layers=layers, bbox=bbox, extent=request.extent, catalog=catalog)


def visible_part(frame: gpd.GeoDataFrame, bbox: BBox) -> gpd.GeoDataFrame:
    """Rows whose geometry touches the box (whole geometries: the axes clip the drawing)."""
    if not len(frame):
        return frame
    return frame[shapely.intersects(frame.geometry.values, shapely.box(*bbox))]


def attribution_sources(scene: Scene, lang: str) -> tuple[str, ...]:
    """A credit line for each shown layer that names an attribution, in drawing order.

    When all of such a layer's features cite one source, that fuller text (licence, origin,
    datum conversion) is printed after the layer name; otherwise the catalog's credit is.
    """
    lines: list[str] = []
    for layer in scene.shown():
        spec = layer.spec
        credit = spec.attribution(lang)
        if not credit:
            continue
        column = "source_en" if lang == "en" and "source_en" in layer.frame else "source"
        sources = layer.frame[column].dropna().unique() if column in layer.frame else []
        if len(sources) == 1:
            separator = ": " if lang == "en" else "："
            credit = f"{spec.name(lang)}{separator}{sources[0]}"
        if credit not in lines:
            lines.append(credit)
    return tuple(lines)


def accuracy_names(levels: Sequence[str], lang: str) -> str:
    separator = ", " if lang == "en" else "、"
    return separator.join(t(f"accuracy.{level}", lang) for level in levels)
