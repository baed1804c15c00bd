"""Helpers shared by the export tests and bench/bench_export.py (a unique module name, so
it never clashes with another folder's conftest)."""

from __future__ import annotations

import datetime as dt
import subprocess
import warnings
from pathlib import Path

from geo_app.export import ExportRequest, render

FIXED_DATE = dt.date(2022, 6, 30)
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


def render_with_warnings(request: ExportRequest, **kwargs) -> tuple[bytes, list[str]]:
    """The export's bytes and every warning raised while it was made."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        data = render(request, **kwargs).data
    return data, [str(item.message) for item in caught]


def missing_glyph_warnings(messages: list[str]) -> list[str]:
    """matplotlib's "Glyph N (c) missing from font(s) ..." warnings."""
    return [m for m in messages if "Glyph" in m and "missing" in m]


def pdf_text(data: bytes) -> str:
    """The PDF's text as poppler's pdftotext extracts it (Debian poppler-utils)."""
    result = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", "-", "-"], input=data, capture_output=True, check=True
    )
    return result.stdout.decode("utf-8")


def launch_chromium(playwright):
    """Debian's Chromium; a missing browser is an error, never a reason to skip."""
    if not CHROMIUM.exists():
        raise RuntimeError(f"{CHROMIUM} is missing: install the Debian package chromium")
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=list(CHROMIUM_FLAGS))


class FileOnlyRoute:
    """Lets file: (and inline data:/blob:/about:) requests through, aborts and records the rest."""

    ALLOWED = ("file:", "data:", "blob:", "about:")

    def __init__(self) -> None:
        self.blocked: list[str] = []

    def install(self, context) -> None:
        context.route("**/*", self._handle)

    def _handle(self, route) -> None:
        url = route.request.url
        if url.startswith(self.ALLOWED):
            route.continue_()
        else:
            self.blocked.append(url)
            route.abort()
