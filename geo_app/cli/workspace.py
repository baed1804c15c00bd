"""``geo-app import``, ``history``, ``restore`` and ``undo-import``: the workspace on the
command line.

Also the one way every command finds its workspace (:func:`opened_workspace`): a folder
named with ``--workspace``, else the PostGIS database of ``GEO_APP_DATABASE_URL``, else
``GEO_APP_DATA``, else the per-user folder (:func:`~geo_app.workspace.configured_place`).
``totals`` and ``export`` use a workspace only when one is given or configured
(:func:`configured_workspace`); otherwise the shipped sample parcels, as before the
workspace existed.
"""

from __future__ import annotations

import argparse
import getpass
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from geo_app.cli.support import (
    EXIT_INPUT,
    EXIT_OK,
    Command,
    Console,
    Translate,
    add_crs_argument,
    add_json_argument,
    add_mapping_arguments,
    mapping_from_args,
    table_findings,
    table_lines,
)
from geo_app.problems import Problem
from geo_app.workspace import (
    DATA_ENV,
    DATABASE_ENV,
    FILE_NAME,
    HistoryEntry,
    Place,
    UndoOutcome,
    Workspace,
    configured_data_dir,
    configured_place,
    default_data_dir,
    workspace_ledger,
)
from geo_app.workspace.schema import (
    ACCOUNTS_TABLE,
    HISTORY_TABLE,
    IMPORTS_TABLE,
    PARCELS_TABLE,
    REFERENCE_FEATURES_TABLE,
    REFERENCE_LAYERS_TABLE,
    SIGN_INS_TABLE,
)


def add_workspace_argument(parser: argparse.ArgumentParser, tr: Translate) -> None:
    parser.add_argument(
        "--workspace",
        metavar="DIR",
        help=tr("cli.option.workspace", variable=DATA_ENV, database=DATABASE_ENV),
    )


def _add_user(parser: argparse.ArgumentParser, tr: Translate) -> None:
    who = parser.add_mutually_exclusive_group()
    who.add_argument(
        "--user",
        metavar="NAME",
        help=tr("cli.option.user"),
    )
    who.add_argument(
        "--account",
        metavar="NAME",
        help=tr("cli.option.account"),
    )


def opened_workspace(args: argparse.Namespace) -> Workspace:
    """The workspace of ``--workspace``, else the configured one (the database of
    ``GEO_APP_DATABASE_URL``, the folder of ``GEO_APP_DATA``), else the per-user one; with
    ``--account``, bound to that account, whose role is then checked on every change and
    whose name the history records.

    The command line is trusted as far as the operating system lets its user write the
    workspace: naming an account needs no password, but the account must exist and be
    enabled, and the attempt is recorded with the operating-system user who made it.
    """
    workspace = Workspace.at(configured_place(getattr(args, "workspace", None)))
    name = getattr(args, "account", None)
    if not name:
        return workspace
    from geo_app.accounts.sign_in import sign_in_vouched

    actor = sign_in_vouched(workspace, name, f"geo-app ({_os_user()})", via="cli")
    return workspace.acting_as(actor)


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "unknown"


def _user(args: argparse.Namespace) -> str:
    if args.user and args.user.strip():
        return args.user.strip()
    return _os_user()


def given_place(explicit: str | None = None, environ: Mapping[str, str] = os.environ
                ) -> Place | None:
    """Where the workspace is when one is given or configured (``--workspace``,
    ``GEO_APP_DATABASE_URL``, ``GEO_APP_DATA``); None when only the per-user folder would be."""
    place = configured_place(explicit, environ)
    if place.is_database or configured_data_dir(explicit, environ) is not None:
        return place
    return None


def configured_workspace(explicit: str | None = None) -> Workspace | None:
    """The workspace given or configured, else None (the caller's own default: the shipped
    sample parcels)."""
    place = given_place(explicit)
    return None if place is None else Workspace.at(place)


def workspace_files(explicit: str | None = None) -> list[Path]:
    """The workspace files a written file must never replace: the per-user default, and the
    folder given or set with ``GEO_APP_DATA`` (kept whether or not a database is configured)."""
    files = [default_data_dir() / FILE_NAME]
    folder = configured_data_dir(explicit)
    if folder is not None:
        files.append(folder / FILE_NAME)
    return files


