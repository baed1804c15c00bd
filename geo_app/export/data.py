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

import html
import io
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
from shapely.geometry import mapping

from geo_app.catalog import LayerSpec
from geo_app.export import kml
from geo_app.export.cells import safe_table, spreadsheet_text, values_only, xlsx_text
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


def geojson_bytes(scene: Scene, lang: str) -> bytes:
    """One RFC 7946 FeatureCollection of every chosen layer; each feature names its layer.

    Coordinates are written as read (WGS84; the layer files hold 6 decimals).
    """
    features: list[dict[str, Any]] = []
    for layer in scene.layers:
        records = _layer_records(layer.spec, layer.frame, lang)
        geometry_column = records.geometry.name
        for row in records.to_dict("records"):
            geometry = row.pop(geometry_column)
            properties = {key: _plain(value) for key, value in row.items()}
            features.append(
                {"type": "Feature", "properties": properties, "geometry": mapping(geometry)}
            )
    strings = load_strings()
    collection = {
        "type": "FeatureCollection",
        "name": strings.get("export.title.default", lang),
        # Foreign members (RFC 7946 §6.1): readers that do not know them ignore them.
        "notes": _collection_notes(scene, lang),
        "features": features,
    }
    return json.dumps(collection, ensure_ascii=False, indent=None).encode("utf-8")


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


def _ogr_column(series: pd.Series) -> pd.Series:
    """A column GDAL can store with its values' own type: flags stay flags and whole
    numbers stay numbers even beside missing values; a column of mixed kinds is text."""
    if pd.api.types.is_bool_dtype(series) or pd.api.types.is_numeric_dtype(series):
        return series
    present = [v for v in series.tolist() if not is_missing(v)]
    if present and all(isinstance(v, bool | np.bool_) for v in present):
        return series.map(lambda v: pd.NA if is_missing(v) else bool(v)).astype("boolean")
    if present and all(
        isinstance(v, int | np.integer) and not isinstance(v, bool | np.bool_)
        and _INT64[0] <= int(v) <= _INT64[1]
        for v in present
    ):
        return series.map(lambda v: pd.NA if is_missing(v) else int(v)).astype("Int64")
    return series.map(lambda v: None if is_missing(v) else str(v)).astype(object)


def _ogr_frame(records: gpd.GeoDataFrame, reserved: frozenset[str] = frozenset()
               ) -> gpd.GeoDataFrame:
    """Columns GDAL can store under names it accepts (see :func:`_ogr_names`)."""
    out = records.copy()
    geometry = out.geometry.name
    for column in out.columns:
        if column != geometry:
            out[column] = _ogr_column(out[column])
    renamed = _ogr_names(list(out.columns), geometry, reserved)
    return out.rename(columns=renamed) if renamed else out


