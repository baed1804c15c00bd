"""What every ``geo-app`` subcommand shares: the console, exit codes, common options, tables.

The entry point and the core subcommands are in :mod:`geo_app.cli`; the workspace and export
subcommands (:mod:`geo_app.workspace_cli`, :mod:`geo_app.export.cli`) build on this module
too, and nothing here imports them, so no module of the command line imports another in a
circle.

The command line's words are in ``strings.toml`` under ``cli.`` (``export.cli.`` for export);
commands name them by key, through :class:`Translate` or :meth:`Console.text`.
"""

from __future__ import annotations

import argparse
import json
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TextIO

import numpy as np

from geo_app.crs import CoordinateSystem, UnknownCRSError, parse_crs
from geo_app.i18n import t
from geo_app.problems import Lang, Problem

EXIT_OK = 0
EXIT_INPUT = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 3


class Translate(Protocol):
    """``tr(key, **values)``: the strings.toml text of ``key`` in the command line's language."""

    def __call__(self, key: str, /, **values: Any) -> str: ...


def translator(lang: Lang) -> Translate:
    """Look strings up in ``lang``; help texts need this before any console exists."""

    def tr(key: str, /, **values: Any) -> str:
        return t(key, lang, **values)

    return tr


class Console:
    """Where a command writes, and in which language."""

    def __init__(self, out: TextIO, err: TextIO, lang: Lang):
        self.out, self.err, self.lang = out, err, lang

    def text(self, key: str, /, **values: Any) -> str:
        """The strings.toml text of ``key`` in the console's language."""
        return t(key, self.lang, **values)

    def print(self, line: str = "") -> None:
        print(line, file=self.out)

    def note(self, line: str) -> None:
        print(line, file=self.err)

    def problem(self, problem: Problem, stream: TextIO | None = None) -> None:
        print(problem.line(self.lang), file=stream or self.err)

    def problems(self, problems: Sequence[Problem], stream: TextIO | None = None) -> None:
        for problem in problems:
            self.problem(problem, stream)

    def json(self, value: Any) -> None:
        print(json.dumps(value, ensure_ascii=False, indent=2, allow_nan=False), file=self.out)


@dataclass(frozen=True)
class Command:
    """A subcommand: its name, the strings.toml key of its help, its options and what it runs."""

    name: str
    help_key: str
    add_arguments: Callable[[argparse.ArgumentParser, Translate], None]
    run: Callable[[argparse.Namespace, Console], int]


# --- common options -----------------------------------------------------------------------


def crs_argument(tr: Translate) -> Callable[[str], CoordinateSystem]:
    """argparse ``type`` for a coordinate system name (wgs84, gk42, EPSG:4326 …); an unknown
    name is refused in the words of ``tr``, the command line's language."""

    def coordinate_system(text: str) -> CoordinateSystem:
        try:
            return parse_crs(text)
        except UnknownCRSError as exc:
            raise argparse.ArgumentTypeError(tr(exc.key, **exc.values)) from None

    return coordinate_system


def add_crs_argument(parser: argparse.ArgumentParser, tr: Translate) -> None:
    parser.add_argument(
        "--crs",
        type=crs_argument(tr),
        metavar="CRS",
        help=tr("cli.option.crs"),
    )


def add_json_argument(parser: argparse.ArgumentParser, tr: Translate) -> None:
    parser.add_argument("--json", action="store_true", help=tr("cli.option.json"))


# --- plain-text tables --------------------------------------------------------------------


def display_width(text: str) -> int:
    """Columns ``text`` takes in a terminal: Chinese characters are two wide."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int, right: bool = False) -> str:
    gap = " " * max(width - display_width(text), 0)
    return gap + text if right else text + gap


def table_lines(rows: Sequence[Sequence[str]], right_columns: Sequence[int] = ()) -> list[str]:
    """Rows as aligned lines, two spaces between columns; ``right_columns`` right-aligned."""
    widths = [max(display_width(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        "  ".join(_pad(cell, widths[i], i in right_columns) for i, cell in enumerate(row)).rstrip()
        for row in rows
    ]


def format_ha(value: float) -> str:
    """Hectares as totals print them: two decimals."""
    return f"{value:,.2f}"


def format_optional_ha(value: float | None) -> str:
    """Hectares of one feature: four decimals, a dash when there is no figure."""
    return f"{value:,.4f}" if value is not None and np.isfinite(value) else "—"
