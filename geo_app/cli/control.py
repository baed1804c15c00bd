"""``geo-app reference`` (import, list, remove, restore) and ``geo-app check``: the control
lines on the command line.

``check`` exits 0 when it ran (conflicts are results, not failures), 1 on bad input, and,
with ``--fail-on-conflict``, :data:`EXIT_CONFLICT` when any parcel conflicts, so a script
can stop a submission that takes farmland.
"""

from __future__ import annotations

import argparse
from typing import Any

from geo_app.cli.support import (
    EXIT_INPUT,
    EXIT_OK,
    Command,
    Console,
    Translate,
    add_crs_argument,
    add_json_argument,
    table_findings,
    table_lines,
)
from geo_app.cli.workspace import _add_user, _user, add_workspace_argument, opened_workspace
from geo_app.control import CheckResult, check_workspace, kinds, read_reference
from geo_app.control.kinds import KIND_KEYS
from geo_app.workspace import ReferenceLayer, Workspace

# Distinct from 1 (bad input) and 2 (wrong command line): the check ran and found conflicts.
EXIT_CONFLICT = 4


# --- reference ----------------------------------------------------------------------------


def _reference_arguments(parser: argparse.ArgumentParser, tr: Translate) -> None:
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    load = actions.add_parser("import", help=tr("cli.reference.import.help"),
                              description=tr("cli.reference.import.help"))
    load.add_argument("file", metavar="FILE", help=tr("cli.reference.import.file"))
    load.add_argument("--kind", required=True, choices=KIND_KEYS,
                      help=tr("cli.reference.import.kind", kinds=_kind_list(tr)))
    load.add_argument("--class-field", metavar="FIELD", help=tr("cli.reference.import.class"))
    load.add_argument("--name", metavar="TEXT", help=tr("cli.reference.import.name"))
    add_crs_argument(load, tr)
    add_workspace_argument(load, tr)
    _add_user(load, tr)
    add_json_argument(load, tr)

    listing = actions.add_parser("list", help=tr("cli.reference.list.help"),
                                 description=tr("cli.reference.list.help"))
    listing.add_argument("--all", action="store_true", help=tr("cli.reference.list.all"))
    add_workspace_argument(listing, tr)
    add_json_argument(listing, tr)

    remove = actions.add_parser("remove", help=tr("cli.reference.remove.help"),
                                description=tr("cli.reference.remove.help"))
    remove.add_argument("layer", metavar="NAME|ID", help=tr("cli.reference.remove.layer"))
    add_workspace_argument(remove, tr)
    _add_user(remove, tr)

    restore = actions.add_parser("restore", help=tr("cli.reference.restore.help"),
                                 description=tr("cli.reference.restore.help"))
    restore.add_argument("layer_id", type=int, metavar="ID",
                         help=tr("cli.reference.restore.layer"))
    add_workspace_argument(restore, tr)
    _add_user(restore, tr)


def _kind_list(tr: Translate) -> str:
    registry = kinds()
    return "; ".join(f"{key} {registry[key].zh}" for key in KIND_KEYS)


def layer_json(layer: ReferenceLayer) -> dict[str, Any]:
    return {
        "id": layer.layer_id, "kind": layer.kind, "name": layer.name, "source": layer.source,
        "format": layer.format_name, "crs": layer.crs, "class_field": layer.class_field,
        "features": layer.feature_count, "hectares": layer.hectares,
        "loaded_at": layer.loaded_at, "loaded_by": layer.loaded_by, "active": layer.active,
        "replaces": layer.replaces, "ended_at": layer.ended_at, "ended_by": layer.ended_by,
    }


def _run_reference(args: argparse.Namespace, console: Console) -> int:
    workspace = opened_workspace(args)
    if args.action == "import":
        return _import(workspace, args, console)
    if args.action == "list":
        return _list(workspace, args, console)
    if args.action == "remove":
        gone = workspace.remove_reference(args.layer, _user(args))
        console.print(console.text("cli.reference.removed", name=gone.name, id=gone.layer_id))
        return EXIT_OK
    back = workspace.restore_reference(args.layer_id, _user(args))
    console.print(console.text("cli.reference.restored", name=back.name, id=back.layer_id))
    return EXIT_OK


def _import(workspace: Workspace, args: argparse.Namespace, console: Console) -> int:
    from geo_app.control import ReferenceRefused

    try:
        read = read_reference(args.file, args.kind, class_field=args.class_field,
                              name=args.name, crs=args.crs)
    except ReferenceRefused as exc:
        console.problems(exc.problems)
        console.note(console.text("cli.reference.refused", file=args.file))
        return EXIT_INPUT
    layer = workspace.import_reference(read, _user(args))
    if args.json:
        console.json({**layer_json(layer), "problems": [p.line("en") for p in read.problems]})
        return EXIT_OK
    console.problems(read.problems)
    registry = kinds()
    console.print(console.text(
        "cli.reference.imported", name=layer.name, kind=registry[layer.kind].label(console.lang),
        count=f"{layer.feature_count:,}", hectares=f"{layer.hectares:,.2f}",
        crs=layer.crs, id=layer.layer_id,
    ))
    if layer.replaces is not None:
        console.print(console.text("cli.reference.replaced", old=layer.replaces,
                                   id=layer.layer_id))
    if layer.class_field:
        console.print(console.text("cli.reference.class_field", field=layer.class_field))
    return EXIT_OK


