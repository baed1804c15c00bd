"""The workspace's parcels as a layer file: written once per change, read by every page.

Run: ``python bench/bench_layer_file.py``. A land bureau's 100,000 parcels
(``tests/scale_files.py``, 20 vertices each) imported into a workspace; then, in one
process, each step beside the obvious way of doing it, the two taking turns:

1. **Writing** the layer file from the parcels read from the workspace
   (:func:`geo_app.workspace.layer_file.parcels_geojson`: geometries by GEOS in one call,
   properties by orjson) against building the FeatureCollection as Python objects
   (``shapely.geometry.mapping`` per parcel) and writing it with the json module.
2. **Reading** it as every page does, the layer contract checked first
   (:func:`geo_app.catalog.load_layer_frame` with its cache of checked files cleared, then
   once more with the check cached) against the json module and a shapely ``shape`` per
   feature, checked a feature at a time as the catalog used to.

Both must give the same features. Results go to the "## Layer file" section of
docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import shapely
from shapely.geometry import mapping, shape

PROJECT_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(PROJECT_ROOT / "tests"))
sys.path.insert(0, str(PROJECT_ROOT))
from benchmarks_page import write_section  # noqa: E402
from scale_files import bureau_geopackage  # noqa: E402

from geo_app import catalog as catalog_module  # noqa: E402
from geo_app.importing import import_file  # noqa: E402
from geo_app.workspace import Workspace  # noqa: E402
from geo_app.workspace.layer_file import (  # noqa: E402
    ParcelLayerFile,
    layer_properties,
    parcels_geojson,
    with_parcel_file,
)

HEADING = "## Layer file"


def plain_write(parcels, path: Path) -> None:
    """The obvious way: the collection as Python objects, written by the json module."""
    collection = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": layer_properties(parcel),
             "geometry": mapping(parcel.geometry)}
            for parcel in parcels
        ],
    }
    path.write_text(json.dumps(collection, ensure_ascii=False), encoding="utf-8")


def plain_read(path: Path) -> gpd.GeoDataFrame:
    """The obvious way: the json module, then each feature's geometry made and checked."""
    collection = json.loads(path.read_text(encoding="utf-8"))
    records, geometries = [], []
    for feature in collection["features"]:
        geometry = shape(feature["geometry"])
        if geometry.is_empty or not geometry.is_valid:
            raise ValueError(feature["properties"]["id"])
        records.append(dict(feature["properties"]))
        geometries.append(geometry)
    return gpd.GeoDataFrame(records, geometry=geometries, crs="EPSG:4326")


def ours_read(spec, cached: bool) -> gpd.GeoDataFrame:
    if not cached:
        catalog_module.forget_checked_layers()
    return catalog_module.load_layer_frame(spec)


def timed(function, *args) -> tuple[float, object]:
    start = time.perf_counter()
    answer = function(*args)
    return time.perf_counter() - start, answer


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000, help="parcels")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each timing")
    parser.add_argument("--no-write", dest="write", action="store_false",
                        help="print the results instead of writing docs/benchmarks.md")
    args = parser.parse_args(argv)
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="bench-layer-file-") as tmp:
        folder = Path(tmp)
        source = bureau_geopackage(folder / "ledger.gpkg", args.count)
        workspace = Workspace.open(folder / "ws", seed=None)
        import_file(workspace, source, "bench")
        parcels = workspace.parcels()
        ours_path, plain_path = folder / "ours.geojson", folder / "plain.geojson"
        write_ours, write_plain = [], []
        for _ in range(args.repeat):
            write_ours.append(timed(lambda: ours_path.write_bytes(parcels_geojson(parcels)))[0])
            write_plain.append(timed(plain_write, parcels, plain_path)[0])
        spec = with_parcel_file(
            catalog_module.load_catalog(), "land_parcels",
            ParcelLayerFile(path=ours_path, sample_data=False),
        ).layer("land_parcels")
        read_first, read_again, read_plain = [], [], []
        for _ in range(args.repeat):
            seconds, ours_frame = timed(ours_read, spec, False)
            read_first.append(seconds)
            read_again.append(timed(ours_read, spec, True)[0])
            seconds, plain_frame = timed(plain_read, plain_path)
            read_plain.append(seconds)
        same = (list(ours_frame["id"]) == list(plain_frame["id"])
                and bool(shapely.equals_exact(ours_frame.geometry.values,
                                              plain_frame.geometry.values, tolerance=0).all())
                and json.loads(ours_path.read_bytes()) == json.loads(plain_path.read_bytes()))
        sizes = (ours_path.stat().st_size / 1e6, plain_path.stat().st_size / 1e6)
    load_after = os.getloadavg()[0]

    def med(values: list[float]) -> str:
        return f"{statistics.median(values):.2f} s (runs {', '.join(f'{v:.2f}' for v in values)})"

    write_ratio = statistics.median(write_plain) / statistics.median(write_ours)
    read_ratio = statistics.median(read_plain) / statistics.median(read_first)
    section = f"""{HEADING}

`python bench/bench_layer_file.py` — Python {platform.python_version()}, {os.cpu_count()} CPU(s), \
load average {load_before:.1f} before and {load_after:.1f} after. A land bureau's \
{args.count:,} parcels imported into a workspace; its layer file (the GeoJSON copy every page \
reads, written once per change of the workspace) written and read each way in turn, \
medians of {args.repeat} runs. Both ways give the same features, coordinates exact: \
{"yes" if same else "NO"}.

| step | the product | the obvious way, same process | |
| --- | ---: | ---: | --- |
| write the layer file from the parcels read | {med(write_ours)}, {sizes[0]:.0f} MB \
(geometries by GEOS in one call, properties by orjson) | {med(write_plain)}, {sizes[1]:.0f} MB \
(the collection as Python objects, the json module) | {write_ratio:.1f}x faster |
| read it as a page does, the contract checked | {med(read_first)}; once checked, \
{med(read_again)} (orjson with the cycle collector held off, polygons made in one call per \
type, the geometry checks on all features at once) | {med(read_plain)} (the json module, a \
shapely `shape` per feature, checked one at a time) | {read_ratio:.1f}x faster |
"""
    if args.write:
        write_section(section, HEADING)
    print(section)
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
