"""KML written through an XML writer, so no id, name, column name or value can add markup.

Everything that comes from data (a parcel's id, its name, the bureau's column names and
values, the descriptions) is the text of an element or the value of an attribute, which
ElementTree escapes when it writes them; nothing from data ever names an element. Google
Earth and 奥维 render a description as HTML, so descriptions arrive here already HTML-escaped
and are escaped once more as XML text: a viewer sees the original characters, never tags.

Characters XML 1.0 forbids (control characters but tab and line ends, lone surrogates,
U+FFFE/U+FFFF) cannot be written by any XML writer: they are dropped, not fatal. A value's
line ends read back as ``\\n``, as XML parsers normalise them.

The document: one ``Schema`` per layer (typed ``SimpleField`` s, the field names in ``name``
attributes), then one ``Folder`` per layer with its name and description, one
``Placemark`` per feature (``id`` attribute, ``name``, ``description``, ``SchemaData``,
geometry in WGS84 longitude, latitude). After writing, the document is read back and
its folders and Placemarks counted against what was given.
"""

from __future__ import annotations

import io
import math
import os
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import BinaryIO

import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from geo_app.export.written import check_written
from geo_app.values import is_missing

KML_NAMESPACE = "http://www.opengis.net/kml/2.2"
_NS = f"{{{KML_NAMESPACE}}}"
# What XML 1.0 allows (§2.2): tab, line feed, carriage return, U+0020-U+D7FF,
# U+E000-U+FFFD and beyond U+FFFF; everything else is removed.
XML_FORBIDDEN = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
# An XML id (an NCName, simplified to ASCII): schema and folder ids are made from layer ids.
_XML_ID = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*")


def xml_text(value: object) -> str:
    """``value`` as text an XML document can hold: forbidden characters removed."""
    return XML_FORBIDDEN.sub("", str(value))


@dataclass(frozen=True)
class KmlField:
    name: str
    # A KML SimpleField type: "string", "int", "double" or "bool".
    type: str = "string"


@dataclass(frozen=True)
class KmlFeature:
    id: str | None
    name: str | None
    # HTML, escaped by the caller (viewers render it as HTML).
    description: str
    # Field name -> value as text; a missing value is left out.
    data: Mapping[str, str]
    geometry: BaseGeometry | None


@dataclass(frozen=True)
class KmlLayer:
    id: str
    name: str
    # HTML, escaped by the caller.
    description: str
    # Made as the writer asks for them (a generator is welcome): never all held at once.
    features: Iterable[KmlFeature]
    fields: Sequence[KmlField] = field(default_factory=tuple)


def _xml_id(text: str, index: int) -> str:
    """``text`` if it is a plain XML id, else ``layer<index>``: ids are referenced
    (``schemaUrl="#…"``), so they must be ones every reader resolves."""
    return text if _XML_ID.fullmatch(text) else f"layer{index}"


def _child(parent: ET.Element, tag: str, text: object = None, **attributes: str) -> ET.Element:
    """A child element; its text and attribute values pass through :func:`xml_text`, and
    ElementTree escapes them as it writes."""
    element = ET.SubElement(parent, tag, {k: xml_text(v) for k, v in attributes.items()})
    if text is not None:
        element.text = xml_text(text)
    return element


def _coordinates(geometry: BaseGeometry) -> str:
    # repr gives the shortest text that reads back as the same float: no vertex moves.
    # Formatted column-wise, the fastest plain-Python way for polygons of a million
    # vertices.
    array = shapely.get_coordinates(geometry, include_z=bool(geometry.has_z))
    columns = array.T.tolist()
    template = ",".join(["{!r}"] * len(columns))
    text = " ".join(map(template.format, *columns))
    if "e" in text:
        # repr writes values under 1e-4 (near the equator or the prime meridian) with an
        # exponent, which KML readers need not accept: those are written out in full.
        return " ".join(
            ",".join(np.format_float_positional(value, unique=True, trim="-") for value in point)
            for point in array.tolist()
        )
    return text


def _ring(parent: ET.Element, tag: str, ring: BaseGeometry) -> None:
    boundary = _child(parent, tag)
    _child(_child(boundary, "LinearRing"), "coordinates", _coordinates(ring))


