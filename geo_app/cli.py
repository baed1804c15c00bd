"""The ``geo-app`` command line: parse, call the core, print.

Subcommands live in a registry (:data:`COMMANDS`); a later one (export, import …) is a
:class:`Command` passed to :func:`register`. Exit codes: 0 done, 1 the input is unusable,
2 the command line is wrong, 3 an unexpected internal error. No traceback reaches the user.
What subcommands share (console, options, tables, exit codes) is in :mod:`geo_app.cli_support`.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import warnings
from collections.abc import Callable, Sequence
from typing import Any, TextIO

import numpy as np
import shapely

from geo_app.cli_support import (
    EXIT_INPUT,
    EXIT_INTERNAL,
    EXIT_OK,
    EXIT_USAGE,
    Command,
    Console,
    Translate,
    add_crs_argument,
    add_json_argument,
    add_mapping_arguments,
    crs_argument,
    format_ha,
    format_optional_ha,
    mapping_from_args,
    table_findings,
    table_lines,
    translator,
)
from geo_app.crs import Converter, UnknownCRSError
from geo_app.export.cli import export_command
from geo_app.geodesy import hectares, plane_hectares
from geo_app.problems import LANGS, InputError, Lang
from geo_app.workspace_cli import add_workspace_argument, configured_ledger, workspace_commands

__all__ = [
    "COMMANDS",
    "EXIT_INPUT",
    "EXIT_INTERNAL",
    "EXIT_OK",
    "EXIT_USAGE",
    "Command",
    "Console",
    "build_parser",
    "main",
    "register",
]

LANG_ENV = "GEO_APP_LANG"

# The subcommands by name, in the order ``geo-app --help`` lists them.
COMMANDS: dict[str, Command] = {}


def register(command: Command) -> Command:
    COMMANDS[command.name] = command
    return command


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


def _run_totals(args: argparse.Namespace, console: Console) -> int:
    from geo_app.importing import prepare_import
    from geo_app.ledger import LandSupplyLedger, ledger_of_plan, plan_target

    if args.parcels is None:
        # The workspace's parcels when one is given or configured, else the shipped ones.
        ledger = configured_ledger(args.workspace)
        if args.target is not None:
            ledger = LandSupplyLedger(ledger.parcels, args.target, sample_data=ledger.sample_data)
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


def _gk_plane_hectares(geoms: np.ndarray) -> np.ndarray:
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
    return [
        text_of(value) or fallback
        for value, fallback in zip(data.frame[column].tolist(), data.ids, strict=True)
    ]


def _run_area(args: argparse.Namespace, console: Console) -> int:
    from geo_app.validation import validate_file

    report = validate_file(args.file, args.crs)
    console.problems(report.problems, console.err)
    if not report.ok or report.data is None:
        return EXIT_INPUT
    data = report.data
    ids = _parcel_ids(data)
    geoms = np.asarray(data.frame.geometry.array, dtype=object)
    ellipsoidal = hectares(geoms)
    plane = _gk_plane_hectares(geoms)
    features = [
        {
            "id": fid,
            "hectares": float(ha),
            "gk_plane_hectares": float(gk) if np.isfinite(gk) else None,
        }
        for fid, ha, gk in zip(ids, ellipsoidal, plane, strict=True)
    ]
    total = float(ellipsoidal.sum())
    plane_total = float(plane.sum()) if np.isfinite(plane).all() else None
    if args.json:
        console.json({"features": features, "total_ha": total, "crs": data.source_crs.key})
        return EXIT_OK
    tr = console.text
    rows = [[tr("cli.area.feature"), tr("cli.area.ellipsoidal"), tr("cli.area.plane")]]
    rows += [
        [str(f["id"]), f"{f['hectares']:,.4f}", format_optional_ha(f["gk_plane_hectares"])]
        for f in features
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


# --- convert ------------------------------------------------------------------------------


def _convert_arguments(parser: argparse.ArgumentParser, tr: Translate) -> None:
    parser.add_argument(
        "--from",
        dest="source",
        required=True,
        type=crs_argument(tr),
        metavar="CRS",
        help=tr("cli.convert.source"),
    )
    parser.add_argument(
        "--to",
        dest="target",
        required=True,
        type=crs_argument(tr),
        metavar="CRS",
        help=tr("cli.convert.target"),
    )
    parser.add_argument(
        "--decimals",
        type=int,
        metavar="N",
        help=tr("cli.convert.decimals"),
    )
    parser.add_argument("x", type=float, metavar="X", help=tr("cli.convert.x"))
    parser.add_argument("y", type=float, metavar="Y", help=tr("cli.convert.y"))


def _run_convert(args: argparse.Namespace, console: Console) -> int:
    from geo_app.validation import check_point

    problem = check_point(args.source, args.x, args.y)
    if problem is not None:
        console.note(problem.message(console.lang))
        return EXIT_INPUT
    x, y = Converter(args.source, args.target)(args.x, args.y)
    x, y = float(x), float(y)
    if not (np.isfinite(x) and np.isfinite(y)):
        console.note(
            console.text(
                "cli.convert.failed",
                x=args.x,
                y=args.y,
                source=args.source.key,
                target=args.target.key,
            )
        )
        return EXIT_INPUT
    decimals = (
        args.decimals if args.decimals is not None else (7 if args.target.is_geographic else 3)
    )
    decimals = min(max(decimals, 0), 12)
    console.print(f"{x:.{decimals}f} {y:.{decimals}f}")
    return EXIT_OK


register(Command("totals", "cli.totals.help", _totals_arguments, _run_totals))
register(Command("area", "cli.area.help", _area_arguments, _run_area))
register(Command("validate", "cli.validate.help", _validate_arguments, _run_validate))
register(Command("convert", "cli.convert.help", _convert_arguments, _run_convert))
register(export_command())
for _command in workspace_commands():
    register(_command)


# --- entry point --------------------------------------------------------------------------


def _language(argv: Sequence[str]) -> Lang:
    """The language, known before parsing so that help texts are in it too."""
    lang = os.environ.get(LANG_ENV, "zh")
    for i, arg in enumerate(argv):
        if arg == "--lang" and i + 1 < len(argv):
            lang = argv[i + 1]
        elif arg.startswith("--lang="):
            lang = arg.split("=", 1)[1]
    return lang if lang in LANGS else "zh"


def build_parser(lang: Lang = "zh") -> argparse.ArgumentParser:
    tr = translator(lang)
    language = argparse.ArgumentParser(add_help=False)
    language.add_argument(
        "--lang",
        choices=LANGS,
        default=argparse.SUPPRESS,
        help=tr("cli.option.lang"),
    )
    parser = argparse.ArgumentParser(
        prog="geo-app",
        description=tr("cli.description"),
        parents=[language],
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for command in COMMANDS.values():
        summary = tr(command.help_key)
        sub = subparsers.add_parser(
            command.name, help=summary, description=summary, parents=[language]
        )
        command.add_arguments(sub, tr)
    return parser


def main(
    argv: Sequence[str] | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    out = stdout or sys.stdout
    err = stderr or sys.stderr
    lang = _language(argv)
    with warnings.catch_warnings():
        # Library warnings (GDAL notes, NumPy on NaN) would read like faults; problems
        # worth telling are reported as problems.
        warnings.simplefilter("ignore")
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                args = build_parser(lang).parse_args(argv)
        except SystemExit as exc:
            return exc.code if isinstance(exc.code, int) else EXIT_USAGE
        console = Console(out, err, getattr(args, "lang", lang))
        return _run(COMMANDS[args.command], args, console)


def _run(command: Command, args: argparse.Namespace, console: Console) -> int:
    from geo_app.catalog import CatalogError
    from geo_app.ledger import LedgerError
    from geo_app.plan import PlanError

    try:
        return command.run(args, console)
    except InputError as exc:
        console.problem(exc.problem)
        return EXIT_INPUT
    except UnknownCRSError as exc:
        console.note(exc.message(console.lang))
        return EXIT_USAGE
    except (PlanError, CatalogError, LedgerError) as exc:
        console.note(console.text("cli.error.shipped_data", reason=exc))
        return EXIT_INPUT
    except BrokenPipeError:
        return EXIT_INPUT
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # the last guard: a short message, never a traceback
        console.note(console.text("cli.error.internal", kind=type(exc).__name__, reason=exc))
        return EXIT_INTERNAL
