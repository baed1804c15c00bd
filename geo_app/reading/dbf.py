"""Which text encoding a Shapefile's attribute table (.dbf) is in.

GDAL honours a ``.cpg`` file and the DBF's language-driver byte. Chinese Shapefiles often
have neither and hold GBK text, which GDAL would then read as Latin-1 gibberish. When
nothing declares the encoding, the text fields are tried as strict UTF-8 and otherwise
read as GBK, and the choice is said out loud.
"""

from __future__ import annotations

import struct
import zipfile
from dataclasses import dataclass
from pathlib import Path

from geo_app.problems import Problem, warning
from geo_app.reading.archives import read_member

# Enough records to decide; a DBF's text is one encoding throughout.
SAMPLE_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True)
class EncodingChoice:
    # None: let GDAL decide (a .cpg or a language-driver byte says, or the text is ASCII).
    encoding: str | None
    problem: Problem | None = None


LEAVE_TO_GDAL = EncodingChoice(None)


def text_field_bytes(dbf: bytes) -> bytes:
    """The raw bytes of every character field of the records in ``dbf``."""
    if len(dbf) < 32:
        return b""
    records, header_len, record_len = struct.unpack("<IHH", dbf[4:12])
    fields: list[tuple[int, int]] = []
    offset, position = 1, 32  # each record starts with a deletion flag byte
    while position + 32 <= min(header_len, len(dbf)) and dbf[position] != 0x0D:
        kind, length = chr(dbf[position + 11]), dbf[position + 16]
        if kind in "CM":
            fields.append((offset, length))
        offset += length
        position += 32
    if not fields or record_len == 0:
        return b""
    chunks = []
    for index in range(records):
        start = header_len + index * record_len
        if start + record_len > len(dbf):
            break
        record = dbf[start : start + record_len]
        chunks += [record[a : a + n] for a, n in fields]
    return b"".join(chunks)


def choose_encoding(dbf: bytes, has_cpg: bool) -> EncodingChoice:
    if has_cpg or (len(dbf) > 29 and dbf[29] != 0):
        return LEAVE_TO_GDAL
    text = text_field_bytes(dbf)
    if text.isascii():
        return LEAVE_TO_GDAL
    try:
        text.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        return EncodingChoice(
            "UTF-8",
            warning("dbf_encoding_assumed.utf8"),
        )
    return EncodingChoice(
        "GBK",
        warning("dbf_encoding_assumed.gbk"),
    )


def shapefile_encoding(path: Path) -> EncodingChoice:
    """The encoding for a loose ``.shp`` or a zip holding one; other files are left alone."""
    suffix = path.suffix.lower()
    if suffix == ".shp":
        dbf = _sibling(path, ".dbf")
        if dbf is None:
            return LEAVE_TO_GDAL
        try:
            with dbf.open("rb") as handle:
                data = handle.read(SAMPLE_BYTES)
        except OSError:
            return LEAVE_TO_GDAL  # GDAL will say what is wrong with the file
        return choose_encoding(data, _sibling(path, ".cpg") is not None)
    if suffix == ".zip":
        return _zipped_encoding(path)
    return LEAVE_TO_GDAL


def _sibling(path: Path, suffix: str) -> Path | None:
    for candidate in (path.with_suffix(suffix), path.with_suffix(suffix.upper())):
        if candidate.is_file():
            return candidate
    return None


def _zipped_encoding(path: Path) -> EncodingChoice:
    """Only called after :func:`geo_app.reading.archives.inspect_zip` accepted the archive."""
    with zipfile.ZipFile(path) as archive:
        members = {info.filename.lower(): info for info in archive.infolist()}
        for name, info in members.items():
            if not name.endswith(".dbf"):
                continue
            stem = name[:-4]
            data = _head(archive, info)
            choice = choose_encoding(data, stem + ".cpg" in members)
            if choice.encoding is not None:
                return choice
    return LEAVE_TO_GDAL


def _head(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    if info.file_size <= SAMPLE_BYTES:
        return read_member(archive, info, SAMPLE_BYTES)
    with archive.open(info) as handle:
        return handle.read(SAMPLE_BYTES)
