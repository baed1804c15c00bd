"""The basemap registry: what the map can draw under the plan layers, read from a TOML file.

Like xyzservices, a basemap is data: an entry in ``basemaps.toml`` with an id, a name in
both languages, where its tiles come from and in which datum they are drawn. The default,
``offline``, has no tiles at all, so the map works with no network.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import xyzservices.providers as xyz_providers

BASEMAPS_PATH = Path(__file__).with_name("basemaps.toml")
DEFAULT_BASEMAP = "offline"
KINDS = ("offline", "xyz", "xyzservices")
DATUMS = ("wgs84", "gcj02")


class BasemapError(ValueError):
    """A basemap entry breaks the registry's rules, or an unknown basemap id was asked for."""


@dataclass(frozen=True)
class Basemap:
    id: str
    name_zh: str
    name_en: str
    kind: str
    crs_datum: str = "wgs84"
    requires_network: bool = False
    max_zoom: int = 18
    url: str | None = None
    provider: str | None = None
    attribution_zh: str | None = None
    attribution_en: str | None = None
    subdomains: str | None = None
    # Shows while tiles load (Leaflet's own grey), or behind the offline backdrop.
    background: str = "#dddddd"
    backdrop_layers: tuple[str, ...] = ()
    backdrop_color: str = "#999999"

    @property
    def has_tiles(self) -> bool:
        return self.kind != "offline"

    def name(self, lang: str = "zh") -> str:
        return self.name_en if lang == "en" else self.name_zh

    def tile_url(self) -> str | None:
        """The tile URL template, or None for the offline basemap."""
        if self.kind == "xyz":
            return self.url
        if self.kind == "xyzservices":
            return _provider(self.provider or "").build_url()
        return None

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
)


def _parse_entry(raw: Any, label: str) -> Basemap:
    if not isinstance(raw, dict):
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
    if kind == "xyz":
        if not raw.get("url"):
            raise BasemapError(f"{label}: an xyz basemap needs a url")
        # Tile licences ask for credit; xyzservices providers carry their own.
        if not (raw.get("attribution_zh") and raw.get("attribution_en")):
            raise BasemapError(f"{label}: an xyz basemap needs attribution_zh and attribution_en")
    if kind == "xyzservices":
        if not raw.get("provider"):
            raise BasemapError(f"{label}: an xyzservices basemap needs a provider")
        _provider(raw["provider"])
    requires_network = raw.get("requires_network", kind != "offline")
    if not isinstance(requires_network, bool):
        raise BasemapError(f"{label}: requires_network must be true or false")
    max_zoom = raw.get("max_zoom", 18)
    if isinstance(max_zoom, bool) or not isinstance(max_zoom, int) or not 1 <= max_zoom <= 22:
        raise BasemapError(f"{label}: max_zoom must be a whole number from 1 to 22")
    backdrop = raw.get("backdrop_layers", [])
    if not isinstance(backdrop, list) or not all(isinstance(x, str) for x in backdrop):
        raise BasemapError(f"{label}: backdrop_layers must be a list of layer ids")
    known = {*_TEXT, *_OPTIONAL_TEXT, "requires_network", "max_zoom", "backdrop_layers"}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise BasemapError(f"{label}: unknown field(s) {', '.join(map(repr, unknown))}")
    optional = {key: raw[key] for key in _OPTIONAL_TEXT if key in raw}
    return Basemap(
        **{key: raw[key] for key in _TEXT},
        **optional,
        requires_network=requires_network,
        max_zoom=max_zoom,
        backdrop_layers=tuple(backdrop),
    )


def parse_basemaps(document: Mapping[str, Any], source: str = "basemaps.toml") -> BasemapRegistry:
    entries = document.get("basemaps")
    if not isinstance(entries, list) or not entries:
        raise BasemapError(f"{source}: no [[basemaps]] entries")
    basemaps = [_parse_entry(raw, f"{source}: entry {i}") for i, raw in enumerate(entries, 1)]
    seen: set[str] = set()
    for basemap in basemaps:
        if basemap.id in seen:
            raise BasemapError(f"{source}: duplicate basemap id {basemap.id!r}")
        seen.add(basemap.id)
    return BasemapRegistry(tuple(basemaps), source=source)


def load_basemaps(path: str | Path | None = None) -> BasemapRegistry:
    """Read the registry (the shipped ``geo_app/basemaps.toml`` by default)."""
    registry_path = Path(path) if path is not None else BASEMAPS_PATH
    try:
        with registry_path.open("rb") as handle:
            document = tomllib.load(handle)
    except FileNotFoundError as exc:
        raise BasemapError(f"{registry_path.name}: basemap registry is missing") from exc
    except tomllib.TOMLDecodeError as exc:
        raise BasemapError(f"{registry_path.name}: not valid TOML ({exc})") from exc
    return parse_basemaps(document, source=registry_path.name)