# --- import -------------------------------------------------------------------------------


def _import_arguments(parser: argparse.ArgumentParser, tr: Translate) -> None:
    parser.add_argument(
        "file",
        metavar="FILE",
        help=tr("cli.import.file"),
    )
    add_crs_argument(parser, tr)
    add_workspace_argument(parser, tr)
    _add_user(parser, tr)
    parser.add_argument(
        "--replace",
        action="store_true",
        help=tr("cli.import.replace"),
    )
    parser.add_argument(
        "--repair",
        action="store_true",
        help=tr("cli.import.repair"),
    )
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help=tr("cli.import.dry_run"),
    )
    add_mapping_arguments(parser, tr)
    add_json_argument(parser, tr)


def _problem_json(problem: Problem) -> dict[str, Any]:
    return {
        "severity": problem.severity,
        "code": problem.code,
        "feature": problem.feature,
        "message_zh": problem.message_zh,
        "message_en": problem.message_en,
    }


def _run_import(args: argparse.Namespace, console: Console) -> int:
    from geo_app.importing import import_file

    workspace = opened_workspace(args)
    result = import_file(
        workspace,
        args.file,
        _user(args),
        crs=args.crs,
        mapping=mapping_from_args(args),
        replace=args.replace,
        repair=args.repair,
        dry_run=args.dry_run,
    )
    plan, outcome = result.plan, result.outcome
    ledger = workspace_ledger(workspace) if outcome is not None else None
    if args.json:
        console.json(
            {
                "workspace": workspace.location,
                "file": plan.source,
                "format": plan.data.format_name if plan.data is not None else None,
                "crs": plan.data.source_crs.key if plan.data is not None else None,
                "crs_origin": plan.data.crs_origin if plan.data is not None else None,
                "imported": outcome is not None,
                "parcel_count": len(plan.parcels),
                "hectares": plan.hectares,
                "removed": list(outcome.removed) if outcome else [],
                "batch_id": outcome.batch_id if outcome else None,
                "workspace_total_ha": ledger.total_ha if ledger is not None else None,
                "columns": plan.table.mapping.to_json()["fields"] if plan.table else None,
                "area_mismatches": [
                    {"id": f.parcel, "declared_ha": f.declared_ha,
                     "ellipsoidal_ha": f.ellipsoidal_ha, "plane_ha": f.plane_ha}
                    for f in (plan.table.understanding.flagged if plan.table else [])
                ],
                "problems": [_problem_json(p) for p in plan.problems],
            }
        )
    else:
        table_findings(console, plan, args, console.out)
        for line in _import_summary(plan, outcome, ledger, workspace, console.text):
            console.print(line)
    return EXIT_OK if plan.ok else EXIT_INPUT


def _import_summary(
    plan: Any, outcome: Any, ledger: Any, workspace: Workspace, tr: Translate
) -> list[str]:
    lines: list[str] = []
    data = plan.data
    if data is not None:
        lines.append(
            tr(
                "cli.import.file_read",
                file=plan.source,
                format=data.format_name,
                crs=data.source_crs.key,
                origin=tr(f"crs_origin.{data.crs_origin}"),
            )
        )
    if not plan.ok:
        lines.append(tr("cli.import.refused", errors=len(plan.errors)))
        return lines
    count, ha = len(plan.parcels), f"{plan.hectares:,.4f}"
    if outcome is None:
        lines.append(tr("cli.import.checked", count=count, hectares=ha))
        return lines
    lines.append(tr("cli.import.imported", count=count, hectares=ha, batch=outcome.batch_id))
    if outcome.removed:
        what = "cli.import.sample_parcels" if outcome.removed_samples else "cli.import.parcels"
        lines.append(
            tr(
                "cli.import.removed",
                what=tr(what),
                count=len(outcome.removed),
                hectares=f"{outcome.hectares_removed:,.4f}",
            )
        )
    lines.append(
        tr(
            "cli.import.workspace_total",
            total=f"{ledger.total_ha:,.2f}",
            target=f"{ledger.target_ha:g}",
            gap=f"{ledger.gap_ha:,.2f}",
        )
    )
    lines.append(tr("cli.import.workspace", path=workspace.location))
    return lines


