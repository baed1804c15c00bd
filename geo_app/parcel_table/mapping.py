"""Which column of a planner's file holds which ledger field, and how a planner says so.

A :class:`ColumnMapping` is recognised from the file (:mod:`geo_app.parcel_table.columns`),
and can be corrected on the command line (``--field status=供地状态``), by a saved mapping
file, or in the app's import preview. A workspace remembers the mapping of the last file
of each layout (its set of column names), so the same ledger next month needs no options.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from geo_app.parcel_table.words import FIELDS, fold, vocabulary
from geo_app.problems import InputError, error

# How the column of a field was chosen.
Basis = Literal["name", "values", "planner", "remembered"]
UNITS = ("ha", "mu", "m2")
MAPPING_FILE_VERSION = 1


@dataclass(frozen=True)
class ColumnMapping:
    """Field → column (None: the file has no such column), with how each was chosen.

    ``statuses``: status words the planner mapped to codes (``已批未供`` → ``planned``).
    ``area_unit``: the declared area's unit when the planner states it.
    """

    columns: Mapping[str, str | None] = field(default_factory=dict)
    basis: Mapping[str, Basis] = field(default_factory=dict)
    statuses: Mapping[str, str] = field(default_factory=dict)
    area_unit: str | None = None

    def column(self, name: str) -> str | None:
        return self.columns.get(name)

    def overridden(self, other: ColumnMapping, basis: Basis = "planner") -> ColumnMapping:
        """This mapping with every field ``other`` names taken from ``other``."""
        columns = dict(self.columns)
        how = dict(self.basis)
        for name, column in other.columns.items():
            # A column serves one field: the field that had it before lets it go.
            for before, held in list(columns.items()):
                if column is not None and held == column and before not in other.columns:
                    columns[before] = None
                    how.pop(before, None)
            columns[name] = column
            how[name] = other.basis.get(name, basis)
        return replace(
            self,
            columns=columns,
            basis=how,
            statuses={**self.statuses, **other.statuses},
            area_unit=other.area_unit or self.area_unit,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "version": MAPPING_FILE_VERSION,
            "fields": {name: self.columns.get(name) for name in FIELDS if name in self.columns},
            "statuses": dict(self.statuses),
            "area_unit": self.area_unit,
        }


def layout_key(columns: Iterable[str]) -> str:
    """The same for every file with the same column names, in any order or case."""
    names = sorted({fold(c) for c in columns})
    return hashlib.sha256("\n".join(names).encode("utf-8")).hexdigest()[:16]


def mapping_from_json(data: Any, basis: Basis = "planner") -> ColumnMapping:
    """A mapping from its JSON form; raises :class:`InputError` for one that is not."""
    if not isinstance(data, Mapping):
        raise InputError(error("mapping_file.not_object"))
    fields_part = data.get("fields") or {}
    statuses = data.get("statuses") or {}
    if not isinstance(fields_part, Mapping) or not isinstance(statuses, Mapping):
        raise InputError(error("mapping_file.not_object"))
    columns: dict[str, str | None] = {}
    for name, column in fields_part.items():
        _check_field(str(name))
        columns[str(name)] = None if column in (None, "") else str(column)
    checked = {str(word): _check_status(str(code)) for word, code in statuses.items()}
    unit = data.get("area_unit")
    if unit is not None and unit not in UNITS:
        raise InputError(error("mapping_option.unit", unit=unit, choices=", ".join(UNITS)))
    return ColumnMapping(columns, dict.fromkeys(columns, basis), checked, unit)


def read_mapping_file(path: str | Path) -> ColumnMapping:
    """A mapping saved with ``--save-mapping`` (JSON, UTF-8)."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(error("mapping_file.unreadable", file=path.name,
                               reason=exc.strerror or exc)) from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(error("mapping_file.unreadable", file=path.name, reason=exc)) from None
    return mapping_from_json(data)


def mapping_text(mapping: ColumnMapping) -> str:
    return json.dumps(mapping.to_json(), ensure_ascii=False, indent=2) + "\n"


def parse_field_options(
    fields_given: Iterable[str] = (),
    status_words: Iterable[str] = (),
    area_unit: str | None = None,
) -> ColumnMapping:
    """The mapping of ``--field NAME=COLUMN`` (an empty COLUMN: the file has none),
    ``--status-word WORD=CODE`` and ``--area-unit UNIT``."""
    columns: dict[str, str | None] = {}
    for option in fields_given:
        name, sep, column = option.partition("=")
        if not sep:
            raise InputError(error("mapping_option.form", option=option))
        name = name.strip()
        _check_field(name)
        columns[name] = column.strip() or None
    statuses: dict[str, str] = {}
    for option in status_words:
        word, sep, code = option.rpartition("=")
        if not sep or not word.strip():
            raise InputError(error("mapping_option.form", option=option))
        statuses[word.strip()] = _check_status(code.strip())
    if area_unit is not None and area_unit not in UNITS:
        raise InputError(
            error("mapping_option.unit", unit=area_unit, choices=", ".join(UNITS))
        )
    return ColumnMapping(columns, dict.fromkeys(columns, "planner"), statuses, area_unit)


def _check_field(name: str) -> None:
    if name not in FIELDS:
        raise InputError(error("mapping_option.field", name=name, choices=", ".join(FIELDS)))


def _check_status(code: str) -> str:
    statuses = vocabulary().statuses
    if code not in statuses:
        raise InputError(error("mapping_option.status", code=code, choices=", ".join(statuses)))
    return code
