"""Where the page's land-supply parcels come from: the planners' workspace.

The workspace is where :func:`geo_app.workspace.configured_place` says: the PostGIS
database of ``GEO_APP_DATABASE_URL``, else the folder ``GEO_APP_DATA``, else the per-user
data folder; it is created on first use with the shipped sample parcels, marked as samples.
Each run asks it for its current copy as a layer file (see
:mod:`geo_app.workspace.layer_file`): written only when the workspace has changed, so an
import, a drawn parcel or an edit by anyone (on a database, through any app server) reaches
the map, the totals and the tables together on the next run, and an unchanged workspace
costs two small reads.

A workspace that cannot be used is said in one line; the page then shows the shipped
sample parcels, marked as such.

Above the tile threshold the map draws the parcels from an archive of vector tiles
(:mod:`geo_app.workspace.tile_file`), written under ``static/tiles/`` once per change of
the workspace and named after it, and served by Streamlit's static folder; so is each big
reference layer. The archives are written by a worker process, never by the server: a page
asks, and draws what is ready.
"""

from __future__ import annotations

import atexit
import logging
import shutil
import tempfile
from pathlib import Path
from typing import Any

import streamlit as st

from app_parts.page_data import escape_markdown
from geo_app.assets import SERVED_PREFIX
from geo_app.i18n import Strings
from geo_app.resources import STATIC_DIR
from geo_app.workspace import Place, Workspace, WorkspaceError, configured_place
from geo_app.workspace.layer_file import ParcelLayerFile, parcel_layer_file
from geo_app.workspace.tile_file import (
    BUILDS,
    ArchiveSpec,
    ArchiveState,
    ParcelTileFile,
    parcel_spec,
    read_tile_parcels,
    reference_spec,
    tile_threshold,
)

LOG = logging.getLogger("geo_app.streamlit")


@st.cache_resource(show_spinner=False)
def _copies_folder() -> Path:
    """One private folder per server process for the copies; removed when it stops."""
    folder = Path(tempfile.mkdtemp(prefix="geo-app-parcels-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


def workspace_place() -> Place:
    """Where the page's workspace lives; what its workers are told
    (:meth:`~geo_app.workspace.Place.as_argument`)."""
    return configured_place()


def open_workspace() -> Workspace:
    return Workspace.at(workspace_place())


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


TILES_SUBDIR = "tiles"
# The archives are the app's own output, never part of the repository: the folder says so
# itself, so no other file needs to know of it.
_IGNORE_ALL = "*\n"


def _tiles_folder() -> Path:
    folder = STATIC_DIR / TILES_SUBDIR
    folder.mkdir(parents=True, exist_ok=True)
    ignore = folder / ".gitignore"
    if not ignore.is_file():
        ignore.write_text(_IGNORE_ALL, encoding="utf-8")
    return folder


def tiles_url(tiles: ParcelTileFile) -> str:
    """Where the browser fetches the archive (Streamlit's static folder answers ranges)."""
    return f"{SERVED_PREFIX}/{TILES_SUBDIR}/{tiles.name}"


def parcel_tiles(datum: str) -> ArchiveState | None:
    """The archive of the workspace's current parcels in ``datum`` when the workspace is
    above the tile threshold: ready, or being built by a worker (started here if nobody is
    at it), or given up on; None below the threshold (the parcels travel as GeoJSON) and
    when the workspace cannot be read. Never waits for a build."""
    limit = tile_threshold()
    try:
        workspace = open_workspace()
        if workspace.count() <= limit:
            return None
        spec = parcel_spec(workspace, _tiles_folder(), datum)
    except (WorkspaceError, OSError, ValueError):
        LOG.exception("the parcels' tiles could not be asked for; drawing them as GeoJSON")
        return None
    try:
        state = BUILDS.request(spec)
    except (OSError, RuntimeError, ValueError):
        # Too many parcels for the page: say the tiles could not be prepared rather than
        # send them all as GeoJSON.
        LOG.exception("the parcels' tiles could not be built")
        return ArchiveState(None, failed=True, spec=spec)
    if state.current is not None and state.current.count <= limit:
        # Built by a server with a lower threshold: this one draws GeoJSON.
        return None
    return state


def reference_tiles(layer_id: int, datum: str) -> ArchiveState | None:
    """The archive of a reference layer in ``datum``: ready, or being built by a worker;
    None when it cannot be asked for (the layer is then drawn as GeoJSON near the parcels,
    and the reason logged). Never waits for a build."""
    try:
        return BUILDS.request(reference_spec(open_workspace(), _tiles_folder(), layer_id,
                                             datum))
    except (WorkspaceError, OSError, RuntimeError, ValueError):
        LOG.exception("reference layer %s: its tiles could not be asked for", layer_id)
        return None


def tile_state(spec: ArchiveSpec) -> ArchiveState | None:
    """How an archive asked for earlier stands (a file look and a poll of its worker;
    a build that ended without it is started again); None when it cannot be asked."""
    try:
        return BUILDS.request(spec)
    except (OSError, RuntimeError, ValueError):
        LOG.exception("tile archive %s: its build could not be asked for", spec.name)
        return None


def parcels_extent() -> tuple[float, float, float, float] | None:
    """The workspace's parcels' extent (lon/lat), for the outline drawn while their tiles
    are prepared; None when unknown."""
    try:
        return open_workspace().parcels_extent()
    except (WorkspaceError, OSError, ValueError):
        return None


@st.cache_resource(show_spinner=False, max_entries=2)
def tile_parcels(archive: str) -> Any:
    """The parcels an archive was built from (lon/lat, the tiles' filter values) with their
    spatial index, for answering clicks; read once per archive."""
    del archive  # the cache key: one state of the workspace
    frame = read_tile_parcels(open_workspace())
    frame.sindex  # noqa: B018 (built now, not on the first click)
    return frame
