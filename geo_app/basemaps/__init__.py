"""The basemap registry: what the map can draw under the plan layers, read from TOML files.

Like xyzservices, a basemap is data: an entry in ``basemaps.toml`` with an id, a name in
both languages, where its tiles come from and in which datum they are drawn. The default,
``offline``, has no tiles at all, so the map works with no network. Entries that need an
access key name the setting holding it (``key_name``); the key itself, and extra entries
configured per deployment, are handled in :mod:`geo_app.basemaps.settings`.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

import xyzservices.providers as xyz_providers

from geo_app.problems import SettingsError

BASEMAPS_PATH = Path(__file__).with_name("basemaps.toml")
DEFAULT_BASEMAP = "offline"
KINDS = ("offline", "xyz", "xyzservices", "wmts")
TILED_KINDS = ("xyz", "wmts")
DATUMS = ("wgs84", "gcj02")


class BasemapError(SettingsError):
    """A basemap entry breaks the registry's rules, or an unknown basemap id was asked for."""


@dataclass(frozen=True)
class TileSource:
    """Where one tiled layer's images come from; an access key is added only when drawn.

    ``xyz``: ``url`` is a template with {z}, {x}, {y} (or {-y}). ``wmts``: ``url`` is the
    service endpoint and the KVP GetTile query is built here; the tile matrix set must be
    the Web Mercator one (Google-compatible tiling), the only one Leaflet draws unaided.
    """

    kind: str
    url: str
    subdomains: str | None = None
    layer: str | None = None
    style: str = "default"
    tile_matrix_set: str | None = None
    format: str = "image/png"
    tile_matrix_prefix: str = ""

    def url_template(self) -> str:
        if self.kind == "xyz":
            return self.url
        params = (
            ("SERVICE", "WMTS"),
            ("REQUEST", "GetTile"),
            ("VERSION", "1.0.0"),
            ("LAYER", self.layer or ""),
            ("STYLE", self.style),
            ("TILEMATRIXSET", self.tile_matrix_set or ""),
            ("FORMAT", self.format),
        )
        query = "&".join(f"{name}={quote(value, safe=':/')}" for name, value in params)
        matrix = quote(self.tile_matrix_prefix, safe=":")
        tiles = f"TILEMATRIX={matrix}{{z}}&TILEROW={{y}}&TILECOL={{x}}"
        return f"{self.url}{query_joiner(self.url)}{query}&{tiles}"


def query_joiner(url: str) -> str:
    """What goes between ``url`` and one more query parameter."""
    if url.endswith(("?", "&")):
        return ""
    return "&" if "?" in url else "?"


@dataclass(frozen=True)
class Basemap:
    id: str
    name_zh: str
    name_en: str
    kind: str
    crs_datum: str = "wgs84"
    requires_network: bool = False
    max_zoom: int = 18
    min_zoom: int = 0
    url: str | None = None
    provider: str | None = None
    attribution_zh: str | None = None
    attribution_en: str | None = None
    subdomains: str | None = None
    # wmts only: the KVP GetTile parameters.
    layer: str | None = None
    style: str = "default"
    tile_matrix_set: str | None = None
    format: str = "image/png"
    tile_matrix_prefix: str = ""
    # A transparent layer of labels drawn over the base (天地图 cva/cia/cta).
    annotation: TileSource | None = None
    # The setting that holds the access key, and the URL parameter it goes into.
    key_name: str | None = None
    key_param: str | None = None
    # Shows while tiles load (Leaflet's own grey), or behind the offline backdrop.
    background: str = "#dddddd"
    backdrop_layers: tuple[str, ...] = ()
    backdrop_color: str = "#999999"

    @property
    def has_tiles(self) -> bool:
        return self.kind != "offline"

    @property
    def needs_key(self) -> bool:
        return self.key_name is not None

    def name(self, lang: str = "zh") -> str:
        return self.name_en if lang == "en" else self.name_zh

    def tile_url(self) -> str | None:
        """The base layer's tile URL template (without any key), or None when offline."""
        sources = self.tile_sources()
        return sources[0].url_template() if sources else None

    def tile_sources(self) -> tuple[TileSource, ...]:
        """The base tile layer, then the annotation layer when there is one."""
        if self.kind == "xyzservices":
            return (TileSource("xyz", _provider(self.provider or "").build_url()),)
        if self.kind not in TILED_KINDS:
            return ()
        base = TileSource(
            kind=self.kind,
            url=self.url or "",
            subdomains=self.subdomains,
            layer=self.layer,
            style=self.style,
            tile_matrix_set=self.tile_matrix_set,
            format=self.format,
            tile_matrix_prefix=self.tile_matrix_prefix,
        )
        return (base, self.annotation) if self.annotation else (base,)

    def attribution(self, lang: str = "zh") -> str:
        """Attribution HTML: the entry's own text, else the provider's (which may hold links)."""
        own = self.attribution_en if lang == "en" else self.attribution_zh
        if own:
            return own
        if self.kind == "xyzservices":
            provider = _provider(self.provider or "")
            return provider.get("html_attribution") or provider.get("attribution", "")
        return ""


