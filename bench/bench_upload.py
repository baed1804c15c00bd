"""What a large upload does to everyone else: a second planner's page load while a first
planner uploads and imports a file of about two million vertices, and the server's memory.

Run: ``python bench/bench_upload.py``. In one run, for each way of doing the work, a fresh
workspace (the sample parcels), a fresh real Streamlit server and one headless Chromium with
every request to another host blocked:

1. the idle load time of a second page (navigation to the map's first path, fresh browser
   context each time);
2. a first tab uploads the file, waits for its preview and imports it, while the second
   page is loaded again and again; each load is filed under what the first tab was doing
   when it ended (upload and preview, import, or the page drawn again with the new parcel);
3. the server process's resident memory (``/proc/<pid>/status``), sampled every 0.1 s:
   before the upload, its peak, once the import has ended (the uploading tab has said so)
   and at the end, after the page has been drawn again and loaded with the new parcel.

The two ways, in the same run:

- **worker**: the app as it is (the preview and the import in a worker process,
  :mod:`geo_app.jobs`);
- **in the server**: the alternative the app used to be, the same two tasks run in the
  server process. A generated main script patches :mod:`geo_app.import_jobs` (in that
  server only) so each job runs its task (the same functions the worker runs) in a thread
  of the server, then runs the real ``streamlit_app.py``. The page, its polling and its
  messages are the same; only where the work happens differs.

Results go to the "## Upload" section of docs/benchmarks.md (other sections are kept).
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT_ROOT))
sys.path.insert(0, str(PROJECT_ROOT / "tests" / "browser"))

from app_server import (  # noqa: E402
    MAP_FRAME,
    ExternalRequestBlocker,
    StreamlitServer,
    launch_chromium,
)
from bench_app import SETTLE_S, _load_once, new_context  # noqa: E402
from benchmarks_page import write_section  # noqa: E402

from geo_app.i18n import load_strings  # noqa: E402
from geo_app.jobs import FOLDER_PREFIX  # noqa: E402
from geo_app.reading import DEFAULT_LIMITS  # noqa: E402
from geo_app.workspace import DATA_ENV, Workspace  # noqa: E402

APP = PROJECT_ROOT / "streamlit_app.py"
SECTION = "## Upload"
VIEWPORT = {"width": 1400, "height": 1000}
GOALS = {"load_ratio": 1.5, "memory_mb": 100}
VERTICES = 1_990_000
# The district seat; the ring's radius (about 10 km) keeps neighbouring vertices ~3 cm apart,
# well clear of the 7th decimal's rounding, so the ring stays valid.
CENTRE = (125.66, 43.52)
RADIUS_DEG = 0.09
# Bounds on the busy part: the first tab's work, and loads of the second page.
BUSY_LIMIT_S = 600
MAX_LOADS = 60
SAMPLE_S = 0.1
# A job's private folder exists while it runs: the worker's, or the in-server thread's.
JOB_FOLDERS = (FOLDER_PREFIX, "geo-app-in-server-")

STRINGS = load_strings()

IN_SERVER_JOBS = '''\
"""Benchmark only: each import job runs its task in a thread of the server itself."""
import json
import os
import shutil
import tempfile
import threading
import time
from pathlib import Path

from geo_app import import_jobs
from geo_app.jobs import INPUTS, JobStatus, _plain_name, _write_input


class InServerJob:
    def __init__(self, task, arguments, inputs, limits):
        self.task, self.limits, self.pid = task, limits, os.getpid()
        self.folder = Path(tempfile.mkdtemp(prefix="geo-app-in-server-"))
        (self.folder / INPUTS).mkdir()
        for name, content in inputs.items():
            _write_input(self.folder / INPUTS / _plain_name(name), content)
        self._started = time.monotonic()
        self._answer = None
        self._ended = None
        self._thread = threading.Thread(target=self._run, args=(arguments,), daemon=True)
        self._thread.start()

    @classmethod
    def start(cls, task, arguments, inputs, limits, *, worker):
        return cls(task, arguments, inputs, limits)

    def _run(self, arguments):
        try:
            answer = import_jobs.TASKS[self.task](arguments, self.folder / INPUTS)
            self._answer = json.loads(json.dumps(answer))
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)
            self._ended = time.monotonic() - self._started

    def elapsed_s(self):
        return time.monotonic() - self._started

    def poll(self):
        if self._ended is None:
            return JobStatus("running", self.elapsed_s())
        return JobStatus("done" if self._answer is not None else "crashed", self._ended)

    def cancel(self):
        return self.poll()  # a thread cannot be stopped: the old path had no cancel

    def wait(self, timeout_s, interval_s=0.05):
        self._thread.join(timeout_s)
        return self.poll()

    def result(self):
        return self._answer


import_jobs.Job = InServerJob
'''

IN_SERVER_MAIN = '''\
"""Benchmark only: the app, with its import jobs run in the server process."""
import runpy
import sys

PROJECT = {project!r}
if PROJECT not in sys.path:
    sys.path.insert(0, PROJECT)
import in_server_jobs  # noqa: E402,F401  (patches geo_app.import_jobs once per process)

runpy.run_path(PROJECT + "/streamlit_app.py", run_name="__main__")
'''


def zh(name: str, **values: object) -> str:
    return STRINGS.get(name, "zh", **values)


def write_polygon(path: Path, vertices: int) -> int:
    """One parcel whose ring has ``vertices`` points (the last repeating the first),
    written at 7 decimals as surveyors' files are; returns the file's size."""
    lon0, lat0 = CENTRE
    r_lon = RADIUS_DEG / math.cos(math.radians(lat0))
    with open(path, "w", encoding="utf-8") as out:
        out.write('{"type":"FeatureCollection","features":[{"type":"Feature",'
                  '"properties":{"id":"bench-big-1","status":"planned"},'
                  '"geometry":{"type":"Polygon","coordinates":[[')
        first = None
        for i in range(vertices - 1):
            angle = 2 * math.pi * i / (vertices - 1)
            point = (f"[{lon0 + r_lon * math.cos(angle):.7f},"
                     f"{lat0 + RADIUS_DEG * math.sin(angle):.7f}]")
            first = first or point
            out.write(point if i == 0 else "," + point)
        out.write("," + first + "]]}}]}")
    return path.stat().st_size


def write_in_server_app(folder: Path) -> Path:
    """The generated main script of the alternative; static/ beside it is the app's."""
    (folder / "in_server_jobs.py").write_text(IN_SERVER_JOBS, encoding="utf-8")
    script = folder / "in_server_app.py"
    script.write_text(IN_SERVER_MAIN.format(project=str(PROJECT_ROOT)), encoding="utf-8")
    # Streamlit serves static/ from beside the main script; Leaflet lives there.
    (folder / "static").symlink_to(PROJECT_ROOT / "static", target_is_directory=True)
    return script


