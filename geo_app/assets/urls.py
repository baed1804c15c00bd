"""Where a map page finds each vendored file: a served URL, or the file's text inlined.

``asset_urls("served")`` gives ``/app/static/vendor/...`` URLs for the Streamlit app (the
files are installed first). ``asset_urls("inline")`` gives the files' contents, with the
images a stylesheet refers to turned into data URIs, for an HTML file that opens from disk.
"""

from __future__ import annotations

import base64
import mimetypes
import re
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from geo_app.assets.install import (
    VENDOR_SUBDIR,
    AssetsWarning,
    RequiredAssetsMissing,
    install_static,
)
from geo_app.assets.vendor import CACHE_DIR, Library, LibraryUnavailable, load_vendor
from geo_app.resources import STATIC_DIR

# Streamlit serves the app's static/ folder under this path (server.enableStaticServing).
SERVED_PREFIX = "/app/static"

_CSS_URL = re.compile(r"""url\(\s*(['"]?)([^'")]+)\1\s*\)""")


class AssetMode(StrEnum):
    SERVED = "served"
    INLINE = "inline"


class UnknownAssetError(KeyError):
    """A resource name vendor.toml does not define."""

    def __str__(self) -> str:
        return str(self.args[0])


@dataclass(frozen=True)
class AssetSet(Mapping[str, str]):
    """Resource name (``leaflet``, ``measure_js_zh`` …) -> URL (served) or file text (inline).

    Resources of a library that is not available are absent; ``unavailable`` says why.
    """

    mode: AssetMode
    entries: Mapping[str, str]
    kinds: Mapping[str, str]
    unavailable: Mapping[str, str] = field(default_factory=dict)

    def __getitem__(self, name: str) -> str:
        try:
            return self.entries[name]
        except KeyError:
            reason = self.unavailable.get(name) or "not defined in vendor.toml"
            raise UnknownAssetError(f"map resource {name!r} is not available: {reason}") from None

    def __iter__(self) -> Iterator[str]:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    def has(self, *names: str) -> bool:
        return all(name in self.entries for name in names)

    def kind(self, name: str) -> str:
        return self.kinds[name]

    def links(self, *names: str) -> list[tuple[str, str]]:
        """``(name, url)`` pairs in the form folium's ``default_js``/``default_css`` take."""
        if self.mode is not AssetMode.SERVED:
            raise ValueError("links exist only in served mode; inline assets are file texts")
        return [(name, self[name]) for name in names]


def _data_uri(path: Path) -> str:
    mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"


def inline_css(text: str, base: Path) -> str:
    """Replace relative ``url(...)`` references with data URIs of the files beside the CSS."""

    def replace(match: re.Match[str]) -> str:
        target = match.group(2).strip()
        if target.startswith(("data:", "#")) or "//" in target:
            return match.group(0)
        path = (base / target.split("?")[0].split("#")[0]).resolve()
        if not path.is_file():
            return match.group(0)
        return f'url("{_data_uri(path)}")'

    return _CSS_URL.sub(replace, text)


def _inline_values(library: Library, cache_dir: Path) -> dict[str, str]:
    base = library.source_dir(cache_dir)
    values = {}
    for name, (kind, relative) in library.resources().items():
        path = base / relative
        text = path.read_text(encoding="utf-8")
        values[name] = inline_css(text, path.parent) if kind == "css" else text
    return values


def asset_urls(
    mode: AssetMode | str = AssetMode.SERVED,
    static_dir: Path = STATIC_DIR,
    cache_dir: Path = CACHE_DIR,
    libraries: tuple[Library, ...] | None = None,
) -> AssetSet:
    """Every available resource for ``mode``; served mode installs the files first."""
    mode = AssetMode(mode)
    libraries = libraries if libraries is not None else load_vendor()
    values: dict[str, str] = {}
    kinds: dict[str, str] = {}
    unavailable: dict[str, str] = {}
    if mode is AssetMode.SERVED:
        report = install_static(static_dir, cache_dir, libraries)
    for library in libraries:
        resources = library.resources()
        kinds.update({name: kind for name, (kind, _) in resources.items()})
        if mode is AssetMode.SERVED:
            if not report.has(library.id):
                unavailable.update(dict.fromkeys(resources, report.unavailable[library.id]))
                continue
            prefix = f"{SERVED_PREFIX}/{VENDOR_SUBDIR}/{library.folder}"
            values.update({name: f"{prefix}/{path}" for name, (_, path) in resources.items()})
            continue
        try:
            values.update(_inline_values(library, cache_dir))
        except LibraryUnavailable as exc:
            if not library.optional:
                raise RequiredAssetsMissing(str(exc)) from exc
            warnings.warn(f"map control left out: {exc}", AssetsWarning, stacklevel=2)
            unavailable.update(dict.fromkeys(resources, str(exc)))
    return AssetSet(mode=mode, entries=values, kinds=kinds, unavailable=unavailable)