@dataclass(frozen=True)
class BasemapRegistry:
    basemaps: tuple[Basemap, ...]
    source: str = "basemaps.toml"
    _by_id: Mapping[str, Basemap] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_id", {b.id: b for b in self.basemaps})

    def get(self, basemap_id: str) -> Basemap:
        try:
            return self._by_id[basemap_id]
        except KeyError:
            raise BasemapError(
                f"unknown basemap {basemap_id!r}; choose one of {', '.join(self.ids())}"
            ) from None

    def ids(self) -> tuple[str, ...]:
        return tuple(self._by_id)

    def fallback(self) -> Basemap:
        """The basemap drawn when a chosen one cannot be: the default, else any offline one."""
        default = self._by_id.get(DEFAULT_BASEMAP)
        if default is not None and not default.has_tiles:
            return default
        for basemap in self.basemaps:
            if not basemap.has_tiles:
                return basemap
        raise BasemapError(f"{self.source}: no offline basemap to fall back to")

    def __iter__(self) -> Iterator[Basemap]:
        return iter(self.basemaps)

    def __len__(self) -> int:
        return len(self.basemaps)

    def __contains__(self, basemap_id: object) -> bool:
        return basemap_id in self._by_id


def _provider(name: str) -> Any:
    try:
        return xyz_providers.query_name(name)
    except ValueError as exc:
        raise BasemapError(f"xyzservices has no tile provider {name!r}") from exc


# ---------------------------------------------------------------- parsing entries

_TEXT = ("id", "name_zh", "name_en", "kind")
_OPTIONAL_TEXT = (
    "url",
    "provider",
    "attribution_zh",
    "attribution_en",
    "subdomains",
    "background",
    "backdrop_color",
    "crs_datum",
    "layer",
    "style",
    "tile_matrix_set",
    "format",
    "tile_matrix_prefix",
    "key_name",
    "key_param",
)
_ANNOTATION_FIELDS = (
    "url", "subdomains", "layer", "style", "tile_matrix_set", "format", "tile_matrix_prefix",
)
_OTHER_FIELDS = ("requires_network", "max_zoom", "min_zoom", "backdrop_layers", "annotation")
_URL_STARTS = ("https://", "http://", "/")
_URL_FORBIDDEN = re.compile(r"[\s\"'<>\\`]")
_SETTING_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_PARAM_NAME = re.compile(r"[A-Za-z0-9_.-]+")


