"""Reading a setting by name from wherever the caller keeps settings.

The core never imports Streamlit: the app hands over a lookup that reads its secrets and
then the environment; the command line passes nothing and the environment is used.
A lookup is a mapping (``os.environ``, a dict) or a callable ``name -> value or None``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any

Lookup = Mapping[str, Any] | Callable[[str], Any] | None


def lookup_text(name: str, lookup: Lookup = None) -> str | None:
    """The setting ``name`` as stripped text, or None when it is unset or blank.

    ``lookup`` None reads the process environment.
    """
    source: Mapping[str, Any] | Callable[[str], Any] = os.environ if lookup is None else lookup
    value = source.get(name) if isinstance(source, Mapping) else source(name)
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def chain(*lookups: Lookup) -> Callable[[str], Any]:
    """A lookup that asks each of ``lookups`` in turn and returns the first value set."""

    def first(name: str) -> str | None:
        for lookup in lookups:
            value = lookup_text(name, lookup)
            if value is not None:
                return value
        return None

    return first
