"""The command line, ``geo-app`` (also ``python -m geo_app``): one module per command group.

* :mod:`~geo_app.cli.entry` — the entry point, the parser and the registry of commands;
* :mod:`~geo_app.cli.support` — what every command shares (console, options, tables);
* :mod:`~geo_app.cli.parcels` — ``totals``, ``area``, ``validate``: parcel files and supply;
* :mod:`~geo_app.cli.convert` — ``convert``: a point between coordinate systems;
* :mod:`~geo_app.cli.workspace` — ``import``, ``history``, ``restore``: the workspace;
* :mod:`~geo_app.cli.export` — ``export``: briefing sheets and data files.

Every command uses the same core as the app; nothing in :mod:`geo_app` outside this package
imports from it.
"""

from geo_app.cli.entry import COMMANDS, Command, all_commands, build_parser, main, register

__all__ = ["COMMANDS", "Command", "all_commands", "build_parser", "main", "register"]
