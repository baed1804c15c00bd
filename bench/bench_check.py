"""The compliance check and the reference import at a district's size.

Run: ``python bench/bench_check.py``. In one process, on one machine:

1. **Import.** A farmland layer of 100,000 field polygons (12 vertices each) in a
   GeoPackage in CGCS2000 Gauss-Krüger zone 42 (EPSG:4530, as bureaus hand them over) is
   loaded the product's way (:func:`geo_app.control.read_reference`, then
   :meth:`Workspace.import_reference`: CRS recognised, every feature checked, every column
   kept, hectares computed, one transaction) and, as the yardstick, with pyogrio alone: read
   the file and write it to a new GeoPackage. Goal: at most 4x the yardstick.
2. **Check.** 1,000 parcels (1 to 10 ha, spread over the same area) checked against that
   layer: :func:`geo_app.control.check_workspace` end to end (the features read from the
   workspace, the overlaps, the hectares) against the obvious alternative, ``geopandas
   .overlay`` of the parcels and the layer followed by a loop of pyproj Geod areas, summed
   per parcel. Goal: within 2 s, and equal to the alternative within 1e-6 relative.

Results go to the "## Compliance check" section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import shapely
from pyproj import Geod

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchmarks_page import write_section

from geo_app.control import check_workspace, read_reference
from geo_app.workspace import NewParcel, Workspace

HEADING = "## Compliance check"
GOALS = {"check_s": 2.0, "import_ratio": 4.0, "relative": 1e-6}
# The fields fill a grid over the district's middle; each is a 12-sided field in its cell.
WEST, SOUTH = 125.45, 43.40
CELL = 0.0012  # degrees: fields of about 1 ha
VERTICES = 12
GEOD = Geod(ellps="GRS80")


def fields(count: int, seed: int = 7) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    side = int(np.ceil(np.sqrt(count)))
    index = np.arange(count)
    cx = WEST + (index % side + 0.5) * CELL
    cy = SOUTH + (index // side + 0.5) * CELL
    angles = np.linspace(0, 2 * np.pi, VERTICES, endpoint=False)
    radius = CELL * 0.5 * rng.uniform(0.75, 0.98, size=(count, VERTICES))
    xs = cx[:, None] + radius * np.cos(angles)
    ys = cy[:, None] + radius * np.sin(angles)
    rings = np.stack([xs, ys], axis=2)
    rings = np.concatenate([rings, rings[:, :1]], axis=1)
    polygons = shapely.polygons(rings)
    return gpd.GeoDataFrame(
        {"BSM": [f"F{i:06d}" for i in range(count)],
         "DLMC": np.where(index % 5 == 0, "水田", "旱地"),
         "ZLDWMC": ["奢岭街道"] * count,
         "TBMJ": shapely.area(polygons) * 1e10},
        geometry=polygons, crs="EPSG:4326",
    )


def parcels(count: int, extent: float, seed: int = 11) -> tuple[list[str], np.ndarray]:
    rng = np.random.default_rng(seed)
    x = WEST + rng.uniform(0.02, extent - 0.02, count)
    y = SOUTH + rng.uniform(0.02, extent - 0.02, count)
    # 1 to 10 ha: squares of about 100 to 320 m a side.
    half = np.sqrt(rng.uniform(1, 10, count) * 1e4) / 2 / 111_000
    boxes = shapely.box(x - half / 0.73, y - half, x + half / 0.73, y + half)
    return [f"P{i:04d}" for i in range(count)], boxes


def timed(function, repeat: int) -> tuple[float, object]:
    times, answer = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        answer = function()
        times.append(time.perf_counter() - start)
    return statistics.median(times), answer


def overlay_and_geod(ids: list[str], boxes: np.ndarray, layer: gpd.GeoDataFrame) -> dict:
    left = gpd.GeoDataFrame({"pid": ids}, geometry=list(boxes), crs="EPSG:4326")
    pieces = gpd.overlay(left, layer[["geometry"]], how="intersection", keep_geom_type=True)
    sums: dict[str, float] = dict.fromkeys(ids, 0.0)
    for pid, geometry in zip(pieces["pid"], pieces.geometry, strict=True):
        sums[pid] += abs(GEOD.geometry_area_perimeter(geometry)[0]) / 1e4
    return sums


def run(field_count: int, parcel_count: int, repeat: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        layer = fields(field_count)
        source = folder / "永久基本农田.gpkg"
        layer.to_crs("EPSG:4530").to_file(source, driver="GPKG")

        def yardstick():
            target = folder / f"copy-{time.perf_counter_ns()}.gpkg"
            frame = pyogrio.read_dataframe(source)
            pyogrio.write_dataframe(frame, target, driver="GPKG")
            return target

        def ours():
            workspace = Workspace.open(folder / f"ws-{time.perf_counter_ns()}", seed=None)
            workspace.import_reference(read_reference(source, "farmland"), "bench")
            return workspace

        yard_s, _ = timed(yardstick, repeat)
        import_s, workspace = timed(ours, repeat)

        extent = np.ceil(np.sqrt(field_count)) * CELL
        ids, boxes = parcels(parcel_count, extent)
        workspace.import_parcels([NewParcel(i, {"status": "planned"}, g)
                                  for i, g in zip(ids, boxes, strict=True)], "bench", "p")
        check_s, result = timed(lambda: check_workspace(workspace), repeat)
        # The kernel alone, the features already in memory (the app's cached case).
        features = [workspace.reference_features(layer.layer_id)
                    for layer in workspace.reference_layers()]
        from geo_app.control import check_parcels

        kernel_s, _ = timed(lambda: check_parcels(ids, boxes, features), repeat)
        overlay_s, truth = timed(lambda: overlay_and_geod(ids, boxes, layer), repeat)
        ours_ha = {p.parcel_id: p.farmland_ha for p in result.parcels}
        worst = max(
            abs(ours_ha[i] - truth[i]) / truth[i] for i in ids if truth[i] > 0
        )
        zero_both = all((ours_ha[i] == 0) == (truth[i] == 0) for i in ids)
        return {
            "fields": field_count, "parcels": parcel_count, "repeat": repeat,
            "import_s": import_s, "yardstick_s": yard_s, "check_s": check_s,
            "kernel_s": kernel_s, "overlay_s": overlay_s, "worst_relative": worst,
            "zero_both": zero_both, "in_farmland": sum(1 for v in ours_ha.values() if v > 0),
            "farmland_ha": sum(ours_ha.values()), "size_mb": source.stat().st_size / 2**20,
        }


def markdown(r: dict) -> str:
    def verdict(ok: bool) -> str:
        return "met" if ok else "**missed**"

    ratio = r["import_s"] / r["yardstick_s"]
    return f"""{HEADING}