def _check_url(url: str, kind: str, subdomains: str | None, label: str) -> None:
    if not url.startswith(_URL_STARTS):
        raise BasemapError(f"{label}: url must start with https://, http:// or /")
    if _URL_FORBIDDEN.search(url):
        raise BasemapError(f"{label}: url must not contain spaces, quotes or angle brackets")
    placeholders = set(re.findall(r"\{[^{}]*\}", url))
    if kind == "xyz":
        allowed = {"{z}", "{x}", "{y}", "{-y}", "{s}", "{r}"}
        if not {"{z}", "{x}"} <= placeholders or not placeholders & {"{y}", "{-y}"}:
            raise BasemapError(f"{label}: an xyz url needs {{z}}, {{x}} and {{y}}")
    else:
        # The GetTile query, with the tile numbers, is built from the entry's fields.
        allowed = {"{s}"}
    unknown = sorted(placeholders - allowed)
    if unknown:
        raise BasemapError(f"{label}: url placeholder(s) {', '.join(unknown)} are not supported")
    if "{s}" in placeholders and not subdomains:
        raise BasemapError(f"{label}: url uses {{s}} but no subdomains are given")


def _whole_number(raw: Mapping[str, Any], key: str, default: int, label: str) -> int:
    value = raw.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 22:
        raise BasemapError(f"{label}: {key} must be a whole number from 0 to 22")
    return value


def _wmts_fields(raw: Mapping[str, Any], label: str) -> None:
    for key in ("layer", "tile_matrix_set"):
        if not raw.get(key):
            raise BasemapError(f"{label}: a wmts layer needs {key}")


def _parse_annotation(raw: Any, base: Mapping[str, Any], label: str) -> TileSource:
    label = f"{label}: annotation"
    if not isinstance(raw, Mapping):
        raise BasemapError(f"{label} must be a table")
    unknown = sorted(set(raw) - set(_ANNOTATION_FIELDS))
    if unknown:
        raise BasemapError(f"{label}: unknown field(s) {', '.join(map(repr, unknown))}")
    for key, value in raw.items():
        if not isinstance(value, str):
            raise BasemapError(f"{label}: {key!r} must be text")
    if not raw.get("url"):
        raise BasemapError(f"{label}: needs a url")
    kind = base["kind"]
    # What the annotation does not say it shares with its base layer.
    merged = {key: raw.get(key, base.get(key)) for key in _ANNOTATION_FIELDS}
    if kind == "wmts":
        _wmts_fields(merged, label)
    _check_url(merged["url"], kind, merged.get("subdomains"), label)
    given = {key: value for key, value in merged.items() if value is not None}
    return TileSource(kind=kind, **given)


