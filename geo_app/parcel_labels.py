"""Parcel codes in words: the status and land use of a parcel, as every surface names them.

The words live in strings.toml (``parcel.status.*``, ``parcel.use.*``) and nowhere else, so
the command line, the web map and the exports agree. A use that strings.toml does not name
is shown in the parcel's own ``use_zh`` text in Chinese, else as its code.
"""

from __future__ import annotations

from geo_app.i18n import DEFAULT_LANG, LANGS, load_strings

STATUS_PREFIX = "parcel.status"
USE_PREFIX = "parcel.use"


def status_name(code: object, lang: str = DEFAULT_LANG) -> str:
    """The words for a status code (``planned`` → 计划供地); an unknown code as it is."""
    return load_strings().choice(STATUS_PREFIX, code, lang)


def use_name(code: object, lang: str = DEFAULT_LANG, own_zh: str | None = None) -> str:
    """The words for a land-use code; ``own_zh`` is the parcel's ``use_zh``, used only in
    Chinese and only for a use strings.toml does not name."""
    strings = load_strings()
    if f"{USE_PREFIX}.{code}" in strings:
        return strings.choice(USE_PREFIX, code, lang)
    if lang == "zh" and own_zh:
        return own_zh
    return str(code)


def status_words(code: str) -> tuple[str, ...]:
    """Every name the product gives a status code, in every language."""
    strings = load_strings()
    return tuple(strings.get(f"{STATUS_PREFIX}.{code}", lang) for lang in LANGS)