`python bench/bench_check.py` — Python {platform.python_version()}, {os.cpu_count()} CPU(s), \
median of {r['repeat']} runs each. A farmland layer of {r['fields']:,} fields \
({VERTICES} vertices each, {r['size_mb']:.1f} MB GeoPackage in EPSG:4530, Gauss-Krüger zone \
42 with the "42" prefix) and {r['parcels']:,} parcels of 1 to 10 ha over the same area \
({r['in_farmland']:,} of them touch farmland, {r['farmland_ha']:,.1f} ha in all).

| step | the product | the alternative, same process | goal |
| --- | ---: | ---: | --- |
| load the layer | {r['import_s']:.2f} s (`read_reference` + `Workspace.import_reference`: \
CRS, checks, every column, hectares, one transaction) | {r['yardstick_s']:.2f} s (pyogrio \
read + write GeoPackage) | ≤ {GOALS['import_ratio']:g}x: {ratio:.2f}x, \
{verdict(ratio <= GOALS['import_ratio'])} |
| check every parcel | {r['check_s']:.2f} s (`check_workspace`, features read from the \
workspace); {r['kernel_s']:.2f} s with the features in memory | {r['overlay_s']:.2f} s \
(`geopandas.overlay` + pyproj Geod loop) | ≤ {GOALS['check_s']:g} s: \
{verdict(r['check_s'] <= GOALS['check_s'])} |
| agreement | worst relative difference per parcel {r['worst_relative']:.1e}; the same \
parcels with no farmland: {'yes' if r['zero_both'] else '**no**'} | | ≤ \
{GOALS['relative']:g}: {verdict(r['worst_relative'] <= GOALS['relative'] and r['zero_both'])} |
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fields", type=int, default=100_000)
    parser.add_argument("--parcels", type=int, default=1_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args(argv)
    section = markdown(run(args.fields, args.parcels, max(args.repeat, 1)))
    print(section)
    if not args.no_write:
        write_section(section, HEADING)
    return 0


if __name__ == "__main__":
    sys.exit(main())