def write_gpkg(scene: Scene, lang: str, path: Path) -> None:
    """One table per layer, named by layer id; the layer's name and notes as metadata.

    Raises :class:`~geo_app.export.written.IncompleteExport` if the file does not hold
    every layer with every feature.
    """
    for layer in scene.layers:
        spec = layer.spec
        records = _ogr_frame(_layer_records(spec, layer.frame, lang), GPKG_RESERVED)
        notes = {"sample_data": str(spec.sample_data).lower()}
        if spec.sample_data:
            notes["sample_note"] = _sample_note(spec, lang) or ""
        pyogrio.write_dataframe(
            records,
            path,
            layer=spec.id,
            driver=GPKG_DRIVER,
            layer_options={"IDENTIFIER": spec.name(lang), "DESCRIPTION": _layer_description(
                spec, lang)},
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


def _kml_layer(spec: LayerSpec, frame: gpd.GeoDataFrame, lang: str) -> kml.KmlLayer:
    """A layer's features as KML: the id (as the Placemark's ``id``, where GDAL's readers
    look for it), name, escaped description and every other column as typed data."""
    records = _ogr_frame(_xml_columns(_layer_records(spec, frame, lang)), KML_RESERVED)
    if records.crs is not None and not records.crs.equals("EPSG:4326"):
        records = records.to_crs("EPSG:4326")  # KML is WGS84 longitude, latitude
    names = _placemark_names(records, lang)
    descriptions = [_kml_description(row, lang) for row in records.to_dict("records")]
    ids = ([None if is_missing(v) else str(v) for v in records["id"].tolist()]
           if "id" in records.columns else [None] * len(records))
    geometry = records.geometry.name
    fields: list[kml.KmlField] = []
    columns: list[list[str | None]] = []
    for column in records.columns:
        if column in (geometry, "id"):
            continue
        kind, texts = kml.column_values(records[column])
        fields.append(kml.KmlField(str(column), kind))
        columns.append(texts)
    features = [
        kml.KmlFeature(
            ids[row], names[row], descriptions[row],
            {item.name: texts[row] for item, texts in zip(fields, columns, strict=True)
             if texts[row] is not None},
            shape,
        )
        for row, shape in enumerate(records.geometry.array)
    ]
    return kml.KmlLayer(spec.id, spec.name(lang), html.escape(_layer_description(spec, lang)),
                        features, fields)


def kml_bytes(scene: Scene, lang: str) -> bytes:
    """One KML folder per layer; Chinese (or English) names, escaped HTML descriptions.

    Raises :class:`~geo_app.export.written.IncompleteExport` if the document does not hold
    every layer and every feature of ``scene``.
    """
    layers = [_kml_layer(layer.spec, layer.frame, lang) for layer in scene.layers]
    data = kml.document_bytes(layers)
    # Counted from the scene, not from the layers built from it: a feature lost anywhere
    # between the two shows.
    given = [(layer.spec.id, len(layer.frame)) for layer in scene.layers]
    kml.check_counts(data, given, lang, {spec.id: spec.name(lang) for spec in scene.specs})
    return data


def write_kml(scene: Scene, lang: str, path: Path) -> None:
    path.write_bytes(kml_bytes(scene, lang))


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


def parcel_table(
    parcels: gpd.GeoDataFrame,
    lang: str,
    sample_data: bool,
    overlaps: Mapping[str, Sequence[Any]] | None = None,
) -> pd.DataFrame:
    """One row per parcel: the columns of :data:`PARCEL_COLUMNS` headed in ``lang``, then,
    when any parcel declares an area, :data:`AREA_COLUMNS`, then the compliance check's
    ``overlaps`` (those of :data:`OVERLAP_COLUMNS` given, one value per parcel), then every
    column of the planner's own under its own name (in the order the columns first appear).

    ``parcels`` is the ledger's frame (lon/lat, with its ``hectares`` column); the plane
    area is added here from the same, unsimplified geometry. A planner's column whose name
    is one of our headers (供地状态) is headed ``<name>_原值``.
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
    table = {strings.get(label, lang): values[key] for key, label in PARCEL_COLUMNS}
    if _has_values(parcels, "declared_ha"):
        declared = [None if v is None else round(float(v), TABLE_HECTARE_DECIMALS)
                    for v in column("declared_ha")]
        area = {
            "declared_ha": declared,
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
    return pd.DataFrame(table)


def _number_formats(lang: str) -> dict[str, str]:
    """The XLSX cell format of each number column, by its header in ``lang``."""
    strings = load_strings()
    return {strings.get(label, lang): NUMBER_FORMATS[key]
            for key, label in (*PARCEL_COLUMNS, *AREA_COLUMNS, *OVERLAP_COLUMNS)
            if key in NUMBER_FORMATS}


def csv_bytes(table: pd.DataFrame) -> bytes:
    """UTF-8 with a byte-order mark, so Excel opens the Chinese text correctly; no text
    cell or header can be read as a formula."""
    text = safe_table(table, spreadsheet_text).to_csv(index=False, lineterminator="\r\n")
    return text.encode("utf-8-sig")


def xlsx_bytes(table: pd.DataFrame, notes: Sequence[str], lang: str) -> bytes:
    """The parcel table and its notes (title, date, totals), every cell a value: text that
    could be a formula is quoted, characters XLSX cannot hold are removed."""
    strings = load_strings()
    table = safe_table(table, xlsx_text)
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        sheet = strings.get("export.table.sheet_parcels", lang)
        table.to_excel(writer, sheet_name=sheet, index=False)
        worksheet = writer.sheets[sheet]
        worksheet.freeze_panes = "A2"
        # Headers are unique (parcel_table renames a planner's column named like one of
        # ours), so these formats reach our number columns only.
        formats = _number_formats(lang)
        for index, header in enumerate(table.columns, start=1):
            width = max([len(str(header))] + [len(str(v)) for v in table.iloc[:, index - 1]])
            worksheet.column_dimensions[worksheet.cell(1, index).column_letter].width = min(
                max(width * 1.6, 8), 60
            )
            if header in formats:
                for (cell,) in worksheet.iter_rows(min_row=2, min_col=index, max_col=index):
                    cell.number_format = formats[header]
        notes_sheet = strings.get("export.table.sheet_notes", lang)
        # The title is the user's own text: a note is a cell like any other.
        safe_table(pd.DataFrame({notes_sheet: list(notes)}), xlsx_text).to_excel(
            writer, sheet_name=notes_sheet, index=False
        )
        writer.sheets[notes_sheet].column_dimensions["A"].width = 120
        for written in writer.sheets.values():
            values_only(written)
    return buffer.getvalue()