def _geometry(parent: ET.Element, geometry: BaseGeometry | None) -> None:
    """The KML geometry of a shapely one; none for a missing or empty one."""
    if geometry is None or geometry.is_empty:
        return
    kind = geometry.geom_type
    if kind == "Point":
        _child(_child(parent, "Point"), "coordinates", _coordinates(geometry))
    elif kind in ("LineString", "LinearRing"):
        _child(_child(parent, "LineString"), "coordinates", _coordinates(geometry))
    elif kind == "Polygon":
        polygon = _child(parent, "Polygon")
        _ring(polygon, "outerBoundaryIs", geometry.exterior)
        for interior in geometry.interiors:
            _ring(polygon, "innerBoundaryIs", interior)
    else:  # Multi* and GeometryCollection
        parts = [part for part in geometry.geoms if not part.is_empty]
        if not parts:
            return
        collection = _child(parent, "MultiGeometry")
        for part in parts:
            _geometry(collection, part)


def _placemark(folder: ET.Element, feature: KmlFeature, schema_id: str,
               fields: Sequence[KmlField]) -> None:
    identifier = xml_text(feature.id) if feature.id is not None else ""
    placemark = _child(folder, "Placemark", **({"id": identifier} if identifier else {}))
    if feature.name is not None and xml_text(feature.name):
        _child(placemark, "name", feature.name)
    if feature.description:
        _child(placemark, "description", feature.description)
    present = [item for item in fields if feature.data.get(item.name) is not None]
    if present:
        schema_data = _child(_child(placemark, "ExtendedData"), "SchemaData",
                             schemaUrl=f"#{schema_id}")
        for item in present:
            _child(schema_data, "SimpleData", feature.data[item.name], name=item.name)
    _geometry(placemark, feature.geometry)


INDENT = "  "


def _opening_tag(tag: str, **attributes: str) -> str:
    """``<tag a="…">`` as ElementTree writes it (attribute values escaped)."""
    empty = ET.Element(tag, {k: xml_text(v) for k, v in attributes.items()})
    return ET.tostring(empty, encoding="unicode", short_empty_elements=False)[:-len(tag) - 3]


def _indented(element: ET.Element, level: int) -> str:
    """``element`` written on its own lines at ``level``, as ``ET.indent`` lays out a whole
    document; the caller writes the line break and indent before it."""
    ET.indent(element, space=INDENT, level=level)
    return ET.tostring(element, encoding="unicode")


# Placemarks serialised together: one ElementTree write per batch rather than per feature.
PLACEMARKS_PER_WRITE = 500


def _placemarks_text(holder: ET.Element) -> bytes:
    """The Placemarks held by a stand-in folder, each on its own lines at the depth of a
    layer folder's children, without the stand-in's own tags."""
    text = _indented(holder, 2)
    opening, closing = "<Folder>", f"\n{INDENT * 2}</Folder>"
    assert text.startswith(opening) and text.endswith(closing)
    return text[len(opening):-len(closing)].encode("utf-8")


def write_document(layers: Sequence[KmlLayer], stream: BinaryIO) -> int:
    """Write the KML document of ``layers`` to ``stream``, UTF-8, indented: schemas first
    (KML 2.2 orders them before the features of a Document), then one folder per layer.

    Each Placemark is built, written and let go in turn, so a layer's features may be a
    generator and the document is never held whole. Returns the Placemarks written.
    """
    schema_ids = [f"{_xml_id(layer.id, index)}.schema" for index, layer in enumerate(layers)]
    parts = ["<?xml version='1.0' encoding='utf-8'?>\n",
             # The namespace as a plain attribute: elements stay unprefixed, no registry.
             _opening_tag("kml", xmlns=KML_NAMESPACE), "\n", INDENT,
             _opening_tag("Document", id="root_doc")]
    for layer, schema_id in zip(layers, schema_ids, strict=True):
        if layer.fields:
            schema = ET.Element("Schema", {"name": xml_text(layer.id), "id": xml_text(schema_id)})
            for item in layer.fields:
                _child(schema, "SimpleField", name=item.name, type=item.type)
            parts += ["\n", INDENT * 2, _indented(schema, 2)]
    stream.write("".join(parts).encode("utf-8"))
    written = 0
    for index, (layer, schema_id) in enumerate(zip(layers, schema_ids, strict=True)):
        head = ["\n", INDENT * 2, _opening_tag("Folder", id=_xml_id(layer.id, index))]
        holder = ET.Element("Folder")
        _child(holder, "name", layer.name)
        if layer.description:
            _child(holder, "description", layer.description)
        head += [part for child in holder for part in ("\n", INDENT * 3, _indented(child, 3))]
        stream.write("".join(head).encode("utf-8"))
        holder = ET.Element("Folder")
        for feature in layer.features:
            _placemark(holder, feature, schema_id, layer.fields)
            written += 1
            if len(holder) >= PLACEMARKS_PER_WRITE:
                stream.write(_placemarks_text(holder))
                holder = ET.Element("Folder")
        if len(holder):
            stream.write(_placemarks_text(holder))
        stream.write(f"\n{INDENT * 2}</Folder>".encode())
    stream.write(f"\n{INDENT}</Document>\n</kml>\n".encode())
    return written


