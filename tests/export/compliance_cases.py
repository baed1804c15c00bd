"""Workspaces with control lines whose answers are known by construction, for the compliance
sheet and the overlap columns (a unique module name, so it never clashes with another
folder's helpers).

The layers and parcels are those of the compliance check's own tests (``control_files``):
two farmland fields sharing an edge and a field in two parts, a red line with a hole, a
development boundary, a land-use layer with a 三调 DLMC column (旱地 is cultivated land,
乔木林地 is not); parcels half in farmland, across the boundary, inside the red line's hole,
touching a field only along an edge, in two parts, across the shared edge of two fields.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from control_files import (
    DEV_BOUNDARY,
    FARMLAND,
    PARCELS,
    RED_LINE,
    feature_collection,
    landuse_collection,
    write_geojson,
)

from geo_app.control import read_reference
from geo_app.workspace import NewParcel, Workspace, workspace_ledger

LOADED_BY = "李四"
ALL_KINDS = ("farmland", "eco_redline", "dev_boundary", "landuse")


def layer_files(folder: Path) -> dict[str, Path]:
    """One GeoJSON file per kind, named as a bureau might name them."""
    folder.mkdir(parents=True, exist_ok=True)
    return {
        "farmland": write_geojson(folder / "永久基本农田.geojson", feature_collection(FARMLAND)),
        "eco_redline": write_geojson(folder / "生态保护红线.geojson",
                                     feature_collection(RED_LINE)),
        "dev_boundary": write_geojson(folder / "城镇开发边界.geojson",
                                      feature_collection(DEV_BOUNDARY)),
        "landuse": write_geojson(folder / "三调地类图斑.geojson", landuse_collection()),
    }


@dataclass
class Case:
    """A workspace with parcels and reference layers, and the files they came from."""

    workspace: Workspace
    files: dict[str, Path]

    @property
    def ledger(self):
        return workspace_ledger(self.workspace)


def build_case(
    folder: Path,
    kinds: Iterable[str] = ALL_KINDS,
    parcels: Mapping[str, object] | None = None,
    names: Mapping[str, str] | None = None,
    user: str = LOADED_BY,
    parcel_properties: Mapping[str, Mapping[str, object]] | None = None,
) -> Case:
    """A fresh workspace in ``folder`` holding ``parcels`` and a layer of each of ``kinds``
    (named ``names[kind]`` when given)."""
    files = layer_files(folder / "layers")
    workspace = Workspace.open(folder / "workspace", seed=None)
    chosen = PARCELS if parcels is None else parcels
    workspace.import_parcels(
        [NewParcel(pid, {"status": "planned", **(parcel_properties or {}).get(pid, {})}, geom)
         for pid, geom in chosen.items()],
        "张三", "parcels.geojson")
    for kind in kinds:
        reference = read_reference(files[kind], kind, name=(names or {}).get(kind))
        workspace.import_reference(reference, user)
    return Case(workspace, files)


def figure_text(value: float | None) -> str:
    """A figure as the sheet prints it."""
    return "—" if value is None else f"{value:,.4f}"


# ------------------------------------------------------------------ reading the PDF back


@dataclass(frozen=True)
class Word:
    page: int
    x: float
    bottom: float
    text: str


_WORD = re.compile(
    r'<word xMin="([\d.]+)" yMin="[\d.]+" xMax="[\d.]+" yMax="([\d.]+)">(.*?)</word>')


def pdf_words(data: bytes) -> list[Word]:
    """Every word poppler finds, with its page, left edge and lower edge (points)."""
    import html

    out = subprocess.run(["pdftotext", "-bbox", "-enc", "UTF-8", "-", "-"], input=data,
                         capture_output=True, check=True).stdout.decode("utf-8")
    words: list[Word] = []
    for number, page in enumerate(out.split("<page ")[1:], start=1):
        for x, bottom, text in _WORD.findall(page):
            words.append(Word(number, float(x), float(bottom), html.unescape(text)))
    return words


def text_lines(words: list[Word], min_x: float = 0.0) -> list[tuple[int, str]]:
    """(page, text) of each line of the PDF, top to bottom, its words (those right of
    ``min_x`` points) joined without spaces: one word may be split in two by poppler (a
    ligature such as "fi", or glyphs from two of the PDF's font subsets)."""
    found: list[tuple[int, str]] = []
    for page in sorted({w.page for w in words}):
        line: list[Word] = []
        for word in sorted((w for w in words if w.page == page and w.x >= min_x),
                           key=lambda w: w.bottom):
            if line and word.bottom - line[-1].bottom > 3.0:
                found.append((page, "".join(w.text for w in sorted(line, key=lambda w: w.x))))
                line = []
            line.append(word)
        if line:
            found.append((page, "".join(w.text for w in sorted(line, key=lambda w: w.x))))
    return found


def row_text(words: list[Word], anchor: str, min_x: float) -> str:
    """The table row (right of ``min_x`` points: the map is left of it) that starts with
    ``anchor``, without spaces."""
    rows = [text for _, text in text_lines(words, min_x) if text.startswith(anchor)]
    assert len(rows) == 1, f"{anchor!r} starts {len(rows)} rows"
    return rows[0]


def pdf_raw_text(data: bytes) -> str:
    """The PDF's text in drawing order (``pdftotext -raw``), without any white space."""
    out = subprocess.run(["pdftotext", "-raw", "-enc", "UTF-8", "-", "-"], input=data,
                         capture_output=True, check=True).stdout.decode("utf-8")
    return re.sub(r"\s+", "", out)
