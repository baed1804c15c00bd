"""The ``geo-app`` command line: parse, call the core, print.

Subcommands are listed as data in :data:`COMMAND_SOURCES` (which module defines them) and
loaded into :data:`COMMANDS` when needed; another :class:`Command` can be passed to
:func:`register`. Exit codes: 0 done, 1 the input is unusable,
2 the command line is wrong, 3 an unexpected internal error. No traceback reaches the user.
What subcommands share (console, options, tables, exit codes) is in :mod:`geo_app.cli.support`.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import sys
import warnings
from collections.abc import Sequence
from typing import TextIO

from geo_app.cli.support import (
    EXIT_INPUT,
    EXIT_INTERNAL,
    EXIT_OK,
    EXIT_USAGE,
    Command,
    Console,
    translator,
)
from geo_app.problems import LANGS, GeoAppError, Lang

__all__ = [
    "COMMANDS",
    "EXIT_INPUT",
    "EXIT_INTERNAL",
    "EXIT_OK",
    "EXIT_USAGE",
    "Command",
    "Console",
    "all_commands",
    "build_parser",
    "main",
    "register",
]

LANG_ENV = "GEO_APP_LANG"

# Where each subcommand is defined: (module, the function there that returns its commands,
# the names of those commands), in the order ``geo-app --help`` lists them. A command's module
# is imported only when it is needed: ``geo-app area`` need not load the exports, the
# workspace or the control lines (about half a second of start-up).
COMMAND_SOURCES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("geo_app.cli.parcels", "commands", ("totals", "area", "validate")),
    ("geo_app.cli.convert", "commands", ("convert",)),
    ("geo_app.cli.export", "export_command", ("export",)),
    ("geo_app.cli.workspace", "workspace_commands",
     ("import", "history", "restore", "undo-import", "backup", "workspace")),
    ("geo_app.cli.control", "control_commands", ("reference", "check")),
    ("geo_app.cli.users", "users_commands", ("users",)),
)

# The subcommands loaded so far (and any added with :func:`register`), by name.
COMMANDS: dict[str, Command] = {}


def register(command: Command) -> Command:
    COMMANDS[command.name] = command
    return command


def _load(module_name: str, factory_name: str) -> None:
    made = getattr(importlib.import_module(module_name), factory_name)()
    for command in made if isinstance(made, list | tuple) else [made]:
        COMMANDS.setdefault(command.name, command)


def all_commands() -> dict[str, Command]:
    """Every subcommand, in the order of :data:`COMMAND_SOURCES` (then any registered)."""
    for module_name, factory_name, _names in COMMAND_SOURCES:
        _load(module_name, factory_name)
    listed = [name for _, _, names in COMMAND_SOURCES for name in names]
    ordered = {name: COMMANDS[name] for name in listed if name in COMMANDS}
    ordered.update(COMMANDS)
    return ordered


def _commands_for(argv: Sequence[str]) -> dict[str, Command]:
    """Only the subcommand ``argv`` names, when it names a known one; else all of them
    (for ``--help``, or so that argparse can list the choices of a wrong name)."""
    chosen = _chosen_name(argv)
    if chosen in COMMANDS:
        return {chosen: COMMANDS[chosen]}
    for module_name, factory_name, names in COMMAND_SOURCES:
        if chosen in names:
            _load(module_name, factory_name)
            return {chosen: COMMANDS[chosen]}
    return all_commands()


def _chosen_name(argv: Sequence[str]) -> str | None:
    skip = False
    for arg in argv:
        if skip:
            skip = False
        elif arg == "--lang":
            skip = True
        elif not arg.startswith("-"):
            return arg
        elif arg in ("-h", "--help"):
            return None
    return None


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


def build_parser(
    lang: Lang = "zh", commands: dict[str, Command] | None = None
) -> argparse.ArgumentParser:
    """The parser of ``commands`` (default: every subcommand)."""
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
    for command in (all_commands() if commands is None else commands).values():
        summary = tr(command.help_key)
        sub = subparsers.add_parser(
            command.name, help=summary, description=summary, parents=[language]
        )
        command.add_arguments(sub, tr)
    return parser


def _without_lang(argv: Sequence[str]) -> list[str]:
    """``argv`` without a valid ``--lang`` (already read by :func:`_language`), so that it may
    stand anywhere, after a nested subcommand (``users add``) too; a wrong value stays for
    argparse to refuse."""
    kept: list[str] = []
    skip = False
    for i, arg in enumerate(argv):
        if skip:
            skip = False
        elif arg == "--lang" and i + 1 < len(argv) and argv[i + 1] in LANGS:
            skip = True
        elif not (arg.startswith("--lang=") and arg.split("=", 1)[1] in LANGS):
            kept.append(arg)
    return kept


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
                args = build_parser(lang, _commands_for(argv)).parse_args(_without_lang(argv))
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
        console.note(console.text("cli.error.internal", kind=type(exc).__name__,
                                  reason=_without_password(str(exc))))
        return EXIT_INTERNAL


def _without_password(text: str) -> str:
    """``text`` with the configured database's URL masked and its password gone: a library's
    message the product did not foresee may quote the URL it was given."""
    # Loaded only on this path: the workspace package is heavy for ``geo-app area``.
    from geo_app.workspace.database_url import scrubbed
    from geo_app.workspace.location import DATABASE_ENV

    url = os.environ.get(DATABASE_ENV, "").strip()
    return scrubbed(text, url) if url else text