def _list(workspace: Workspace, args: argparse.Namespace, console: Console) -> int:
    layers = workspace.reference_layers(include_inactive=args.all)
    if args.json:
        console.json([layer_json(layer) for layer in layers])
        return EXIT_OK
    if not layers:
        console.print(console.text("cli.reference.none"))
        return EXIT_OK
    tr = console.text
    registry = kinds()
    columns = ("id", "kind", "name", "file", "features", "hectares", "crs", "loaded", "state")
    rows = [[tr(f"cli.reference.column.{column}") for column in columns]]
    for layer in layers:
        state = tr("cli.reference.state.active") if layer.active else tr(
            "cli.reference.state.ended", at=layer.ended_at or "", by=layer.ended_by or "")
        rows.append([
            str(layer.layer_id), registry[layer.kind].label(console.lang), layer.name,
            layer.source, f"{layer.feature_count:,}", f"{layer.hectares:,.2f}", layer.crs,
            f"{layer.loaded_at} {layer.loaded_by}", state,
        ])
    for line in table_lines(rows, right_columns=(0, 4, 5)):
        console.print(line)
    return EXIT_OK


# --- check --------------------------------------------------------------------------------


def _check_arguments(parser: argparse.ArgumentParser, tr: Translate) -> None:
    add_workspace_argument(parser, tr)
    parser.add_argument("--parcels", metavar="FILE", help=tr("cli.check.parcels"))
    add_crs_argument(parser, tr)
    parser.add_argument("--fail-on-conflict", action="store_true",
                        help=tr("cli.check.fail_on_conflict", code=EXIT_CONFLICT))
    add_json_argument(parser, tr)


def _run_check(args: argparse.Namespace, console: Console) -> int:
    workspace = opened_workspace(args)
    ids = geometries = None
    if args.parcels:
        from geo_app.importing import prepare_import

        plan = prepare_import(args.parcels, args.crs)
        if plan.errors or not plan.parcels:
            table_findings(console, plan, argparse.Namespace(report=None, save_mapping=None),
                           console.err)
            console.note(console.text("cli.check.parcels_refused", file=args.parcels))
            return EXIT_INPUT
        ids = [p.parcel_id for p in plan.parcels]
        geometries = [p.geometry for p in plan.parcels]
    result = check_workspace(workspace, ids, geometries)
    if args.json:
        console.json(result.as_json())
    else:
        for line in check_lines(result, console):
            console.print(line)
    if args.fail_on_conflict and result.in_conflict:
        return EXIT_CONFLICT
    return EXIT_OK


def _ha(value: float | None) -> str:
    return "—" if value is None else f"{value:,.4f}"


def check_lines(result: CheckResult, console: Console) -> list[str]:
    tr = console.text
    lines: list[str] = []
    registry = kinds()
    if not result.layers:
        lines.append(tr("cli.check.no_layers"))
    for layer in result.layers:
        lines.append(tr("cli.check.layer", kind=registry[layer.kind].label(console.lang),
                        name=layer.name, file=layer.source, at=layer.loaded_at,
                        by=layer.loaded_by))
    columns = ("parcel", "hectares", "farmland", "eco_redline", "outside_dev", "landuse",
               "conflicts")
    rows = [[tr(f"cli.check.column.{column}") for column in columns]]
    for parcel in result.parcels:
        cultivated = (
            "—" if parcel.landuse_ha is None else ", ".join(
                f"{name} {ha:,.4f}" for name, ha in list(parcel.landuse_ha.items())[:3])
        )
        rows.append([
            parcel.parcel_id, f"{parcel.hectares:,.4f}", _ha(parcel.farmland_ha),
            _ha(parcel.eco_redline_ha), _ha(parcel.outside_dev_boundary_ha), cultivated,
            "; ".join(c.text(console.lang) for c in parcel.conflicts) or tr("cli.check.clear"),
        ])
    lines += table_lines(rows, right_columns=(1, 2, 3, 4))
    summary = result.summary()
    lines.append(tr(
        "cli.check.summary", parcels=summary["parcels"],
        conflicts=summary["parcels_in_conflict"], conflict_ha=f"{summary['conflict_ha']:,.4f}",
        farmland=_ha(summary["farmland_ha"]), eco=_ha(summary["eco_redline_ha"]),
        outside=_ha(summary["outside_dev_boundary_ha"]),
    ))
    for kind in summary["not_checked"]:
        lines.append(tr("cli.check.not_checked", kind=registry[kind].label(console.lang)))
    return lines


def control_commands() -> list[Command]:
    """The entries for the ``geo-app`` command registry."""
    return [
        Command("reference", "cli.reference.help", _reference_arguments, _run_reference),
        Command("check", "cli.check.help", _check_arguments, _run_check),
    ]
