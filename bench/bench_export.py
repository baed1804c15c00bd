"""Benchmark: print-sheet exports against a headless-browser screenshot of the same map.

All layers, whole district, Chinese, A4 landscape; PNG at 150 dpi (1754 x 1240 px).

* matplotlib sheet (``geo_app.export.render``): PDF, PNG and SVG, in this process after a
  first warm-up render (median of several), and the first render in a fresh Python
  process (imports, font lookup and layer loading included, as ``geo-app export`` pays).
* browser: the standalone HTML export opened from disk in Debian's Chromium through
  Playwright, every non-file request aborted, screenshot at 1754 x 1240. Measured with a
  browser launched for the shot, and with one browser reused for several shots.

Prints a Markdown table and writes it into docs/benchmarks.md under "## Exports",
leaving the other sections alone.

Usage: python bench/bench_export.py [--repeat N] [--no-write]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "export"))

from benchmarks_page import write_section  # noqa: E402
from export_helpers import FileOnlyRoute, launch_chromium  # noqa: E402

from geo_app.export import ExportRequest, export_to_file, render  # noqa: E402

HEADING = "## Exports"
BUDGET_S = 1.5
PAPER = {"paper": "A4", "orientation": "landscape", "dpi": 150, "lang": "zh"}

_COLD_SCRIPT = """
import json, sys, time
start = time.perf_counter()
from geo_app.export import ExportRequest, render
imported = time.perf_counter()
render(ExportRequest(format=sys.argv[1], paper="A4", orientation="landscape", dpi=150))
done = time.perf_counter()
print(json.dumps({"import": imported - start, "render": done - imported}))
"""


def timed(action: Callable[[], object], repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return times


def cold_run(fmt: str) -> dict[str, float]:
    result = subprocess.run(
        [sys.executable, "-c", _COLD_SCRIPT, fmt],
        capture_output=True, text=True, check=True, cwd=ROOT,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def browser_shots(html: Path, repeat: int) -> tuple[float, list[float], int]:
    """(launch + first shot, reused-browser shots, SVG paths drawn)."""
    from playwright.sync_api import sync_playwright

    width, height = ExportRequest(**PAPER).pixel_size

    def shot(browser) -> int:
        context = browser.new_context(viewport={"width": width, "height": height})
        FileOnlyRoute().install(context)
        page = context.new_page()
        page.goto(html.resolve().as_uri())
        page.wait_for_function(
            "document.querySelectorAll('.leaflet-overlay-pane path').length > 0"
        )
        page.screenshot(type="png")
        drawn = page.eval_on_selector_all(".leaflet-overlay-pane path", "p => p.length")
        context.close()
        return drawn

    with sync_playwright() as playwright:
        start = time.perf_counter()
        browser = launch_chromium(playwright)
        drawn = shot(browser)
        first = time.perf_counter() - start
        reused = timed(lambda: shot(browser), repeat)
        browser.close()
    return first, reused, drawn


def measure(repeat: int) -> dict[str, object]:
    load = os.getloadavg()[0]
    for fmt in ("pdf", "png", "svg"):
        render(ExportRequest(format=fmt, **PAPER))  # warm-up: fonts, layers, ledger
    warm = {
        fmt: timed(lambda fmt=fmt: render(ExportRequest(format=fmt, **PAPER)), repeat)
        for fmt in ("pdf", "png", "svg")
    }
    cold = {fmt: cold_run(fmt) for fmt in ("pdf", "png")}
    with tempfile.TemporaryDirectory() as folder:
        html = export_to_file(ExportRequest(format="html", **PAPER), Path(folder) / "map.html")
        html_size = html.stat().st_size
        first, reused, drawn = browser_shots(html, repeat)
    return {"warm": warm, "cold": cold, "browser_first": first, "browser_reused": reused,
            "html_size": html_size, "paths": drawn, "repeat": repeat, "load": load}


def table(results: dict) -> str:
    warm, cold = results["warm"], results["cold"]

    def med(values: list[float]) -> str:
        return f"{statistics.median(values):.2f} s (min {min(values):.2f})"

    rows = [
        ("matplotlib PDF, warm process (median)", med(warm["pdf"])),
        ("matplotlib PNG 150 dpi, warm process (median)", med(warm["png"])),
        ("matplotlib SVG, warm process (median)", med(warm["svg"])),
        ("matplotlib PDF, first render in a fresh process",
         f"{cold['pdf']['render']:.2f} s (+ {cold['pdf']['import']:.2f} s imports)"),
        ("matplotlib PNG, first render in a fresh process",
         f"{cold['png']['render']:.2f} s (+ {cold['png']['import']:.2f} s imports)"),
        ("Chromium screenshot, launch + load + shot", f"{results['browser_first']:.2f} s"),
        ("Chromium screenshot, reused browser (median)", med(results["browser_reused"])),
    ]
    lines = [
        HEADING,
        "",
        f"Every layer (the browser draws {results['paths']} SVG paths), whole district, "
        f"Chinese, A4 landscape, PNG 150 dpi = 1754 x 1240 px; `python bench/bench_export.py` "
        f"({results['repeat']} repeats). Python {platform.python_version()}, "
        f"{os.cpu_count()} CPU(s), load average {results['load']:.1f} at the start (other "
        "processes running make every figure slower). The browser loads the standalone HTML export "
        f"({results['html_size'] / 1e6:.2f} MB) from disk with every non-file request "
        "aborted and screenshots a viewport of the same pixel size.",
        "",
        "| export | time |",
        "| --- | ---: |",
        *[f"| {name} | {value} |" for name, value in rows],
        "",
        f"Budget: an A4 PDF or PNG in at most {BUDGET_S} s. The in-process renders are what "
        "the app's export button pays; the fresh-process figure is what `geo-app export` "
        "adds on top of Python start-up.",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    section = table(measure(max(args.repeat, 1)))
    print(section)
    if not args.no_write:
        write_section(section, HEADING)


if __name__ == "__main__":
    main()
