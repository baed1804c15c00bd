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
    crs_argument,
    format_ha,
    format_optional_ha,
    table_lines,
)
from geo_app.crs import Converter, UnknownCRSError
from geo_app.export.cli import export_command
from geo_app.geodesy import hectares, plane_hectares
from geo_app.i18n import t
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
        help=tr(
            "地块文件（默认：随附的征供地地块图层）",
            "parcels file (default: the shipped parcels layer)",
        ),
    )
    add_crs_argument(parser, tr)
    add_workspace_argument(parser, tr)
    parser.add_argument(
        "--target",
        type=float,
        metavar="HA",
        help=tr(
            "目标公顷数（默认取规划中的 land_supply_ha）",
            "target hectares (default: the plan's land_supply_ha)",
        ),
    )
    for name, zh, en in (
        ("status", "只统计该状态（可重复）", "only this status (repeatable)"),
        ("town", "只统计该乡镇街道（可重复）", "only this town (repeatable)"),
        (
            "quarter",
            "只统计该季度，如 2022Q1（可重复）",
            "only this quarter, e.g. 2022Q1 (repeatable)",
        ),
    ):
        parser.add_argument(f"--{name}", action="append", metavar=name.upper(), help=tr(zh, en))
    add_json_argument(parser, tr)


def _run_totals(args: argparse.Namespace, console: Console) -> int:
    from geo_app.ledger import LandSupplyLedger, check_parcel_file, plan_target

    if args.parcels is None:
        # The workspace's parcels when one is given or configured, else the shipped ones.
        ledger = configured_ledger(args.workspace)
        if args.target is not None:
            ledger = LandSupplyLedger(ledger.parcels, args.target, sample_data=ledger.sample_data)
    else:
        report = check_parcel_file(args.parcels, args.crs)
        console.problems(report.problems, console.err)
        if not report.ok or report.data is None:
            return EXIT_INPUT
        target = args.target if args.target is not None else plan_target().target_ha
        ledger = LandSupplyLedger(report.data.frame, target)
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
    unit = tr("公顷", "ha")
    lines = [tr("征供地台账", "Land-supply ledger")]
    if ledger.sample_data:
        lines.append(tr("（示例数据，非真实供地）", "(sample data, not real land supply)"))
    lines.append("")
    share = ledger.share_of_target
    summary = [
        [tr("目标（至少）", "target (at least)"), format_ha(ledger.target_ha), unit],
        [tr("合计", "total"), format_ha(ledger.total_ha), unit],
        [tr("缺口", "gap"), format_ha(ledger.gap_ha), unit],
        [tr("完成比例", "share of target"), f"{share:.1%}" if np.isfinite(share) else "—", ""],
        [tr("地块数", "parcels"), str(ledger.parcel_count), ""],
    ]
    lines += table_lines(summary, right_columns=(1,))
    own_use_words = ledger.use_labels()
    sections: tuple[tuple[str, dict[str, float], Callable[[str], str]], ...] = (
        (tr("按状态", "by status"), ledger.by_status, lambda k: status_name(k, lang)),
        (tr("按乡镇街道", "by town"), ledger.by_town, str),
        (
            tr("按用途", "by use"),
            ledger.by_use,
            lambda k: use_name(k, lang, own_use_words.get(k)),
        ),
        (tr("按季度", "by quarter"), ledger.by_quarter, str),
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
        help=tr(
            "矢量文件：GeoJSON、GeoPackage、zip 压缩的 Shapefile、KML 等",
            "vector file: GeoJSON, GeoPackage, zipped Shapefile, KML …",
        ),
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


def _run_area(args: argparse.Namespace, console: Console) -> int:
    from geo_app.validation import validate_file

    report = validate_file(args.file, args.crs)
    console.problems(report.problems, console.err)
    if not report.ok or report.data is None:
        return EXIT_INPUT
    data = report.data
    geoms = np.asarray(data.frame.geometry.array, dtype=object)
    ellipsoidal = hectares(geoms)
    plane = _gk_plane_hectares(geoms)
    features = [
        {
            "id": fid,
            "hectares": float(ha),
            "gk_plane_hectares": float(gk) if np.isfinite(gk) else None,
        }
        for fid, ha, gk in zip(data.ids, ellipsoidal, plane, strict=True)
    ]
    total = float(ellipsoidal.sum())
    plane_total = float(plane.sum()) if np.isfinite(plane).all() else None
    if args.json:
        console.json({"features": features, "total_ha": total, "crs": data.source_crs.key})
        return EXIT_OK
    tr = console.text
    rows = [
        [
            tr("要素", "feature"),
            tr("公顷（椭球面）", "ha (ellipsoidal)"),
            tr("公顷（高斯平面）", "ha (GK plane)"),
        ]
    ]
    rows += [
        [str(f["id"]), f"{f['hectares']:,.4f}", format_optional_ha(f["gk_plane_hectares"])]
        for f in features
    ]
    rows.append([tr("合计", "total"), f"{total:,.4f}", format_optional_ha(plane_total)])
    for line in table_lines(rows, right_columns=(1, 2)):
        console.print(line)
    console.print(
        tr(
            f"坐标系：{data.source_crs.key}；面积为 CGCS2000 椭球面积（GRS80）",
            f"coordinate system: {data.source_crs.key}; areas are ellipsoidal (GRS80, CGCS2000)",
        )
    )
    return EXIT_OK


# --- validate -----------------------------------------------------------------------------


def _validate_arguments(parser: argparse.ArgumentParser, tr: Translate) -> None:
    parser.add_argument("file", metavar="FILE", help=tr("要检查的矢量文件", "vector file to check"))
    add_crs_argument(parser, tr)
    parser.add_argument(
        "--any-geometry",
        action="store_true",
        help=tr(
            "允许点和线（默认要求多边形）", "accept points and lines (polygons expected by default)"
        ),
    )
    parser.add_argument(
        "--parcels",
        action="store_true",
        help=tr(
            "按征供地地块检查（status、use、town、quarter 属性）",
            "check as land parcels (status, use, town, quarter attributes)",
        ),
    )


def _run_validate(args: argparse.Namespace, console: Console) -> int:
    from geo_app.ledger import PARCEL_ALLOWED_VALUES, PARCEL_FIELDS
    from geo_app.validation import validate_file

    report = validate_file(
        args.file,
        args.crs,
        expect_polygons=not args.any_geometry,
        required_fields=PARCEL_FIELDS if args.parcels else (),
        allowed_values=PARCEL_ALLOWED_VALUES if args.parcels else None,
    )
    console.problems(report.problems, console.out)
    if not report.ok or report.data is None:
        return EXIT_INPUT
    data = report.data
    origin = t(f"crs_origin.{data.crs_origin}", console.lang)
    console.print(
        console.text(
            f"可用：{len(data)} 个要素（{data.format_name}），"
            f"坐标系 {data.source_crs.key}（{origin}）",
            f"usable: {len(data)} features ({data.format_name}), coordinate system "
            f"{data.source_crs.key} ({origin})",
        )
    )
    return EXIT_OK


# --- convert ------------------------------------------------------------------------------


def _convert_arguments(parser: argparse.ArgumentParser, tr: Translate) -> None:
    parser.add_argument(
        "--from",
        dest="source",
        required=True,
        type=crs_argument,
        metavar="CRS",
        help=tr("原坐标系", "source coordinate system"),
    )
    parser.add_argument(
        "--to",
        dest="target",
        required=True,
        type=crs_argument,
        metavar="CRS",
        help=tr("目标坐标系", "target coordinate system"),
    )
    parser.add_argument(
        "--decimals",
        type=int,
        metavar="N",
        help=tr(
            "小数位数（默认：度 7 位，米 3 位）",
            "decimal places (default: 7 for degrees, 3 for metres)",
        ),
    )
    parser.add_argument(
        "x", type=float, metavar="X", help=tr("经度或东坐标", "longitude or easting")
    )
    parser.add_argument(
        "y", type=float, metavar="Y", help=tr("纬度或北坐标", "latitude or northing")
    )


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
                f"无法把 ({args.x}, {args.y}) 从 {args.source.key} 转换到 {args.target.key}",
                f"cannot convert ({args.x}, {args.y}) from {args.source.key} to {args.target.key}",
            )
        )
        return EXIT_INPUT
    decimals = (
        args.decimals if args.decimals is not None else (7 if args.target.is_geographic else 3)
    )
    decimals = min(max(decimals, 0), 12)
    console.print(f"{x:.{decimals}f} {y:.{decimals}f}")
    return EXIT_OK


