"""The export panel's file, made in a worker process (:mod:`geo_app.jobs`), not in the app's
server.

A KML of a hundred thousand parcels takes tens of seconds and is about 300 MB: made in the
server's page thread it stalled the planner's page and held the whole file in the session.
Here the page hands the worker plain data: the :class:`ExportRequest` (checked by the page
first, so a wrong option is said at once) and the :class:`Selection`, where the page read
its parcels and the sidebar's filter. The worker loads the parcels as the page loads them
(the workspace's copy of the same change, or the catalog's own file) and keeps those the
filter keeps (:func:`geo_app.ledger.filter_key`), so the file shows what the page shows.
It writes the file whole or not at all (:func:`geo_app.export.export_to_file`) into a
private folder (mode 0700) the page made for it, and answers with its path, size, MIME type
and suggested name, or with the :class:`~geo_app.problems.Problem` that stopped it.

The folder belongs to the page that asked: :class:`ExportFile` removes it when the page
lets it go (a new file replaces it), when the session's state is discarded, or when the
server process exits; :func:`sweep` removes folders older than :data:`KEEP_S` that a
stopped server left behind.

Run as ``python -m geo_app.export.jobs FOLDER`` by :class:`geo_app.jobs.Job`; the libraries
the export needs load only once the worker's caps hold.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import errno
import os
import shutil
import sys
import tempfile
import time
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from geo_app.export.request import ExportRequest, Extent
from geo_app.jobs import Job, JobLimits, run_worker
from geo_app.problems import GeoAppError, KeyedError, Problem, Words, said

EXPORT = "export"
WORKER = (sys.executable, "-m", "geo_app.export.jobs")
FOLDER_PREFIX = "geo-app-export-"
# Selections of at most this many parcels are made in the page's own run
# (``GEO_APP_EXPORT_IN_PAGE_PARCELS``): a worker's start-up (its Python and libraries, at
# the lowest priority) took 2-3 s on an idle two-core machine and up to 12 s on a loaded
# one, for a sheet of the sample parcels the page makes in about half a second.
IN_PAGE_ENV = "GEO_APP_EXPORT_IN_PAGE_PARCELS"
IN_PAGE_PARCELS = 2000
# A made file is kept at most this long (a page keeps only its latest one anyway); older
# folders are those of a server that stopped without removing them.
KEEP_S = 24 * 3600.0


# ----------------------------------------------------------------------- plain data


@dataclass(frozen=True)
class Selection:
    """The parcels a page shows, as the worker finds them again.

    ``workspace`` is the page's workspace as a worker is told it
    (:meth:`geo_app.workspace.Place.as_argument`: a folder, or the word for the configured
    database, never its address). ``parcels_path`` is the file the page read its parcels
    from: the workspace's copy of one change (:mod:`geo_app.workspace.layer_file`) or, when
    the workspace cannot be used, the catalog's own file. ``layer_ids`` are the catalog's
    layers the page uses (a layer whose file is broken is left out). ``statuses``,
    ``towns`` and ``quarters`` are the sidebar's filter; None keeps every value.
    """

    parcel_layer: str
    parcels_path: str
    sample_data: bool
    target_ha: float
    layer_ids: tuple[str, ...]
    catalog_path: str | None = None
    workspace: str | None = None
    statuses: tuple[str, ...] | None = None
    towns: tuple[str, ...] | None = None
    quarters: tuple[str, ...] | None = None

    def to_data(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Selection:
        values = dict(data)
        for name in ("layer_ids", "statuses", "towns", "quarters"):
            if values.get(name) is not None:
                values[name] = tuple(values[name])
        return cls(**values)


def request_data(request: ExportRequest) -> dict[str, Any]:
    """``request`` as JSON data: its extent in the text form ``parse_extent`` reads, and a
    box also as its four numbers (the text form rounds them)."""
    extent = request.extent
    box = extent.bbox if isinstance(extent, Extent) and extent.kind == "bbox" else None
    return {
        "format": request.format,
        "layers": None if request.layers is None else list(request.layers),
        "extent": str(request.extent),
        "title": request.title,
        "subtitle": request.subtitle,
        "paper": request.paper,
        "orientation": request.orientation,
        "dpi": request.dpi,
        "lang": request.lang,
        "date": request.date.isoformat(),
        "sheet": request.sheet,
        "bbox": None if box is None else list(box),
    }


def request_from(data: Mapping[str, Any]) -> ExportRequest:
    values = dict(data)
    values["date"] = dt.date.fromisoformat(values["date"])
    box = values.pop("bbox", None)
    if box is not None:
        values["extent"] = Extent("bbox", bbox=tuple(float(v) for v in box))
    return ExportRequest(**values)


def problem_data(problem: Problem) -> dict[str, Any]:
    return dataclasses.asdict(problem)


# ----------------------------------------------------------------------- the page's side


def in_page_parcels(environ: Mapping[str, str] | None = None) -> int:
    """The most parcels a page exports in its own run (``GEO_APP_EXPORT_IN_PAGE_PARCELS``;
    unset or unusable, :data:`IN_PAGE_PARCELS`; 0 sends every export to a worker)."""
    environ = os.environ if environ is None else environ
    try:
        return max(int(str(environ.get(IN_PAGE_ENV, "")).strip()), 0)
    except ValueError:
        return IN_PAGE_PARCELS


class ExportFile:
    """A private folder for one made file, removed when this object is let go, discarded,
    or when the process exits."""

    def __init__(self, folder: Path):
        self.folder = folder
        self._remove = weakref.finalize(self, shutil.rmtree, folder, ignore_errors=True)

    def remove(self) -> None:
        self._remove()

    def holds(self, path: str | Path) -> bool:
        """Whether ``path`` is a file in this folder that is still there (a path a worker
        answered is served only from its own folder)."""
        candidate = Path(path)
        return candidate.parent == self.folder and candidate.is_file()


def new_export_file() -> ExportFile:
    """A fresh private folder (mode 0700) for one file."""
    return ExportFile(Path(tempfile.mkdtemp(prefix=FOLDER_PREFIX)))


@dataclass
class ExportJob:
    """A running export: the worker, and the folder its file goes to."""

    job: Job
    file: ExportFile


def start_export(
    request: ExportRequest,
    selection: Selection,
    *,
    limits: JobLimits | None = None,
    worker: Sequence[str] = WORKER,
) -> ExportJob:
    """Make ``request``'s file of ``selection``'s parcels in a worker; the answer is
    :func:`export_task`'s."""
    sweep()
    file = new_export_file()
    try:
        job = Job.start(
            EXPORT,
            {"request": request_data(request), "selection": selection.to_data(),
             "folder": str(file.folder)},
            {}, limits or JobLimits.from_env(), worker=worker,
        )
    except BaseException:
        file.remove()
        raise
    return ExportJob(job, file)


