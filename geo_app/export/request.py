"""What an export is asked to produce: format, layers, extent, title and paper.

``ExportRequest`` is the one object the CLI and the app build; it checks its own fields so
every caller gets the same one-line errors. Nothing here reads data files.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from pathlib import Path

from geo_app.problems import KeyedError

# format -> (file suffix, MIME type)
FORMATS: dict[str, tuple[str, str]] = {
    "pdf": (".pdf", "application/pdf"),
    "png": (".png", "image/png"),
    "svg": (".svg", "image/svg+xml"),
    "html": (".html", "text/html; charset=utf-8"),
    "geojson": (".geojson", "application/geo+json"),
    "gpkg": (".gpkg", "application/geopackage+sqlite3"),
    "kml": (".kml", "application/vnd.google-earth.kml+xml"),
    "csv": (".csv", "text/csv; charset=utf-8"),
    "xlsx": (".xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
}
SNAPSHOT_FORMATS = ("pdf", "png", "svg")
# The print sheets: the development-layout map, or the compliance check of the parcels over
# the control lines (:mod:`geo_app.export.compliance_sheet`), which fits its own map to the
# parcels it checks and so takes no layers and no extent.
SHEETS = ("map", "compliance")
_SUFFIX_ALIASES = {".json": "geojson", ".htm": "html"}

# Paper sizes in millimetres, portrait (width, height).
PAPER_MM: dict[str, tuple[float, float]] = {"A4": (210.0, 297.0), "A3": (297.0, 420.0)}
ORIENTATIONS = ("landscape", "portrait")
LANGUAGES = ("zh", "en")
MIN_DPI, MAX_DPI = 72, 600
MM_PER_INCH = 25.4


class ExportOptionError(KeyedError):
    """An export option a user gave is not usable; the message is one line for the user,
    the strings.toml text ``key`` filled with ``params``."""

    exit_code = 2

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key, **params)
        self.params = params


@dataclass(frozen=True)
class Extent:
    """The area to show: the whole district, one feature's bounds, or a lon/lat box."""

    kind: str = "district"
    feature_id: str | None = None
    bbox: tuple[float, float, float, float] | None = None

    def __str__(self) -> str:
        if self.kind == "feature":
            return f"feature:{self.feature_id}"
        if self.kind == "bbox" and self.bbox is not None:
            return "bbox:" + ",".join(f"{value:g}" for value in self.bbox)
        return "district"


DISTRICT = Extent()


def parse_extent(text: str | Extent | None) -> Extent:
    """``district``, ``feature:ID`` or ``bbox:W,S,E,N`` (lon/lat degrees)."""
    if isinstance(text, Extent):
        return text
    if text is None or not str(text).strip() or str(text).strip() == "district":
        return DISTRICT
    value = str(text).strip()
    kind, _, rest = value.partition(":")
    if kind == "feature" and rest.strip():
        return Extent("feature", feature_id=rest.strip())
    if kind == "bbox":
        return Extent("bbox", bbox=parse_bbox(rest))
    raise ExportOptionError("export.error.extent", value=value)


def parse_bbox(text: str) -> tuple[float, float, float, float]:
    parts = [part.strip() for part in text.split(",")]
    try:
        west, south, east, north = (float(part) for part in parts)
    except ValueError:
        raise ExportOptionError("export.error.bbox", value=text) from None
    finite = all(math.isfinite(v) for v in (west, south, east, north))
    if not (finite and -180 <= west < east <= 180 and -90 <= south < north <= 90):
        raise ExportOptionError("export.error.bbox", value=text)
    return west, south, east, north


def parse_layers(text: str | None) -> tuple[str, ...] | None:
    """``id,id,...`` to a tuple; ``None`` or empty means every layer in the catalog."""
    if text is None:
        return None
    ids = tuple(part.strip() for part in text.split(",") if part.strip())
    return ids or None


def format_for_path(path: str | Path) -> str:
    suffix = Path(path).suffix.lower()
    for name, (known_suffix, _mime) in FORMATS.items():
        if suffix == known_suffix:
            return name
    if suffix in _SUFFIX_ALIASES:
        return _SUFFIX_ALIASES[suffix]
    raise ExportOptionError("export.error.suffix", suffix=suffix or "(none)")


@dataclass(frozen=True)
class ExportRequest:
    format: str = "pdf"
    # None: every layer of the catalog, in drawing order.
    layers: tuple[str, ...] | None = None
    # An Extent, or its text form ("district", "feature:ID", "bbox:W,S,E,N").
    extent: Extent | str = DISTRICT
    # None: the default title/subtitle in the chosen language.
    title: str | None = None
    subtitle: str | None = None
    paper: str = "A4"
    orientation: str = "landscape"
    dpi: int = 150
    lang: str = "zh"
    date: dt.date = field(default_factory=dt.date.today)
    sheet: str = "map"

    def __post_init__(self) -> None:
        # Accept the text forms and any sequence of ids; store the canonical ones.
        object.__setattr__(self, "extent", parse_extent(self.extent))
        if self.layers is not None and not isinstance(self.layers, tuple):
            object.__setattr__(self, "layers", tuple(self.layers))
        if self.format not in FORMATS:
            raise ExportOptionError("export.error.format", value=self.format)
        if self.paper not in PAPER_MM:
            raise ExportOptionError("export.error.paper", value=self.paper)
        if self.orientation not in ORIENTATIONS:
            raise ExportOptionError("export.error.orientation", value=self.orientation)
        if self.lang not in LANGUAGES:
            raise ExportOptionError("export.error.lang", value=self.lang)
        if isinstance(self.dpi, bool) or not isinstance(self.dpi, int):
            raise ExportOptionError("export.error.dpi", value=self.dpi, low=MIN_DPI, high=MAX_DPI)
        if not MIN_DPI <= self.dpi <= MAX_DPI:
            raise ExportOptionError("export.error.dpi", value=self.dpi, low=MIN_DPI, high=MAX_DPI)
        if self.layers is not None and not self.layers:
            raise ExportOptionError("export.error.no_layers")
        if self.sheet not in SHEETS:
            raise ExportOptionError("export.error.sheet", value=self.sheet)
        if self.compliance and self.format not in SNAPSHOT_FORMATS:
            raise ExportOptionError("export.error.sheet_format", format=self.format)
        if self.compliance and (self.layers is not None or self.extent != DISTRICT):
            raise ExportOptionError("export.error.sheet_options")

    @property
    def compliance(self) -> bool:
        """The compliance sheet rather than the layout map."""
        return self.sheet == "compliance"

    @property
    def suffix(self) -> str:
        return FORMATS[self.format][0]

    @property
    def mime(self) -> str:
        return FORMATS[self.format][1]

    @property
    def paper_inches(self) -> tuple[float, float]:
        """(width, height) of the page in inches, after orientation."""
        short, long = (mm / MM_PER_INCH for mm in PAPER_MM[self.paper])
        return (long, short) if self.orientation == "landscape" else (short, long)

    @property
    def pixel_size(self) -> tuple[int, int]:
        """PNG size: paper inches times dpi, rounded to whole pixels."""
        width, height = self.paper_inches
        return round(width * self.dpi), round(height * self.dpi)

    def filename(self, stem: str | None = None) -> str:
        if stem is None:
            stem = "shuangyang-compliance" if self.compliance else "shuangyang"
        return f"{stem}-{self.date.isoformat()}{self.suffix}"