register(
    Command(
        "totals",
        "征供地台账：地块公顷合计与目标比较",
        "land-supply totals against the target",
        _totals_arguments,
        _run_totals,
    )
)
register(
    Command(
        "area",
        "计算文件中每个多边形的公顷数",
        "hectares of each polygon in a file",
        _area_arguments,
        _run_area,
    )
)
register(
    Command(
        "validate",
        "检查矢量文件能否直接使用",
        "check whether a vector file is usable as is",
        _validate_arguments,
        _run_validate,
    )
)
register(
    Command(
        "convert",
        "坐标转换（含 GCJ-02）",
        "convert a coordinate pair (GCJ-02 included)",
        _convert_arguments,
        _run_convert,
    )
)
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
    def tr(zh: str, en: str) -> str:
        return zh if lang == "zh" else en

    language = argparse.ArgumentParser(add_help=False)
    language.add_argument(
        "--lang",
        choices=LANGS,
        default=argparse.SUPPRESS,
        help=tr("输出语言：zh（默认）或 en", "output language: zh (default) or en"),
    )
    parser = argparse.ArgumentParser(
        prog="geo-app",
        description=tr(
            "双阳区发展规划地图：命令行工具", "Shuangyang District development map: command line"
        ),
        parents=[language],
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for command in COMMANDS.values():
        sub = subparsers.add_parser(
            command.name,
            help=tr(command.help_zh, command.help_en),
            description=tr(command.help_zh, command.help_en),
            parents=[language],
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
        console.note(str(exc))
        return EXIT_USAGE
    except (PlanError, CatalogError, LedgerError) as exc:
        console.note(
            console.text(f"无法读取随附数据：{exc}", f"cannot read the shipped data: {exc}")
        )
        return EXIT_INPUT
    except BrokenPipeError:
        return EXIT_INPUT
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # the last guard: a short message, never a traceback
        console.note(
            console.text(
                f"内部错误（{type(exc).__name__}）：{exc}",
                f"internal error ({type(exc).__name__}): {exc}",
            )
        )
        return EXIT_INTERNAL
