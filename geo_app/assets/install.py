"""Copy the vendored files into ``static/vendor/`` where Streamlit serves them.

Files are copied, never linked: Streamlit's static route refuses a file whose real path is
outside ``static/``. A file already there with the same size and modification time is left
alone, so calling this at every start-up costs a few ``stat`` calls.
"""

from __future__ import annotations

import shutil
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from geo_app.assets.vendor import CACHE_DIR, Library, LibraryUnavailable, load_vendor
from geo_app.resources import STATIC_DIR

VENDOR_SUBDIR = "vendor"


class AssetsWarning(UserWarning):
    """An optional library is missing: the map draws, without the control that needs it."""


class RequiredAssetsMissing(RuntimeError):
    """Leaflet itself is missing: no map can be drawn."""


@dataclass(frozen=True)
class InstallReport:
    """What ``install_static`` found: library id -> its folder, and why others are missing."""

    installed: Mapping[str, Path] = field(default_factory=dict)
    unavailable: Mapping[str, str] = field(default_factory=dict)
    copied: int = 0

    def has(self, library_id: str) -> bool:
        return library_id in self.installed


def _same_file(source: Path, target: Path) -> bool:
    try:
        a, b = source.stat(), target.lstat()
    except OSError:
        return False
    return (
        not target.is_symlink()
        and a.st_size == b.st_size
        and int(a.st_mtime) == int(b.st_mtime)
    )


def _install_library(library: Library, destination: Path, cache_dir: Path) -> int:
    copied = 0
    for source, relative in library.resolve_files(cache_dir):
        target = destination / relative
        if _same_file(source, target):
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.is_symlink():
            target.unlink()
        # copy2 keeps the modification time, which is what makes the next call a no-op.
        shutil.copy2(source, target)
        copied += 1
    return copied


def install_static(
    static_dir: Path = STATIC_DIR,
    cache_dir: Path = CACHE_DIR,
    libraries: tuple[Library, ...] | None = None,
) -> InstallReport:
    """Copy every available library into ``static_dir/vendor/<id>-<version>/``.

    Leaflet (from its wheel) must be there; a missing optional plugin gives an AssetsWarning
    and is left out of the report's ``installed`` so the map does not offer it.
    """
    installed: dict[str, Path] = {}
    unavailable: dict[str, str] = {}
    copied = 0
    for library in libraries if libraries is not None else load_vendor():
        destination = static_dir / VENDOR_SUBDIR / library.folder
        try:
            copied += _install_library(library, destination, cache_dir)
        except LibraryUnavailable as exc:
            if not library.optional:
                raise RequiredAssetsMissing(str(exc)) from exc
            unavailable[library.id] = str(exc)
            warnings.warn(f"map control left out: {exc}", AssetsWarning, stacklevel=2)
            continue
        installed[library.id] = destination
    return InstallReport(installed=installed, unavailable=unavailable, copied=copied)
