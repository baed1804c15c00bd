"""A district's land ledger: importing, totalling and measuring 100,000 parcels.

Run: ``python bench/bench_scale.py``. The file is a land bureau's GeoPackage in CGCS2000
Gauss-Krüger zone 42 (EPSG:4530) with its Chinese columns (地块编号, 项目名称, 土地用途,
供地状态, 供地日期, 所在乡镇, 批准面积), 100,000 parcels of 20 vertices (two million
vertices), made by ``tests/scale_files.py``. In one process, each step beside the obvious
alternative, the two taking turns:

1. **Area** (first, while the process is fresh). ``geo-app area FILE --json`` end to end
   against reading the file with pyogrio and a loop of pyproj Geod areas, each run once
   untimed first (the command line loads a command's modules on its first call). Goal: at
   least 2.5x faster, within 1e-6. Both are also timed as processes of their own, start-up
   and imports included.
2. **Import.** :func:`geo_app.importing.import_file` into a new workspace (read, columns
   and words understood, every parcel checked, hectares, one transaction with the history)
   against pyogrio reading the file and writing it to a new GeoPackage. Goal: at most 4x,
   and a peak resident memory under 2 GB (sampled every 10 ms while the import runs). The
   same import is also run in a child process under the import worker's caps
   (:mod:`geo_app.jobs`: 2 GB of address space) to show that it fits.
3. **Totals.** ``geo-app totals --workspace DIR --json`` on that workspace against the same
   command on a new workspace with the sample parcels: as a command (a process of its
   own, start-up included) and called in this process. Goal: at most 1.5x, and within
   1e-6 of a pyproj Geod loop over the stored parcels. The ledger that measures every
   geometry again (``workspace_ledger``) is timed beside it.

Results go to the "## Scale" section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import pyogrio
import shapely
from pyproj import Geod

PROJECT_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(PROJECT_ROOT / "tests"))
sys.path.insert(0, str(PROJECT_ROOT))
from benchmarks_page import write_section  # noqa: E402
from scale_files import bureau_geopackage  # noqa: E402

from geo_app.cli import main as cli_main  # noqa: E402
from geo_app.importing import import_file  # noqa: E402
from geo_app.ledger import workspace_totals  # noqa: E402
from geo_app.workspace import Workspace, workspace_ledger  # noqa: E402

HEADING = "## Scale"
GOALS = {"import_ratio": 4.0, "peak_gb": 2.0, "totals_ratio": 1.5, "area_speedup": 2.5,
         "relative": 1e-6}
GEOD = Geod(ellps="GRS80")


def load_average() -> float:
    return os.getloadavg()[0]


def geod_hectares(geometries) -> np.ndarray:
    return np.array([abs(GEOD.geometry_area_perimeter(shapely.orient_polygons(g))[0]) / 1e4
                     for g in geometries])


def timed(function, repeat: int) -> tuple[float, list[float], object]:
    times, answer = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        answer = function()
        times.append(time.perf_counter() - start)
    return statistics.median(times), times, answer


def paired(ours, theirs, repeat: int, warm: bool = False) -> tuple[tuple, tuple]:
    """:func:`timed` of both, taking turns (which goes first alternates), so a change in
    the machine's load falls on both alike. ``warm``: each runs once untimed first (the
    command line loads a command's modules on its first call)."""
    times: tuple[list[float], list[float]] = ([], [])
    answers: list[object] = [None, None]
    if warm:
        ours(), theirs()
    for turn in range(repeat):
        order = (0, 1) if turn % 2 == 0 else (1, 0)
        for side in order:
            start = time.perf_counter()
            answers[side] = (ours, theirs)[side]()
            times[side].append(time.perf_counter() - start)
    return tuple(  # type: ignore[return-value]
        (statistics.median(times[side]), times[side], answers[side]) for side in (0, 1)
    )


class PeakMemory:
    """The process's resident memory, sampled every 10 ms while the block runs."""

    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()

    @staticmethod
    def resident() -> int:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
        return 0

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.resident())
            time.sleep(0.01)

    def __enter__(self) -> PeakMemory:
        self.peak = self.resident()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.resident())


