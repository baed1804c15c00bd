"""The workspace's parcels as vector tiles: one PMTiles archive per change of the workspace.

A workspace too big to travel to the browser as GeoJSON (see :data:`TILE_THRESHOLD`) is
drawn from tiles instead. The archive holds, per parcel, only what drawing needs: its id,
and its status, town and quarter written as the ledger groups them
(:func:`geo_app.ledger.filter_key`), so the page's filters choose exactly the parcels the
totals count, and its accuracy. Everything else (names, popups, hectares) is answered by
the server from the workspace.

Like :mod:`geo_app.workspace.layer_file`, an archive is named after the workspace's change
(:func:`~geo_app.workspace.layer_file.change_stamp`) and written whole under a temporary
name, then renamed: a name, once it exists, always holds the same parcels, so a page that
asks for the archive of the current change can never be given an older one. Its facts
(bounds, count, zooms) are written beside it first, so a found archive needs no reading.

One archive is built per display datum: on GCJ-02 tiles (高德) the parcels are moved as
every other layer is.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
import uuid
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely

from geo_app.atomic import atomic_write_bytes
from geo_app.basemaps.display_datum import to_display_datum
from geo_app.ledger import filter_key
from geo_app.workspace import Workspace
from geo_app.workspace.layer_file import READ_ATTEMPTS, change_stamp
from geo_app.workspace.schema import PARCELS_TABLE

FILE_PREFIX = "parcels-"
SUFFIX = ".pmtiles"
FACTS_SUFFIX = ".json"
TILE_LAYER = "parcels"
# The setting that names the parcel count above which the map draws tiles.
THRESHOLD_ENV = "GEO_APP_TILE_THRESHOLD"
# Measured (docs/benchmarks.md, "Parcels as tiles"): 2,000 parcels embed about 1.7 MB of
# GeoJSON in the map page; above that the page grows past what loads in the time goal.
TILE_THRESHOLD = 2000
# Zooms the archive holds. Each level costs 7-13 s per 100,000 parcels to write here (the
# lower the zoom, the more): the browser draws closer zooms from the last level, whose
# tiles are precise to about 2 m on the ground. Below MIN_ZOOM the parcels are not drawn
# (the whole district fits the map at zoom 9).
MIN_ZOOM = 9
MAX_ZOOM = 12
# Archives kept per workspace beside the newest: a page drawn just before a change still
# finds its own.
KEEP_ARCHIVES = 3
# Archives of all workspaces together (tests and trials leave theirs): beyond this many,
# those untouched for a day go.
KEEP_ALL = 24
STALE_AFTER_S = 24 * 3600

_BUILD_LOCK = threading.Lock()

_PARCELS_SQL = (
    f"SELECT geom, parcel_id AS id, status, town, quarter, "
    f"json_extract(properties, '$.accuracy') AS accuracy FROM {PARCELS_TABLE}"
)


@dataclass(frozen=True)
class ParcelTileFile:
    """One archive: where it is, and what the map needs to know without opening it."""

    path: Path
    # (west, south, east, north) in the archive's datum; None for an empty workspace.
    bounds: tuple[float, float, float, float] | None
    count: int
    min_zoom: int
    max_zoom: int
    layer: str = TILE_LAYER

    @property
    def name(self) -> str:
        return self.path.name


def tile_threshold(environ: Any = os.environ) -> int:
    """The parcel count above which the map draws tiles (``GEO_APP_TILE_THRESHOLD``)."""
    raw = str(environ.get(THRESHOLD_ENV, "")).strip()
    if not raw:
        return TILE_THRESHOLD
    try:
        value = int(raw)
    except ValueError:
        return TILE_THRESHOLD
    return max(value, 0)


def _workspace_key(workspace: Workspace) -> str:
    return hashlib.sha256(str(workspace.path.resolve()).encode("utf-8")).hexdigest()[:12]


def archive_name(workspace: Workspace, stamp: tuple[int, str], datum: str) -> str:
    key = f"{stamp[0]}|{stamp[1]}|{datum}|{MIN_ZOOM}|{MAX_ZOOM}"
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]
    return f"{FILE_PREFIX}{_workspace_key(workspace)}-{digest}{SUFFIX}"


def _facts_path(path: Path) -> Path:
    return path.with_suffix(FACTS_SUFFIX)


def _read_facts(path: Path) -> ParcelTileFile | None:
    if not path.is_file():
        return None
    try:
        facts = json.loads(_facts_path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    bounds = facts.get("bounds")
    return ParcelTileFile(
        path=path,
        bounds=tuple(bounds) if bounds else None,
        count=int(facts["count"]),
        min_zoom=int(facts["min_zoom"]),
        max_zoom=int(facts["max_zoom"]),
    )


def read_tile_parcels(workspace: Workspace) -> Any:
    """The workspace's parcels as a GeoDataFrame of what the tiles carry (lon/lat)."""
    import pyogrio

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        frame = pyogrio.read_dataframe(workspace.path, sql=_PARCELS_SQL)
    for column in ("status", "town", "quarter"):
        frame[column] = pd.Series(
            [filter_key(value) for value in frame[column]], index=frame.index, dtype=object
        )
    frame["accuracy"] = frame["accuracy"].where(frame["accuracy"].notna(), "approximate")
    return frame


