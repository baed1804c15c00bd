"""The import panel's heavy work, as jobs in a worker process (:mod:`geo_app.jobs`): the
preview of an upload (:func:`geo_app.importing.check_uploaded`) and its import
(:func:`geo_app.importing.import_uploaded`).

A file of two million vertices takes seconds and about a gigabyte to read and check; done in
the app's server, that stalled every planner's page and left the server larger. The worker
holds all of it and answers with what the panel shows, as plain data: counts, hectares, the
first rows as text, the columns chosen and every problem as its fields. Nothing the worker
built (geometries, frames) crosses over.

Run as ``python -m geo_app.import_jobs FOLDER`` by :class:`geo_app.jobs.Job`; the library
imports wait until the worker's caps hold. The worker is told where the workspace lives as
:meth:`~geo_app.workspace.location.Place.as_argument` says it (a folder, or the word for
the configured PostGIS database, never its URL) and opens it at that place.
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
    from geo_app.importing import ImportPlan
    from geo_app.parcel_table import ColumnMapping
    from geo_app.workspace import Place, Workspace
    from geo_app.workspace.actors import Actor

    # Where a workspace is: a place, or (as before places) its folder.
    Where = Place | Path

CHECK = "check"
IMPORT = "import"
WORKER = (sys.executable, "-m", "geo_app.import_jobs")
PREVIEW_ROWS = 5
# Cell texts that mean "empty" once a frame's cells are written as text.
EMPTY_TEXTS = {"None": "", "nan": "", "NaT": "", "<NA>": ""}


# ----------------------------------------------------------------------- places


def place_of(where: Where) -> Place:
    from geo_app.workspace import Place

    return where if isinstance(where, Place) else Place(folder=Path(where))


def workspace_at(where: Where) -> Workspace:
    """The workspace at ``where``; a worker passes the argument it was told."""
    from geo_app.workspace import Workspace

    return Workspace.at(place_of(where))


def opened_from_argument(argument: str) -> Workspace:
    """The workspace a worker was told of (:meth:`~geo_app.workspace.Place.as_argument`)."""
    from geo_app.workspace import Workspace, place_from_argument

    return Workspace.at(place_from_argument(argument))


# ----------------------------------------------------------------------- starting


def start_check(
    workspace: Where,
    name: str,
    upload: Input,
    *,
    crs: str | None = None,
    mapping: ColumnMapping | None = None,
    repair: bool = False,
    limits: JobLimits | None = None,
    worker: Sequence[str] = WORKER,
) -> Job:
    """The preview of ``upload`` (a browser's file called ``name``) in a worker; its answer
    is :func:`plan_summary`'s."""
    return _start(CHECK, workspace, name, upload, limits, worker,
                  crs=crs, mapping=mapping, repair=repair)


def start_import(
    workspace: Where,
    name: str,
    upload: Input,
    user: str,
    *,
    crs: str | None = None,
    mapping: ColumnMapping | None = None,
    replace: bool = False,
    repair: bool = False,
    limits: JobLimits | None = None,
    worker: Sequence[str] = WORKER,
    actor: Actor | None = None,
) -> Job:
    """The import of ``upload`` in a worker, all of it in one transaction or nothing, for
    ``actor`` (checked against its role there too; None: the workspace's owner); its answer
    is :func:`import_summary`'s."""
    from geo_app.workspace.actors import actor_arguments

    acting = actor_arguments(actor) if actor is not None else {}
    return _start(IMPORT, workspace, name, upload, limits, worker,
                  crs=crs, mapping=mapping, repair=repair, replace=replace, user=user,
                  **acting)


def _start(
    task: str,
    workspace: Where,
    name: str,
    upload: Input,
    limits: JobLimits | None,
    worker: Sequence[str],
    *,
    mapping: ColumnMapping | None,
    **options: Any,
) -> Job:
    from geo_app.importing import safe_upload_name

    # The file keeps the browser's (cleaned) name: its suffix says the format.
    file_name = safe_upload_name(name)
    arguments = {
        "workspace": place_of(workspace).as_argument(),
        "file": file_name,
        "mapping": mapping.to_json() if mapping is not None else None,
        **options,
    }
    return Job.start(task, arguments, {file_name: upload}, limits or JobLimits.from_env(),
                     worker=worker)


# ----------------------------------------------------------------------- plain data


def problem_data(problem: Problem) -> dict[str, Any]:
    return dataclasses.asdict(problem)


def problem_from(data: Mapping[str, Any]) -> Problem:
    return Problem(**data)


def mapping_data(mapping: ColumnMapping) -> dict[str, Any]:
    """The mapping with how each column was chosen (its JSON form leaves that out)."""
    return {
        "columns": dict(mapping.columns),
        "basis": dict(mapping.basis),
        "statuses": dict(mapping.statuses),
        "area_unit": mapping.area_unit,
    }


def mapping_from(data: Mapping[str, Any]) -> ColumnMapping:
    from geo_app.parcel_table import ColumnMapping

    return ColumnMapping(
        dict(data["columns"]), dict(data["basis"]), dict(data["statuses"]), data["area_unit"]
    )


def plan_summary(plan: ImportPlan) -> dict[str, Any]:
    """What the preview shows of an import plan, as JSON data."""
    from geo_app.ledger import ledger_of_plan, plan_target
    from geo_app.problems import summarised

    summary: dict[str, Any] = {
        "problems": [problem_data(p) for p in summarised(plan.problems)],
        "errors": len(plan.errors),
        "table": plan.table is not None,
    }
    if plan.table is None:
        return summary
    table = plan.table
    frame = table.data.frame
    geometry = frame.geometry.name
    head = frame.drop(columns=geometry).head(PREVIEW_ROWS).astype(str).replace(EMPTY_TEXTS)
    summary.update(
        columns=[str(c) for c in frame.columns if c != geometry],
        head={"columns": [str(c) for c in head.columns], "rows": head.values.tolist()},
        mapping=mapping_data(table.mapping),
        unknown_statuses={str(w): int(n) for w, n in table.understanding.unknown_statuses.items()},
        flagged=len(table.understanding.flagged),
    )
    if plan.parcels:
        ledger = ledger_of_plan(plan, plan_target().target_ha)
        summary.update(
            count=ledger.parcel_count,
            hectares=float(ledger.total_ha),
            by_status={str(code): float(ha) for code, ha in ledger.by_status.items()},
        )
    return summary


def preview_for_page(summary: Mapping[str, Any]) -> dict[str, Any]:
    """:func:`plan_summary`'s data with its problems, first rows and mapping as objects."""
    import pandas as pd

    page = dict(summary)
    page["problems"] = [problem_from(p) for p in summary["problems"]]
    if "head" in summary:
        head = summary["head"]
        page["head"] = pd.DataFrame(head["rows"], columns=head["columns"])
    if "mapping" in summary:
        page["mapping"] = mapping_from(summary["mapping"])
    return page


def import_for_page(summary: Mapping[str, Any]) -> dict[str, Any]:
    """:func:`import_summary`'s data with its problems as objects."""
    page = dict(summary)
    page["problems"] = [problem_from(p) for p in summary["problems"]]
    return page


# ----------------------------------------------------------------------- the worker's tasks


def _mapping_argument(arguments: Mapping[str, Any]) -> ColumnMapping | None:
    from geo_app.parcel_table import mapping_from_json

    data = arguments.get("mapping")
    return None if data is None else mapping_from_json(data, basis="planner")


def check_task(arguments: Mapping[str, Any], inputs: Path) -> dict[str, Any]:
    from geo_app.importing import ImportPlan, check_uploaded
    from geo_app.problems import InputError

    path = inputs / arguments["file"]
    try:
        plan = check_uploaded(
            opened_from_argument(arguments["workspace"]), path, crs=arguments.get("crs"),
            mapping=_mapping_argument(arguments), repair=bool(arguments.get("repair")),
        )
    except InputError as exc:
        plan = ImportPlan(path.name, [exc.problem])
    return plan_summary(plan)


def import_summary(arguments: Mapping[str, Any], inputs: Path) -> dict[str, Any]:
    """Import the upload and say what the panel reports: the problems, the parcels and
    hectares written and removed, and the workspace's total before and after."""
    from geo_app.importing import import_uploaded
    from geo_app.problems import InputError, summarised
    from geo_app.workspace import workspace_ledger
    from geo_app.workspace.actors import actor_from

    try:
        workspace = opened_from_argument(arguments["workspace"]).acting_as(
            actor_from(arguments))
        before = workspace_ledger(workspace).total_ha
        result = import_uploaded(
            workspace, inputs / arguments["file"], arguments["user"],
            crs=arguments.get("crs"), mapping=_mapping_argument(arguments),
            replace=bool(arguments.get("replace")), repair=bool(arguments.get("repair")),
        )
    except InputError as exc:
        return {"problems": [problem_data(exc.problem)], "imported": False}
    plan, outcome = result.plan, result.outcome
    try:
        after: float | None = float(workspace_ledger(workspace).total_ha)
    except MemoryError:
        # The parcels are written: the answer must say so even when reading them all back
        # for the new total does not fit under the cap.
        after = None
    return {
        "problems": [problem_data(p) for p in summarised(plan.problems)],
        "imported": outcome is not None,
        "errors": len(plan.errors),
        "count": len(plan.parcels),
        "hectares": float(plan.hectares),
        "removed": len(outcome.removed) if outcome else 0,
        "removed_hectares": float(outcome.hectares_removed) if outcome else 0.0,
        "removed_samples": bool(outcome and outcome.removed_samples),
        "before": float(before),
        "after": after,
    }


def latest_batch(workspace: Where) -> int:
    """The id of the workspace's newest batch (0 when it has none), taken as an import
    starts: :func:`written_batch` then looks only at the batches after it."""
    return max((int(batch["id"]) for batch in workspace_at(workspace).imports()), default=0)


def written_batch(workspace: Where, since: int, name: str, user: str) -> int | None:
    """The batch an import of the browser's file ``name`` by ``user`` wrote after batch
    ``since``, or None: whether a worker that ended without an answer (stopped, over a cap)
    committed first, its transaction writing the batch with the parcels.

    The batch records the file as the worker named it and the user as the workspace keeps
    names. Another planner's import, an import of another file, and an undo (a batch of its
    own that carries the undone import's file name) are not it; the import's batch undone
    since still is (it was written, and its undo is in the history).
    """
    from geo_app.importing import safe_upload_name
    from geo_app.workspace.checks import checked_user

    source, who = safe_upload_name(name), checked_user(user)
    for batch in workspace_at(workspace).imports():
        if (batch["id"] > since and batch["undoes"] is None and batch["source"] == source
                and batch["user"] == who):
            return int(batch["id"])
    return None


TASKS = {CHECK: check_task, IMPORT: import_summary}

if __name__ == "__main__":
    run_worker(TASKS)