def sweep(older_than_s: float = KEEP_S, root: Path | None = None) -> list[Path]:
    """Remove this user's export folders not touched for ``older_than_s`` seconds: those a
    server left behind when it stopped (a live page's file is replaced long before)."""
    root = Path(tempfile.gettempdir()) if root is None else root
    removed = []
    now = time.time()
    try:
        candidates = list(root.glob(f"{FOLDER_PREFIX}*"))
    except OSError:
        return removed
    for folder in candidates:
        try:
            info = folder.lstat()
        except OSError:
            continue
        own = info.st_uid == os.getuid()
        if own and folder.is_dir() and not folder.is_symlink() and \
                now - info.st_mtime > older_than_s:
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


def failure_problem(error: Exception) -> Problem:
    """What the page says when the file cannot be made: an option or a font the user chose
    as it is, anything else inside "the export failed: ..."."""
    if isinstance(error, KeyedError):
        return error.problem
    if isinstance(error, GeoAppError):
        reason = Words(error.problem.message_zh, error.problem.message_en)
    else:
        # A file that could not be written (an OSError) says so in the request's language
        # already, or in the system's words.
        reason = Words(str(error), str(error))
    return said("app.export.failed", reason=reason)


# ----------------------------------------------------------------------- the worker's task


def _out_of_memory(error: BaseException) -> bool:
    """An allocation refused under the worker's cap: the worker then ends as out of
    memory, which the page says as such, never as a failed write."""
    text = str(error)
    return (isinstance(error, MemoryError) or getattr(error, "errno", None) == errno.ENOMEM
            or "bad_alloc" in text or "Cannot allocate" in text)


