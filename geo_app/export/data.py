"""Data exports: the chosen layers as GeoJSON, GeoPackage and KML; the parcels as CSV/XLSX.

Every exported feature keeps its provenance (``accuracy``, ``source``) and says whether it
is sample data. Hectares are computed from the original geometry (ellipsoidal, GRS80) and
never from anything simplified for drawing.

GeoPackage is written through pyogrio's bundled GDAL, one table per layer. KML is written
through an XML writer (:mod:`geo_app.export.kml`), so ids, names, column names and values
from a planner's file stay text: one folder per layer named in the chosen language,
Placemark names from ``name_zh``/``name_en``, the other properties as typed
``ExtendedData``. KML viewers show a Placemark's description as HTML, so that text is
escaped. Both check what they wrote against what they were given and fail on a loss.

Imported parcels carry the planner's own columns (地块编号, GDZT …) under their own names
in every format. Where a format cannot hold such a name beside ours (GeoPackage column
names ignore case and ``fid``/``geom`` are its own; GDAL's KML readers take ``name``,
``begin``, ``icon`` … for KML elements), the planner's column is written as
``<name>_原值`` instead of being dropped or failing the export.

CSV and XLSX cells are values only: text that a spreadsheet would run as a formula is
quoted (:mod:`geo_app.export.cells`).

When the workspace has control-line layers, the parcels carry the compliance check's
overlap columns in every format (see :mod:`geo_app.export.compliance`).
"""

from __future__ import annotations

import codecs
import html
import io
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, BinaryIO

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyogrio
import shapely
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.utils import get_column_letter
from shapely.geometry import mapping

from geo_app.catalog import LayerSpec
from geo_app.export import kml
from geo_app.export.cells import safe_table, spreadsheet_text, xlsx_text
from geo_app.export.scene import Scene
from geo_app.export.written import check_written
from geo_app.geodesy import hectares, plane_hectares
from geo_app.i18n import load_strings
from geo_app.parcel_labels import STATUS_PREFIX, use_name
from geo_app.parcel_table.planner_columns import free_name, is_planner_column, planner_columns
from geo_app.values import is_missing

# Stored hectares keep 6 decimals (0.01 m²) in geodata files; tables print 4.
GEODATA_HECTARE_DECIMALS = 6
TABLE_HECTARE_DECIMALS = 4
GPKG_DRIVER = "GPKG"
# The GeoPackage table's own columns (the feature id and pyogrio's geometry column): a
# property of that name makes GDAL refuse the table.
GPKG_RESERVED = frozenset({"fid", "geom"})
# Field names GDAL's LIBKML driver maps to KML elements (its LIBKML_*_FIELD options): its
# writer would lose or mangle a property so named (a text in ``altitudeMode``, ``begin`` or
# ``icon`` is dropped), and its reader gives such an ExtendedData field another name. A
# planner's column so named is renamed, so it reads back the same everywhere. ``name`` and
# ``description`` are written from our own columns.
KML_RESERVED = frozenset(
    {
        "name", "description", "snippet", "timestamp", "begin", "end", "altitudemode",
        "tessellate", "extrude", "visibility", "draworder", "icon", "heading", "tilt", "roll",
        "scale_x", "scale_y", "scale_z", "model", "networklink",
        "networklink_refreshvisibility", "networklink_flytoview", "networklink_refreshmode",
        "networklink_refreshinterval", "networklink_viewrefreshmode",
        "networklink_viewrefreshtime", "networklink_viewboundscale", "networklink_viewformat",
        "networklink_httpquery", "camera_longitude", "camera_latitude", "camera_altitude",
        "camera_altitudemode", "photooverlay", "leftfov", "rightfov", "bottomfov", "topfov",
        "near", "photooverlay_shape", "imagepyramid_tilesize", "imagepyramid_maxwidth",
        "imagepyramid_maxheight", "imagepyramid_gridorigin",
    }
)
# Rows built, cleaned and written at a time by the streamed exports: enough for pandas and
# the writers to work on whole columns, few enough that an export of 100,000 parcels never
# holds more than this many rows of output at once.
BATCH_ROWS = 10_000


# Whole numbers a GeoPackage integer column can hold.
_INT64 = (-(2**63), 2**63 - 1)


def _sample_note(spec: LayerSpec, lang: str) -> str | None:
    if not spec.sample_data:
        return None
    return load_strings().get("export.note.sample", lang, layers=spec.name(lang))


