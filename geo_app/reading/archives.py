"""Zip archives (zipped Shapefiles, KMZ, XLSX) checked before anything is unpacked.

A member name that climbs out of the folder (``../``), an absolute name or a link is
refused, and so is an archive whose declared sizes add up past the limit or whose members
are compressed far beyond what map data ever is (a "zip bomb"). The checks read only the
archive's central directory; members are read later with a hard byte limit, so a member
that lies about its size cannot run past it either.
"""

from __future__ import annotations

import stat
import zipfile
from pathlib import Path, PurePosixPath
from typing import Any

from geo_app.problems import InputError, error
from geo_app.reading.base import over_limit

# Vector data and spreadsheets compress 3-20 times; a few hundred is only ever padding.
MAX_COMPRESSION_RATIO = 200
# Small members (a .cpg, a .prj) compress oddly without meaning anything.
RATIO_CHECK_MIN_BYTES = 1024 * 1024
MAX_MEMBERS = 1000


def _refuse(name: str, /, **values: Any) -> InputError:
    return InputError(error(name, **values))


def _mb(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB"


def unsafe_member_name(name: str) -> bool:
    """True for names that would land outside the folder they are unpacked into."""
    text = name.replace("\\", "/")
    if "\x00" in text or text.startswith("/") or (len(text) > 1 and text[1] == ":"):
        return True
    return ".." in PurePosixPath(text).parts


def _is_link(info: zipfile.ZipInfo) -> bool:
    mode = info.external_attr >> 16
    return info.create_system == 3 and stat.S_ISLNK(mode)


def inspect_zip(path: str | Path, max_unzipped_bytes: int) -> list[zipfile.ZipInfo]:
    """The archive's file members, after every check; raises :class:`InputError`."""
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        raise _refuse("bad_zip") from None
    if len(infos) > MAX_MEMBERS:
        raise _refuse("zip_too_many_members", count=f"{len(infos):,}", limit=f"{MAX_MEMBERS:,}")
    for info in infos:
        if unsafe_member_name(info.filename):
            raise _refuse("zip_unsafe_path", member=info.filename)
        if _is_link(info):
            raise _refuse("zip_link", member=info.filename)
    members = [info for info in infos if not info.is_dir()]
    unpacked = sum(info.file_size for info in members)
    if unpacked > max_unzipped_bytes:
        raise over_limit(
            "zip_too_large.archive", "max_unzipped_bytes", size=_mb(unpacked),
            limit=_mb(max_unzipped_bytes),
        )
    for info in members:
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size >= RATIO_CHECK_MIN_BYTES and ratio > MAX_COMPRESSION_RATIO:
            raise _refuse("zip_bomb", member=info.filename, ratio=f"{ratio:,.0f}")
    return members


def read_member(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, max_bytes: int
) -> bytes:
    """A member's bytes, never more than ``max_bytes`` whatever its header claims."""
    with archive.open(info) as handle:
        data = handle.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise _refuse("zip_too_large.member", member=info.filename, limit=_mb(max_bytes))
    return data


def kmz_document(path: str | Path) -> str | None:
    """GDAL's name for the main KML inside a KMZ (``doc.kml``, else the first ``.kml``).

    Read this way GDAL keeps the placemarks' typed attributes, which it drops when it
    opens the KMZ itself. Only call after :func:`inspect_zip` accepted the archive.
    """
    with zipfile.ZipFile(path) as archive:
        names = [info.filename for info in archive.infolist() if not info.is_dir()]
    kml = sorted(
        (name for name in names if name.lower().endswith(".kml")),
        key=lambda name: (name.lower() != "doc.kml", name.count("/"), name),
    )
    if not kml:
        return None
    return f"/vsizip/{{{Path(path).resolve()}}}/{kml[0]}"
