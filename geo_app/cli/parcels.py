"""``geo-app totals``, ``area`` and ``validate``: land supply and parcel files.

A parcel file is read the way ``geo-app import`` reads it
(:func:`geo_app.importing.prepare_import`): the same columns, words and checks.
"""

from __future__ import annotations

import argparse
import math
import unicodedata
from collections.abc import Callable
from typing import Any

import numpy as np
import shapely

from geo_app.cli.support import (
    EXIT_INPUT,
    EXIT_OK,
    Command,
    Console,
    Translate,
    add_crs_argument,
    add_json_argument,
    add_mapping_arguments,
    format_ha,
    format_optional_ha,
    mapping_from_args,
    table_findings,
    table_lines,
)
from geo_app.cli.workspace import add_workspace_argument

# --- totals -------------------------------------------------------------------------------


def _totals_arguments(parser: argparse.ArgumentParser, tr: Translate) -> None:
    parser.add_argument(
        "--parcels",
        metavar="FILE",
        help=tr("cli.totals.parcels"),
    )
    add_crs_argument(parser, tr)
    add_mapping_arguments(parser, tr)
    add_workspace_argument(parser, tr)
    parser.add_argument(
        "--target",
        type=float,
        metavar="HA",
        help=tr("cli.totals.target"),
    )
    for name, help_key in (
        ("status", "cli.totals.status"),
        ("town", "cli.totals.town"),
        ("quarter", "cli.totals.quarter"),
    ):
        parser.add_argument(f"--{name}", action="append", metavar=name.upper(), help=tr(help_key))
    add_json_argument(parser, tr)


def _configured_totals(explicit: str | None) -> Any:
    """The workspace's figures from its stored hectares when a workspace is given or
    configured, else the shipped sample parcels' ledger."""
    from geo_app.cli.workspace import configured_workspace
    from geo_app.ledger import default_ledger, workspace_totals

    workspace = configured_workspace(explicit)
    if workspace is None:
        return default_ledger()
    return workspace_totals(workspace)


def _run_totals(args: argparse.Namespace, console: Console) -> int:
    from geo_app.importing import prepare_import
    from geo_app.ledger import ledger_of_plan, plan_target

    if args.parcels is None:
        # The workspace's parcels when one is given or configured, else the shipped ones.
        ledger = _configured_totals(args.workspace)
        if args.target is not None:
            ledger = ledger.against(args.target)
    else:
        # Read exactly as ``geo-app import`` reads it: the same columns, words and checks.
        plan = prepare_import(args.parcels, args.crs, mapping=mapping_from_args(args))
        table_findings(console, plan, args, stream=console.err)
        if plan.errors or not plan.parcels:
            return EXIT_INPUT
        target = args.target if args.target is not None else plan_target().target_ha
        ledger = ledger_of_plan(plan, target)
    if args.status or args.town or args.quarter:
        ledger = ledger.filtered(status=args.status, town=args.town, quarter=args.quarter)
    if args.json:
        console.json(ledger.to_dict())
    else:
        for line in _totals_text(ledger, console):
            console.print(line)
    return EXIT_OK


def _totals_text(ledger: Any, console: Console) -> list[str]:
    from geo_app.parcel_labels import status_name, use_name

    tr, lang = console.text, console.lang
    unit = tr("cli.totals.unit")
    lines = [tr("cli.totals.heading")]
    if ledger.sample_data:
        lines.append(tr("cli.totals.sample"))
    lines.append("")
    share = ledger.share_of_target
    summary = [
        [tr("cli.totals.target_row"), format_ha(ledger.target_ha), unit],
        [tr("cli.totals.total"), format_ha(ledger.total_ha), unit],
        [tr("cli.totals.gap"), format_ha(ledger.gap_ha), unit],
        [tr("cli.totals.share"), f"{share:.1%}" if np.isfinite(share) else "—", ""],
        [tr("cli.totals.parcel_count"), str(ledger.parcel_count), ""],
    ]
    lines += table_lines(summary, right_columns=(1,))
    own_use_words = ledger.use_labels()
    sections: tuple[tuple[str, dict[str, float], Callable[[str], str]], ...] = (
        (tr("cli.totals.by_status"), ledger.by_status, lambda k: status_name(k, lang)),
        (tr("cli.totals.by_town"), ledger.by_town, str),
        (
            tr("cli.totals.by_use"),
            ledger.by_use,
            lambda k: use_name(k, lang, own_use_words.get(k)),
        ),
        (tr("cli.totals.by_quarter"), ledger.by_quarter, str),
    )
    for title, totals, label in sections:
        if not totals:
            continue
        lines += ["", title]
        rows = [["  " + label(key), format_ha(value), unit] for key, value in totals.items()]
        lines += table_lines(rows, right_columns=(1,))
    return lines


# --- area ---------------------------------------------------------------------------------


def _area_arguments(parser: argparse.ArgumentParser, tr: Translate) -> None:
    parser.add_argument(
        "file",
        metavar="FILE",
        help=tr("cli.area.file"),
    )
    add_crs_argument(parser, tr)
    add_json_argument(parser, tr)


# The GK plane figure belongs to the 3-degree zone around 126E; well outside it the
# projection's scale error makes the number meaningless, so none is given.
_GK_ZONE_LON = (123.0, 129.0)