# --- history and restore ------------------------------------------------------------------

def _history_arguments(parser: argparse.ArgumentParser, tr: Translate) -> None:
    parser.add_argument("--parcel", metavar="ID", help=tr("cli.history.parcel"))
    parser.add_argument(
        "--limit", type=int, default=50, metavar="N", help=tr("cli.history.limit")
    )
    parser.add_argument("--imports", action="store_true", help=tr("cli.history.imports"))
    add_workspace_argument(parser, tr)
    add_json_argument(parser, tr)


def _entry_json(entry: HistoryEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "at": entry.at,
        "user": entry.user,
        "action": entry.action,
        "parcel_id": entry.parcel_id,
        "batch_id": entry.batch_id,
        "version_before": entry.version_before,
        "version_after": entry.version_after,
        "before": entry.before_properties,
        "after": entry.after_properties,
    }


def _run_history(args: argparse.Namespace, console: Console) -> int:
    workspace = opened_workspace(args)
    if args.imports:
        return _show_imports(workspace, args, console)
    entries = workspace.history(args.parcel, limit=max(args.limit, 1))
    if args.json:
        console.json([_entry_json(e) for e in entries])
        return EXIT_OK
    tr = console.text
    if not entries:
        console.print(tr("cli.history.empty"))
        return EXIT_OK
    # An undo is a batch of its own: name the import it took back, not just its number.
    undoes = {b["id"]: b["undoes"] for b in workspace.imports()}
    columns = ("number", "time", "user", "action", "parcel", "version", "batch")
    rows = [[tr(f"cli.history.column.{column}") for column in columns]]
    for e in entries:
        versions = f"{e.version_before or '—'} → {e.version_after or '—'}"
        # One string per action the schema allows (workspace.schema.ACTIONS).
        action = tr(f"cli.history.action.{e.action}")
        rows.append([str(e.id), e.at, e.user, action, e.parcel_id, versions,
                     _batch_label(e.batch_id, undoes, tr)])
    for line in table_lines(rows):
        console.print(line)
    return EXIT_OK


def _batch_label(batch: int | None, undoes: Mapping[int, int | None], tr: Translate) -> str:
    if batch is None:
        return ""
    undone = undoes.get(batch)
    if undone is None:
        return tr("cli.history.batch.import", batch=batch)
    return tr("cli.history.batch.undo", batch=batch, undone=undone)


def _show_imports(workspace: Workspace, args: argparse.Namespace, console: Console) -> int:
    """The import batches, newest first, with which were undone and by which batch."""
    batches = list(reversed(workspace.imports()))[: max(args.limit, 1)]
    if args.json:
        console.json(batches)
        return EXIT_OK
    tr = console.text
    if not batches:
        console.print(tr("cli.imports.empty"))
        return EXIT_OK
    columns = ("batch", "time", "user", "file", "parcels", "removed", "hectares", "state")
    rows = [[tr(f"cli.imports.column.{column}") for column in columns]]
    for b in batches:
        if b["undoes"] is not None:
            state = tr("cli.imports.state.undo", batch=b["undoes"])
        elif b["undone_by"] is not None:
            state = tr("cli.imports.state.undone", undo=b["undone_by"])
        else:
            state = tr("cli.imports.state.done")
        rows.append([str(b["id"]), b["at"], b["user"], b["source"], str(b["parcel_count"]),
                     str(b["removed_count"]), f"{b['hectares']:,.4f}", state])
    for line in table_lines(rows, right_columns=(0, 4, 5, 6)):
        console.print(line)
    return EXIT_OK


def _restore_arguments(parser: argparse.ArgumentParser, tr: Translate) -> None:
    parser.add_argument("parcel", metavar="ID", help=tr("cli.restore.parcel"))
    parser.add_argument("version", type=int, metavar="VERSION", help=tr("cli.restore.version"))
    parser.add_argument(
        "--expect-version",
        type=int,
        metavar="N",
        help=tr("cli.restore.expect_version"),
    )
    add_workspace_argument(parser, tr)
    _add_user(parser, tr)


