"""Where the page's land-supply parcels come from: the planners' workspace.

The workspace is the one named by ``GEO_APP_DATA``, else the per-user data folder; it is
created on first use with the shipped sample parcels, marked as samples. Each run asks it
for its current copy as a layer file (see :mod:`geo_app.workspace.layer_file`): written only when
the workspace has changed, so an import, a drawn parcel or an edit by anyone reaches the
map, the totals and the tables together, and an unchanged workspace costs two small reads.

A workspace that cannot be used is said in one line; the page then shows the shipped
sample parcels, marked as such.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

import streamlit as st

from app_parts.page_data import escape_markdown
from geo_app.i18n import Strings
from geo_app.workspace import Workspace, WorkspaceError, resolve_data_dir
from geo_app.workspace.layer_file import ParcelLayerFile, parcel_layer_file


@st.cache_resource(show_spinner=False)
def _copies_folder() -> Path:
    """One private folder per server process for the copies; removed when it stops."""
    folder = Path(tempfile.mkdtemp(prefix="geo-app-parcels-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


def open_workspace() -> Workspace:
    return Workspace.open(resolve_data_dir())


def parcel_file(strings: Strings, lang: str) -> ParcelLayerFile | None:
    """The workspace's parcels as a layer file; None (and a message) when it is unusable."""
    try:
        return parcel_layer_file(open_workspace(), _copies_folder())
    except WorkspaceError as exc:
        reason = exc.problem.line(lang)
    except OSError as exc:
        reason = exc.strerror or str(exc)
    st.error(escape_markdown(strings.get("app.workspace.unusable", lang, reason=reason)))
    return None
