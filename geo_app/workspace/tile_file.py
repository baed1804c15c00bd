"""Vector-tile archives of the workspace: its parcels, one PMTiles archive per change, and
each big reference layer, one archive per stored version of the layer.

A workspace too big to travel to the browser as GeoJSON (see :data:`TILE_THRESHOLD`) is
drawn from tiles instead. The parcel archive holds, per parcel, only what drawing needs:
its id, and its status, town and quarter written as the ledger groups them
(:func:`geo_app.ledger.filter_key`), so the page's filters choose exactly the parcels the
totals count, and its accuracy. A reference archive holds each polygon's feature id and
land-use class. Everything else (names, popups, hectares, a polygon's columns) is answered
by the server from the workspace.

Like :mod:`geo_app.workspace.layer_file`, a parcel archive is named after the workspace's
place (:func:`~geo_app.workspace.layer_file.place_text`: servers on one PostGIS database
name its archives alike) and its change
(:func:`~geo_app.workspace.layer_file.change_stamp`); a reference archive after the
layer's id, which never changes what it holds (a layer loaded again is a new id). An
archive is written whole under a temporary name, then renamed: a name, once it exists,
always holds the same features, so a page that asks for the archive of the current version
can never be given an older one, and a build that dies half-way leaves only a temporary
file the next build of that name removes. Its facts (bounds, count, zooms) are written
beside it first, so a found archive needs no reading.

Writing an archive of 100,000 polygons takes tens of seconds, so the app never does it in
its server: :class:`TileBuilds` starts it in a worker process (:mod:`geo_app.jobs`, niced
and capped) and answers at once whether the archive is ready. One build per archive, for
every page and every server process on the machine: the worker holds an exclusive lock on
the archive's lock file while it builds (the system lets it go when the worker ends, even
killed), a server starts no worker while that lock is held, and a worker that finds the
archive written, or the lock taken, writes nothing.

One archive is built per display datum: on GCJ-02 tiles (高德) the features are moved as
every other layer is.

A GeoPackage is read by the GDAL in pyogrio; a workspace in PostGIS (that GDAL has no
PostgreSQL driver) through the workspace itself, and its worker is told the word for the
configured database (:meth:`~geo_app.workspace.location.Place.as_argument`), never the URL.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import threading
import time
import uuid
import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely

from geo_app.atomic import atomic_write_bytes
from geo_app.basemaps.display_datum import to_display_datum
from geo_app.jobs import WORKER, Job, JobLimits
from geo_app.ledger import filter_key
from geo_app.workspace import Workspace
from geo_app.workspace.layer_file import READ_ATTEMPTS, change_stamp, place_text
from geo_app.workspace.location import DATABASE_ARGUMENT, place_from_argument
from geo_app.workspace.schema import PARCELS_TABLE, REFERENCE_FEATURES_TABLE

LOG = logging.getLogger("geo_app.tiles")

FILE_PREFIX = "parcels-"
REFERENCE_PREFIX = "reference-"
SUFFIX = ".pmtiles"
FACTS_SUFFIX = ".json"
LOCK_SUFFIX = ".lock"
TILE_LAYER = "parcels"
REFERENCE_TILE_LAYER = "reference"
# What an archive's facts say it holds, to find the archive drawn before (see
# :func:`previous_archive`).
PARCELS_SOURCE = "parcels"
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
# A build that ended without an archive (killed, over a cap) is started again on the next
# request; after this many in one server process the page stops asking and says so.
MAX_ATTEMPTS = 3

TASK = "tile_archive"

# What a parcel archive holds of each parcel, besides its shape.
TILE_COLUMNS = ("id", "status", "town", "quarter", "accuracy")
_PARCELS_SQL = (
    f"SELECT geom, parcel_id AS id, status, town, quarter, "
    f"json_extract(properties, '$.accuracy') AS accuracy FROM {PARCELS_TABLE}"
)
# ``fid + 0``: the feature id as a column of the archive (GDAL would take a bare fid as the
# row's own id and drop it).
_REFERENCE_SQL = (
    f"SELECT geom, fid + 0 AS id, class FROM {REFERENCE_FEATURES_TABLE} WHERE layer_id = "
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


# The same facts serve a reference layer's archive.
TileFile = ParcelTileFile


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
    return hashlib.sha256(place_text(workspace).encode("utf-8")).hexdigest()[:12]


def _in_database(workspace: Workspace) -> bool:
    try:
        workspace.path  # noqa: B018 (a workspace in PostGIS has no file)
    except TypeError:
        return True
    return False


def archive_name(workspace: Workspace, stamp: tuple[int, str], datum: str) -> str:
    key = f"{stamp[0]}|{stamp[1]}|{datum}|{MIN_ZOOM}|{MAX_ZOOM}"
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]
    return f"{FILE_PREFIX}{_workspace_key(workspace)}-{digest}{SUFFIX}"


def reference_archive_name(workspace: Workspace, layer_id: int, datum: str) -> str:
    """A stored reference layer never changes (loading it again makes a new id): its id and
    the datum name its archive for good."""
    key = f"{int(layer_id)}|{datum}|{MIN_ZOOM}|{MAX_ZOOM}"
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:12]
    return f"{REFERENCE_PREFIX}{_workspace_key(workspace)}-{int(layer_id)}-{digest}{SUFFIX}"


def _facts_path(path: Path) -> Path:
    return path.with_suffix(FACTS_SUFFIX)


def lock_path(path: Path) -> Path:
    return path.with_name(f".{path.name}{LOCK_SUFFIX}")


def _read_facts(path: Path, layer: str = TILE_LAYER) -> ParcelTileFile | None:
    """The archive at ``path`` if it is there whole (the rename is its last step)."""
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
        layer=str(facts.get("layer", layer)),
    )


def read_tile_parcels(workspace: Workspace) -> Any:
    """The workspace's parcels as a GeoDataFrame of what the tiles carry (lon/lat)."""
    import pyogrio

    if _in_database(workspace):
        return tile_parcels(_database_parcels(workspace))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        frame = pyogrio.read_dataframe(workspace.path, sql=_PARCELS_SQL)
    return tile_parcels(frame)