def _run_restore(args: argparse.Namespace, console: Console) -> int:
    workspace = opened_workspace(args)
    parcel = workspace.restore(args.parcel, args.version, _user(args), args.expect_version)
    console.print(
        console.text(
            "cli.restore.done",
            parcel=parcel.parcel_id,
            version=args.version,
            current=parcel.version,
        )
    )
    return EXIT_OK


# --- undo an import -----------------------------------------------------------------------


def _undo_import_arguments(parser: argparse.ArgumentParser, tr: Translate) -> None:
    parser.add_argument("batch", type=int, metavar="BATCH", help=tr("cli.undo_import.batch"))
    add_workspace_argument(parser, tr)
    _add_user(parser, tr)
    add_json_argument(parser, tr)


def _run_undo_import(args: argparse.Namespace, console: Console) -> int:
    workspace = opened_workspace(args)
    outcome = workspace.undo_import(args.batch, _user(args))
    ledger = workspace_ledger(workspace)
    if args.json:
        console.json(
            {
                "workspace": workspace.location,
                "undone_batch": outcome.undone_batch,
                "batch_id": outcome.batch_id,
                "file": outcome.source,
                "removed": list(outcome.removed),
                "restored": list(outcome.restored),
                "hectares_removed": outcome.hectares_removed,
                "hectares_restored": outcome.hectares_restored,
                "workspace_total_ha": ledger.total_ha,
            }
        )
        return EXIT_OK
    for line in _undo_summary(outcome, ledger, workspace, console.text):
        console.print(line)
    return EXIT_OK


def _undo_summary(
    outcome: UndoOutcome, ledger: Any, workspace: Workspace, tr: Translate
) -> list[str]:
    return [
        tr("cli.undo_import.done", batch=outcome.undone_batch, file=outcome.source,
           undo=outcome.batch_id),
        tr("cli.undo_import.removed", count=len(outcome.removed),
           hectares=f"{outcome.hectares_removed:,.4f}"),
        tr("cli.undo_import.restored", count=len(outcome.restored),
           hectares=f"{outcome.hectares_restored:,.4f}"),
        tr("cli.import.workspace_total", total=f"{ledger.total_ha:,.2f}",
           target=f"{ledger.target_ha:g}", gap=f"{ledger.gap_ha:,.2f}"),
        tr("cli.import.workspace", path=workspace.location),
    ]


# --- backup -------------------------------------------------------------------------------


def _backup_arguments(parser: argparse.ArgumentParser, tr: Translate) -> None:
    parser.add_argument("--out", required=True, metavar="FILE", help=tr("cli.backup.out"))
    parser.add_argument("--force", action="store_true", help=tr("cli.backup.force"))
    add_workspace_argument(parser, tr)


def _run_backup(args: argparse.Namespace, console: Console) -> int:
    from geo_app.atomic import check_target

    place = configured_place(args.workspace)
    if place.is_database:
        return _backup_database(place, args, console)
    workspace = opened_workspace(args)
    target = check_target(args.out, protected=[workspace.path], replace=args.force)
    try:
        written = workspace.backup(target)
    except OSError as exc:
        console.note(console.text("cli.backup.failed", path=args.out,
                                  reason=exc.strerror or exc))
        return EXIT_INPUT
    console.print(console.text("cli.backup.done", path=written,
                               size=f"{written.stat().st_size / 2**20:.1f}"))
    return EXIT_OK


def _backup_database(place: Place, args: argparse.Namespace, console: Console) -> int:
    """A GeoPackage snapshot of a workspace in PostGIS: the database copied whole (one
    snapshot of every table, as ``workspace copy`` reads it) into a folder beside the
    backup file, which is then written from it whole or not at all, and the folder removed.
    Beside the target, not in the system's temporary folder: a district's workspace needs
    the room the backup itself needs, on the disk the planner chose."""
    import tempfile

    from geo_app.atomic import check_target
    from geo_app.workspace.postgis_copy import copy_workspace

    assert place.database_url is not None
    target = check_target(args.out, protected=workspace_files(), replace=args.force)
    try:
        with tempfile.TemporaryDirectory(prefix=".geo-app-backup-",
                                         dir=target.absolute().parent) as temp:
            folder = Path(temp) / "workspace"
            copy_workspace(place.database_url, str(folder))
            written = Workspace.open(folder, seed=None).backup(target)
    except OSError as exc:
        console.note(console.text("cli.backup.failed", path=args.out,
                                  reason=exc.strerror or exc))
        return EXIT_INPUT
    console.print(console.text("cli.backup.done_database", url=place.shown, path=written,
                               size=f"{written.stat().st_size / 2**20:.1f}"))
    return EXIT_OK


