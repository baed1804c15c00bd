"""A land bureau's parcel table understood: its columns, its words, its declared areas.

Planners' ledgers never use the product's column names: they write 地块编号 or DKBH for the
id, 已出让 for supplied, 奢岭 for 奢岭街道, dates as ``2022/5/20`` or Excel numbers, uses
from the national classification, and areas in 公顷, 亩 or 平方米. This package reads all of
that into the product's fields while keeping every column the planner gave:

* :mod:`~geo_app.parcel_table.words` — the vocabulary (``vocabulary.toml``) and how words
  are compared;
* :mod:`~geo_app.parcel_table.values` — what one cell means (status, town, date, use, area);
* :mod:`~geo_app.parcel_table.columns` — which column holds which field;
* :mod:`~geo_app.parcel_table.mapping` — the planner's corrections, saved and remembered;
* :mod:`~geo_app.parcel_table.understand` — rows to ledger parcels, declared areas checked;
* :mod:`~geo_app.parcel_table.report` — what was found, in words;
* :mod:`~geo_app.parcel_table.table` — the one road from a file to parcels.
"""

from geo_app.parcel_table.mapping import (
    ColumnMapping,
    layout_key,
    mapping_from_json,
    mapping_text,
    parse_field_options,
    read_mapping_file,
)
from geo_app.parcel_table.report import mapping_lines, unit_line
from geo_app.parcel_table.table import ParcelTable, read_parcel_table
from geo_app.parcel_table.understand import AREA_MISMATCH, AREA_OK, AREA_TOLERANCE
from geo_app.parcel_table.words import FIELDS, vocabulary

__all__ = [
    "AREA_MISMATCH",
    "AREA_OK",
    "AREA_TOLERANCE",
    "FIELDS",
    "ColumnMapping",
    "ParcelTable",
    "layout_key",
    "mapping_from_json",
    "mapping_lines",
    "mapping_text",
    "parse_field_options",
    "read_mapping_file",
    "read_parcel_table",
    "unit_line",
    "vocabulary",
]