def _database_parcels(workspace: Workspace) -> Any:
    """The parcels of a workspace in PostGIS as the GeoPackage query reads them: the id, the
    filter fields and the accuracy as stored, lon/lat."""
    import geopandas as gpd

    parcels = workspace.parcels()
    columns = {"id": [p.parcel_id for p in parcels]}
    for name in TILE_COLUMNS[1:]:
        columns[name] = [p.properties.get(name) for p in parcels]
    return gpd.GeoDataFrame(columns, geometry=[p.geometry for p in parcels], crs="EPSG:4326")


def tile_parcels(frame: Any) -> Any:
    """``frame``'s parcels (lon/lat, with at least an ``id`` column) as a GeoDataFrame of
    what the tiles carry, written as the ledger groups them: the workspace's for the app,
    an export's selection for a page that carries its own archive."""
    frame = frame[[*(c for c in TILE_COLUMNS if c in frame.columns), frame.geometry.name]]
    frame = frame.copy()
    for column in ("status", "town", "quarter"):
        values = frame[column] if column in frame.columns else [None] * len(frame)
        frame[column] = pd.Series(
            [filter_key(value) for value in values], index=frame.index, dtype=object
        )
    accuracy = frame["accuracy"] if "accuracy" in frame.columns else pd.Series(
        None, index=frame.index, dtype=object)
    frame["accuracy"] = accuracy.where(accuracy.notna(), "approximate")
    return frame[[*TILE_COLUMNS, frame.geometry.name]]