# --- copy a whole workspace between GeoPackage and PostGIS --------------------------------


def _workspace_arguments(parser: argparse.ArgumentParser, tr: Translate) -> None:
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    copy = actions.add_parser("copy", help=tr("cli.workspace.copy.help"),
                              description=tr("cli.workspace.copy.help"))
    copy.add_argument("source", metavar="FROM", help=tr("cli.workspace.copy.from"))
    copy.add_argument("target", metavar="TO", help=tr("cli.workspace.copy.to"))
    copy.add_argument("--force", action="store_true", help=tr("cli.workspace.copy.force"))
    add_json_argument(copy, tr)


def _run_workspace(args: argparse.Namespace, console: Console) -> int:
    # Only "copy" so far; psycopg is loaded only by those who copy.
    from geo_app.workspace.postgis_copy import copy_workspace

    report = copy_workspace(args.source, args.target, force=args.force)
    areas = report.areas
    if args.json:
        console.json({
            "source": report.source, "target": report.target, "rows": report.rows,
            "settings": report.settings, "replaced": report.replaced,
            "area_check": None if areas is None else {
                "parcels": areas.parcels, "largest_difference_ha": areas.largest_ha,
                "largest_difference_parcel": areas.largest_ha_parcel,
                "largest_relative_difference": areas.largest_relative,
                "largest_relative_parcel": areas.largest_relative_parcel,
                "largest_share_of_tolerance": areas.largest_share,
                "tolerance_relative": areas.tolerance_relative,
                "tolerance_ha": areas.tolerance_ha,
            },
        })
        return EXIT_OK
    tr, rows = console.text, report.rows
    console.print(tr("cli.workspace.copy.done", source=report.source, target=report.target))
    console.print(tr(
        "cli.workspace.copy.counts", parcels=f"{rows[PARCELS_TABLE]:,}",
        history=f"{rows[HISTORY_TABLE]:,}", imports=f"{rows[IMPORTS_TABLE]:,}",
        layers=f"{rows[REFERENCE_LAYERS_TABLE]:,}",
        features=f"{rows[REFERENCE_FEATURES_TABLE]:,}", accounts=f"{rows[ACCOUNTS_TABLE]:,}",
        sign_ins=f"{rows[SIGN_INS_TABLE]:,}", settings=f"{report.settings:,}",
    ))
    if report.replaced:
        console.print(tr("cli.workspace.copy.replaced"))
    if areas is not None and areas.parcels:
        console.print(tr(
            "cli.workspace.copy.areas", count=f"{areas.parcels:,}",
            largest=f"{areas.largest_ha:.1e}", parcel=areas.largest_ha_parcel,
            relative=f"{areas.largest_relative:.1e}",
            tolerance=f"{areas.tolerance_relative:.0e}", floor=f"{areas.tolerance_ha:.0e}",
            share=f"{areas.largest_share:.0%}",
        ))
    elif areas is not None:
        console.print(tr("cli.workspace.copy.no_parcels"))
    return EXIT_OK


def workspace_commands() -> list[Command]:
    """The entries for the ``geo-app`` command registry."""
    return [
        Command("import", "cli.import.help", _import_arguments, _run_import),
        Command("history", "cli.history.help", _history_arguments, _run_history),
        Command("restore", "cli.restore.help", _restore_arguments, _run_restore),
        Command("undo-import", "cli.undo_import.help", _undo_import_arguments, _run_undo_import),
        Command("backup", "cli.backup.help", _backup_arguments, _run_backup),
        Command("workspace", "cli.workspace.help", _workspace_arguments, _run_workspace),
    ]