def _layer_records(spec: LayerSpec, frame: gpd.GeoDataFrame, lang: str) -> gpd.GeoDataFrame:
    """The layer's features with layer, sample and (for polygons) hectare columns added."""
    out = frame.copy()
    out.insert(0, "layer", spec.id)
    out.insert(1, "layer_name", spec.name(lang))
    out["sample_data"] = bool(spec.sample_data)
    out["sample_note"] = _sample_note(spec, lang)
    if spec.geometry == "polygon":
        geoms = np.asarray(frame.geometry.array, dtype=object)
        out["hectares"] = np.round(hectares(geoms), GEODATA_HECTARE_DECIMALS)
        out["gk_plane_hectares"] = np.round(plane_hectares(geoms), GEODATA_HECTARE_DECIMALS)
    return out


# ------------------------------------------------------------------ GeoJSON


def _record_batches(spec: LayerSpec, frame: gpd.GeoDataFrame, lang: str,
                    batch_rows: int | None = None) -> Iterator[gpd.GeoDataFrame]:
    """:func:`_layer_records` a batch of rows at a time (hectares are measured per feature,
    so a batch's are the whole layer's); ``batch_rows`` defaults to :data:`BATCH_ROWS`."""
    batch_rows = batch_rows or BATCH_ROWS
    for start in range(0, max(len(frame), 1), batch_rows):
        yield _layer_records(spec, frame.iloc[start:start + batch_rows], lang)


def write_geojson(scene: Scene, lang: str, stream: BinaryIO) -> int:
    """One RFC 7946 FeatureCollection of every chosen layer; each feature names its layer.

    Coordinates are written as read (WGS84; the layer files hold 6 decimals). The features
    are encoded and written a batch at a time, so the document is never held whole; the
    bytes are those of ``json.dumps`` of the whole collection. Returns the features written.
    """
    strings = load_strings()
    head = {
        "type": "FeatureCollection",
        "name": strings.get("export.title.default", lang),
        # Foreign members (RFC 7946 §6.1): readers that do not know them ignore them.
        "notes": _collection_notes(scene, lang),
    }
    opening = json.dumps(head, ensure_ascii=False)
    stream.write(opening[:-1].encode("utf-8") + b', "features": [')
    encoder = json.JSONEncoder(ensure_ascii=False)
    written = 0
    for layer in scene.layers:
        for records in _record_batches(layer.spec, layer.frame, lang):
            geometry_column = records.geometry.name
            texts = []
            for row in records.to_dict("records"):
                geometry = row.pop(geometry_column)
                properties = {key: _plain(value) for key, value in row.items()}
                texts.append(encoder.encode(
                    {"type": "Feature", "properties": properties, "geometry": mapping(geometry)}
                ))
            if texts:
                stream.write(((", " if written else "") + ", ".join(texts)).encode("utf-8"))
                written += len(texts)
    stream.write(b"]}")
    return written


def geojson_bytes(scene: Scene, lang: str) -> bytes:
    """:func:`write_geojson` as bytes."""
    buffer = io.BytesIO()
    write_geojson(scene, lang, buffer)
    return buffer.getvalue()


def _collection_notes(scene: Scene, lang: str) -> list[str]:
    strings = load_strings()
    notes = [strings.get("export.table.area_note", lang)]
    notes += [note for spec in scene.specs if (note := _sample_note(spec, lang))]
    return notes