def _parse_entry(raw: Any, label: str) -> Basemap:
    if not isinstance(raw, Mapping):
        raise BasemapError(f"{label}: is not a table")
    for key in _TEXT:
        if not isinstance(raw.get(key), str) or not raw[key]:
            raise BasemapError(f"{label}: missing field {key!r}")
    label = f"{label.split(':')[0]}: basemap {raw['id']!r}"
    for key in _OPTIONAL_TEXT:
        if key in raw and not isinstance(raw[key], str):
            raise BasemapError(f"{label}: {key!r} must be text")
    kind = raw["kind"]
    if kind not in KINDS:
        raise BasemapError(f"{label}: kind {kind!r} is not one of {', '.join(KINDS)}")
    datum = raw.get("crs_datum", "wgs84")
    if datum not in DATUMS:
        raise BasemapError(f"{label}: crs_datum {datum!r} is not one of {', '.join(DATUMS)}")
    if kind in TILED_KINDS:
        if not raw.get("url"):
            raise BasemapError(f"{label}: an {kind} basemap needs a url")
        if kind == "wmts":
            _wmts_fields(raw, label)
        _check_url(raw["url"], kind, raw.get("subdomains"), label)
        # Tile licences ask for credit; xyzservices providers carry their own.
        if not (raw.get("attribution_zh") and raw.get("attribution_en")):
            raise BasemapError(
                f"{label}: an {kind} basemap needs attribution_zh and attribution_en"
            )
    if kind == "xyzservices":
        if not raw.get("provider"):
            raise BasemapError(f"{label}: an xyzservices basemap needs a provider")
        _provider(raw["provider"])
    if ("key_name" in raw) != ("key_param" in raw):
        raise BasemapError(f"{label}: key_name and key_param go together")
    if "key_name" in raw:
        if kind not in TILED_KINDS:
            raise BasemapError(f"{label}: only xyz and wmts basemaps can take a key")
        if not _SETTING_NAME.fullmatch(raw["key_name"]):
            raise BasemapError(f"{label}: key_name must be a setting name like TIANDITU_TK")
        if not _PARAM_NAME.fullmatch(raw["key_param"]):
            raise BasemapError(f"{label}: key_param must be a URL parameter name like tk")
    annotation = None
    if "annotation" in raw:
        if kind not in TILED_KINDS:
            raise BasemapError(f"{label}: only xyz and wmts basemaps can have an annotation")
        annotation = _parse_annotation(raw["annotation"], raw, label)
    requires_network = raw.get("requires_network", kind != "offline")
    if not isinstance(requires_network, bool):
        raise BasemapError(f"{label}: requires_network must be true or false")
    max_zoom = _whole_number(raw, "max_zoom", 18, label)
    min_zoom = _whole_number(raw, "min_zoom", 0, label)
    if max_zoom < 1 or min_zoom > max_zoom:
        raise BasemapError(f"{label}: zoom levels must satisfy 0 <= min_zoom <= max_zoom, 1+")
    backdrop = raw.get("backdrop_layers", [])
    if not isinstance(backdrop, list) or not all(isinstance(x, str) for x in backdrop):
        raise BasemapError(f"{label}: backdrop_layers must be a list of layer ids")
    known = {*_TEXT, *_OPTIONAL_TEXT, *_OTHER_FIELDS}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise BasemapError(f"{label}: unknown field(s) {', '.join(map(repr, unknown))}")
    optional = {key: raw[key] for key in _OPTIONAL_TEXT if key in raw}
    return Basemap(
        **{key: raw[key] for key in _TEXT},
        **optional,
        requires_network=requires_network,
        max_zoom=max_zoom,
        min_zoom=min_zoom,
        annotation=annotation,
        backdrop_layers=tuple(backdrop),
    )


def _unique(basemaps: Iterable[Basemap], source: str) -> tuple[Basemap, ...]:
    seen: set[str] = set()
    for basemap in basemaps:
        if basemap.id in seen:
            raise BasemapError(f"{source}: duplicate basemap id {basemap.id!r}")
        seen.add(basemap.id)
    return tuple(basemaps)


def parse_basemaps(document: Mapping[str, Any], source: str = "basemaps.toml") -> BasemapRegistry:
    entries = document.get("basemaps")
    if not isinstance(entries, list) or not entries:
        raise BasemapError(f"{source}: no [[basemaps]] entries")
    basemaps = [_parse_entry(raw, f"{source}: entry {i}") for i, raw in enumerate(entries, 1)]
    return BasemapRegistry(_unique(basemaps, source), source=source)


def load_basemaps(path: str | Path | None = None) -> BasemapRegistry:
    """Read a registry file (the shipped ``geo_app/basemaps/basemaps.toml`` by default)."""
    registry_path = Path(path) if path is not None else BASEMAPS_PATH
    try:
        stat = registry_path.stat()
    except FileNotFoundError as exc:
        raise BasemapError(f"{registry_path.name}: basemap registry is missing") from exc
    return _load_cached(registry_path, stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=16)
def _load_cached(path: Path, _mtime_ns: int, _size: int) -> BasemapRegistry:
    try:
        with path.open("rb") as handle:
            document = tomllib.load(handle)
    except OSError as exc:
        raise BasemapError(f"{path.name}: cannot be read ({exc.strerror})") from exc
    except tomllib.TOMLDecodeError as exc:
        raise BasemapError(f"{path.name}: not valid TOML ({exc})") from exc
    return parse_basemaps(document, source=path.name)
