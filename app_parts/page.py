"""The page's context, shared by its tabs and panels: the data loaded for this run, the
words in the page's language (one ``t()``), the session-state keys, and the few helpers
every part uses.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import streamlit as st

from app_parts import (
    page_data,
)
from geo_app.catalog import Catalog
from geo_app.i18n import Strings
from geo_app.ledger import UNKNOWN
from geo_app.problems import GeoAppError

LANG = "lang"
BASEMAP = "basemap"
LAYER_PREFIX = "layer:"
FILTER_STATUS = "filter_status"
FILTER_TOWN = "filter_town"
FILTER_QUARTER = "filter_quarter"
SEARCH = "search_query"
SEARCH_PICK = "search_pick"
SELECTED = "selected_feature"
CLICK = "clicked_point"
CLICK_SEEN = "clicked_raw"
TABLE_LAYER = "table_layer"
TABLE_FILTER = "table_filter"
TABLE_GRID = "table_grid"
TABLE_IDS = "table_ids"
MAP_KEY = "main_map"
FILTERS_OPEN = "filters_open"
PROGRESS_YEAR = "progress_year"
TAB = "open_tab"
TABS = ("map", "land", "compliance", "targets", "table")
# Height of the tab bar's place, kept empty on a session's first run.
TAB_BAR_PX = 56

# What a page can meet in its data: the product's own error family (said in the page's
# language) and the file system's.
DATA_ERRORS = (GeoAppError, OSError, UnicodeDecodeError)


def reason(exc: Exception, lang: str) -> str:
    """Why, in the page's language where the product knows the words."""
    if isinstance(exc, GeoAppError):
        return exc.message(lang)
    if isinstance(exc, OSError):
        return exc.strerror or str(exc)
    return str(exc)


@dataclass(frozen=True)
class Texts:
    """The page's words in its language, the one way every part of the page says them:
    ``t(name, **values)``, and ``t.choice(prefix, code)`` for a coded value."""

    strings: Strings
    lang: str

    def __call__(self, name: str, /, **values: Any) -> str:
        return self.strings.get(name, self.lang, **values)

    def choice(self, prefix: str, code: Any) -> str:
        """The words for a code (status, use …); what a parcel does not state is 未注明."""
        if code == UNKNOWN:
            return self("app.land.unknown")
        return self.strings.choice(prefix, code, self.lang)


@dataclass(frozen=True)
class Page:
    data: page_data.AppData
    strings: Strings
    lang: str

    @property
    def catalog(self) -> Catalog:
        """The layers the page can use (broken layer files left out)."""
        return self.data.usable_catalog

    @property
    def t(self) -> Texts:
        return Texts(self.strings, self.lang)

    def choice(self, prefix: str, value: str) -> str:
        return self.t.choice(prefix, value)


def plain(text: str) -> str:
    """Data text for a widget label, which Streamlit reads as Markdown."""
    return page_data.escape_markdown(text)


# ----------------------------------------------------------------------- map tab


def select(feature_id: str | None) -> None:
    st.session_state[SELECTED] = feature_id


def table_height(rows: int) -> int:
    """Tall enough to show every row of a short table without its own scroll bar."""
    return 38 + 35 * rows


# ----------------------------------------------------------------------- table tab
