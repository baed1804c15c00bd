"""Which of our own readers takes a file GDAL would not read the way planners write it.

界址点 coordinate text is recognised by its section headers whatever the file is called
(``.txt``, ``.jzd``, ``.dat`` …) and whether it is UTF-8 or GBK; CSV and XLSX tables by
their names, when the content agrees with the name. Anything else returns None and goes
on to the GeoJSON parser or GDAL.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from geo_app.reading.base import RawLayer, ReadLimits
from geo_app.reading.coordtables import read_csv, read_xlsx
from geo_app.reading.jzd import looks_like_jzd, read_jzd

Reader = Callable[[Path, ReadLimits], RawLayer]
# The GBK multi-byte sequence cut by the end of the sniffed head can be up to 3 bytes.
_CUT_BYTES = 4


def _decodes_as_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    for cut in range(_CUT_BYTES):
        chunk = head[: len(head) - cut] if cut else head
        for encoding in ("utf-8", "gb18030"):
            try:
                chunk.decode(encoding)
            except UnicodeDecodeError:
                continue
            return True
    return False


def own_reader(path: Path, content: str, head: bytes) -> Reader | None:
    """Our reader for the file, or None when the usual readers should take it."""
    textual = content in ("text", "json", "binary") and _decodes_as_text(head)
    if textual and looks_like_jzd(head):
        return read_jzd
    suffix = path.suffix.lower()
    if suffix == ".csv" and textual and content != "json":
        return read_csv
    if suffix == ".xlsx" and content == "zip":
        return read_xlsx
    return None
