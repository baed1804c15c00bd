"""The file itself: does it exist, is it too big, and is it what its name says?"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from geo_app.problems import words
from geo_app.reading.base import ReadLimits, file_error, mb, over_limit
from geo_app.reading.geojson import decode_json_text


def check_is_readable_file(path: Path, limits: ReadLimits) -> None:
    name = path.name or str(path)
    try:
        stat = path.stat()
    except FileNotFoundError:
        raise file_error("no_such_file", name=name) from None
    except OSError as exc:
        raise file_error("unreadable.named", name=name, reason=exc.strerror) from None
    if path.is_dir():
        raise file_error("is_directory", name=name)
    if not path.is_file():
        raise file_error("not_regular_file", name=name)
    if stat.st_size == 0:
        raise file_error("empty_file.no_bytes")
    if stat.st_size > limits.max_file_bytes:
        raise over_limit(
            "file_too_large", "max_file_bytes", size=mb(stat.st_size),
            limit=mb(limits.max_file_bytes),
        )


def read_head(path: Path, size: int = 8192) -> bytes:
    try:
        with path.open("rb") as handle:
            return handle.read(size)
    except OSError as exc:
        raise file_error("unreadable.file", reason=exc.strerror) from None


def read_all(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise file_error("unreadable.file", reason=exc.strerror) from None


ContentKind = Literal["json", "zip", "sqlite", "xml", "shp", "binary", "text"]


# What each extension promises about the content.
_EXTENSION_CONTENT: dict[str, str] = {
    ".geojson": "json",
    ".json": "json",
    ".zip": "zip",
    ".kmz": "zip",
    ".gpkg": "sqlite",
    ".kml": "xml",
    ".gml": "xml",
    ".shp": "shp",
    ".csv": "text",
    ".xlsx": "zip",
}


EXTENSION_FORMAT: dict[str, str] = {
    ".geojson": "GeoJSON",
    ".json": "GeoJSON",
    ".zip": "zip",
    ".kmz": "KMZ",
    ".gpkg": "GeoPackage",
    ".kml": "KML",
    ".gml": "GML",
    ".shp": "Shapefile",
    ".csv": "CSV",
    ".xlsx": "XLSX",
}


def sniff(head: bytes) -> ContentKind:
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return "zip"
    if head.startswith(b"SQLite format 3\x00"):
        return "sqlite"
    # Shapefile main files start with the big-endian file code 9994.
    if head.startswith(b"\x00\x00\x27\x0a"):
        return "shp"
    if _looks_binary(head):
        return "binary"
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text[:1] in (b"{", b"["):
        return "json"
    if text[:1] == b"<":
        return "xml"
    return "text"


def _looks_binary(head: bytes) -> bool:
    """NUL bytes, or more than a few characters that no text file would hold."""
    if b"\x00" in head:
        return True
    text = head.decode("utf-8", errors="replace")
    odd = sum(1 for ch in text if ch == "\ufffd" or (ch < " " and ch not in "\t\r\n\f"))
    return odd > max(2, len(text) // 20)


def check_name_matches_content(path: Path, content: ContentKind, head: bytes) -> None:
    ext = path.suffix.lower()
    promised = _EXTENSION_CONTENT.get(ext)
    if promised is None or promised == content:
        return
    if promised == "json" and head.startswith((b"\xff\xfe", b"\xfe\xff")):
        decode_json_text(head)
    # A JSON-named file that holds broken text is reported by the JSON parser, which can say
    # where it breaks; only clearly different content is reported here.
    if promised == "json" and content == "text":
        return
    raise file_error(
        "wrong_format",
        format=EXTENSION_FORMAT[ext],
        extension=ext,
        found=words(f"content.{content}"),
    )
