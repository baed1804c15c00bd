"""Briefing exports: print sheets (PDF, PNG, SVG), the offline HTML map, and data files.

Build an :class:`ExportRequest` and call :func:`render` (bytes, file name and MIME type,
for a download button) or :func:`export_to_file` (an atomic write, for the command line).
Option errors raise :class:`ExportOptionError`, whose ``key``/``params`` name a message in
the string table; a missing Chinese font raises :class:`MissingCJKFontError`.

Names are imported on first use: the command line loads this package for its option
parser, and matplotlib or GDAL should only load when something is exported.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "DISTRICT": "geo_app.export.request",
    "FORMATS": "geo_app.export.request",
    "ExportOptionError": "geo_app.export.request",
    "ExportRequest": "geo_app.export.request",
    "Extent": "geo_app.export.request",
    "format_for_path": "geo_app.export.request",
    "parse_bbox": "geo_app.export.request",
    "parse_extent": "geo_app.export.request",
    "parse_layers": "geo_app.export.request",
    "ExportResult": "geo_app.export.service",
    "export_to_file": "geo_app.export.service",
    "render": "geo_app.export.service",
    "MissingCJKFontError": "geo_app.fonts",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'geo_app.export' has no attribute {name!r}")
    value = getattr(importlib.import_module(_EXPORTS[name]), name)
    globals()[name] = value
    return value