def read_tile_references(workspace: Workspace | Path, layer_id: int) -> Any:
    """A reference layer's polygons as a GeoDataFrame of what its tiles carry (lon/lat):
    the feature id and the land-use class ("" for none)."""
    import geopandas as gpd
    import pyogrio

    if isinstance(workspace, Workspace) and _in_database(workspace):
        features = workspace.reference_features(int(layer_id))
        frame = gpd.GeoDataFrame({"id": features.fids, "class": features.classes},
                                 geometry=list(features.geometries), crs="EPSG:4326")
    else:
        path = workspace.path if isinstance(workspace, Workspace) else Path(workspace)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            frame = pyogrio.read_dataframe(path, sql=_REFERENCE_SQL + str(int(layer_id)))
    frame["id"] = frame["id"].astype(np.int64)
    frame["class"] = frame["class"].astype(object).where(frame["class"].notna(), "")
    return frame


def write_archive(frame: Any, path: Path, datum: str = "wgs84",
                  min_zoom: int = MIN_ZOOM, max_zoom: int = MAX_ZOOM, *,
                  layer: str = TILE_LAYER, source: str = PARCELS_SOURCE) -> ParcelTileFile:
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
             "max_zoom": max_zoom, "layer": layer, "source": source, "datum": datum}
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(_facts_path(path), json.dumps(facts).encode("utf-8"))
    # Named after the archive, so the next build of the same archive finds and removes
    # what a build killed half-way left.
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.part{SUFFIX}")
    try:
        with warnings.catch_warnings():
            # Low zooms of a dense workspace exceed GDAL's tile size and are written at a
            # coarser resolution; it says so once per archive.
            warnings.simplefilter("ignore", RuntimeWarning)
            pyogrio.write_dataframe(
                frame, temporary, driver="PMTiles", layer=layer,
                dataset_options={"MINZOOM": min_zoom, "MAXZOOM": max_zoom},
            )
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return ParcelTileFile(path=path, bounds=bounds, count=len(frame), min_zoom=min_zoom,
                          max_zoom=max_zoom, layer=layer)


