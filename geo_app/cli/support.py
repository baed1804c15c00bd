"""What every ``geo-app`` subcommand shares: the console, exit codes, common options, tables.

The entry point and the core subcommands are in :mod:`geo_app.cli`; the workspace and export
subcommands (:mod:`geo_app.cli.workspace`, :mod:`geo_app.cli.export`) build on this module
too, and nothing here imports them, so no module of the command line imports another in a
circle.

The command line's words are in ``strings.toml`` under ``cli.`` (``export.cli.`` for export);
commands name them by key, through :class:`Translate` or :meth:`Console.text`.
"""

from __future__ import annotations

import argparse
import json
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TextIO

import numpy as np

from geo_app import compact_json
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


# Characters a terminal acts on rather than shows: C0 and C1 controls (ESC starts colour
# and cursor sequences) and the bidirectional overrides that reorder what is displayed
# ("Trojan source"). Names and ids from files and users must never steer the terminal.
_STEERING = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]"
)


def _escaped(match: re.Match[str]) -> str:
    code = ord(match.group(0))
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def terminal_text(text: str) -> str:
    """``text`` with every steering character written out as an escape (``\\x1b``)."""
    return _STEERING.sub(_escaped, text)


def json_text(value: Any) -> str:
    """JSON of ``value``, Chinese as is, steering characters as ``\\uXXXX`` escapes."""
    text = json.dumps(value, ensure_ascii=False, indent=2, allow_nan=False)
    return _STEERING.sub(lambda m: f"\\u{ord(m.group(0)):04x}", text)


# JSON of one value as the C encoder writes it, on one line, Chinese as is.
json_encoded = json.JSONEncoder(ensure_ascii=False, allow_nan=False).encode


def json_members_text(members: Sequence[tuple[str, str]]) -> str:
    """A JSON object of ``(name, JSON text of the value)`` members, one a line, steering
    characters escaped as :func:`json_text` escapes them."""
    text = "{\n" + ",\n".join(f"  {json_encoded(name)}: {value}" for name, value in members)
    return _STEERING.sub(lambda m: f"\\u{ord(m.group(0)):04x}", text + "\n}")


def json_listing_text(value: Mapping[str, Any], key: str) -> str:
    """:func:`json_text` of ``value`` with its list ``value[key]`` one item a line, each item
    compact. The list is written in one call of orjson (:mod:`geo_app.compact_json`): the
    json module's ``indent`` runs in Python, ten times slower on the hundred thousand
    features of a district's ledger, and its C encoder took 0.16 s where orjson takes
    0.02 s. The list is broken where one object ends and the next begins (``},{"``),
    which no string can hold, since a quote inside a string is always escaped. A figure
    that is not a number is written as ``null``."""
    members = []
    for name, item in value.items():
        if name == key and isinstance(item, list) and item:
            items = compact_json.dumps(item)[1:-1].replace('},{"', '},\n    {"')
            text = "[\n    " + items + "\n  ]"
        else:
            text = json_encoded(item)
        members.append((name, text))
    return json_members_text(members)