def _plain(value: Any) -> Any:
    """NumPy scalars and missing values as JSON-ready Python values."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    if value is pd.NA or value is pd.NaT:
        return None
    return value


# ------------------------------------------------------------------ GeoPackage and KML


def _ogr_names(columns: Sequence[Any], geometry: str, reserved: frozenset[str]) -> dict[str, str]:
    """New names for the columns a GDAL format cannot hold as they are (``{}``: none).

    Names are compared without case (GeoPackage, like SQLite, does so). The product's
    columns keep their names; a planner's column that meets one of them, another planner
    column or a ``reserved`` name is renamed, never dropped.
    """
    taken = {name.casefold() for name in reserved}
    attributes = [str(c) for c in columns if c != geometry]
    for name in attributes:
        if not is_planner_column(name) and name.casefold() not in taken:
            taken.add(name.casefold())
    renamed: dict[str, str] = {}
    for name in attributes:
        if not is_planner_column(name):
            continue
        new = free_name(name, lambda n: n.casefold() in taken)
        taken.add(new.casefold())
        if new != name:
            renamed[name] = new
    return renamed


def _ogr_kind(series: pd.Series) -> str:
    """How GDAL stores a column, from all its values: ``keep`` (its own numbers or flags),
    ``bool`` and ``int`` (flags and whole numbers, even beside missing values) or ``text``
    (a column of mixed kinds). Decided once per layer, so every batch of a streamed layer
    has the same fields."""
    if pd.api.types.is_bool_dtype(series) or pd.api.types.is_numeric_dtype(series):
        return "keep"
    present = [v for v in series.tolist() if not is_missing(v)]
    if present and all(isinstance(v, bool | np.bool_) for v in present):
        return "bool"
    if present and all(
        isinstance(v, int | np.integer) and not isinstance(v, bool | np.bool_)
        and _INT64[0] <= int(v) <= _INT64[1]
        for v in present
    ):
        return "int"
    return "text"


def _ogr_column(series: pd.Series, kind: str | None = None) -> pd.Series:
    """A column GDAL can store with its values' own type (see :func:`_ogr_kind`)."""
    kind = kind or _ogr_kind(series)
    if kind == "keep":
        return series
    if kind == "bool":
        return series.map(lambda v: pd.NA if is_missing(v) else bool(v)).astype("boolean")
    if kind == "int":
        return series.map(lambda v: pd.NA if is_missing(v) else int(v)).astype("Int64")
    return series.map(lambda v: None if is_missing(v) else str(v)).astype(object)


def _ogr_kinds(spec: LayerSpec, frame: gpd.GeoDataFrame, lang: str) -> dict[Any, str]:
    """:func:`_ogr_kind` of every column of the layer's records, from the whole layer."""
    head = _layer_records(spec, frame.iloc[:1], lang)
    kinds = {column: _ogr_kind(frame[column]) for column in frame.columns
             if column != frame.geometry.name}
    for column in head.columns:
        if column not in kinds and column != head.geometry.name:
            # The columns this module adds hold one kind of value in every row.
            kinds[column] = _ogr_kind(head[column])
    return kinds


def _ogr_frame(records: gpd.GeoDataFrame, reserved: frozenset[str] = frozenset(),
               kinds: Mapping[Any, str] | None = None) -> gpd.GeoDataFrame:
    """Columns GDAL can store under names it accepts (see :func:`_ogr_names`); ``kinds``
    (from the whole layer) when ``records`` is a batch of it."""
    out = records.copy()
    geometry = out.geometry.name
    for column in out.columns:
        if column != geometry:
            out[column] = _ogr_column(out[column], (kinds or {}).get(column))
    renamed = _ogr_names(list(out.columns), geometry, reserved)
    return out.rename(columns=renamed) if renamed else out


def _geometry_type(frame: gpd.GeoDataFrame) -> tuple[str, bool]:
    """The layer's geometry type and whether single parts are written as multi ones, from
    the whole layer (as pyogrio infers them from a whole frame), so a batch of polygons
    after one of multipolygons lands in the same table."""
    kinds = set(frame.geometry.geom_type.dropna().unique())
    has_z = bool(frame.geometry.has_z.any()) if len(frame) else False
    if len(kinds) == 1:
        kind, promote = kinds.pop(), False
    elif len(kinds) == 2 and any(kinds == {base, f"Multi{base}"}
                                 for base in ("Point", "LineString", "Polygon")):
        kind, promote = next(k for k in kinds if k.startswith("Multi")), True
    else:
        kind, promote = "Unknown", False
    return (f"{kind} Z" if has_z and kind != "Unknown" else kind), promote


# The Arrow type each kind of column is written as (see :func:`_ogr_kind`); ``keep``
# columns take their own number or flag type.
_ARROW_TYPES = {"bool": pa.bool_(), "int": pa.int64(), "text": pa.string()}
# The WKB column handed to GDAL: GeoPackage's own name for it, which no property can take
# (GPKG_RESERVED).
_GPKG_GEOMETRY = "geom"
_MULTI = {0: shapely.multipoints, 1: shapely.multilinestrings, 3: shapely.multipolygons}


