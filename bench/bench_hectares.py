"""Benchmark: parcel hectares, vectorised ellipsoidal area against pyproj's Geod.

100,000 seeded synthetic parcels of 1-10 ha with about 20 vertices each, near 43.5N
125.7E, are measured four ways in one process:

* ``geo_app.geodesy.hectares`` (what the product reports), all parcels at once;
* ``pyproj.Geod(ellps="GRS80").geometry_area_perimeter`` one parcel at a time: the truth;
* planar area after ``to_crs`` into EPSG:4551 (CGCS2000 GK, CM 126E) and EPSG:3857
  (Web Mercator), for context.

Prints a Markdown table and writes it into docs/benchmarks.md under "## Hectares",
leaving the other sections of that file alone.

Usage: python bench/bench_hectares.py [--parcels N] [--no-write]
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import shapely
from benchmarks_page import write_section
from numpy.typing import NDArray
from pyproj import Geod

from geo_app.geodesy import hectares

HEADING = "## Hectares"
SEED = 20220
CENTRE_LON, CENTRE_LAT = 125.7, 43.5
VERTICES = 20
# Metres per degree of latitude and (at 43.5N) of longitude, only to size the parcels.
M_PER_DEG_LAT = 111_132.0
M_PER_DEG_LON = 111_320.0 * np.cos(np.radians(CENTRE_LAT))


def synthetic_parcels(count: int, seed: int = SEED) -> NDArray:
    """Star-shaped parcels of roughly 1-10 ha with ``VERTICES`` corners each."""
    rng = np.random.default_rng(seed)
    target_m2 = rng.uniform(1.0, 10.0, count) * 10_000.0
    angles = np.sort(rng.uniform(0.0, 2.0 * np.pi, (count, VERTICES)), axis=1)
    wobble = rng.uniform(0.8, 1.2, (count, VERTICES))
    # Area of the unit-radius star, so each parcel can be scaled to its target area.
    next_angle = np.roll(angles, -1, axis=1)
    next_angle[:, -1] += 2.0 * np.pi
    unit_area = 0.5 * np.sum(wobble * np.roll(wobble, -1, axis=1) * np.sin(next_angle - angles), 1)
    radius_m = np.sqrt(target_m2 / unit_area)[:, None] * wobble
    lon = rng.uniform(-0.25, 0.25, count)[:, None] + CENTRE_LON
    lat = rng.uniform(-0.25, 0.25, count)[:, None] + CENTRE_LAT
    x = lon + radius_m * np.cos(angles) / M_PER_DEG_LON
    y = lat + radius_m * np.sin(angles) / M_PER_DEG_LAT
    ring = np.stack([x, y], axis=-1)
    ring = np.concatenate([ring, ring[:, :1]], axis=1)
    return shapely.polygons(shapely.linearrings(ring))


@dataclass
class Result:
    method: str
    seconds: float
    max_relative_error: float | None = None


def timed(function: Callable[[], NDArray], repeats: int = 1) -> tuple[float, NDArray]:
    best, value = float("inf"), None
    for _ in range(repeats):
        start = time.perf_counter()
        value = function()
        best = min(best, time.perf_counter() - start)
    return best, np.asarray(value)


def geod_loop(parcels: NDArray) -> NDArray:
    geod = Geod(ellps="GRS80")
    # Geod's area is signed by orientation; counter-clockwise exteriors give positive areas.
    oriented = shapely.orient_polygons(parcels)
    return np.array([geod.geometry_area_perimeter(p)[0] for p in oriented]) / 10_000.0


def planar(parcels: NDArray, epsg: int) -> Callable[[], NDArray]:
    series = gpd.GeoSeries(parcels, crs="EPSG:4326")
    return lambda: series.to_crs(epsg).area.to_numpy() / 10_000.0


def run(count: int) -> tuple[list[Result], float, NDArray]:
    parcels = synthetic_parcels(count)
    hectares(parcels[:10])  # warm caches so the timing is the steady state
    truth_seconds, truth = timed(lambda: geod_loop(parcels))
    results = [Result("pyproj `Geod.geometry_area_perimeter`, loop (truth)", truth_seconds, 0.0)]
    candidates = [
        ("`geo_app.geodesy.hectares`, vectorised", lambda: hectares(parcels), 3),
        ("`to_crs(EPSG:4551)` + planar area (GK CM 126E)", planar(parcels, 4551), 1),
        ("`to_crs(EPSG:3857)` + planar area (Web Mercator)", planar(parcels, 3857), 1),
    ]
    for method, function, repeats in candidates:
        seconds, value = timed(function, repeats)
        error = float(np.max(np.abs(value - truth) / truth))
        results.append(Result(method, seconds, error))
    return results, truth_seconds / results[1].seconds, truth


def markdown(results: list[Result], speed_up: float, count: int, truth: NDArray) -> str:
    lines = [
        HEADING,
        "",
        f"{count:,} synthetic parcels of {truth.min():.1f}-{truth.max():.1f} ha, {VERTICES} "
        f"vertices each, near {CENTRE_LAT}N {CENTRE_LON}E (seed {SEED}); "
        f"`python bench/bench_hectares.py`. Python {platform.python_version()}, "
        f"{os.cpu_count()} CPU(s). Relative error is against pyproj's `Geod` on GRS80 "
        "(the CGCS2000 ellipsoid).",
        "",
        "| method | time | max relative error |",
        "| --- | ---: | ---: |",
    ]
    for result in results:
        error = "0 (truth)" if "truth" in result.method else f"{result.max_relative_error:.1e}"
        lines.append(f"| {result.method} | {result.seconds:.3f} s | {error} |")
    lines += [
        "",
        f"Speed-up of the vectorised ellipsoidal area over the Geod loop: **{speed_up:.1f}x**.",
        f"The GK plane area (a second figure some survey reports print) is off by up to "
        f"{results[2].max_relative_error:.1e} here, more towards the district's western edge; "
        f"Web Mercator inflates areas {1 + results[3].max_relative_error:.2f}x and is never used.",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--parcels", type=int, default=100_000)
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args(argv)
    results, speed_up, truth = run(args.parcels)
    section = markdown(results, speed_up, args.parcels, truth)
    print(section)
    if not args.no_write:
        write_section(section, HEADING)
    return 0


if __name__ == "__main__":
    sys.exit(main())