class Console:
    """Where a command writes, and in which language. Everything written passes
    :func:`terminal_text` (or :func:`json_text`), whatever a file or a user name holds."""

    def __init__(self, out: TextIO, err: TextIO, lang: Lang):
        self.out, self.err, self.lang = out, err, lang

    def text(self, key: str, /, **values: Any) -> str:
        """The strings.toml text of ``key`` in the console's language."""
        return t(key, self.lang, **values)

    def print(self, line: str = "") -> None:
        print(terminal_text(line), file=self.out)

    def note(self, line: str) -> None:
        print(terminal_text(line), file=self.err)

    def problem(self, problem: Problem, stream: TextIO | None = None) -> None:
        print(terminal_text(problem.line(self.lang)), file=stream or self.err)

    def problems(self, problems: Sequence[Problem], stream: TextIO | None = None) -> None:
        for problem in problems:
            self.problem(problem, stream)

    def findings(
        self,
        problems: Sequence[Problem],
        stream: TextIO | None = None,
        report: str | None = None,
        keep_all: frozenset[str] = frozenset(),
    ) -> None:
        """Errors first, repeated ones summed up; every line also into the file ``report``."""
        from geo_app.problems import summarised

        self.problems(summarised(list(problems), keep_all=keep_all), stream)
        if report:
            from pathlib import Path

            from geo_app.atomic import atomic_write_bytes

            ordered = [p for p in problems if p.is_error] + [
                p for p in problems if not p.is_error
            ]
            text = "".join(problem.line(self.lang) + "\n" for problem in ordered)
            atomic_write_bytes(Path(report), text.encode("utf-8"))
            self.note(self.text("cli.report_written", path=report, count=len(ordered)))

    def json(self, value: Any) -> None:
        print(json_text(value), file=self.out)

    def json_listing(self, value: Mapping[str, Any], key: str) -> None:
        """``value`` as JSON, its long list ``value[key]`` one item a line."""
        print(json_listing_text(value, key), file=self.out)

    def json_members(self, members: Sequence[tuple[str, str]]) -> None:
        """A JSON object of members whose values are already JSON text
        (:func:`json_members_text`)."""
        print(json_members_text(members), file=self.out)


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


def add_mapping_arguments(parser: argparse.ArgumentParser, tr: Translate) -> None:
    """How a planner corrects what was recognised in a parcel file's columns and words."""
    parser.add_argument(
        "--field", action="append", default=[], metavar="FIELD=COLUMN",
        help=tr("cli.option.field"),
    )
    parser.add_argument(
        "--status-word", action="append", default=[], metavar="WORD=STATUS",
        help=tr("cli.option.status_word"),
    )
    parser.add_argument(
        "--area-unit", choices=("ha", "mu", "m2"), help=tr("cli.option.area_unit")
    )
    parser.add_argument("--mapping", metavar="FILE", help=tr("cli.option.mapping"))
    parser.add_argument("--save-mapping", metavar="FILE", help=tr("cli.option.save_mapping"))
    parser.add_argument("--report", metavar="FILE", help=tr("cli.option.report"))


def table_findings(
    console: Console, plan: Any, args: argparse.Namespace, stream: TextIO
) -> None:
    """What an import plan found in a parcel file, for ``import``, ``totals`` and ``validate``,
    written to ``stream``: the problems (errors first, repeats summed up), the columns
    recognised and the declared-area check; the mapping is saved when ``--save-mapping``
    asks for it."""
    from geo_app.parcel_table import mapping_lines, mapping_text, unit_line

    console.findings(plan.problems, stream, args.report, keep_all=KEEP_ALL_CODES)
    table = plan.table
    if table is None:
        return
    print(terminal_text(console.text("parcel_table.mapping.heading")), file=stream)
    for line in mapping_lines(table.mapping, console.lang):
        print(terminal_text("  " + line), file=stream)
    area = unit_line(table.understanding, console.lang)
    if area:
        print(terminal_text(area), file=stream)
    if args.save_mapping:
        from pathlib import Path

        from geo_app.atomic import atomic_write_bytes

        atomic_write_bytes(Path(args.save_mapping), mapping_text(table.mapping).encode("utf-8"))
        console.note(console.text("cli.mapping_saved", path=args.save_mapping))


# Findings the planner acts on one by one: never summed up.
KEEP_ALL_CODES = frozenset({"area_mismatch"})


def mapping_from_args(args: argparse.Namespace) -> Any:
    """The planner's column mapping from ``--mapping`` with ``--field`` and the others laid
    over it; None when none was given. Raises InputError for a malformed one."""
    from geo_app.parcel_table import parse_field_options, read_mapping_file

    given = parse_field_options(args.field, args.status_word, args.area_unit)
    if args.mapping:
        return read_mapping_file(args.mapping).overridden(given)
    if given.columns or given.statuses or given.area_unit:
        return given
    return None


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
