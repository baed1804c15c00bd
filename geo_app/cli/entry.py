"""The ``geo-app`` command line: parse, call the core, print.

Subcommands live in a registry (:data:`COMMANDS`); a later one (export, import …) is a
:class:`Command` passed to :func:`register`. Exit codes: 0 done, 1 the input is unusable,
2 the command line is wrong, 3 an unexpected internal error. No traceback reaches the user.
What subcommands share (console, options, tables, exit codes) is in :mod:`geo_app.cli.support`.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import warnings
from collections.abc import Sequence
from typing import TextIO

from geo_app.cli import convert, parcels
from geo_app.cli.control import control_commands
from geo_app.cli.export import export_command
from geo_app.cli.support import (
    EXIT_INPUT,
    EXIT_INTERNAL,
    EXIT_OK,
    EXIT_USAGE,
    Command,
    Console,
    translator,
)
from geo_app.cli.users import users_commands
from geo_app.cli.workspace import workspace_commands
from geo_app.problems import LANGS, GeoAppError, Lang

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



for _command in (
    *parcels.commands(), *convert.commands(), export_command(), *workspace_commands(),
    *control_commands(), *users_commands(),
):
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
    """Run a command; every error the product explains is caught here, once."""
    try:
        return command.run(args, console)
    except GeoAppError as exc:
        console.note(exc.line(console.lang))
        return exc.exit_code
    except BrokenPipeError:
        return EXIT_INPUT
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # the last guard: a short message, never a traceback
        console.note(console.text("cli.error.internal", kind=type(exc).__name__, reason=exc))
        return EXIT_INTERNAL