def _arrow_type(series: pd.Series, kind: str) -> pa.DataType:
    if kind != "keep":
        return _ARROW_TYPES[kind]
    if pd.api.types.is_bool_dtype(series):
        return pa.bool_()
    if pd.api.types.is_integer_dtype(series):
        return pa.int64()
    return pa.float64()


def _arrow_batch(records: gpd.GeoDataFrame, schema: pa.Schema, promote: bool
                 ) -> pa.RecordBatch:
    """A batch of converted records as Arrow: properties typed as the schema says, the
    geometry as WKB (single parts made multi where the layer mixes them)."""
    geometry = records.geometry.name
    arrays = []
    for column, field in zip([c for c in records.columns if c != geometry], schema,
                             strict=False):
        values = records[column]
        arrays.append(pa.array(values.tolist() if values.dtype == object else values,
                               type=field.type, from_pandas=True))
    shapes = np.asarray(records.geometry.array, dtype=object)
    if promote:
        kinds = shapely.get_type_id(shapes)
        for kind, make in _MULTI.items():
            single = np.flatnonzero(kinds == kind)
            if len(single):
                shapes[single] = make(shapes[single], indices=np.arange(len(single)))
    arrays.append(pa.array(shapely.to_wkb(shapes), type=pa.binary()))
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


def write_gpkg(scene: Scene, lang: str, path: Path) -> None:
    """One table per layer, named by layer id; the layer's name and notes as metadata.

    Each layer goes to GDAL as one stream of Arrow batches, made a batch of rows at a
    time: one write per layer (its spatial index built once, at the end), never the whole
    layer's records at once. Column types are decided on the whole layer first.

    Raises :class:`~geo_app.export.written.IncompleteExport` if the file does not hold
    every layer with every feature.
    """
    for layer in scene.layers:
        spec, frame = layer.spec, layer.frame
        notes = {"sample_data": str(spec.sample_data).lower()}
        if spec.sample_data:
            notes["sample_note"] = _sample_note(spec, lang) or ""
        kinds = _ogr_kinds(spec, frame, lang)
        geometry_type, promote = _geometry_type(frame)
        head = _layer_records(spec, frame.iloc[:1], lang)
        named = _ogr_frame(head, GPKG_RESERVED, kinds)
        fields = [
            pa.field(str(column), _arrow_type(named[column], kinds[original]))
            for original, column in zip(head.columns, named.columns, strict=True)
            if column != named.geometry.name
        ]
        schema = pa.schema([*fields, pa.field(_GPKG_GEOMETRY, pa.binary())])

        def batches(spec=spec, frame=frame, kinds=kinds, schema=schema, promote=promote):
            for records in _record_batches(spec, frame, lang):
                yield _arrow_batch(_ogr_frame(records, GPKG_RESERVED, kinds), schema, promote)

        pyogrio.write_arrow(
            pa.RecordBatchReader.from_batches(schema, batches()),
            path,
            layer=spec.id,
            driver=GPKG_DRIVER,
            geometry_name=_GPKG_GEOMETRY,
            geometry_type=geometry_type,
            crs=frame.crs.to_wkt() if frame.crs is not None else None,
            append=path.exists(),
            layer_options={"IDENTIFIER": spec.name(lang),
                           "DESCRIPTION": _layer_description(spec, lang)},
            metadata=notes,
        )
    written = [
        (str(name), int(pyogrio.read_info(path, layer=str(name))["features"]))
        for name, _ in (pyogrio.list_layers(path) if path.exists() else [])
    ]
    given = [(layer.spec.id, len(layer.frame)) for layer in scene.layers]
    check_written(written, given, lang, {spec.id: spec.name(lang) for spec in scene.specs})


def _layer_description(spec: LayerSpec, lang: str) -> str:
    parts = [spec.description(lang), spec.attribution(lang), _sample_note(spec, lang)]
    return " ".join(part for part in parts if part)


def _kml_description(row: Mapping[str, Any], lang: str) -> str:
    strings = load_strings()
    lines = []
    for key, label in (
        (f"note_{lang}", "popup.note"),
        ("accuracy", "popup.accuracy"),
        ("source_en" if lang == "en" else "source", "popup.source"),
        ("sample_note", "popup.sample_data"),
    ):
        value = row.get(key)
        if is_missing(value) or value == "":
            continue
        if key == "accuracy" and f"accuracy.{value}" in strings:
            value = strings.get(f"accuracy.{value}", lang)
        lines.append(f"{html.escape(strings.get(label, lang))}: {html.escape(str(value))}")
    return "<br/>".join(lines)


