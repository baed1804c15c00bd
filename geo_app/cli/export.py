"""``geo-app export``: the export options on the command line.

Every option is checked by :class:`ExportRequest` rather than by argparse, so a wrong
value gives one line in the user's language and exit code 2, never a usage dump.
With only ``--out``, the export is a PDF (or the format of the suffix) of the whole
district with every layer, in Chinese, A4 landscape. ``--sheet compliance`` makes the
compliance sheet instead: the workspace's parcels over its control-line layers.
"""

from __future__ import annotations

import argparse

from geo_app.atomic import check_target
from geo_app.cli.support import EXIT_INPUT, EXIT_OK, Command, Console, Translate
from geo_app.cli.workspace import add_workspace_argument, configured_workspace, workspace_files
from geo_app.export.request import (
    ExportOptionError,
    ExportRequest,
    format_for_path,
    parse_extent,
    parse_layers,
)
from geo_app.i18n import t
from geo_app.workspace import workspace_ledger


def add_export_arguments(parser: argparse.ArgumentParser, tr: Translate) -> None:
    # Values are plain text here: ExportRequest checks them and explains in one line.
    for option, metavar in (
        ("format", "FORMAT"),
        ("out", "FILE"),
        ("layers", "ID,..."),
        ("extent", "EXTENT"),
        ("title", "TEXT"),
        ("subtitle", "TEXT"),
        ("paper", "A4|A3"),
        ("orientation", "landscape|portrait"),
        ("dpi", "N"),
        ("sheet", "map|compliance"),
    ):
        parser.add_argument(f"--{option}", metavar=metavar, help=tr(f"export.cli.{option}"))
    parser.add_argument("--force", action="store_true", help=tr("export.cli.force"))
    # Parcel tables and land-supply figures from the planner's workspace, when one is set.
    add_workspace_argument(parser, tr)


def request_from_args(args: argparse.Namespace, lang: str) -> ExportRequest:
    """The ExportRequest the options describe; raises ExportOptionError for a bad one."""
    if not args.out:
        raise ExportOptionError("export.error.no_out")
    fmt = args.format.strip().lower() if args.format else format_for_path(args.out)
    dpi_text = (args.dpi or "150").strip()
    try:
        dpi = int(dpi_text)
    except ValueError:
        raise ExportOptionError("export.error.dpi_number", value=dpi_text) from None
    return ExportRequest(
        sheet=(args.sheet or "map").strip().lower(),
        format=fmt,
        layers=parse_layers(args.layers),
        extent=parse_extent(args.extent),
        title=args.title,
        subtitle=args.subtitle,
        paper=(args.paper or "A4").strip().upper(),
        orientation=(args.orientation or "landscape").strip().lower(),
        dpi=dpi,
        lang=lang,
    )


def run_export(args: argparse.Namespace, console: Console) -> int:
    # Loaded here, not at import: plotting and GDAL only load when something is exported.
    from geo_app.export.service import export_to_file

    lang = console.lang
    try:
        request = request_from_args(args, lang)
        explicit = getattr(args, "workspace", None)
        target = check_target(args.out, protected=workspace_files(explicit),
                              replace=bool(args.force))
        # The workspace given or configured, else None: the shipped parcels, checked against
        # no control line (the compliance sheet then says every kind was not checked).
        workspace = configured_workspace(explicit)
        ledger = None if workspace is None else workspace_ledger(workspace)
        path = export_to_file(request, target, ledger=ledger, workspace=workspace)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        console.note(t("export.error.write", lang, path=args.out, reason=reason))
        return EXIT_INPUT
    console.print(t("export.cli.done", lang, format=request.format.upper(), path=path))
    return EXIT_OK


def export_command() -> Command:
    """The ``export`` entry for the ``geo-app`` command registry."""
    return Command("export", "export.cli.help", add_export_arguments, run_export)