def _gk_plane_hectares(geoms: np.ndarray, data: Any) -> np.ndarray:
    """The GK zone-42 plane hectares (CM 126°E) of the lon/lat ``geoms``; a file already in
    that zone (EPSG:4530, or 4551 without the prefix, the same plane shifted) is measured
    in its own coordinates, with no conversion there and back."""
    from geo_app.geodesy import plane_hectares

    plane = data.own_plane_hectares()
    if plane is None:
        plane = plane_hectares(geoms)
    bounds = shapely.bounds(geoms)
    with np.errstate(invalid="ignore"):
        inside = (bounds[:, 0] >= _GK_ZONE_LON[0]) & (bounds[:, 2] <= _GK_ZONE_LON[1])
    return np.where(inside & np.isfinite(plane), plane, np.nan)


def _parcel_ids(data: Any) -> list[Any]:
    """Each feature's id: the file's own id column however it is called (see parcel_table),
    else what the reader found."""
    from geo_app.parcel_table.columns import recognise
    from geo_app.parcel_table.values import text_of

    column = recognise(data.frame).column("id")
    if column is None:
        return list(data.ids)
    values = data.frame[column].tolist()
    if all(type(value) is str for value in values):
        # text_of of text, without its checks for other kinds of cell.
        return [
            unicodedata.normalize("NFKC", value).strip() or fallback
            for value, fallback in zip(values, data.ids, strict=True)
        ]
    return [
        text_of(value) or fallback for value, fallback in zip(values, data.ids, strict=True)
    ]


def _run_area(args: argparse.Namespace, console: Console) -> int:
    from geo_app.reading.base import collection_paused

    # A hundred thousand parcels make millions of objects, none in a cycle: the cycle
    # collector's passes over them cost a tenth of the command.
    with collection_paused():
        return _area(args, console)


def _area(args: argparse.Namespace, console: Console) -> int:
    from geo_app.geodesy import hectares
    from geo_app.validation import validate_file

    report = validate_file(args.file, args.crs, keep_source=True)
    console.problems(report.problems, console.err)
    if not report.ok or report.data is None:
        return EXIT_INPUT
    data = report.data
    ids = _parcel_ids(data)
    geoms = np.asarray(data.frame.geometry.array, dtype=object)
    ellipsoidal = hectares(geoms)
    plane = _gk_plane_hectares(geoms, data)
    total = float(ellipsoidal.sum())
    plane_total = float(plane.sum()) if np.isfinite(plane).all() else None
    if args.json:
        # One call of the C encoder for every feature (a figure that is not a number, which a
        # measured area never is, is refused by it).
        features = [
            {"id": fid, "hectares": ha, "gk_plane_hectares": gk if math.isfinite(gk) else None}
            for fid, ha, gk in zip(ids, ellipsoidal.tolist(), plane.tolist(), strict=True)
        ]
        console.json_listing(
            {"features": features, "total_ha": total, "crs": data.source_crs.key}, "features")
        return EXIT_OK
    tr = console.text
    rows = [[tr("cli.area.feature"), tr("cli.area.ellipsoidal"), tr("cli.area.plane")]]
    rows += [
        [str(fid), f"{ha:,.4f}", format_optional_ha(gk if math.isfinite(gk) else None)]
        for fid, ha, gk in zip(ids, ellipsoidal.tolist(), plane.tolist(), strict=True)
    ]
    rows.append([tr("cli.area.total"), f"{total:,.4f}", format_optional_ha(plane_total)])
    for line in table_lines(rows, right_columns=(1, 2)):
        console.print(line)
    console.print(tr("cli.area.note", crs=data.source_crs.key))
    return EXIT_OK


# --- validate -----------------------------------------------------------------------------


def _validate_arguments(parser: argparse.ArgumentParser, tr: Translate) -> None:
    parser.add_argument("file", metavar="FILE", help=tr("cli.validate.file"))
    add_crs_argument(parser, tr)
    parser.add_argument(
        "--any-geometry",
        action="store_true",
        help=tr("cli.validate.any_geometry"),
    )
    parser.add_argument(
        "--parcels",
        action="store_true",
        help=tr("cli.validate.parcels"),
    )
    add_mapping_arguments(parser, tr)


def _run_validate(args: argparse.Namespace, console: Console) -> int:
    from geo_app.validation import validate_file

    if args.parcels:
        return _validate_parcels(args, console)
    report = validate_file(args.file, args.crs, expect_polygons=not args.any_geometry)
    console.findings(report.problems, console.out, args.report)
    if not report.ok or report.data is None:
        return EXIT_INPUT
    _say_usable(console, report.data)
    return EXIT_OK


def _validate_parcels(args: argparse.Namespace, console: Console) -> int:
    """A parcel file checked exactly as ``geo-app import`` would check it."""
    from geo_app.importing import prepare_import

    plan = prepare_import(args.file, args.crs, mapping=mapping_from_args(args))
    table_findings(console, plan, args, stream=console.out)
    if plan.errors or plan.data is None or not plan.parcels:
        return EXIT_INPUT
    _say_usable(console, plan.data)
    return EXIT_OK


def _say_usable(console: Console, data: Any) -> None:
    console.print(
        console.text(
            "cli.validate.usable",
            count=len(data),
            format=data.format_name,
            crs=data.source_crs.key,
            origin=console.text(f"crs_origin.{data.crs_origin}"),
        )
    )


def commands() -> list[Command]:
    return [
        Command("totals", "cli.totals.help", _totals_arguments, _run_totals),
        Command("area", "cli.area.help", _area_arguments, _run_area),
        Command("validate", "cli.validate.help", _validate_arguments, _run_validate),
    ]