def parcel_tile_file(workspace: Workspace, folder: Path, datum: str = "wgs84",
                     threshold: int | None = None) -> ParcelTileFile | None:
    """The archive of the workspace's current parcels in ``folder``, built here if not there
    yet; None when the workspace holds no more than ``threshold`` parcels (drawn as
    GeoJSON). For the command line, benchmarks and the worker: the app's server asks
    :class:`TileBuilds` instead, which builds in a worker.

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
    with build_lock(path) as held:
        if not held:
            # Another process is writing this very archive.
            return None
        found = _read_facts(path)
        if found is not None:
            return found
        built = write_archive(frame, path, datum)
        _drop_lock(path)
    _prune(folder, workspace, keep=path)
    return built


# ----------------------------------------------------------------------- one build per archive


@contextlib.contextmanager
def build_lock(path: Path) -> Iterator[bool]:
    """Hold the archive's build lock while the block runs; yields False (and holds nothing)
    when another process holds it. The system lets go of it when the holder ends, however
    it ends, so a killed build never blocks the next."""
    lock = lock_path(path)
    lock.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(descriptor, fcntl.LOCK_UN)
    finally:
        os.close(descriptor)


def build_running(path: Path) -> bool:
    """Whether some process (a worker of any server) is building the archive now."""
    if not lock_path(path).exists():
        return False
    with build_lock(path) as free:
        return not free


def _drop_lock(path: Path) -> None:
    """The lock file of a written archive, removed while still held: whoever opens it
    later finds the archive first and writes nothing."""
    lock_path(path).unlink(missing_ok=True)


def _remove_leftovers(path: Path) -> None:
    """What builds of this archive killed half-way left (only ever under the lock)."""
    for left in path.parent.glob(f".{path.name}.*.part{SUFFIX}"):
        left.unlink(missing_ok=True)


@dataclass(frozen=True)
class ArchiveSpec:
    """One archive to have: of the parcels at the workspace's change ``stamp``, or of the
    reference layer ``layer_id``; as plain data, for the worker. ``workspace`` is what the
    worker opens: the GeoPackage file, or :data:`DATABASE_ARGUMENT` for the configured
    PostGIS database (:func:`worker_workspace`)."""

    workspace: str
    folder: Path
    datum: str
    name: str
    layer_id: int | None = None
    stamp: tuple[int, str] | None = None

    @property
    def path(self) -> Path:
        return self.folder / self.name

    @property
    def source(self) -> str:
        return PARCELS_SOURCE if self.layer_id is None else f"reference-{self.layer_id}"

    @property
    def layer(self) -> str:
        return TILE_LAYER if self.layer_id is None else REFERENCE_TILE_LAYER

    @property
    def workspace_key(self) -> str:
        """The key of the workspace's place, as the archive's name carries it."""
        prefix = FILE_PREFIX if self.layer_id is None else REFERENCE_PREFIX
        return self.name.removeprefix(prefix).split("-", 1)[0]

    def arguments(self) -> dict[str, Any]:
        return {"workspace": str(self.workspace), "folder": str(self.folder),
                "datum": self.datum, "name": self.name, "layer_id": self.layer_id,
                "stamp": list(self.stamp) if self.stamp is not None else None}

    @classmethod
    def from_arguments(cls, data: Mapping[str, Any]) -> ArchiveSpec:
        stamp = data.get("stamp")
        layer_id = data.get("layer_id")
        return cls(str(data["workspace"]), Path(data["folder"]), str(data["datum"]),
                   str(data["name"]), None if layer_id is None else int(layer_id),
                   None if stamp is None else (int(stamp[0]), str(stamp[1])))


def _worker_argument(workspace: Workspace) -> str:
    """What a worker is told of the workspace: its file, or the word for the configured
    database (a database workspace in the app is always the configured one)."""
    return DATABASE_ARGUMENT if _in_database(workspace) else str(workspace.path)


def worker_workspace(spec: ArchiveSpec) -> Workspace:
    """The workspace the page named: its GeoPackage file, opened as it is (a worker never
    creates a workspace), or the configured database, which must be the one the archive's
    name was keyed by."""
    place = place_from_argument(spec.workspace)
    if not place.is_database:
        return Workspace(Path(spec.workspace))
    workspace = Workspace.at(place, seed=None)
    if _workspace_key(workspace) != spec.workspace_key:
        raise ValueError(f"the configured database {workspace.location} is not the one "
                         f"the archive {spec.name} was asked of")
    return workspace


def parcel_spec(workspace: Workspace, folder: Path, datum: str) -> ArchiveSpec:
    """The archive of the workspace's parcels as they are now."""
    stamp = change_stamp(workspace)
    return ArchiveSpec(_worker_argument(workspace), folder, datum,
                       archive_name(workspace, stamp, datum), stamp=stamp)


def reference_spec(workspace: Workspace, folder: Path, layer_id: int,
                   datum: str) -> ArchiveSpec:
    return ArchiveSpec(_worker_argument(workspace), folder, datum,
                       reference_archive_name(workspace, layer_id, datum), layer_id=layer_id)


def found_archive(spec: ArchiveSpec) -> ParcelTileFile | None:
    """The spec's archive if it is there, whole."""
    return _read_facts(spec.path, spec.layer)


def build(spec: ArchiveSpec) -> dict[str, Any]:
    """Write the spec's archive, unless it is there already or being written by another
    process (then nothing is written). What happened, as plain data:
    ``{"outcome": "built" | "found" | "busy" | "stale", "count": N}``."""
    with build_lock(spec.path) as held:
        if not held:
            return {"outcome": "busy", "count": 0}
        found = found_archive(spec)
        if found is not None:
            return {"outcome": "found", "count": found.count}
        _remove_leftovers(spec.path)
        workspace = worker_workspace(spec)
        if spec.layer_id is None:
            frame = read_tile_parcels(workspace)
            # One state of the workspace: a change since the page asked is drawn from the
            # archive of that change, which the next page asks for.
            if change_stamp(workspace) != spec.stamp:
                return {"outcome": "stale", "count": 0}
        else:
            frame = read_tile_references(workspace, spec.layer_id)
        built = write_archive(frame, spec.path, spec.datum, layer=spec.layer,
                              source=spec.source)
        _drop_lock(spec.path)
    if spec.layer_id is None:
        _prune(spec.folder, workspace, keep=spec.path)
    else:
        _prune_references(spec.folder, workspace, keep=spec.path)
    return {"outcome": "built", "count": built.count}


