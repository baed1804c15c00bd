"""What deployment settings do to basemaps: extra entries and access keys.

Extra entries (an intranet tile server, say) come from a TOML file named by
``GEO_APP_BASEMAPS`` or from the app's secrets and are merged into the shipped registry;
no code changes. A broken extra is left out and its reason returned, so the map keeps
working on the shipped basemaps.

Some tile services want an access key in every tile URL (天地图 wants ``tk``). An entry
names the setting that holds it; :func:`resolve_basemap` asks a lookup for it. The key is
put into tile URLs only: never into an error message or a repr. Without a usable key the
offline basemap is drawn instead, with a message (zh/en) saying which setting to fill.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from geo_app.basemaps import (
    Basemap,
    BasemapError,
    BasemapRegistry,
    load_basemaps,
    parse_basemaps,
    query_joiner,
)
from geo_app.basemaps.lookup import Lookup, lookup_text
from geo_app.i18n import Strings

EXTRA_BASEMAPS_ENV = "GEO_APP_BASEMAPS"
# Characters that may stand in a URL query unescaped; anything else is refused as a key.
KEY_PATTERN = re.compile(r"[A-Za-z0-9._~-]{8,256}")


# ---------------------------------------------------------------- merging configured extras


def _plain(value: Any) -> Any:
    """Nested mappings and lists as plain dicts and lists (secrets come as read-only views)."""
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


def parse_secret_basemaps(value: Any, source: str = "secrets [basemaps]") -> BasemapRegistry:
    """Entries given in the app's secrets: a list of tables (``[[basemaps]]``) or a table
    of tables keyed by basemap id (``[basemaps.intranet]``)."""
    value = _plain(value)
    if isinstance(value, dict):
        entries = []
        for basemap_id, entry in value.items():
            if not isinstance(entry, dict):
                raise BasemapError(f"{source}: {basemap_id!r} is not a table")
            entries.append({"id": basemap_id, **entry})
        value = entries
    return parse_basemaps({"basemaps": value}, source=source)


def merge_registries(base: BasemapRegistry, extra: BasemapRegistry) -> BasemapRegistry:
    """``base`` followed by ``extra``; an id defined twice is an error naming both sources."""
    for basemap in extra:
        if basemap.id in base:
            raise BasemapError(
                f"{extra.source}: basemap id {basemap.id!r} is already defined in {base.source}"
            )
    return BasemapRegistry(base.basemaps + extra.basemaps, source=base.source)


@dataclass(frozen=True)
class ConfiguredBasemaps:
    """The registry to offer, and why any configured extra was left out."""

    registry: BasemapRegistry
    problems: tuple[str, ...] = ()


def configured_basemaps(settings: Lookup = None, secret_entries: Any = None) -> ConfiguredBasemaps:
    """The shipped registry plus the file named by ``GEO_APP_BASEMAPS`` and secret entries.

    ``settings`` finds ``GEO_APP_BASEMAPS`` (None: the environment).

    A broken extra is left out and its error returned, so the map keeps working on the
    shipped basemaps; the caller shows the problem.
    """
    registry = load_basemaps()
    problems: list[str] = []
    extras: list[tuple[str, Any]] = []
    extra_path = lookup_text(EXTRA_BASEMAPS_ENV, settings)
    if extra_path:
        extras.append(("file", extra_path))
    if secret_entries:
        extras.append(("secrets", secret_entries))
    for origin, value in extras:
        try:
            extra = load_basemaps(value) if origin == "file" else parse_secret_basemaps(value)
            registry = merge_registries(registry, extra)
        except BasemapError as exc:
            problems.append(f"{EXTRA_BASEMAPS_ENV}: {exc}" if origin == "file" else str(exc))
    return ConfiguredBasemaps(registry, tuple(problems))


# ---------------------------------------------------------------- choosing what is drawn


@dataclass(frozen=True)
class TileLayerSpec:
    """A tile layer ready to draw. ``url`` may carry an access key: it is kept out of repr."""

    url: str = field(repr=False)
    subdomains: str | None = None
    overlay: bool = False


@dataclass(frozen=True)
class BasemapChoice:
    """What a request for a basemap gives: the basemap drawn and its tile layers.

    ``shown`` is ``requested`` unless it could not be drawn (no key); then it is the offline
    fallback and ``problem`` names the string (in strings.toml) that tells the user why.
    """

    requested: Basemap
    shown: Basemap
    tiles: tuple[TileLayerSpec, ...] = field(default=(), repr=False)
    problem: str | None = None

    @property
    def fell_back(self) -> bool:
        return self.shown.id != self.requested.id

    def message(self, strings: Strings, lang: str) -> str | None:
        """The problem in the user's language; it names the setting, never the key."""
        if self.problem is None:
            return None
        return strings.get(
            self.problem,
            lang,
            name=self.requested.name(lang),
            variable=self.requested.key_name or "",
            fallback=self.shown.name(lang),
        )


def _with_key(url: str, param: str, key: str) -> str:
    return f"{url}{query_joiner(url)}{param}={key}"


def resolve_basemap(
    registry: BasemapRegistry, basemap_id: str, keys: Lookup = None
) -> BasemapChoice:
    """The basemap to draw for ``basemap_id``, with its keys put into the tile URLs.

    ``keys`` finds an entry's ``key_name`` (a mapping or a callable; None reads the
    environment). A missing or malformed key gives the offline fallback and a problem.
    """
    basemap = registry.get(basemap_id)
    key = None
    if basemap.needs_key:
        key = lookup_text(basemap.key_name or "", keys)
        problem = None
        if key is None:
            problem = "basemap.key_missing"
        elif not KEY_PATTERN.fullmatch(key):
            problem = "basemap.key_invalid"
        if problem is not None:
            return BasemapChoice(basemap, registry.fallback(), problem=problem)
    tiles = []
    for index, source in enumerate(basemap.tile_sources()):
        url = source.url_template()
        if key is not None and basemap.key_param:
            url = _with_key(url, basemap.key_param, key)
        tiles.append(TileLayerSpec(url, source.subdomains, overlay=index > 0))
    return BasemapChoice(basemap, basemap, tuple(tiles))