def _placemark_names(records: pd.DataFrame, lang: str) -> list[str | None]:
    """Each feature's name in ``lang``, else in Chinese, else its id (a planner's file
    need not name its parcels)."""
    candidates = [c for c in (f"name_{lang}", "name_zh", "id") if c in records.columns]
    names: list[str | None] = [None] * len(records)
    for column in reversed(candidates):
        names = [
            str(value) if not is_missing(value) and str(value) else name
            for value, name in zip(records[column].tolist(), names, strict=True)
        ]
    return names


def _xml_columns(records: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """``records`` with the planner's column names cleaned of what XML cannot hold
    (control characters), still unique and never taking one of our names."""
    geometry = records.geometry.name
    taken = {str(c) for c in records.columns if not is_planner_column(c) or c == geometry}
    renamed: dict[Any, str] = {}
    for column in records.columns:
        if column == geometry or not is_planner_column(column):
            continue
        name = free_name(kml.xml_text(column) or "_", taken.__contains__)
        taken.add(name)
        if name != column:
            renamed[column] = name
    return records.rename(columns=renamed) if renamed else records


def _kml_records(spec: LayerSpec, records: gpd.GeoDataFrame, kinds: Mapping[Any, str]
                 ) -> gpd.GeoDataFrame:
    """A batch of the layer's records with the names and column types of the whole layer."""
    records = _ogr_frame(_xml_columns(records), KML_RESERVED, kinds)
    if records.crs is not None and not records.crs.equals("EPSG:4326"):
        records = records.to_crs("EPSG:4326")  # KML is WGS84 longitude, latitude
    return records


def _kml_layer(spec: LayerSpec, frame: gpd.GeoDataFrame, lang: str) -> kml.KmlLayer:
    """A layer's features as KML: the id (as the Placemark's ``id``, where GDAL's readers
    look for it), name, escaped description and every other column as typed data.

    The fields and their types are decided on the whole layer; the features are made a
    batch at a time as the writer takes them."""
    kinds = _ogr_kinds(spec, frame, lang)
    head = _layer_records(spec, frame.iloc[:1], lang)
    named = _kml_records(spec, head, kinds)
    fields: list[kml.KmlField] = []
    # Renaming keeps the columns' order: each written name beside the column it comes from.
    for original, column in zip(head.columns, named.columns, strict=True):
        if column in (named.geometry.name, "id"):
            continue
        # A field's type needs every value of its column (whether all whole numbers fit
        # KML's int): typed on the whole column, one column at a time, nothing else made.
        source = frame[original] if original in frame.columns else head[original]
        kind = kml.column_kind(_ogr_column(source, kinds[original]))
        fields.append(kml.KmlField(str(column), kind))

    def features() -> Iterator[kml.KmlFeature]:
        for batch in _record_batches(spec, frame, lang):
            records = _kml_records(spec, batch, kinds)
            names = _placemark_names(records, lang)
            descriptions = [_kml_description(row, lang) for row in records.to_dict("records")]
            ids = ([None if is_missing(v) else str(v) for v in records["id"].tolist()]
                   if "id" in records.columns else [None] * len(records))
            columns = [kml.column_values(records[item.name], item.type)[1] for item in fields]
            for row, shape in enumerate(records.geometry.array):
                yield kml.KmlFeature(
                    ids[row], names[row], descriptions[row],
                    {item.name: texts[row] for item, texts in zip(fields, columns, strict=True)
                     if texts[row] is not None},
                    shape,
                )

    return kml.KmlLayer(spec.id, spec.name(lang), html.escape(_layer_description(spec, lang)),
                        features(), fields)


def write_kml(scene: Scene, lang: str, path: Path) -> None:
    """One KML folder per layer; Chinese (or English) names, escaped HTML descriptions,
    written a Placemark at a time.

    Raises :class:`~geo_app.export.written.IncompleteExport` if the document does not hold
    every layer and every feature of ``scene``.
    """
    layers = [_kml_layer(layer.spec, layer.frame, lang) for layer in scene.layers]
    with open(path, "wb") as stream:
        kml.write_document(layers, stream)
    # Counted from the scene, not from the layers built from it: a feature lost anywhere
    # between the two shows. The file is read back as a stream.
    given = [(layer.spec.id, len(layer.frame)) for layer in scene.layers]
    kml.check_counts(path, given, lang, {spec.id: spec.name(lang) for spec in scene.specs})


# ------------------------------------------------------------------ parcel tables


PARCEL_COLUMNS: tuple[tuple[str, str], ...] = (
    ("id", "export.table.id"),
    ("name", "export.table.name"),
    ("hectares", "export.table.hectares"),
    ("gk_plane_hectares", "export.table.plane_hectares"),
    ("status", "popup.status"),
    ("town", "popup.town"),
    ("use", "popup.use"),
    ("quarter", "popup.quarter"),
    ("accuracy", "popup.accuracy"),
    ("source", "popup.source"),
    ("sample", "popup.sample_data"),
    ("note", "popup.note"),
)
# The declared area reconciled with the measured one, for parcels whose file declares it.
AREA_COLUMNS: tuple[tuple[str, str], ...] = (
    ("declared_ha", "export.table.declared_ha"),
    ("area_diff_pct", "export.table.area_diff_pct"),
    ("area_check", "export.table.area_check"),
)
AREA_CHECK_PREFIX = "parcel.area_check"
# The compliance check's figures, when the workspace has reference layers (see
# :mod:`geo_app.export.compliance`: only the kinds checked have a column).
OVERLAP_COLUMNS: tuple[tuple[str, str], ...] = (
    ("farmland_ha", "export.table.farmland_ha"),
    ("eco_redline_ha", "export.table.eco_redline_ha"),
    ("outside_dev_boundary_ha", "export.table.outside_dev_boundary_ha"),
    ("cultivated_ha", "export.table.cultivated_ha"),
    ("conflicts", "export.table.conflicts"),
)
# Cell formats of the number columns in the XLSX table.
NUMBER_FORMATS = {
    "hectares": "0.0000",
    "gk_plane_hectares": "0.0000",
    "declared_ha": "0.0000",
    "area_diff_pct": "0.00",
    "farmland_ha": "0.0000",
    "eco_redline_ha": "0.0000",
    "outside_dev_boundary_ha": "0.0000",
    "cultivated_ha": "0.0000",
}


def _words(prefix: str, value: Any, lang: str) -> str:
    return "" if is_missing(value) else load_strings().choice(prefix, value, lang)


def _use_words(code: Any, own_zh: Any, lang: str) -> str:
    if is_missing(code):
        return own_zh if lang == "zh" and own_zh else ""
    return use_name(code, lang, own_zh)


def _has_values(parcels: pd.DataFrame, name: str) -> bool:
    return name in parcels.columns and bool(parcels[name].notna().any())


def _typed(values: Sequence[Any]) -> pd.Series | np.ndarray:
    """A table column whose type follows from its own values only, never from which rows
    happen to be beside them: whole numbers stay whole beside missing values (pandas would
    make ``[1, None]`` the float 1.0), so every batch of a streamed table writes a value
    exactly as the whole table would."""
    if isinstance(values, np.ndarray):
        return values
    present = [v for v in values if v is not None]
    if present and all(isinstance(v, int | np.integer) and not isinstance(v, bool | np.bool_)
                       for v in present):
        return pd.array(values, dtype="Int64")
    return pd.Series(values, dtype=object)


def parcel_table(
    parcels: gpd.GeoDataFrame,
    lang: str,
    sample_data: bool,
    overlaps: Mapping[str, Sequence[Any]] | None = None,
    *,
    declared: bool | None = None,
) -> pd.DataFrame:
    """One row per parcel: the columns of :data:`PARCEL_COLUMNS` headed in ``lang``, then,
    when any parcel declares an area, :data:`AREA_COLUMNS`, then the compliance check's
    ``overlaps`` (those of :data:`OVERLAP_COLUMNS` given, one value per parcel), then every
    column of the planner's own under its own name (in the order the columns first appear).

    ``parcels`` is the ledger's frame (lon/lat, with its ``hectares`` column); the plane
    area is added here from the same, unsimplified geometry. A planner's column whose name
    is one of our headers (供地状态) is headed ``<name>_原值``. ``declared``: whether the
    area columns are in (a batch of a streamed table is told, so every batch has the same
    columns); None decides from ``parcels``.
    """
    strings = load_strings()
    geoms = np.asarray(parcels.geometry.array, dtype=object)

    def column(name: str, default: Any = None) -> list[Any]:
        if name in parcels.columns:
            return [None if is_missing(v) else v for v in parcels[name].tolist()]
        return [default] * len(parcels)

    names = column(f"name_{lang}") if f"name_{lang}" in parcels.columns else column("name_zh")
    uses = [
        _use_words(code, own, lang)
        for code, own in zip(column("use"), column("use_zh"), strict=True)
    ]
    source_name = "source_en" if lang == "en" and "source_en" in parcels.columns else "source"
    samples = [bool(v) if v is not None else sample_data for v in column("sample", sample_data)]
    note = strings.get("export.supply.sample", lang)
    values = {
        "id": column("id"),
        "name": names,
        "hectares": np.round(parcels["hectares"].to_numpy(dtype=float), TABLE_HECTARE_DECIMALS),
        "gk_plane_hectares": np.round(plane_hectares(geoms), TABLE_HECTARE_DECIMALS),
        "status": [_words(STATUS_PREFIX, v, lang) for v in column("status")],
        "town": column("town"),
        "use": uses,
        "quarter": column("quarter"),
        "accuracy": [_words("accuracy", v, lang) for v in column("accuracy")],
        "source": column(source_name),
        "sample": [strings.get("export.table.yes" if s else "export.table.no", lang)
                   for s in samples],
        "note": [note if s else "" for s in samples],
    }
    table: dict[str, Any] = {strings.get(label, lang): values[key] for key, label in PARCEL_COLUMNS}
    if declared if declared is not None else _has_values(parcels, "declared_ha"):
        declared_ha = [None if v is None else round(float(v), TABLE_HECTARE_DECIMALS)
                       for v in column("declared_ha")]
        area = {
            "declared_ha": declared_ha,
            "area_diff_pct": column("area_diff_pct"),
            "area_check": [_words(AREA_CHECK_PREFIX, v, lang) for v in column("area_check")],
        }
        table.update({strings.get(label, lang): area[key] for key, label in AREA_COLUMNS})
    for key, label in OVERLAP_COLUMNS:
        if overlaps and key in overlaps:
            values_of = overlaps[key]
            table[strings.get(label, lang)] = (
                list(values_of) if key == "conflicts"
                else [None if v is None else round(float(v), TABLE_HECTARE_DECIMALS)
                      for v in values_of]
            )
    for name in planner_columns(parcels.columns):
        table[free_name(name, table.__contains__)] = column(name)
    return pd.DataFrame({header: _typed(cells) for header, cells in table.items()},
                        index=pd.RangeIndex(len(parcels)))


def parcel_table_batches(
    parcels: gpd.GeoDataFrame,
    lang: str,
    sample_data: bool,
    overlaps: Mapping[str, Sequence[Any]] | None = None,
    batch_rows: int | None = None,
) -> Iterator[pd.DataFrame]:
    """:func:`parcel_table` a batch of ``batch_rows`` parcels at a time, made only as the
    writer asks for it: the same columns in every batch (an empty ledger gives one empty
    batch, so the headers are still written)."""
    batch_rows = batch_rows or BATCH_ROWS
    declared = _has_values(parcels, "declared_ha")
    if not len(parcels):
        yield parcel_table(parcels, lang, sample_data, overlaps, declared=declared)
        return
    for start in range(0, len(parcels), batch_rows):
        stop = min(start + batch_rows, len(parcels))
        part = ({key: list(values[start:stop]) for key, values in overlaps.items()}
                if overlaps else overlaps)
        yield parcel_table(parcels.iloc[start:stop], lang, sample_data, part,
                           declared=declared)


def _number_formats(lang: str) -> dict[str, str]:
    """The XLSX cell format of each number column, by its header in ``lang``."""
    strings = load_strings()
    return {strings.get(label, lang): NUMBER_FORMATS[key]
            for key, label in (*PARCEL_COLUMNS, *AREA_COLUMNS, *OVERLAP_COLUMNS)
            if key in NUMBER_FORMATS}


def write_csv(batches: Iterable[pd.DataFrame], stream: BinaryIO) -> int:
    """The table, batch by batch as they come, as UTF-8 CSV with a byte-order mark (so
    Excel opens the Chinese text correctly); no text cell or header can be read as a
    formula. Returns the rows written. Only one batch is held at a time."""
    stream.write(codecs.BOM_UTF8)
    rows = 0
    first = True
    for batch in batches:
        text = safe_table(batch, spreadsheet_text).to_csv(
            index=False, header=first, lineterminator="\r\n")
        stream.write(text.encode("utf-8"))
        rows += len(batch)
        first = False
    return rows


def csv_bytes(table: pd.DataFrame) -> bytes:
    """:func:`write_csv` of one whole table, as bytes."""
    buffer = io.BytesIO()
    write_csv([table], buffer)
    return buffer.getvalue()


# XLSX column widths: characters of the longest value among the header and the first
# batch, times this, between these bounds. A streamed sheet fixes its widths before the
# rows are written, so they are measured on the first rows.
WIDTH_PER_CHARACTER = 1.6
WIDTH_BOUNDS = (8.0, 60.0)


def _width(header: str, cells: Iterable[Any]) -> float:
    longest = max([len(str(header))] + [len(str(v)) for v in cells])
    return min(max(longest * WIDTH_PER_CHARACTER, WIDTH_BOUNDS[0]), WIDTH_BOUNDS[1])


def _cell_value(value: Any) -> Any:
    """A table value as openpyxl stores it: missing values are empty cells."""
    if isinstance(value, np.generic):
        value = value.item()
    if is_missing(value) or value is pd.NaT:
        return None
    return value


def _value_cell(worksheet: Any, value: Any, number_format: str | None = None) -> WriteOnlyCell:
    """A cell that is a value whatever it holds: openpyxl makes any text starting with
    ``=`` a formula, so such a cell is set back to text (the cleaned tables have none;
    this keeps it so whatever reaches a cell)."""
    cell = WriteOnlyCell(worksheet, value=_cell_value(value))
    if cell.data_type == "f":
        cell.data_type = "s"
    if number_format is not None:
        cell.number_format = number_format
    return cell


def write_xlsx(batches: Iterable[pd.DataFrame], notes: Sequence[str], lang: str,
               stream: BinaryIO) -> int:
    """The parcel table and its notes (title, date, totals) as an XLSX workbook written
    with openpyxl's write-only mode: each row goes to the sheet as it is made, so memory
    holds one batch, not the workbook. Every cell is a value: text that could be a formula
    is quoted, characters XLSX cannot hold are removed. Returns the rows written."""
    strings = load_strings()
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(strings.get("export.table.sheet_parcels", lang))
    sheet.freeze_panes = "A2"
    formats = _number_formats(lang)
    rows = 0
    column_formats: list[str | None] = []
    for batch in batches:
        table = safe_table(batch, xlsx_text)
        if not column_formats:
            # Headers are unique (parcel_table renames a planner's column named like one
            # of ours), so these formats reach our number columns only.
            column_formats = [formats.get(str(header)) for header in table.columns]
            for index, header in enumerate(table.columns):
                letter = get_column_letter(index + 1)
                sheet.column_dimensions[letter].width = _width(header, table.iloc[:, index])
            sheet.append([_value_cell(sheet, str(header)) for header in table.columns])
        formatted = [index for index, fmt in enumerate(column_formats) if fmt is not None]
        for row in table.itertuples(index=False, name=None):
            # Plain values are written as they are (far fewer objects than a cell each);
            # a number column's cell carries its format, and a text openpyxl would take
            # for a formula (none survives the cleaning) is made a text cell.
            values = [_cell_value(value) for value in row]
            for index, value in enumerate(values):
                if isinstance(value, str) and value.startswith("="):
                    values[index] = _value_cell(sheet, value)
            for index in formatted:
                values[index] = _value_cell(sheet, values[index], column_formats[index])
            sheet.append(values)
        rows += len(table)
    notes_sheet = workbook.create_sheet(strings.get("export.table.sheet_notes", lang))
    notes_sheet.column_dimensions["A"].width = 120
    notes_header = str(xlsx_text(strings.get("export.table.sheet_notes", lang)))
    notes_sheet.append([_value_cell(notes_sheet, notes_header)])
    # The title is the user's own text: a note is a cell like any other.
    for note in notes:
        notes_sheet.append([_value_cell(notes_sheet, xlsx_text(note))])
    workbook.save(stream)
    return rows


def xlsx_bytes(table: pd.DataFrame, notes: Sequence[str], lang: str) -> bytes:
    """:func:`write_xlsx` of one whole table, as bytes."""
    buffer = io.BytesIO()
    write_xlsx([table], notes, lang, buffer)
    return buffer.getvalue()
