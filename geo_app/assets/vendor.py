"""The pinned third-party libraries of ``vendor.toml`` and where their files come from."""

from __future__ import annotations

import importlib
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from geo_app.resources import PROJECT_ROOT

VENDOR_TOML = Path(__file__).with_name("vendor.toml")
CACHE_DIR = PROJECT_ROOT / ".assets-cache"
SOURCES = ("wheel", "npm")


class VendorError(ValueError):
    """vendor.toml breaks its rules."""


class LibraryUnavailable(RuntimeError):
    """A library's files are not on this machine (wheel not installed, npm package not fetched)."""


@dataclass(frozen=True)
class Library:
    id: str
    source: str
    version: str
    files: tuple[str, ...]
    js: Mapping[str, str] = field(default_factory=dict, hash=False)
    css: Mapping[str, str] = field(default_factory=dict, hash=False)
    module: str | None = None
    package: str | None = None
    integrity: str | None = None
    root: str = "."
    optional: bool = False

    @property
    def folder(self) -> str:
        """The folder name below static/vendor/; the version in it lets browsers cache safely."""
        return f"{self.id}-{self.version}"

    @property
    def spec(self) -> str:
        return f"{self.package}@{self.version}"

    def npm_dir(self, cache_dir: Path = CACHE_DIR) -> Path:
        """Where ``fetch`` unpacks this npm package."""
        return cache_dir / "npm" / f"{self.package}-{self.version}"

    def source_dir(self, cache_dir: Path = CACHE_DIR) -> Path:
        """The folder holding this library's files, or LibraryUnavailable saying why not."""
        if self.source == "wheel":
            try:
                module = importlib.import_module(self.module or "")
            except ImportError as exc:
                raise LibraryUnavailable(
                    f"{self.id}: Python package {self.module} is not installed"
                ) from exc
            installed = str(getattr(module, "VERSION", ""))
            if not installed.startswith(self.version):
                raise LibraryUnavailable(
                    f"{self.id}: {self.module} is version {installed}, vendor.toml pins "
                    f"{self.version}"
                )
            return Path(module.BASE_DIR)
        unpacked = self.npm_dir(cache_dir)
        if read_marker(unpacked) != self.integrity:
            raise LibraryUnavailable(
                f"{self.id}: npm package {self.spec} is not fetched; "
                "run `python -m geo_app.assets.fetch`"
            )
        return (unpacked / "package" / self.root).resolve()

    def resolve_files(self, cache_dir: Path = CACHE_DIR) -> list[tuple[Path, str]]:
        """(source file, path below this library's static folder) for every listed file."""
        base = self.source_dir(cache_dir)
        found: list[tuple[Path, str]] = []
        for pattern in self.files:
            matches = sorted(p for p in base.glob(pattern) if p.is_file())
            if not matches:
                raise LibraryUnavailable(f"{self.id}: no file matches {pattern!r} in {self.spec}")
            found.extend((path, path.relative_to(base).as_posix()) for path in matches)
        return found

    def resources(self) -> dict[str, tuple[str, str]]:
        """Resource name -> (kind, path below the library folder)."""
        named = {name: ("js", path) for name, path in self.js.items()}
        named.update({name: ("css", path) for name, path in self.css.items()})
        return named


MARKER_NAME = ".integrity"


def read_marker(unpacked: Path) -> str | None:
    try:
        return (unpacked / MARKER_NAME).read_text(encoding="ascii").strip()
    except OSError:
        return None


def _parse_library(raw: Any, label: str) -> Library:
    if not isinstance(raw, dict):
        raise VendorError(f"{label}: is not a table")
    for key in ("id", "source", "version"):
        if not isinstance(raw.get(key), str) or not raw[key]:
            raise VendorError(f"{label}: missing field {key!r}")
    label = f"vendor.toml: library {raw['id']!r}"
    if raw["source"] not in SOURCES:
        raise VendorError(f"{label}: source must be one of {', '.join(SOURCES)}")
    needed = ("module",) if raw["source"] == "wheel" else ("package", "integrity")
    for key in needed:
        if not isinstance(raw.get(key), str) or not raw[key]:
            raise VendorError(f"{label}: a {raw['source']} library needs {key!r}")
    if raw["source"] == "npm" and not raw["integrity"].startswith("sha512-"):
        raise VendorError(f"{label}: integrity must be an npm sha512 string")
    files = raw.get("files")
    if not isinstance(files, list) or not files or not all(isinstance(f, str) for f in files):
        raise VendorError(f"{label}: files must be a non-empty list of paths")
    if any(".." in Path(f).parts or Path(f).is_absolute() for f in files):
        raise VendorError(f"{label}: files must stay inside the package root")
    for kind in ("js", "css"):
        table = raw.get(kind, {})
        if not isinstance(table, dict) or not all(isinstance(v, str) for v in table.values()):
            raise VendorError(f"{label}: {kind} must map resource names to paths")
    return Library(
        id=raw["id"],
        source=raw["source"],
        version=raw["version"],
        files=tuple(files),
        js=dict(raw.get("js", {})),
        css=dict(raw.get("css", {})),
        module=raw.get("module"),
        package=raw.get("package"),
        integrity=raw.get("integrity"),
        root=raw.get("root", "."),
        optional=bool(raw.get("optional", False)),
    )


def load_vendor(path: str | Path | None = None) -> tuple[Library, ...]:
    """The libraries of vendor.toml in load order (Leaflet before its plugins)."""
    vendor_path = Path(path) if path is not None else VENDOR_TOML
    with vendor_path.open("rb") as handle:
        document = tomllib.load(handle)
    entries = document.get("libraries")
    if not isinstance(entries, list) or not entries:
        raise VendorError("vendor.toml: no [[libraries]] entries")
    libraries = tuple(_parse_library(raw, f"vendor.toml: entry {i}") for i, raw in
                      enumerate(entries, 1))
    names: dict[str, str] = {}
    for library in libraries:
        for name in library.resources():
            if name in names:
                raise VendorError(
                    f"vendor.toml: resource {name!r} is named by both {names[name]} "
                    f"and {library.id}"
                )
            names[name] = library.id
    return libraries
