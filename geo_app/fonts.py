"""Finding a font that can draw Chinese, for print exports.

matplotlib ships only DejaVu, which has no CJK glyphs: Chinese titles would come out as
empty boxes. We look for an installed CJK font (Debian's ``fonts-noto-cjk`` first) and hand
out ``FontProperties`` that name it explicitly, so no global matplotlib setting changes.

matplotlib keeps a font cache built the first time it ran; a font installed after that is
not in it. When the cache misses, ``fc-list`` (fontconfig) is asked and the file is added
to matplotlib's font manager for this process.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from functools import lru_cache

from matplotlib import font_manager
from matplotlib.font_manager import FontProperties
from matplotlib.ft2font import FT2Font

from geo_app.problems import KeyedError

DEBIAN_PACKAGE = "fonts-noto-cjk"

# Simplified-Chinese faces first: the same character can have regional glyph shapes.
PREFERRED_FAMILIES = (
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "Noto Sans SC",
    "Source Han Sans CN",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Noto Sans CJK TC",
    "Noto Sans CJK JP",
)
# Characters every export draws; a face lacking any of them is no use.
_PROBE_TEXT = "双阳区发展布局图公顷"


class MissingCJKFontError(KeyedError):
    """No installed font can draw Chinese text."""

    def __init__(self) -> None:
        super().__init__("export.error.no_cjk_font", package=DEBIAN_PACKAGE)
        self.package = DEBIAN_PACKAGE


@dataclass(frozen=True)
class CJKFont:
    family: str
    path: str
    face_index: int

    def properties(self, size: float = 10.0, weight: str = "normal") -> FontProperties:
        return FontProperties(family=self.family, size=size, weight=weight)


def _draws_chinese(path: str, face_index: int) -> bool:
    try:
        face = FT2Font(path, face_index=face_index)
    except (OSError, RuntimeError, ValueError):
        return False
    return all(face.get_char_index(ord(ch)) != 0 for ch in _PROBE_TEXT)


def _regular_faces() -> dict[str, font_manager.FontEntry]:
    return {
        entry.name: entry
        for entry in font_manager.fontManager.ttflist
        if entry.weight in (400, "normal", "regular") and entry.style == "normal"
    }


def _from_matplotlib_cache() -> CJKFont | None:
    entries = _regular_faces()
    for family in PREFERRED_FAMILIES:
        entry = entries.get(family)
        if entry is not None and _draws_chinese(entry.fname, entry.index):
            return CJKFont(family, entry.fname, entry.index)
    return None


def _fontconfig_files() -> list[str]:
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return []
    try:
        listing = subprocess.run(
            [fc_list, ":lang=zh-cn", "file"],
            capture_output=True,
            text=True,
            timeout=20,
            check=False,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    return sorted({line.split(":")[0].strip() for line in listing.splitlines() if line.strip()})


def _from_fontconfig() -> CJKFont | None:
    files = _fontconfig_files()
    for path in files:
        try:
            font_manager.fontManager.addfont(path)
        except (OSError, RuntimeError, ValueError):
            continue
    found = _from_matplotlib_cache()
    if found is not None:
        return found
    # A Chinese font outside our list of names: take the first regular face that draws.
    for entry in _regular_faces().values():
        if entry.fname in files and _draws_chinese(entry.fname, entry.index):
            return CJKFont(entry.name, entry.fname, entry.index)
    return None


@lru_cache(maxsize=1)
def find_cjk_font() -> CJKFont:
    """The installed font used for Chinese text; raises MissingCJKFontError if there is none."""
    found = _from_matplotlib_cache() or _from_fontconfig()
    if found is None:
        raise MissingCJKFontError()
    return found