def load_selection(selection: Selection, scratch: Path) -> tuple[Any, Any, Any, str]:
    """The page's catalog, its parcels' ledger (filtered as the page filters it), the
    workspace whose control lines are checked (None when it cannot be opened, as on the
    page), and the name of the parcels' file it read.

    The parcels are the workspace's copy of its current change, found in the page's
    folder of copies when it is there (the same file) and written into ``scratch``
    otherwise; a copy of a later change than the page's has another name, and the page
    then knows the file is not of what it shows."""
    from geo_app.catalog import load_catalog, load_layer_frame
    from geo_app.import_jobs import opened_from_argument
    from geo_app.ledger import LandSupplyLedger
    from geo_app.workspace import WorkspaceError
    from geo_app.workspace.layer_file import (
        FILE_PREFIX,
        ParcelLayerFile,
        parcel_layer_file,
        with_parcel_file,
    )

    catalog = load_catalog(Path(selection.catalog_path) if selection.catalog_path else None)
    kept = set(selection.layer_ids)
    catalog = dataclasses.replace(
        catalog, layers=tuple(spec for spec in catalog.layers if spec.id in kept))
    workspace = None
    if selection.workspace is not None:
        try:
            workspace = opened_from_argument(selection.workspace)
        except (WorkspaceError, OSError, ValueError):
            workspace = None
    page_copy = Path(selection.parcels_path)
    if workspace is not None and page_copy.name.startswith(FILE_PREFIX):
        folder = page_copy.parent if page_copy.parent.is_dir() else scratch
        parcels = parcel_layer_file(workspace, folder)
    else:
        parcels = ParcelLayerFile(page_copy, selection.sample_data)
    catalog = with_parcel_file(catalog, selection.parcel_layer, parcels)
    spec = catalog.layer(selection.parcel_layer)
    ledger = LandSupplyLedger(load_layer_frame(spec), selection.target_ha,
                              sample_data=spec.sample_data or None)
    if any(v is not None for v in (selection.statuses, selection.towns, selection.quarters)):
        ledger = ledger.filtered(status=selection.statuses, town=selection.towns,
                                 quarter=selection.quarters)
    return catalog, ledger, workspace, parcels.path.name


def write_export(request: ExportRequest, folder: Path, catalog: Any, ledger: Any,
                 workspace: Any, parcels: str | None) -> dict[str, Any]:
    """Write ``request``'s file of ``ledger``'s parcels whole into ``folder``; the answer
    (plain data) names it, or says the problem that stopped it. ``parcels``: the name of
    the parcels' file the ledger was read from, handed back."""
    from geo_app.export.service import export_to_file

    target = folder / request.filename()
    try:
        export_to_file(request, target, catalog=catalog, ledger=ledger, workspace=workspace)
    except (GeoAppError, OSError) as exc:
        if _out_of_memory(exc):
            raise
        return {"made": False, "problem": problem_data(failure_problem(exc))}
    return {
        "made": True,
        "path": str(target),
        "size": target.stat().st_size,
        "mime": request.mime,
        "filename": request.filename(),
        "parcels": parcels,
    }


def export_task(arguments: Mapping[str, Any], inputs: Path) -> dict[str, Any]:
    """The worker's task: the page's parcels found again, and the file written whole into
    the page's folder (or the problem that stopped it)."""
    request = request_from(arguments["request"])
    selection = Selection.from_data(arguments["selection"])
    try:
        catalog, ledger, workspace, parcels = load_selection(selection, inputs)
    except (GeoAppError, OSError) as exc:
        if _out_of_memory(exc):
            raise
        return {"made": False, "problem": problem_data(failure_problem(exc))}
    return write_export(request, Path(arguments["folder"]), catalog, ledger, workspace,
                        parcels)


TASKS = {EXPORT: export_task}

if __name__ == "__main__":
    run_worker(TASKS)
