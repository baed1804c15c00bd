"""Line breaking for mixed Chinese/Latin text on a printed page.

``textwrap`` breaks only at spaces, and Chinese has none. Here every CJK character is a
break opportunity and Latin words stay whole; widths are estimated in ems (a CJK glyph is
one em, Latin characters about 0.55 em), close enough to fill a column without overflow.
"""

from __future__ import annotations

import re
import unicodedata

_TOKENS = re.compile(r"\s+|[A-Za-z0-9_.,:;/()%°+\-–'\"@·≥≤=]+|.", re.DOTALL)
# Punctuation that must not start a line (Chinese typesetting rule 避头).
_NO_LINE_START = set("，。、；：？！）》」』】,.;:?!)")


def em_width(text: str) -> float:
    return sum(1.0 if unicodedata.east_asian_width(ch) in "WF" else 0.55 for ch in text)


def wrap(text: str, width_em: float) -> list[str]:
    """Break ``text`` into lines no wider than ``width_em`` (a lone long word may overflow)."""
    lines: list[str] = []
    current = ""
    for token in _TOKENS.findall(text):
        if token.isspace():
            if current:
                current += " "
            continue
        fits = em_width((current + token).rstrip()) <= width_em
        if fits or not current.strip() or token in _NO_LINE_START:
            current += token
            continue
        lines.append(current.rstrip())
        current = token
    if current.strip():
        lines.append(current.rstrip())
    return lines