# The import in a child process under the worker's caps (geo_app.jobs), as the app runs it.
_CAPPED_IMPORT = """
import json, resource, sys, time
from geo_app.jobs import JobLimits, apply_limits
limits = JobLimits.from_env()
apply_limits(limits.memory_bytes, limits.time_s)
from geo_app.importing import import_file
from geo_app.workspace import Workspace
start = time.perf_counter()
result = import_file(Workspace.open(sys.argv[2]), sys.argv[1], "bench")
status = dict(line.split(":", 1) for line in open("/proc/self/status"))
print(json.dumps({"imported": result.outcome is not None, "s": time.perf_counter() - start,
                  "cap_mb": limits.memory_mb,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "peak_vm_mb": int(status["VmPeak"].split()[0]) / 1024}))
"""


def capped_import(path: Path, folder: Path) -> dict:
    from geo_app.jobs import WORKER_ENV

    env = {**os.environ, **WORKER_ENV, "PYTHONPATH": str(PROJECT_ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", _CAPPED_IMPORT, str(path), str(folder / "ws-capped")],
        capture_output=True, text=True, env=env, cwd=PROJECT_ROOT, timeout=900,
    )
    if done.returncode != 0:
        return {"imported": False, "error": done.stderr.strip().splitlines()[-1:]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def import_split(path: Path, folder: Path) -> dict[str, float]:
    """Where one import's time goes: reading the file; its columns and words understood;
    the rest of the plan (validation, repairs, properties); each parcel's own checks as the
    workspace takes it; the one transaction that writes the parcels and their history."""
    from geo_app.importing import prepare_import
    from geo_app.parcel_table import table as parcel_table
    from geo_app.reading import read_vector
    from geo_app.workspace import store

    spent: dict[str, float] = {"read_s": 0.0, "understand_s": 0.0, "checks_s": 0.0}

    def clocked(function, key):
        def wrapper(*args, **kwargs):
            begin = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                spent[key] += time.perf_counter() - begin
        return wrapper

    understand, checked_many = parcel_table.understand, store.checked_many
    parcel_table.read_vector = clocked(read_vector, "read_s")
    parcel_table.understand = clocked(understand, "understand_s")
    store.checked_many = clocked(checked_many, "checks_s")
    try:
        start = time.perf_counter()
        plan = prepare_import(path)
        spent["plan_s"] = time.perf_counter() - start
        workspace = Workspace.open(folder / "ws-split")
        start = time.perf_counter()
        workspace.import_parcels(plan.parcels, "bench", path.name)
        spent["write_s"] = time.perf_counter() - start
    finally:
        parcel_table.read_vector = read_vector
        parcel_table.understand, store.checked_many = understand, checked_many
    spent["rest_s"] = spent["plan_s"] - spent["read_s"] - spent["understand_s"]
    spent["transaction_s"] = spent["write_s"] - spent["checks_s"]
    return spent


def command_seconds(argv: list[str], repeat: int) -> float:
    """Median wall time of ``python -m geo_app ARGV`` as a process of its own."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "geo_app", *argv], check=True,
                       capture_output=True, cwd=PROJECT_ROOT,
                       env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)})
        times.append(time.perf_counter() - start)
    return statistics.median(times)


_PLAIN_AREA = """
import sys
import pyogrio, shapely
from pyproj import Geod
geod = Geod(ellps="GRS80")
frame = pyogrio.read_dataframe(sys.argv[1]).to_crs(4326)
areas = [abs(geod.geometry_area_perimeter(shapely.orient_polygons(g))[0]) / 1e4
         for g in frame.geometry]
print(sum(areas))
"""


def script_seconds(script: str, argv: list[str], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", script, *argv], check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def cli_text(argv: list[str]) -> str:
    """What ``geo-app ARGV`` prints, run in this process (the JSON is read afterwards, out
    of the timing)."""
    out, err = io.StringIO(), io.StringIO()
    code = cli_main(argv, stdout=out, stderr=err)
    if code != 0:
        raise RuntimeError(err.getvalue())
    return out.getvalue()


def run(count: int, repeat: int) -> dict:
    r: dict = {"count": count, "repeat": repeat, "load_before": load_average()}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path = bureau_geopackage(folder / "供地台账.gpkg", count)
        r["size_mb"] = path.stat().st_size / 2**20

        # 1. Area, end to end (first, while the process is fresh), beside reading the
        # file and a Geod loop; the two take turns.
        def plain_area():
            frame = pyogrio.read_dataframe(path).to_crs(4326)
            return geod_hectares(frame.geometry)

        (r["area_s"], r["area_times"], printed_area), (r["plain_s"], r["plain_times"], plain) = (
            paired(lambda: cli_text(["area", str(path), "--json"]), plain_area, repeat,
                   warm=True))
        answer = json.loads(printed_area)
        ours_ha = np.array([f["hectares"] for f in answer["features"]])
        r["area_relative"] = float(np.max(np.abs(ours_ha - plain) / plain))
        r["area_cmd_s"] = command_seconds(["area", str(path), "--json"], repeat)
        r["plain_cmd_s"] = script_seconds(_PLAIN_AREA, [str(path)], repeat)

        # 2. Import, beside pyogrio's read and write; the two take turns.
        def yardstick():
            frame = pyogrio.read_dataframe(path)
            pyogrio.write_dataframe(frame, folder / f"copy-{time.perf_counter_ns()}.gpkg",
                                    driver="GPKG")

        peaks = []

        def ours():
            workspace = Workspace.open(folder / f"ws-{time.perf_counter_ns()}")
            with PeakMemory() as memory:
                result = import_file(workspace, path, "bench")
            assert result.outcome is not None, [p.line("en") for p in result.plan.errors]
            peaks.append(memory.peak)
            return workspace

        (r["import_s"], r["import_times"], workspace), (r["yard_s"], r["yard_times"], _) = (
            paired(ours, yardstick, repeat))
        r["peak_gb"] = max(peaks) / 2**30
        r["split"] = import_split(path, folder)
        r["process_peak_gb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
        r["capped"] = capped_import(path, folder)

        # 3. Totals on that workspace and on a new one holding the samples.
        big = workspace.path.parent
        sample = folder / "ws-samples"
        Workspace.open(sample)
        r["totals_big_cmd_s"] = command_seconds(["totals", "--workspace", str(big), "--json"],
                                                repeat + 2)
        r["totals_sample_cmd_s"] = command_seconds(
            ["totals", "--workspace", str(sample), "--json"], repeat + 2)
        runs = 5 * repeat
        r["totals_big_s"], _, printed_totals = timed(
            lambda: cli_text(["totals", "--workspace", str(big), "--json"]), runs)
        r["totals_sample_s"], _, _ = timed(
            lambda: cli_text(["totals", "--workspace", str(sample), "--json"]), runs)
        printed = json.loads(printed_totals)
        r["ledger_s"], _, measured = timed(lambda: workspace_ledger(workspace), 1)
        stored_geometries = [p.geometry for p in workspace.parcels()]
        truth = float(geod_hectares(stored_geometries).sum())
        r["totals_relative"] = abs(printed["total_ha"] - truth) / truth
        r["totals_ha"] = printed["total_ha"]
        r["ledger_equal"] = abs(workspace_totals(workspace).total_ha - measured.total_ha) <= (
            1e-9 * measured.total_ha)

    r["load_after"] = load_average()
    return r


def markdown(r: dict) -> str:
    def verdict(ok: bool) -> str:
        return "met" if ok else "**missed**"

    def times(values: list[float]) -> str:
        return ", ".join(f"{v:.2f}" for v in values)

    import_ratio = r["import_s"] / r["yard_s"]
    cmd_ratio = r["totals_big_cmd_s"] / r["totals_sample_cmd_s"]
    call_ratio = r["totals_big_s"] / r["totals_sample_s"]
    speedup = r["plain_s"] / r["area_s"]
    cmd_speedup = r["plain_cmd_s"] / r["area_cmd_s"]
    capped = r["capped"]
    split = r["split"]
    if capped.get("imported"):
        capped_text = (
            f"imported in {capped['s']:.1f} s under a {capped['cap_mb']:,} MB cap: peak "
            f"{capped['peak_rss_mb']:,.0f} MB resident, {capped['peak_vm_mb']:,.0f} MB of "
            "address space")
    else:
        capped_text = f"**not imported** under the cap ({capped.get('error')})"
    return f"""{HEADING}

`python bench/bench_scale.py` — Python {platform.python_version()}, {os.cpu_count()} CPU(s), \
load average {r['load_before']:.1f} before and {r['load_after']:.1f} after (other work on the \
machine slows both sides of every comparison alike; the ratios are the steadier figures). \
A land bureau's GeoPackage of {r['count']:,} parcels (20 vertices each, \
{r['count'] * 20:,} vertices, {r['size_mb']:.1f} MB, EPSG:4530 with the bureau's Chinese \
columns and words; `tests/scale_files.py`). Medians of {r['repeat']} runs unless said.

| step | the product | the alternative, same process | goal |
| --- | ---: | ---: | --- |
| import | {r['import_s']:.2f} s (`import_file` into a new workspace: read, understood, \
checked, measured, one transaction with the history; runs {times(r['import_times'])}) | \
{r['yard_s']:.2f} s (pyogrio read + write GeoPackage; runs {times(r['yard_times'])}) | \
≤ {GOALS['import_ratio']:g}x: {import_ratio:.2f}x, \
{verdict(import_ratio <= GOALS['import_ratio'])} |
| import, where the time goes (one more run) | reading the file {split['read_s']:.2f} s; \
its columns and words understood (`parcel_table.understand`) {split['understand_s']:.2f} s; \
the rest of the plan (validation, properties) {split['rest_s']:.2f} s; each parcel's own \
checks as the workspace takes it (`workspace.checks.checked_many`) \
{split['checks_s']:.2f} s; the one transaction (hectares, encoding, the parcels and their \
history written) {split['transaction_s']:.2f} s | | |
| import, memory | peak {r['peak_gb']:.2f} GB resident while importing (sampled every \
10 ms); in a child process under the import worker's caps: {capped_text} | | \
< {GOALS['peak_gb']:g} GB: {verdict(r['peak_gb'] < GOALS['peak_gb'])} |
| `geo-app totals --workspace` | {r['totals_big_cmd_s']:.2f} s as a command on this \
workspace; {r['totals_big_s'] * 1000:.0f} ms called in this process (one SQL aggregate of \
the stored hectares) | {r['totals_sample_cmd_s']:.2f} s / {r['totals_sample_s'] * 1000:.0f} ms \
on the sample workspace; the ledger that measures every geometry again: \
{r['ledger_s']:.2f} s | ≤ {GOALS['totals_ratio']:g}x: {cmd_ratio:.2f}x as a command, \
{verdict(cmd_ratio <= GOALS['totals_ratio'])} ({call_ratio:.1f}x in process) |
| totals, agreement | {r['totals_ha']:,.2f} ha; relative difference from a pyproj Geod \
loop over the stored parcels {r['totals_relative']:.1e}; equal to the measuring ledger: \
{'yes' if r['ledger_equal'] else '**no**'} | | ≤ {GOALS['relative']:g}: \
{verdict(r['totals_relative'] <= GOALS['relative'] and r['ledger_equal'])} |
| `geo-app area FILE --json` | {r['area_s']:.2f} s in this process (runs \
{times(r['area_times'])}); {r['area_cmd_s']:.2f} s as a command | {r['plain_s']:.2f} s \
(pyogrio read, to lon/lat, pyproj Geod loop; runs {times(r['plain_times'])}); \
{r['plain_cmd_s']:.2f} s as a script | ≥ {GOALS['area_speedup']:g}x faster: \
{speedup:.2f}x, {verdict(speedup >= GOALS['area_speedup'])} ({cmd_speedup:.2f}x as \
processes, start-up and imports included) |
| area, agreement | worst relative difference per parcel {r['area_relative']:.1e} | | \
≤ {GOALS['relative']:g}: {verdict(r['area_relative'] <= GOALS['relative'])} |
"""


def options(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000, help="parcels in the file")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each timing")
    parser.add_argument("--no-write", dest="write", action="store_false",
                        help="print the section without filing it in docs/benchmarks.md")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    chosen = options(argv)
    section = markdown(run(chosen.count, max(chosen.repeat, 1)))
    print(section)
    if chosen.write:
        write_section(section, HEADING)
    return 0


if __name__ == "__main__":
    sys.exit(main())
