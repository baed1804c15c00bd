"""Data exports: the chosen layers as GeoJSON, GeoPackage and KML; the parcels as CSV/XLSX.

Every exported feature keeps its provenance (``accuracy``, ``source``) and says whether it
is sample data. Hectares are computed from the original geometry (ellipsoidal, GRS80) and
never from anything simplified for drawing.

GeoPackage and KML are written through pyogrio's bundled GDAL: GPKG has one table per
layer; KML is written with the LIBKML driver, one folder (``Document``) per layer named in
the chosen language, Placemark names from ``name_zh``/``name_en`` and the other
properties as typed ``ExtendedData``. KML viewers show a Placemark's description as HTML,
so that text is escaped.
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
from geo_app.export.scene import Scene
from geo_app.geodesy import hectares, plane_hectares
from geo_app.i18n import load_strings
from geo_app.parcel_labels import STATUS_PREFIX, use_name
from geo_app.values import is_missing

# Stored hectares keep 6 decimals (0.01 m²) in geodata files; tables print 4.
GEODATA_HECTARE_DECIMALS = 6
TABLE_HECTARE_DECIMALS = 4
KML_DRIVER = "LIBKML"
GPKG_DRIVER = "GPKG"


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


def _ogr_frame(records: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Columns GDAL can store: everything that is not a number or a flag becomes text."""
    out = records.copy()
    for column in out.columns:
        if column == out.geometry.name:
            continue
        series = out[column]
        if pd.api.types.is_bool_dtype(series) or pd.api.types.is_numeric_dtype(series):
            continue
        out[column] = series.map(lambda v: None if is_missing(v) else str(v)).astype(object)
    return out


def write_gpkg(scene: Scene, lang: str, path: Path) -> None:
    """One table per layer, named by layer id; the layer's name and notes as metadata."""
    for layer in scene.layers:
        spec = layer.spec
        records = _ogr_frame(_layer_records(spec, layer.frame, lang))
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


def _layer_description(spec: LayerSpec, lang: str) -> str:
    parts = [spec.description_en if lang == "en" else spec.description_zh,
             spec.attribution_en if lang == "en" else spec.attribution_zh,
             _sample_note(spec, lang)]
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


def write_kml(scene: Scene, lang: str, path: Path) -> None:
    """One KML folder per layer; Chinese (or English) names, escaped HTML descriptions."""
    for layer in scene.layers:
        spec = layer.spec
        records = _ogr_frame(_layer_records(spec, layer.frame, lang))
        name_column = f"name_{lang}" if f"name_{lang}" in records else "name_zh"
        records.insert(0, "name", records[name_column])
        records.insert(1, "description", [
            _kml_description(row, lang) for row in records.to_dict("records")
        ])
        pyogrio.write_dataframe(
            records,
            path,
            layer=spec.id,
            driver=KML_DRIVER,
            layer_options={"NAME": spec.name(lang),
                           "DESCRIPTION": html.escape(_layer_description(spec, lang))},
        )


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


def _words(prefix: str, value: Any, lang: str) -> str:
    return "" if is_missing(value) else load_strings().choice(prefix, value, lang)


def _use_words(code: Any, own_zh: Any, lang: str) -> str:
    if is_missing(code):
        return own_zh if lang == "zh" and own_zh else ""
    return use_name(code, lang, own_zh)


def parcel_table(parcels: gpd.GeoDataFrame, lang: str, sample_data: bool) -> pd.DataFrame:
    """One row per parcel with the columns of :data:`PARCEL_COLUMNS`, headed in ``lang``.

    ``parcels`` is the ledger's frame (lon/lat, with its ``hectares`` column); the plane
    area is added here from the same, unsimplified geometry.
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
    return pd.DataFrame(
        {strings.get(label, lang): values[key] for key, label in PARCEL_COLUMNS}
    )


def csv_bytes(table: pd.DataFrame) -> bytes:
    """UTF-8 with a byte-order mark, so Excel opens the Chinese text correctly."""
    text = table.to_csv(index=False, lineterminator="\r\n")
    return text.encode("utf-8-sig")


def xlsx_bytes(table: pd.DataFrame, notes: Sequence[str], lang: str) -> bytes:
    strings = load_strings()
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        sheet = strings.get("export.table.sheet_parcels", lang)
        table.to_excel(writer, sheet_name=sheet, index=False)
        worksheet = writer.sheets[sheet]
        worksheet.freeze_panes = "A2"
        hectare_headers = {strings.get(label, lang) for key, label in PARCEL_COLUMNS
                           if key in ("hectares", "gk_plane_hectares")}
        for index, header in enumerate(table.columns, start=1):
            width = max([len(str(header))] + [len(str(v)) for v in table.iloc[:, index - 1]])
            worksheet.column_dimensions[worksheet.cell(1, index).column_letter].width = min(
                max(width * 1.6, 8), 60
            )
            if header in hectare_headers:
                for (cell,) in worksheet.iter_rows(min_row=2, min_col=index, max_col=index):
                    cell.number_format = "0.0000"
        notes_sheet = strings.get("export.table.sheet_notes", lang)
        pd.DataFrame({notes_sheet: list(notes)}).to_excel(
            writer, sheet_name=notes_sheet, index=False
        )
        writer.sheets[notes_sheet].column_dimensions["A"].width = 120
    return buffer.getvalue()