# ----------------------------------------------------------------------- memory


def resident_mb(pid: int) -> float | None:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        return None
    return None


def children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text(encoding="ascii")
    except OSError:
        return []
    return [int(part) for part in text.split()]


class Watch:
    """Samples, in a thread, the server's resident memory, its workers' and whether an
    import job is running (its private folder exists in the server's temporary folder)."""

    def __init__(self, pid: int, temp: Path) -> None:
        self.pid = pid
        self.temp = temp
        self.memory: list[tuple[float, float]] = []
        self.worker_peak = 0.0
        # (start, end) of each job, in time.monotonic() seconds.
        self.jobs: list[list[float]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Watch:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join()

    def _job_running(self) -> bool:
        try:
            return any(p.name.startswith(JOB_FOLDERS) for p in self.temp.iterdir())
        except OSError:
            return False

    def _run(self) -> None:
        running = False
        while not self._stop.is_set():
            now = time.monotonic()
            mb = resident_mb(self.pid)
            if mb is not None:
                self.memory.append((now, mb))
            for child in children(self.pid):
                self.worker_peak = max(self.worker_peak, resident_mb(child) or 0.0)
            if self._job_running():
                if not running:
                    self.jobs.append([now, now])
                self.jobs[-1][1] = now
                running = True
            else:
                running = False
            self._stop.wait(SAMPLE_S)

    def now(self) -> float:
        return resident_mb(self.pid) or float("nan")

    def memory_at(self, moment: float) -> float:
        """The last sample taken at or before ``moment``."""
        before = [mb for at, mb in self.memory if at <= moment]
        return before[-1] if before else float("nan")


# ----------------------------------------------------------------------- the two tabs


@dataclass
class Run:
    mode: str
    idle_s: list[float]
    # Each load of the second page while the first tab worked: (start, end, seconds).
    loads: list[tuple[float, float, float]] = field(default_factory=list)
    busy_s: dict[str, list[float]] = field(default_factory=dict)
    before_mb: float = 0.0
    # The peak until the import's job ended, and over the whole run.
    work_peak_mb: float = 0.0
    peak_mb: float = 0.0
    ended_mb: float = 0.0
    after_mb: float = 0.0
    # A fresh server on the workspace the import left, after the same loads.
    fresh_mb: float = 0.0
    worker_peak_mb: float = 0.0
    upload_s: float = 0.0
    preview_s: float = 0.0
    import_s: float = 0.0
    imported: bool = False
    left_folders: int = 0


def second_load(browser, blocker: ExternalRequestBlocker, url: str) -> float:
    """A new planner's page: a fresh browser context, timed to the map's first path."""
    time.sleep(SETTLE_S)
    context = new_context(browser, blocker)
    try:
        return _load_once(context, url)[0]
    finally:
        context.close()


def open_import_panel(context, url: str):
    page = context.new_page()
    page.goto(url)
    page.locator(MAP_FRAME).first.wait_for(state="attached", timeout=120_000)
    page.get_by_role("tab", name=zh("app.tab.land")).click()
    page.get_by_text(zh("app.import.title")).click()
    name = page.get_by_label(zh("app.import.user"))
    name.fill("王工")
    name.press("Enter")
    page.locator('[data-testid="stFileUploaderDropzone"]').wait_for(timeout=60_000)
    return page


def classify(run: Run, jobs: list[list[float]]) -> None:
    """File each load under what the first tab was doing: the upload before its first job,
    the preview's job, "between" (the first tab's own page runs after the preview), the
    import's job, and "after" for a load that ended once the import's job had: the
    uploading tab then draws the page again with the new parcel, as does every later load."""
    preview = jobs[0] if jobs else None
    imported = jobs[-1] if len(jobs) > 1 else None
    for start, end, seconds in run.loads:
        if imported and end > imported[1]:
            phase = "after"
        elif imported and end > imported[0]:
            phase = "import"
        elif preview and start < preview[1] and end > preview[0]:
            phase = "preview"
        elif preview is None or end <= preview[0]:
            phase = "upload"
        else:
            phase = "between"
        run.busy_s.setdefault(phase, []).append(seconds)


def choose_file(page, upload: Path) -> None:
    with page.expect_file_chooser() as chooser:
        page.locator('[data-testid="stFileUploaderDropzone"]').click()
    chooser.value.set_files(upload)


def memory_pass(browser, server: StreamlitServer, upload: Path, run: Run) -> None:
    """The first tab alone uploads, previews and imports, and the page is drawn again with
    the new parcel; the server's memory all along (no other page adds sessions of its own)."""
    blocker = ExternalRequestBlocker()
    assert server.process is not None
    temp = Path(server.env["TMPDIR"])
    # One page drawn first, as on a server in use.
    second_load(browser, blocker, server.url)
    uploader = new_context(browser, blocker)
    page = open_import_panel(uploader, server.url)
    run_button = page.get_by_role("button", name=zh("app.import.run"), exact=True)
    done = page.get_by_text(zh("app.import.done", count=1, hectares="").split("，")[0])
    time.sleep(3)
    with Watch(server.process.pid, temp) as watch:
        run.before_mb = watch.now()
        start = time.monotonic()
        choose_file(page, upload)
        run_button.wait_for(state="visible")
        deadline = start + BUSY_LIMIT_S
        while not run_button.is_enabled() and time.monotonic() < deadline:
            time.sleep(0.2)
        run_button.click()
        done.wait_for(timeout=max(deadline - time.monotonic(), 1) * 1000)
        run.imported = True
        time.sleep(3)
        run.after_mb = watch.now()
    jobs = watch.jobs
    run.upload_s = jobs[0][0] - start
    run.preview_s = jobs[0][1] - jobs[0][0]
    run.import_s = jobs[-1][1] - jobs[-1][0]
    run.work_peak_mb = max(mb for at, mb in watch.memory if at <= jobs[-1][1])
    # Once the import's job has ended, before the page is drawn with the new parcel.
    run.ended_mb = watch.memory_at(jobs[-1][1])
    run.peak_mb = max(mb for _, mb in watch.memory)
    run.worker_peak_mb = watch.worker_peak
    uploader.close()
    run.left_folders += sum(1 for p in temp.iterdir() if p.name.startswith(JOB_FOLDERS))


def load_pass(browser, server: StreamlitServer, upload: Path, run: Run, idle_loads: int,
              after_loads: int) -> None:
    """A second page loaded again and again, idle and then while the first tab uploads,
    previews and imports; each load filed by :func:`classify`."""
    blocker = ExternalRequestBlocker()
    url = server.url
    assert server.process is not None
    temp = Path(server.env["TMPDIR"])
    # Warm the server (first script run, caches) before anything is timed.
    second_load(browser, blocker, url)
    run.idle_s = [second_load(browser, blocker, url) for _ in range(idle_loads)]
    uploader = new_context(browser, blocker)
    page = open_import_panel(uploader, url)
    run_button = page.get_by_role("button", name=zh("app.import.run"), exact=True)
    done = page.get_by_text(zh("app.import.done", count=1, hectares="").split("，")[0])
    time.sleep(2)
    with Watch(server.process.pid, temp) as watch:
        start = time.monotonic()
        choose_file(page, upload)
        clicked = imported = False
        after = 0
        while time.monotonic() - start < BUSY_LIMIT_S and len(run.loads) < MAX_LOADS:
            if not clicked and run_button.is_enabled():
                run_button.click()
                clicked = True
            imported = imported or (clicked and done.count() > 0)
            if imported:
                if after >= after_loads:
                    break
                after += 1
            load_start = time.monotonic()
            seconds = second_load(browser, blocker, url)
            run.loads.append((load_start, time.monotonic(), seconds))
    classify(run, watch.jobs)
    uploader.close()
    run.left_folders += sum(1 for p in temp.iterdir() if p.name.startswith(JOB_FOLDERS))


def fresh_memory(browser, server: StreamlitServer) -> float:
    """The resident memory of a server started on the workspace an import left, once it
    has drawn the page (as the uploading tab did) and rested 3 s."""
    context = new_context(browser, ExternalRequestBlocker())
    page = context.new_page()
    page.goto(server.url, wait_until="commit")
    # The first page with a parcel of two million vertices takes long: allow for it.
    page.wait_for_function("() => window.__mapDrawnAt", timeout=BUSY_LIMIT_S * 1000)
    context.close()
    time.sleep(3)
    assert server.process is not None
    return resident_mb(server.process.pid) or float("nan")


# ----------------------------------------------------------------------- report


def fmt(values: list[float]) -> str:
    if not values:
        return "—"
    return (f"{statistics.median(values):.2f} s (n {len(values)}, min {min(values):.2f}, "
            f"max {max(values):.2f})")


def verdict(ok: bool) -> str:
    return "met" if ok else "**missed**"


DURING = ("upload", "preview", "between", "import")


def report(runs: list[Run], vertices: int, size: int, args: argparse.Namespace,
           load_before: float, load_after: float) -> str:
    rows = []
    for run in runs:
        idle = statistics.median(run.idle_s)
        during = [s for phase in DURING for s in run.busy_s.get(phase, [])]
        median = statistics.median(during) if during else float("nan")
        worst = max(during) if during else float("nan")
        back = run.ended_mb - run.before_mb
        phases = " | ".join(fmt(run.busy_s.get(phase, [])) for phase in (*DURING, "after"))
        rows.append(
            f"| {run.mode} | {fmt(run.idle_s)} | {phases} | "
            f"{median / idle:.2f}x / {worst / idle:.2f}x, "
            f"{verdict(worst <= GOALS['load_ratio'] * idle)} | "
            f"{run.before_mb:.0f} / {run.work_peak_mb:.0f} / {run.ended_mb:.0f} MB | "
            f"{back:+.0f} MB, {verdict(abs(back) <= GOALS['memory_mb'])} | "
            f"{run.after_mb:.0f} / {run.fresh_mb:.0f} / {run.peak_mb:.0f} MB | "
            f"{run.upload_s:.1f} / {run.preview_s:.1f} / {run.import_s:.1f} | "
            f"{run.worker_peak_mb:.0f} MB |"
        )
    header = (
        "| way | second page, idle | during the upload | during the preview | between "
        "| during the import | after: the page drawn again with the new parcel | during "
        f"the work vs idle, median / slowest (goal slowest ≤ {GOALS['load_ratio']}x) | "
        "server memory before / peak during the work / at the import's end | at the "
        f"import's end vs before (goal within {GOALS['memory_mb']} MB) | with the new "
        "parcel drawn / a fresh server on that workspace / peak of the whole pass | first "
        "tab: upload / preview / import (s) | worker's peak |"
    )
    return f"""{SECTION}

`python bench/bench_upload.py --idle {args.idle} --after {args.after}` — Python \
{platform.python_version()}, {os.cpu_count()} CPU(s), Chromium at /usr/bin/chromium \
(headless), every request to another host blocked. The file: one parcel whose ring has \
{vertices:,} vertices, {size / 2**20:.1f} MB of GeoJSON (under the readers' \
{DEFAULT_LIMITS.max_file_bytes / 2**20:.0f} MB and {DEFAULT_LIMITS.max_vertices:,}-vertex \
limits). A first tab chooses the file (the browser uploads it, the panel \
previews it in a job) and imports it (a second job) once the import button is enabled; \
the page is then drawn again with the new parcel. Each way is measured in three passes, \
each on a fresh server and a fresh workspace of the sample parcels:

1. memory: the first tab alone, the server's resident memory (`/proc/<pid>/status`) \
sampled every {SAMPLE_S} s: before the upload (one page drawn), its peak until the \
import's job ended, when it ended, and 3 s after the first tab showed the import's result \
(the page drawn again with the new parcel);
2. loads: {args.idle} idle loads of a second page, then the same while the first tab works, \
again and again, each in a fresh browser context (navigation to the map's first path, \
{SETTLE_S} s pause before each). A load is filed under what the first tab was doing while \
it ran: a job runs while its private folder exists in the server's temporary folder; \
"between" is the first tab's own page runs after the preview and before the import; \
"after" is any load that ended once the import's job had ended, when the page is drawn \
with the new parcel ({args.after} more after the first tab showed the result);
3. fresh: a server started on the workspace pass 1's import left, its memory once it has \
drawn the page and rested 3 s: what the new parcel costs any server, with no upload \
behind it.

Load average {load_before:.1f} before and {load_after:.1f} after (other work on the \
machine slows every load).

"worker" is the app as it is: the preview and the import run in a worker process \
(`geo_app/jobs.py`, `geo_app/import_jobs.py`), capped at 2 GiB of address space and 300 \
s, at the lowest CPU priority (nice 19, Linux's idle scheduling class). "in the server" \
is the alternative the app used to be: the same two tasks run in a thread of the server \
process (a generated main script swaps the job class for one that runs the task in a \
thread, then runs the real page, so the page, its polling and its messages are the \
same).

{header}
| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | --- | ---: | ---: | ---: |
{chr(10).join(rows)}

"After" is not the upload's doing: once the parcel is in the workspace every page draws it, \
and building the page's data and map from a parcel of two million vertices happens in the \
server for whichever page asks first, whichever way it was imported (compare the fresh \
server). Temporary folders left by the jobs: \
{", ".join(f"{r.mode} {r.left_folders}" for r in runs)}.
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vertices", type=int, default=VERTICES)
    parser.add_argument("--idle", type=int, default=5, help="idle loads of the second page")
    parser.add_argument("--after", type=int, default=2,
                        help="loads of the second page after the import")
    parser.add_argument("--only", choices=("worker", "in the server"),
                        help="measure one way only")
    parser.add_argument("--no-write", action="store_true", help="print, do not edit docs")
    args = parser.parse_args(argv)

    from playwright.sync_api import sync_playwright

    load_before = os.getloadavg()[0]
    runs: list[Run] = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        upload = folder / "大地块.geojson"
        size = write_polygon(upload, args.vertices)
        scripts = {"worker": APP, "in the server": write_in_server_app(folder)}
        with sync_playwright() as playwright:
            browser = launch_chromium(playwright)
            for mode, script in scripts.items():
                if args.only and mode != args.only:
                    continue
                run = Run(mode, [])
                env = {key: value for key, value in os.environ.items()
                       if key != "GEO_APP_CATALOG"}
                for part in ("memory", "loads", "fresh"):
                    # A fresh server and workspace for each pass; the last pass opens
                    # the workspace the memory pass's import left.
                    workspace = folder / f"{mode}-{'memory' if part == 'fresh' else part}"
                    temp = folder / f"{mode}-{part}-tmp"
                    temp.mkdir()
                    Workspace.open(workspace)
                    env.update({DATA_ENV: str(workspace), "TMPDIR": str(temp)})
                    with StreamlitServer(script if part != "fresh" else APP, env=env) as server:
                        if part == "memory":
                            memory_pass(browser, server, upload, run)
                        elif part == "loads":
                            load_pass(browser, server, upload, run, args.idle, args.after)
                        else:
                            # What the new parcel costs any server, with no upload behind it.
                            run.fresh_mb = fresh_memory(browser, server)
                runs.append(run)
                print(run, flush=True)
            browser.close()
    load_after = os.getloadavg()[0]
    text = report(runs, args.vertices, size, args, load_before, load_after)
    print(text)
    if not args.no_write:
        write_section(text, SECTION)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
