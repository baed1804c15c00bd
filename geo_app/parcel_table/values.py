"""What a ledger's values mean: a status word, a town name, a date, a use, an area.

Each function takes one cell as the file gave it (text, number, date or nothing) and
returns the product's value, or None when the cell says nothing this module can place.
Nothing here drops what it cannot place: the caller keeps the planner's own text.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from geo_app.parcel_table.words import fold, vocabulary
from geo_app.values import is_blank

# Excel stores a date as days since 1899-12-30 (the 1900 leap-year bug included).
_EXCEL_EPOCH = dt.date(1899, 12, 30)
# Ledgers of supplied land start well after 1990; later than 2100 is a typo or not a date.
FIRST_YEAR, LAST_YEAR = 1990, 2100
_EXCEL_FIRST = (dt.date(FIRST_YEAR, 1, 1) - _EXCEL_EPOCH).days
_EXCEL_LAST = (dt.date(LAST_YEAR, 12, 31) - _EXCEL_EPOCH).days

_CHINESE_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "1": 1, "2": 2, "3": 3, "4": 4}
_YMD = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")
_YM = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?$")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_QUARTER = re.compile(
    r"^(\d{4})\s*年?\s*(?:第\s*)?[-/]?\s*(?:q\s*)?([1-4一二三四])\s*(?:季度|季|q)?$"
)
_NUMBER = re.compile(r"^[+]?(\d[\d,]*\.?\d*|\.\d+)")


def text_of(value: Any) -> str | None:
    """A cell as trimmed text (NFKC), or None for an empty cell."""
    if type(value) is str:
        if value.isascii():
            # NFKC leaves ASCII as it is; a ledger's ids and codes mostly take this way.
            return value.strip() or None
        # Text is blank when nothing is left once spaces are stripped (is_blank).
        return (unicodedata.normalize("NFKC", value).strip() or None) if value.strip() else None
    if is_blank(value):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return unicodedata.normalize("NFKC", str(value)).strip() or None


# ------------------------------------------------------------------ statuses


def status_code(value: Any, extra: Mapping[str, str] | None = None) -> str | None:
    """The status code of a word (``已出让`` → ``supplied``), or None when not known.

    ``extra``: words the planner mapped, checked first.
    """
    text = text_of(value)
    if text is None:
        return None
    key = fold(text)
    if extra:
        for word, code in extra.items():
            if fold(word) == key:
                return code
    return _status_words().get(key)


@lru_cache(maxsize=1)
def _status_words() -> dict[str, str]:
    """Every status word, folded: the vocabulary's, then the product's own codes and names
    in every language (which win)."""
    from geo_app.parcel_labels import status_words

    words = dict(vocabulary().status_words)
    for code in vocabulary().statuses:
        words[code] = code
        words.update({fold(w): code for w in status_words(code)})
    return words


# ------------------------------------------------------------------ towns


def town_name(value: Any) -> str | None:
    """The NBS name of a town written in full, short, old or romanised form."""
    text = text_of(value)
    return None if text is None else _town_of_text(text)


@lru_cache(maxsize=4096)
def _town_of_text(text: str) -> str | None:
    # Ledgers repeat a handful of names thousands of times: each is looked up once.
    vocab = vocabulary()
    key = fold(text)
    found = vocab.town_words.get(key)
    if found is not None:
        return found
    for prefix in vocab.town_prefixes:
        if key.startswith(prefix) and len(key) > len(prefix):
            return vocab.town_words.get(key[len(prefix):])
    return None


# ------------------------------------------------------------------ dates


def parse_date(value: Any) -> dt.date | None:
    """A date from a date cell, ``2022/5/20``, ``2022-05-20``, ``20220520``, ``2022年5月20日``,
    ``2022.5.20`` or an Excel serial number; None when it is none of these."""
    if is_blank(value) or isinstance(value, bool):
        return None
    if isinstance(value, pd.Timestamp | dt.datetime):
        return _in_range(value.date())
    if isinstance(value, dt.date):
        return _in_range(value)
    if isinstance(value, np.datetime64):
        return _in_range(pd.Timestamp(value).date())
    if isinstance(value, int | float | np.integer | np.floating):
        number = float(value)
        if not math.isfinite(number) or not number.is_integer():
            if math.isfinite(number) and _EXCEL_FIRST <= number <= _EXCEL_LAST:
                return _EXCEL_EPOCH + dt.timedelta(days=int(number))
            return None
        return parse_date(str(int(number)))
    text = text_of(value)
    return None if text is None else _date_of_text(text)


@lru_cache(maxsize=8192)
def _date_of_text(text: str) -> dt.date | None:
    for pattern in (_YMD, _COMPACT):
        match = pattern.match(text)
        if match:
            year, month, day = (int(g) for g in match.groups())
            try:
                return _in_range(dt.date(year, month, day))
            except ValueError:
                return None
    if text.isdigit() and _EXCEL_FIRST <= int(text) <= _EXCEL_LAST and len(text) == 5:
        return _EXCEL_EPOCH + dt.timedelta(days=int(text))
    return None


def parse_month(value: Any) -> tuple[int, int] | None:
    """(year, month) of a full date or of ``2022-05`` / ``2022年5月``."""
    day = parse_date(value)
    if day is not None:
        return day.year, day.month
    text = text_of(value)
    match = _YM.match(text) if text else None
    if match:
        year, month = int(match.group(1)), int(match.group(2))
        if FIRST_YEAR <= year <= LAST_YEAR and 1 <= month <= 12:
            return year, month
    return None


def _in_range(day: dt.date) -> dt.date | None:
    return day if FIRST_YEAR <= day.year <= LAST_YEAR else None


def quarter_of(year: int, month: int) -> str:
    return f"{year}Q{(month - 1) // 3 + 1}"


def parse_quarter(value: Any) -> str | None:
    """``2022Q2`` from ``2022Q2``, ``2022-Q2``, ``2022年第二季度``, ``2022年2季度`` or a date."""
    text = text_of(value)
    if text is None:
        return None
    match = _QUARTER.match(text.casefold())
    if match:
        year = int(match.group(1))
        if FIRST_YEAR <= year <= LAST_YEAR:
            return f"{year}Q{_CHINESE_DIGITS[match.group(2)]}"
    month = parse_month(value)
    return quarter_of(*month) if month else None


# ------------------------------------------------------------------ land use


def use_group(value: Any) -> tuple[str, str | None] | None:
    """The product's use group of a use and, when the value is a class code of the 2023
    classification, that code: ``工业用地`` → (industrial, None), ``1001`` → (industrial, 1001).
    None for a use no class or keyword places."""
    text = text_of(value)
    return None if text is None else _use_of_text(text)


@lru_cache(maxsize=4096)
def _use_of_text(text: str) -> tuple[str, str | None] | None:
    vocab = vocabulary()
    code_match = re.match(r"^(\d{2})(\d{2})?(\d{2})?\b", text)
    if code_match:
        first = code_match.group(1)
        for group in vocab.uses:
            if first in group.classes_2023:
                return group.code, code_match.group(0)
    key = fold(re.sub(r"^\d+\s*", "", text))
    strings_codes = _product_use_words()
    if key in strings_codes:
        return strings_codes[key], None
    for group in vocab.uses:
        if key in group.names:
            return group.code, None
    for group in vocab.uses:
        if any(word and word in key for word in group.keywords):
            return group.code, None
    return None


@lru_cache(maxsize=1)
def _product_use_words() -> dict[str, str]:
    from geo_app.i18n import LANGS, load_strings

    strings = load_strings()
    words: dict[str, str] = {}
    for group in vocabulary().uses:
        words[fold(group.code)] = group.code
        key = f"parcel.use.{group.code}"
        if key in strings:
            for lang in LANGS:
                words[fold(strings.get(key, lang))] = group.code
    return words


# ------------------------------------------------------------------ areas


def parse_number(value: Any) -> float | None:
    """A non-negative number from a cell: ``3.2``, ``"3,200.5"``, ``"3.2公顷"``; None else."""
    if is_blank(value) or isinstance(value, bool):
        return None
    if isinstance(value, int | float | np.integer | np.floating):
        number = float(value)
        return number if math.isfinite(number) and number >= 0 else None
    text = text_of(value)
    match = _NUMBER.match(text or "")
    if not match:
        return None
    try:
        return float(match.group(1).replace(",", ""))
    except ValueError:
        return None


def unit_in_text(text: str) -> str | None:
    """The area unit a column name or a value names (公顷, 亩, 平方米 …), if any."""
    from geo_app.parcel_table.words import bracketed_parts

    vocab = vocabulary()
    bare, parts = bracketed_parts(text)
    for piece in (*parts, bare):
        key = fold(piece)
        for word in sorted(vocab.unit_words, key=len, reverse=True):
            if key == word or key.endswith(word) or (piece in parts and word in key):
                return vocab.unit_words[word]
    return None


def decimals_of(value: Any) -> int | None:
    """How many decimals the planner wrote (the declared figure's own rounding)."""
    if isinstance(value, int | np.integer):
        return 0
    text = text_of(value)
    if text is None:
        return None
    match = _NUMBER.match(text)
    if not match:
        return None
    digits = match.group(1)
    return len(digits.split(".", 1)[1]) if "." in digits else 0