def document_bytes(layers: Sequence[KmlLayer]) -> bytes:
    """The KML document of ``layers`` (:func:`write_document`), as bytes."""
    buffer = io.BytesIO()
    write_document(layers, buffer)
    return buffer.getvalue()


def written_counts(source: bytes | str | os.PathLike[str]) -> list[tuple[str, int]]:
    """(folder id, Placemark count) of each layer folder of a KML document (bytes or a
    file), in order.

    Read as a stream, each Placemark let go once counted: a large export is not held
    twice in memory to be checked.
    """
    path: list[str] = []
    counts: list[tuple[str, int]] = []
    opened = io.BytesIO(source) if isinstance(source, bytes) else source
    for event, element in ET.iterparse(opened, events=("start", "end")):
        tag = element.tag
        if event == "start":
            path.append(tag)
            if path == [f"{_NS}kml", f"{_NS}Document", f"{_NS}Folder"]:
                counts.append((element.get("id", ""), 0))
            continue
        if tag == f"{_NS}Placemark" and path[:-1] == [
            f"{_NS}kml", f"{_NS}Document", f"{_NS}Folder"
        ]:
            folder, count = counts[-1]
            counts[-1] = (folder, count + 1)
        path.pop()
        if tag == f"{_NS}Placemark":
            element.clear()
    return counts


def check_counts(data: bytes | str | os.PathLike[str], given: Sequence[tuple[str, int]],
                 lang: str = "zh", names: Mapping[str, str] | None = None) -> None:
    """Raise ``IncompleteExport`` unless ``data`` has one folder per given (layer id,
    feature count), in that order, with that many Placemarks each."""
    expected = [(_xml_id(layer, index), count) for index, (layer, count) in enumerate(given)]
    labels = {_xml_id(layer, index): (names or {}).get(layer, layer)
              for index, (layer, _) in enumerate(given)}
    check_written(written_counts(data), expected, lang, labels)


def column_kind(series: pd.Series) -> str:
    """The KML type of a column, from all its values: flags are ``bool``, whole numbers
    ``int`` where KML's 32-bit ``int`` holds them all (else text, as GDAL writes 64-bit
    ones), other numbers ``double``, everything else ``string``."""
    if pd.api.types.is_bool_dtype(series):
        return "bool"
    if pd.api.types.is_integer_dtype(series):
        present = series.dropna()
        limit = np.iinfo(np.int32)
        fits = not len(present) or (limit.min <= int(present.min())
                                    and int(present.max()) <= limit.max)
        return "int" if fits else "string"
    if pd.api.types.is_float_dtype(series):
        return "double"
    return "string"


def column_values(series: pd.Series, kind: str | None = None) -> tuple[str, list[str | None]]:
    """The KML type of a column (``kind``, when decided on the whole layer, else
    :func:`column_kind`) and each value as text (``None``: missing, not written). Doubles
    are written so that they read back exactly."""
    kind = kind or column_kind(series)
    values = series.tolist()
    if kind == "bool":
        return kind, [None if is_missing(v) else ("true" if v else "false") for v in values]
    if pd.api.types.is_integer_dtype(series):
        return kind, [None if is_missing(v) else str(int(v)) for v in values]
    if kind == "double":
        return kind, [
            repr(float(v)) if not is_missing(v) and math.isfinite(v) else None for v in values
        ]
    return kind, [None if is_missing(v) else str(v) for v in values]
