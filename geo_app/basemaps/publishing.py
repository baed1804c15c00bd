"""What a published map must carry: the map approval number (审图号), when one is configured.

Maps published in China carry the approval number issued for them. It is a deployment
setting, not data: ``GEO_APP_APPROVAL_NUMBER`` in the environment or the app's secrets,
e.g. ``吉S（2024）001号``. The web map shows it in its attribution corner; exports print it
through :func:`approval_notes`. Nothing is shown when it is not set.
"""

from __future__ import annotations

import re

from geo_app.basemaps.lookup import Lookup, lookup_text
from geo_app.i18n import check_lang, load_strings
from geo_app.problems import SettingsError

APPROVAL_ENV = "GEO_APP_APPROVAL_NUMBER"
MAX_APPROVAL_LENGTH = 60
# The number may be given with its label; the label is added again in either language.
_LABEL_PREFIX = re.compile(r"^\s*(审图号|map approval no\.?)\s*[:：]?\s*", re.IGNORECASE)


class ApprovalNumberError(SettingsError):
    """The configured approval number cannot be printed as one short line."""


def approval_number(lookup: Lookup = None) -> str | None:
    """The configured approval number as one line, without a "审图号" label; None if unset.

    ``lookup`` None reads the environment.
    """
    raw = lookup_text(APPROVAL_ENV, lookup)
    if raw is None:
        return None
    if any(ord(ch) < 32 and ch not in "\t\n\r" for ch in raw):
        raise ApprovalNumberError(f"{APPROVAL_ENV} holds control characters")
    text = " ".join(_LABEL_PREFIX.sub("", raw).split())
    if not text:
        return None
    if len(text) > MAX_APPROVAL_LENGTH:
        raise ApprovalNumberError(
            f"{APPROVAL_ENV} is longer than {MAX_APPROVAL_LENGTH} characters"
        )
    return text


def approval_text(number: str, lang: str = "zh") -> str:
    """The line a map prints: "审图号：…" / "Map approval No.: …" (plain text, not HTML)."""
    check_lang(lang)
    return load_strings().get("map.approval", lang, number=number)


def approval_notes(lang: str = "zh", lookup: Lookup = None) -> list[str]:
    """For exports: the approval line to print, or nothing when no number is configured."""
    number = approval_number(lookup)
    return [approval_text(number, lang)] if number else []
