"""Every user-visible string of the product, in Chinese first and English as a switch.

The strings live in ``strings.toml`` beside this module as nested tables whose leaves are
``{zh = "...", en = "..."}``; a string is named by its dotted path (``map.legend.title``).
Asking for a name that is not there raises :class:`MissingStringError`: a missing string is
a bug to fix, never text to guess.

A table holding only ``same_as = "other.name"`` repeats the strings under ``other.name``, so
one fact shown in two places (a parcel status in the popup and in the legend) is written once.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

LANGS = ("zh", "en")
DEFAULT_LANG = "zh"
STRINGS_PATH = Path(__file__).with_name("strings.toml")
ALIAS_KEY = "same_as"


class MissingStringError(KeyError):
    """A string name that strings.toml does not define (or defines without a language)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "missing string"


class StringsFileError(ValueError):
    """strings.toml is not valid: a leaf lacks a language or holds something other than text."""


def check_lang(lang: str) -> str:
    """Return ``lang`` when it is one of :data:`LANGS`, else raise ValueError."""
    if lang not in LANGS:
        raise ValueError(f"language must be one of {', '.join(LANGS)}, not {lang!r}")
    return lang


@dataclass(frozen=True)
class Strings:
    """The product's strings: ``name -> {lang: text}``."""

    table: Mapping[str, Mapping[str, str]]
    source: str = "strings.toml"

    def get(self, key: str, lang: str = DEFAULT_LANG, /, **values: Any) -> str:
        """The text of ``key`` in ``lang``, with ``{placeholders}`` filled from ``values``."""
        check_lang(lang)
        try:
            text = self.table[key][lang]
        except KeyError:
            message = f"no {lang} text for string {key!r} in {self.source}"
            raise MissingStringError(message) from None
        return text.format(**values) if values else text

    def both(self, key: str, /, **values: Any) -> dict[str, str]:
        return {lang: self.get(key, lang, **values) for lang in LANGS}

    def choice(self, prefix: str, value: Any, lang: str = DEFAULT_LANG) -> str:
        """The words for a coded value (``parcel.status`` + ``planned``); the code itself when
        no string names it, since data may carry codes the product does not know."""
        name = f"{prefix}.{value}"
        return self.get(name, lang) if name in self.table else str(value)

    def names(self, prefix: str = "") -> tuple[str, ...]:
        return tuple(name for name in self.table if name.startswith(prefix))

    def __contains__(self, name: object) -> bool:
        return name in self.table

    def __iter__(self) -> Iterator[str]:
        return iter(self.table)

    def __len__(self) -> int:
        return len(self.table)


def parse_strings(document: Mapping[str, Any], source: str = "strings.toml") -> Strings:
    """Flatten nested tables into dotted names; every leaf must give text in every language."""
    table: dict[str, dict[str, str]] = {}
    aliases: dict[str, str] = {}

    def walk(node: Mapping[str, Any], prefix: str) -> None:
        if ALIAS_KEY in node:
            if len(node) != 1 or not isinstance(node[ALIAS_KEY], str):
                raise StringsFileError(
                    f"{source}: {prefix!r} must hold only {ALIAS_KEY} = \"<name>\""
                )
            aliases[prefix] = node[ALIAS_KEY]
            return
        langs_here = [key for key in node if key in LANGS]
        if langs_here:
            extra = sorted(set(node) - set(LANGS))
            if extra:
                raise StringsFileError(
                    f"{source}: {prefix!r} mixes texts with sub-names {extra}"
                )
            missing = [lang for lang in LANGS if lang not in node]
            if missing:
                raise StringsFileError(f"{source}: {prefix!r} has no {', '.join(missing)} text")
            for lang in LANGS:
                if not isinstance(node[lang], str):
                    raise StringsFileError(f"{source}: {prefix!r}.{lang} must be text")
            table[prefix] = {lang: node[lang] for lang in LANGS}
            return
        for key, child in node.items():
            name = f"{prefix}.{key}" if prefix else key
            if not isinstance(child, Mapping):
                raise StringsFileError(f"{source}: {name!r} must be a table with zh and en")
            walk(child, name)

    walk(document, "")
    for alias, target in aliases.items():
        table.update(_aliased(table, alias, target, source))
    return Strings(table=table, source=source)


def _aliased(
    table: Mapping[str, dict[str, str]], alias: str, target: str, source: str
) -> dict[str, dict[str, str]]:
    """The names under ``target`` renamed to sit under ``alias``."""
    copied = {
        alias + name[len(target):]: texts
        for name, texts in table.items()
        if name == target or name.startswith(target + ".")
    }
    if not copied:
        raise StringsFileError(f"{source}: {alias!r} is the same as {target!r}, which is not there")
    clashes = sorted(set(copied) & set(table))
    if clashes:
        raise StringsFileError(f"{source}: {alias!r} is an alias but {clashes[0]!r} is also given")
    return copied


def load_strings(path: str | Path | None = None) -> Strings:
    """Read a strings file (the shipped ``geo_app/strings.toml`` by default)."""
    strings_path = Path(path) if path is not None else STRINGS_PATH
    return _load_cached(strings_path, strings_path.stat().st_mtime_ns)


@lru_cache(maxsize=8)
def _load_cached(path: Path, _mtime_ns: int) -> Strings:
    with path.open("rb") as handle:
        document = tomllib.load(handle)
    return parse_strings(document, source=path.name)


def t(key: str, lang: str = DEFAULT_LANG, /, **values: Any) -> str:
    """Shorthand for ``load_strings().get(key, lang, **values)``."""
    return load_strings().get(key, lang, **values)