def write_archive(frame: Any, path: Path, datum: str = "wgs84",
                  min_zoom: int = MIN_ZOOM, max_zoom: int = MAX_ZOOM) -> ParcelTileFile:
    """``frame`` (lon/lat) as a PMTiles archive at ``path``, written whole or not at all."""
    import pyogrio

    geoms = np.asarray(frame.geometry.array, dtype=object)
    if datum != "wgs84" and len(geoms):
        geoms = shapely.transform(geoms, lambda xy: to_display_datum(xy, datum))
        frame = frame.set_geometry(geoms, crs="EPSG:4326")
    bounds = None
    if len(geoms):
        bounds = tuple(float(v) for v in shapely.total_bounds(geoms))
    facts = {"bounds": bounds, "count": len(frame), "min_zoom": min_zoom,
             "max_zoom": max_zoom}
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(_facts_path(path), json.dumps(facts).encode("utf-8"))
    temporary = path.with_name(f".{uuid.uuid4().hex}{SUFFIX}")
    try:
        with warnings.catch_warnings():
            # Low zooms of a dense workspace exceed GDAL's tile size and are written at a
            # coarser resolution; it says so once per archive.
            warnings.simplefilter("ignore", RuntimeWarning)
            pyogrio.write_dataframe(
                frame, temporary, driver="PMTiles", layer=TILE_LAYER,
                dataset_options={"MINZOOM": min_zoom, "MAXZOOM": max_zoom},
            )
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return ParcelTileFile(path=path, bounds=bounds, count=len(frame), min_zoom=min_zoom,
                          max_zoom=max_zoom)


def parcel_tile_file(workspace: Workspace, folder: Path, datum: str = "wgs84",
                     threshold: int | None = None) -> ParcelTileFile | None:
    """The archive of the workspace's current parcels in ``folder``, built if not there yet;
    None when the workspace holds no more than ``threshold`` parcels (drawn as GeoJSON).

    An unchanged workspace costs one small read (its latest change) and a file look.
    """
    limit = tile_threshold() if threshold is None else threshold
    stamp = change_stamp(workspace)
    found = _read_facts(folder / archive_name(workspace, stamp, datum))
    if found is not None:
        # Built by a server with a lower threshold: this one draws GeoJSON.
        return found if found.count > limit else None
    if workspace.count() <= limit:
        return None
    with _BUILD_LOCK:
        for _ in range(READ_ATTEMPTS):
            path = folder / archive_name(workspace, stamp, datum)
            found = _read_facts(path)
            if found is not None:
                return found if found.count > limit else None
            frame = read_tile_parcels(workspace)
            # The archive must be one state of the workspace: if a change landed while
            # the parcels were read, read again.
            now = change_stamp(workspace)
            if now == stamp:
                break
            stamp = now
        if len(frame) <= limit:
            return None
        path = folder / archive_name(workspace, stamp, datum)
        built = write_archive(frame, path, datum)
        _prune(folder, workspace, keep=path)
        return built


def _age_key(path: Path) -> int:
    try:
        return path.stat().st_mtime_ns
    except FileNotFoundError:
        return 0


def _remove(path: Path) -> None:
    path.unlink(missing_ok=True)
    _facts_path(path).unlink(missing_ok=True)


def _prune(folder: Path, workspace: Workspace, keep: Path, now_s: float | None = None) -> None:
    mine = f"{FILE_PREFIX}{_workspace_key(workspace)}-*{SUFFIX}"
    others = sorted((p for p in folder.glob(mine) if p != keep), key=_age_key)
    for old in others[: max(len(others) - KEEP_ARCHIVES, 0)]:
        _remove(old)
    every = sorted((p for p in folder.glob(f"{FILE_PREFIX}*{SUFFIX}") if p != keep),
                   key=_age_key)
    cutoff = ((time.time() if now_s is None else now_s) - STALE_AFTER_S) * 1e9
    for old in every[: max(len(every) - KEEP_ALL, 0)]:
        if _age_key(old) < cutoff:
            _remove(old)