def build_task(arguments: Mapping[str, Any], inputs: Path) -> dict[str, Any]:
    """The worker's task (see :data:`geo_app.jobs.DEFERRED_TASKS`)."""
    del inputs  # the archive is read from the workspace itself
    return build(ArchiveSpec.from_arguments(arguments))


def previous_archive(spec: ArchiveSpec) -> ParcelTileFile | None:
    """The newest other archive of the same features in the same datum (the parcels as they
    were before the latest change): what the page can show, marked out of date, while the
    current one is built."""
    prefix = FILE_PREFIX if spec.layer_id is None else REFERENCE_PREFIX
    candidates = sorted(
        (p for p in spec.folder.glob(f"{prefix}{spec.workspace_key}-*{SUFFIX}")
         if p.name != spec.name),
        key=_age_key, reverse=True,
    )
    for path in candidates:
        try:
            facts = json.loads(_facts_path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if facts.get("source") == spec.source and facts.get("datum") == spec.datum:
            found = _read_facts(path, spec.layer)
            if found is not None:
                return found
    return None


@dataclass(frozen=True)
class ArchiveState:
    """What the page can draw of an archive it asked for: ``current`` when it is ready;
    else ``building`` (or ``failed``: builds ended without it, the page stops asking; or
    neither: the workspace has changed since, the page asks for the new archive) and
    ``previous``, an older archive of the same features, out of date."""

    current: ParcelTileFile | None
    building: bool = False
    failed: bool = False
    previous: ParcelTileFile | None = None
    # What was asked for, for asking again.
    spec: ArchiveSpec | None = None

    @property
    def ready(self) -> bool:
        return self.current is not None


@dataclass
class _Entry:
    name: str
    job: Job | None
    failures: int = 0
    # The workspace changed before the worker read it: this archive will never be current,
    # and the page asks for its successor.
    stale: bool = False


@dataclass
class TileBuilds:
    """The archive builds this process has asked for, each in a worker of its own.

    :meth:`request` never waits and never builds here: the archive is either found, or a
    worker is building it (started now, or earlier by this or another process), or it
    could not be built. Thread-safe: every page of the server asks the same object.
    """

    worker: Sequence[str] = WORKER
    limits: JobLimits | None = None
    _entries: dict[str, _Entry] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    # Workers started, and the answers of those that ended (for the log and tests).
    started: int = 0
    answers: list[dict[str, Any]] = field(default_factory=list)

    def request(self, spec: ArchiveSpec) -> ArchiveState:
        with self._lock:
            # Every worker that has ended is let go now (none lingers as a zombie until
            # its own archive is asked for again).
            for key in list(self._entries):
                self._reap(key)
            running = self._reap(str(spec.path))
            found = found_archive(spec)
            if found is not None:
                return ArchiveState(found, spec=spec)
            entry = self._entries.get(str(spec.path))
            if entry is not None and entry.stale:
                return ArchiveState(None, previous=previous_archive(spec), spec=spec)
            building, failed = running or self._start(spec), False
            if not building:
                failed = True
        found = found_archive(spec)
        if found is not None:
            return ArchiveState(found, spec=spec)
        return ArchiveState(None, building=building, failed=failed,
                            previous=previous_archive(spec), spec=spec)

    def _reap(self, key: str) -> bool:
        """Whether this process's worker for the archive at ``key`` still runs; an ended one
        is let go, its answer kept and, when it wrote no archive, counted as a failure."""
        entry = self._entries.get(key)
        if entry is None or entry.job is None:
            return False
        status = entry.job.poll()
        if status.running:
            return True
        answer = entry.job.result() or {}
        self.answers.append({"name": entry.name, "status": status.outcome, **answer})
        entry.job = None
        entry.stale = answer.get("outcome") == "stale"
        # A worker that found another at it, or the workspace changed since, did not fail:
        # the page asks again.
        if status.outcome != "done" or answer.get("outcome") not in (
                "built", "found", "busy", "stale"):
            entry.failures += 1
            LOG.warning("tile archive %s: build ended %s %s", entry.name, status.outcome,
                        answer.get("outcome", ""))
        return False

    def _start(self, spec: ArchiveSpec) -> bool:
        """Start a worker for ``spec`` unless another process's is at it; False once builds
        have failed :data:`MAX_ATTEMPTS` times here (the page stops asking)."""
        key = str(spec.path)
        entry = self._entries.get(key)
        if entry is not None and entry.failures >= MAX_ATTEMPTS:
            return False
        if build_running(spec.path):
            # Another server's worker: this page waits for its archive.
            return True
        job = Job.start(TASK, spec.arguments(), {}, self.limits or JobLimits.from_env(),
                        worker=self.worker)
        self.started += 1
        if entry is None:
            self._entries[key] = _Entry(spec.name, job)
        else:
            entry.job = job
        return True

    def wait(self, spec: ArchiveSpec, timeout_s: float) -> ArchiveState:
        """Ask until the archive is there and this process's worker for it has ended, or
        ``timeout_s`` has passed (scripts, tests)."""
        deadline = time.monotonic() + timeout_s
        state = self.request(spec)
        while (not state.failed and (not state.ready or self.job(spec) is not None)
               and time.monotonic() < deadline):
            time.sleep(0.1)
            state = self.request(spec)
        return state

    def job(self, spec: ArchiveSpec) -> Job | None:
        """The worker this process runs for ``spec``, if one runs."""
        with self._lock:
            entry = self._entries.get(str(spec.path))
            return None if entry is None else entry.job


# The server's one registry: every page of the process asks it.
BUILDS = TileBuilds()


# ----------------------------------------------------------------------- keeping the folder small


def _age_key(path: Path) -> int:
    try:
        return path.stat().st_mtime_ns
    except FileNotFoundError:
        return 0


def _remove(path: Path) -> None:
    path.unlink(missing_ok=True)
    _facts_path(path).unlink(missing_ok=True)
    lock_path(path).unlink(missing_ok=True)


def _prune(folder: Path, workspace: Workspace, keep: Path, now_s: float | None = None) -> None:
    mine = f"{FILE_PREFIX}{_workspace_key(workspace)}-*{SUFFIX}"
    others = sorted((p for p in folder.glob(mine) if p != keep), key=_age_key)
    for old in others[: max(len(others) - KEEP_ARCHIVES, 0)]:
        _remove(old)
    _prune_all(folder, keep, now_s)


def _prune_all(folder: Path, keep: Path, now_s: float | None = None) -> None:
    """Archives of every workspace together: beyond :data:`KEEP_ALL`, those untouched for
    a day go."""
    every = sorted((p for prefix in (FILE_PREFIX, REFERENCE_PREFIX)
                    for p in folder.glob(f"{prefix}*{SUFFIX}") if p != keep), key=_age_key)
    cutoff = ((time.time() if now_s is None else now_s) - STALE_AFTER_S) * 1e9
    for old in every[: max(len(every) - KEEP_ALL, 0)]:
        if _age_key(old) < cutoff:
            _remove(old)


def _prune_references(folder: Path, workspace: Workspace, keep: Path) -> None:
    """The archives of this workspace's reference layers that are no longer on the map
    (replaced or removed: restoring one builds its archive again)."""
    active = {layer.layer_id for layer in workspace.reference_layers()}
    for path in folder.glob(f"{REFERENCE_PREFIX}{_workspace_key(workspace)}-*{SUFFIX}"):
        layer_id = path.name.split("-")[2]
        if path != keep and layer_id.isdigit() and int(layer_id) not in active:
            _remove(path)
    _prune_all(folder, keep)
