"""``geo-app convert``: one point from one coordinate system to another."""

from __future__ import annotations

import argparse

import numpy as np

from geo_app.cli.support import (
    EXIT_INPUT,
    EXIT_OK,
    Command,
    Console,
    Translate,
    crs_argument,
)
from geo_app.crs import Converter

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


def commands() -> list[Command]:
    return [Command("convert", "cli.convert.help", _convert_arguments, _run_convert)]
