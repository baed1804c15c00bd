"""The reference panel's heavy work, as jobs in a worker process (:mod:`geo_app.jobs`): the
preview of an upload as a reference layer (its columns, polygons and hectares, or every
reason it is refused) and its loading into the workspace, whole or not at all.

A district's farmland layer is a hundred thousand polygons: read in the app's server it
would stall every planner's page and leave the server larger. The worker reads it through
:func:`geo_app.control.read_reference` (the same reader as ``geo-app reference import``)
and answers with plain data only: counts, hectares, column names, the layer as stored, and
every problem as its fields.

Run as ``python -m geo_app.control.reference_jobs FOLDER`` by :class:`geo_app.jobs.Job`;
the library imports wait until the worker's caps hold. The worker is told the workspace's
place as the import panel's worker is (:mod:`geo_app.import_jobs`): a folder, or the word
for the configured PostGIS database, never its URL.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from geo_app.jobs import Input, Job, JobLimits, run_worker
from geo_app.problems import Problem

if TYPE_CHECKING:
    from geo_app.import_jobs import Where
    from geo_app.workspace.actors import Actor

PREVIEW = "reference_preview"
LOAD = "reference_load"
WORKER = (sys.executable, "-m", "geo_app.control.reference_jobs")
# The kind a preview reads a file as: one with no rule of its own, so any polygon file
# passes whatever kind the planner then chooses.
PREVIEW_KIND = "other"


# ----------------------------------------------------------------------- starting


def _start(task: str, upload_name: str, upload: Input, limits: JobLimits | None,
           worker: Sequence[str], **arguments: Any) -> Job:
    from geo_app.importing import safe_upload_name

    # The file keeps the browser's (cleaned) name: its suffix says the format.
    file_name = safe_upload_name(upload_name)
    return Job.start(task, {"file": file_name, **arguments}, {file_name: upload},
                     limits or JobLimits.from_env(), worker=worker)


def start_preview(name: str, upload: Input, *, crs: str | None = None,
                  limits: JobLimits | None = None, worker: Sequence[str] = WORKER) -> Job:
    """Read ``upload`` (a browser's file called ``name``) as a reference layer, writing
    nothing; the answer is :func:`preview_task`'s."""
    return _start(PREVIEW, name, upload, limits, worker, crs=crs)


def start_load(
    workspace: Where,
    name: str,
    upload: Input,
    user: str,
    kind: str,
    *,
    class_field: str | None = None,
    layer_name: str | None = None,
    crs: str | None = None,
    limits: JobLimits | None = None,
    worker: Sequence[str] = WORKER,
    actor: Actor | None = None,
) -> Job:
    """Load ``upload`` into the workspace as a reference layer of ``kind``, in one
    transaction or not at all, for ``actor`` (its role is checked in the worker too; None:
    the workspace's owner); the answer is :func:`load_task`'s."""
    from geo_app.import_jobs import place_of
    from geo_app.workspace.actors import actor_arguments

    acting = actor_arguments(actor) if actor is not None else {}
    return _start(LOAD, name, upload, limits, worker,
                  workspace=place_of(workspace).as_argument(), user=user,
                  kind=kind, class_field=class_field, layer_name=layer_name, crs=crs,
                  **acting)


# ----------------------------------------------------------------------- plain data


def problem_data(problem: Problem) -> dict[str, Any]:
    return dataclasses.asdict(problem)


def problems_from(data: Sequence[Mapping[str, Any]]) -> list[Problem]:
    return [Problem(**item) for item in data]


def layer_data(layer: Any) -> dict[str, Any]:
    """A stored layer (:class:`geo_app.workspace.ReferenceLayer`) as JSON data."""
    return dataclasses.asdict(layer)


def _refused(exc: Exception) -> list[dict[str, Any]]:
    from geo_app.control import ReferenceRefused

    if isinstance(exc, ReferenceRefused):
        return [problem_data(p) for p in exc.problems]
    return [problem_data(exc.problem)]  # an InputError: the file as a whole


def class_field_guess(kind: str, columns: Sequence[str]) -> str | None:
    """The column a layer of ``kind`` takes its class from when none is named."""
    from geo_app.control.reference_file import guess_class_field, kind_of

    return guess_class_field(kind_of(kind), list(columns))


# ----------------------------------------------------------------------- the worker's tasks


def preview_task(arguments: Mapping[str, Any], inputs: Path) -> dict[str, Any]:
    from geo_app.control import read_reference
    from geo_app.problems import InputError

    try:
        read = read_reference(inputs / arguments["file"], PREVIEW_KIND,
                              crs=arguments.get("crs"))
    except InputError as exc:
        return {"refused": True, "problems": _refused(exc)}
    columns = read.columns
    return {
        "refused": False,
        "problems": [problem_data(p) for p in read.problems],
        "columns": columns,
        "count": len(read),
        "hectares": read.hectares,
        "crs": read.crs,
        "format": read.format_name,
        "class_field": class_field_guess("landuse", columns),
    }


def load_task(arguments: Mapping[str, Any], inputs: Path) -> dict[str, Any]:
    from geo_app.control import read_reference
    from geo_app.import_jobs import opened_from_argument
    from geo_app.problems import InputError
    from geo_app.workspace.actors import actor_from

    try:
        workspace = opened_from_argument(arguments["workspace"]).acting_as(
            actor_from(arguments))
        read = read_reference(
            inputs / arguments["file"], arguments["kind"],
            class_field=arguments.get("class_field") or None,
            name=arguments.get("layer_name") or None, crs=arguments.get("crs") or None,
        )
        layer = workspace.import_reference(read, arguments["user"])
    except InputError as exc:
        return {"loaded": False, "problems": _refused(exc)}
    return {
        "loaded": True,
        "problems": [problem_data(p) for p in read.problems],
        "layer": layer_data(layer),
    }


def latest_layer(workspace: Where) -> int:
    """The newest stored reference layer's number (0 when there is none)."""
    from geo_app.import_jobs import workspace_at

    layers = workspace_at(workspace).reference_layers(include_inactive=True)
    return max((layer.layer_id for layer in layers), default=0)


def written_layer(workspace: Where, since: int, name: str, user: str) -> int | None:
    """The layer a load of the browser's file ``name`` by ``user`` stored after layer
    ``since``, or None: a worker that ended without an answer may have committed it (the
    layer and its features commit together). Another planner's load meanwhile is not it."""
    from geo_app.import_jobs import workspace_at
    from geo_app.importing import safe_upload_name
    from geo_app.workspace.checks import checked_user

    source, who = safe_upload_name(name), checked_user(user)
    for layer in workspace_at(workspace).reference_layers(include_inactive=True):
        if layer.layer_id > since and layer.source == source and layer.loaded_by == who:
            return layer.layer_id
    return None


TASKS = {PREVIEW: preview_task, LOAD: load_task}

if __name__ == "__main__":
    run_worker(TASKS)
