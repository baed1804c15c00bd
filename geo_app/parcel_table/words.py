"""The ledger vocabulary (``vocabulary.toml``) and the one way its words are compared.

Planners type column names and values in many forms: full-width letters and digits, upper
or lower case, with spaces, underscores or hyphens, a unit in brackets. :func:`fold` turns
each form into one key, so the vocabulary lists each word once.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

VOCABULARY_PATH = Path(__file__).with_name("vocabulary.toml")

# The fields of a land-supply ledger the product understands, in the order they are shown.
FIELDS: tuple[str, ...] = (
    "id", "name", "status", "use", "town", "date", "quarter", "declared_area"
)

_SEPARATORS = re.compile(r"[\s_\-·.．/\\:：、]+")
_BRACKETED = re.compile(r"[(\[{（【［].*?[)\]}）】］]")


def fold(text: Any) -> str:
    """The comparison key of a word: NFKC (full-width → half-width), case-folded, without
    spaces, underscores, hyphens or dots."""
    return _SEPARATORS.sub("", unicodedata.normalize("NFKC", str(text)).casefold())


def bracketed_parts(text: str) -> tuple[str, list[str]]:
    """A column name without its bracketed parts, and those parts (which often name a unit:
    ``批准面积（公顷）``)."""
    normal = unicodedata.normalize("NFKC", text)
    parts = [m.group(0)[1:-1] for m in _BRACKETED.finditer(normal)]
    return _BRACKETED.sub("", normal), parts


@dataclass(frozen=True)
class Town:
    name: str
    code: str
    name_en: str


@dataclass(frozen=True)
class UseGroup:
    code: str
    classes_2023: tuple[str, ...]
    names: frozenset[str]
    keywords: tuple[str, ...]


@dataclass(frozen=True)
class Vocabulary:
    field_columns: Mapping[str, tuple[str, ...]]
    unit_hectares: Mapping[str, float]
    unit_words: Mapping[str, str]  # folded word -> unit
    status_words: Mapping[str, str]  # folded word -> status code
    towns: tuple[Town, ...]
    town_words: Mapping[str, str]  # folded word -> NBS name
    town_prefixes: tuple[str, ...]  # folded, longest first
    uses: tuple[UseGroup, ...]
    original_suffix: str
    statuses: tuple[str, ...]  # the status codes, in the order of the work

    def column_field(self, column: str) -> str | None:
        """The field a column's name says it holds, if any."""
        bare, _ = bracketed_parts(column)
        keys = {fold(column), fold(bare)}
        stripped = _strip_unit_suffix(fold(bare), self.unit_words)
        if stripped:
            keys.add(stripped)
        for name in FIELDS:
            if keys & set(self.field_columns[name]):
                return name
        return None

    def column_rank(self, field_name: str, column: str) -> int:
        """How early the column's name comes in the field's list (lower is better)."""
        bare, _ = bracketed_parts(column)
        keys = {fold(column), fold(bare), _strip_unit_suffix(fold(bare), self.unit_words)}
        names = self.field_columns[field_name]
        return min((names.index(k) for k in keys if k in names), default=len(names))


def _strip_unit_suffix(key: str, unit_words: Mapping[str, str]) -> str:
    for word in sorted(unit_words, key=len, reverse=True):
        if key.endswith(word) and len(key) > len(word):
            return key[: -len(word)]
    return key


@lru_cache(maxsize=1)
def vocabulary() -> Vocabulary:
    """The vocabulary, read once."""
    with VOCABULARY_PATH.open("rb") as handle:
        raw = tomllib.load(handle)
    field_columns = {
        name: tuple(fold(c) for c in raw["fields"][name]["columns"]) for name in FIELDS
    }
    unit_hectares = {unit: float(spec["hectares"]) for unit, spec in raw["units"].items()}
    unit_words = {fold(w): unit for unit, spec in raw["units"].items() for w in spec["words"]}
    status_words = {
        fold(w): code for code, spec in raw["statuses"].items() for w in spec["words"]
    }
    towns = tuple(Town(t["name"], t["code"], t["name_en"]) for t in raw["towns"])
    town_words: dict[str, str] = {}
    for entry in raw["towns"]:
        for word in (entry["name"], entry["name_en"], *entry["also"]):
            town_words[fold(word)] = entry["name"]
    prefixes = tuple(
        sorted((fold(w) for w in raw["town_prefixes"]["words"]), key=len, reverse=True)
    )
    uses = tuple(
        UseGroup(
            code=u["code"],
            classes_2023=tuple(u["classes_2023"]),
            names=frozenset(fold(n) for n in u["names"]),
            keywords=tuple(fold(k) for k in u["keywords"]),
        )
        for u in raw["uses"]
    )
    return Vocabulary(
        field_columns=field_columns,
        unit_hectares=unit_hectares,
        unit_words=unit_words,
        status_words=status_words,
        towns=towns,
        town_words=town_words,
        town_prefixes=prefixes,
        uses=uses,
        original_suffix=str(raw["columns"]["original_suffix"]),
        statuses=tuple(raw["status_order"]["codes"]),
    )
