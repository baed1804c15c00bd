"""Heavy work in a worker process of its own, capped in memory and time, so the process that
asked for it (the app's server, shared by every planner) neither stalls nor grows.

The asking side calls :meth:`Job.start` with a task name, its arguments (plain JSON data) and
its input files, then :meth:`Job.poll` as often as it likes (a poll is a ``waitpid`` and one
small read, never a wait), :meth:`Job.cancel` to stop it, and :meth:`Job.result` once it is
done. The worker is ``python -m <module> FOLDER``; the module hands its tasks to
:func:`run_worker`. Everything passes through a private temporary folder (mode 0700): the
request, the inputs, the answer (JSON, never pickled objects) and the worker's own output.
The folder is removed as soon as the job has ended, however it ended, and, for a job nobody
polls any more, when its :class:`Job` is discarded or the asking process exits.

In the worker, before any task module is imported: the address space is capped
(``RLIMIT_AS``, so an allocation beyond it fails there and not in the server), the CPU
priority lowered (``os.nice``, and Linux's idle scheduling class) and an interval timer
armed whose signal ends the process
at the time cap even inside C code. Linux (or another Unix) only.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
import weakref
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Literal

LOG = logging.getLogger("geo_app.jobs")

MEMORY_ENV = "GEO_APP_IMPORT_MEMORY_MB"
TIME_ENV = "GEO_APP_IMPORT_TIME_S"
DEFAULT_MEMORY_MB = 2048
DEFAULT_TIME_S = 300.0
# Below this the worker could not even load its libraries (about 0.5 GB of address space).
MIN_MEMORY_MB = 256
# How much the worker gives way to the server and the other planners' page loads: the
# lowest priority there is, and on Linux the "idle" scheduling class, which runs the worker
# only on CPU time nobody else wants (with nice 10 alone, a two-million-vertex upload made
# another planner's page load up to 1.9x slower on a two-core machine).
NICENESS = 19
# The asking side kills a worker this long after its time cap if its own timer has not
# (a stopped process ignores the timer's signal until it runs again).
KILL_GRACE_S = 5.0

# Exit codes of a worker besides 0 (answered) and death by a signal.
MEMORY_EXIT = 3
FAILED_EXIT = 4

REQUEST = "request.json"
ANSWER = "answer.json"
INPUTS = "inputs"
WORKER_LOG = "worker.log"
FOLDER_PREFIX = "geo-app-job-"
# Lines of a failed worker's output that reach the server's log.
LOG_TAIL_CHARS = 4000
# The worker's environment on top of the server's. Libraries that start a thread per core
# would compete with the server for its cores. pyarrow's default allocator (mimalloc)
# reserves 1 GiB of address space on first use, counted by the cap although never used:
# with the system allocator the cap measures what the work really takes (a file of two
# million vertices: about 1.0 GB of address space instead of 2.0).
WORKER_ENV = {
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "NUMEXPR_NUM_THREADS": "1",
    "ARROW_DEFAULT_MEMORY_POOL": "system",
}

Outcome = Literal["running", "done", "memory", "time", "crashed", "cancelled"]
Input = bytes | memoryview | IO[bytes]
Task = Callable[[Mapping[str, Any], Path], Any]


@dataclass(frozen=True)
class JobLimits:
    """What a worker may use: bytes of address space and seconds of wall-clock time."""

    memory_bytes: int = DEFAULT_MEMORY_MB * 1024 * 1024
    time_s: float = DEFAULT_TIME_S

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> JobLimits:
        """The caps set by ``GEO_APP_IMPORT_MEMORY_MB`` and ``GEO_APP_IMPORT_TIME_S``; an
        unset or unusable value keeps the default (an unusable one is logged)."""
        environ = os.environ if environ is None else environ
        memory_mb = _setting(environ, MEMORY_ENV, DEFAULT_MEMORY_MB, minimum=MIN_MEMORY_MB)
        time_s = _setting(environ, TIME_ENV, DEFAULT_TIME_S, minimum=1.0)
        return cls(int(memory_mb * 1024 * 1024), float(time_s))

    @property
    def memory_mb(self) -> int:
        return self.memory_bytes // (1024 * 1024)


def _setting(environ: Mapping[str, str], name: str, default: float, minimum: float) -> float:
    text = environ.get(name, "").strip()
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not value >= minimum:  # also false for NaN
        LOG.warning("%s=%r is not a number of at least %s; using %s", name, text, minimum,
                    default)
        return default
    return value


@dataclass(frozen=True)
class JobStatus:
    outcome: Outcome
    elapsed_s: float
    # The worker's resident memory while it runs (None once it has ended, or unknown).
    memory_bytes: int | None = None
    # How the worker ended, for the log: its exit code or signal.
    detail: str = ""

    @property
    def running(self) -> bool:
        return self.outcome == "running"


class Job:
    """One task in one worker process. Not thread-safe: one caller polls it."""

    def __init__(
        self, process: subprocess.Popen, folder: Path, limits: JobLimits, task: str
    ) -> None:
        self._process = process
        self._folder = folder
        self.limits = limits
        self.task = task
        self._started = time.monotonic()
        self._ended: JobStatus | None = None
        self._answer: Any = None
        self._cancelled = False
        # A job nobody polls any more still ends and leaves nothing behind: when it is
        # discarded, or when this process exits.
        self._discard = weakref.finalize(self, _discard, process, folder)

    # -- starting

    @classmethod
    def start(
        cls,
        task: str,
        arguments: Mapping[str, Any],
        inputs: Mapping[str, Input],
        limits: JobLimits,
        *,
        worker: Sequence[str],
    ) -> Job:
        """Start ``task`` in ``worker`` (the command that runs a module calling
        :func:`run_worker`; the job's folder is added as its last argument).

        ``inputs``: plain file names and their contents, written into the folder before the
        worker starts (a file-like input is copied in pieces, never read whole).
        """
        folder = Path(tempfile.mkdtemp(prefix=FOLDER_PREFIX))
        try:
            (folder / INPUTS).mkdir()
            for name, content in inputs.items():
                _write_input(folder / INPUTS / _plain_name(name), content)
            request = {
                "task": task,
                "arguments": dict(arguments),
                "memory_bytes": limits.memory_bytes,
                "time_s": limits.time_s,
            }
            (folder / REQUEST).write_text(json.dumps(request, ensure_ascii=False),
                                          encoding="utf-8")
            with open(folder / WORKER_LOG, "wb") as log:
                process = subprocess.Popen(
                    [*worker, str(folder)],
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    env=_worker_env(),
                    close_fds=True,
                )
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        return cls(process, folder, limits, task)

    # -- watching

    @property
    def pid(self) -> int:
        return self._process.pid

    @property
    def folder(self) -> Path:
        """The job's private folder (gone once the job has ended)."""
        return self._folder

    def elapsed_s(self) -> float:
        return time.monotonic() - self._started

    def poll(self) -> JobStatus:
        """How the job stands; never waits. A worker past its time cap is ended here too."""
        if self._ended is not None:
            return self._ended
        elapsed = self.elapsed_s()
        code = self._process.poll()
        if code is None:
            if elapsed <= self.limits.time_s + KILL_GRACE_S:
                return JobStatus("running", elapsed, _resident_bytes(self._process.pid))
            self._kill()
            return self._end("time", elapsed, f"killed after {elapsed:.0f} s")
        return self._end(self._outcome(code, elapsed), elapsed, _describe(code))

    def cancel(self) -> JobStatus:
        """Stop the job now (a job that has already ended keeps its outcome)."""
        if self._ended is None and self._process.poll() is None:
            self._cancelled = True
            self._kill()
        return self.poll()

    def wait(self, timeout_s: float, interval_s: float = 0.05) -> JobStatus:
        """Poll until the job ends or ``timeout_s`` has passed (for scripts and tests)."""
        deadline = time.monotonic() + timeout_s
        status = self.poll()
        while status.running and time.monotonic() < deadline:
            time.sleep(interval_s)
            status = self.poll()
        return status

    def result(self) -> Any:
        """The task's answer once the job is ``done``; None before and otherwise."""
        return self._answer

    # -- inside

    def _kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            self._process.kill()
        self._process.wait()

    def _outcome(self, code: int, elapsed: float) -> Outcome:
        if self._cancelled:
            return "cancelled"
        if code == 0 and (self._folder / ANSWER).exists():
            return "done"
        if code == MEMORY_EXIT:
            return "memory"
        if code == -signal.SIGALRM or elapsed > self.limits.time_s:
            return "time"
        return "crashed"

    def _end(self, outcome: Outcome, elapsed: float, detail: str) -> JobStatus:
        if outcome == "done":
            try:
                self._answer = json.loads((self._folder / ANSWER).read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                outcome, detail = "crashed", f"unreadable answer: {exc}"
        if outcome not in ("done", "cancelled"):
            LOG.warning("job %s (pid %s) ended %s: %s\n%s", self.task, self._process.pid,
                        outcome, detail, _tail(self._folder / WORKER_LOG))
        self._ended = JobStatus(outcome, elapsed, None, detail)
        self._discard()
        return self._ended


def _discard(process: subprocess.Popen, folder: Path) -> None:
    """End the worker if it still runs, and remove its folder."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        process.wait()
    shutil.rmtree(folder, ignore_errors=True)


def _plain_name(name: str) -> str:
    """An input's name is a file name in the folder, never a path out of it."""
    if not name or name in (".", "..") or "/" in name or "\0" in name:
        raise ValueError(f"not a plain file name: {name!r}")
    return name


def _write_input(path: Path, content: Input) -> None:
    with open(path, "xb") as out:
        if isinstance(content, bytes | memoryview):
            out.write(content)
            return
        # An upload held in memory is copied in pieces: no second whole copy in the server.
        with contextlib.suppress(AttributeError, OSError):
            content.seek(0)
        shutil.copyfileobj(content, out, 1024 * 1024)


def _worker_env() -> dict[str, str]:
    """This process's environment, with the same ``geo_app`` importable first, and
    :data:`WORKER_ENV`."""
    env = dict(os.environ)
    package_root = str(Path(__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join(
        part for part in (package_root, env.get("PYTHONPATH", "")) if part
    )
    env.update(WORKER_ENV)
    return env


def _resident_bytes(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def _describe(code: int) -> str:
    if code < 0:
        try:
            return f"signal {signal.Signals(-code).name}"
        except ValueError:
            return f"signal {-code}"
    return f"exit code {code}"


def _tail(path: Path) -> str:
    try:
        with open(path, "rb") as log:
            log.seek(0, os.SEEK_END)
            log.seek(max(0, log.tell() - LOG_TAIL_CHARS))
            return log.read().decode("utf-8", "replace")
    except OSError:
        return ""


# ----------------------------------------------------------------------- the worker side


def apply_limits(memory_bytes: int, time_s: float) -> None:
    """Cap this process: address space, CPU priority, and a timer that ends it."""
    import resource

    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    cap = memory_bytes if hard == resource.RLIM_INFINITY else min(memory_bytes, hard)
    resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    with contextlib.suppress(OSError):
        os.nice(NICENESS)
    if hasattr(os, "SCHED_IDLE"):
        with contextlib.suppress(OSError):
            os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
    # No handler on purpose: the signal's default action ends the process wherever it is,
    # inside C code too, and an import's open transaction is then never committed.
    signal.signal(signal.SIGALRM, signal.SIG_DFL)
    signal.setitimer(signal.ITIMER_REAL, time_s)


def run_worker(tasks: Mapping[str, Task], argv: Sequence[str] | None = None) -> None:
    """The worker's main: read the request, cap this process, run the task, write its
    answer, exit. ``tasks`` maps task names to functions ``(arguments, inputs folder)
    -> JSON data``; they import their heavy libraries themselves, so that happens under
    the caps."""
    argv = sys.argv if argv is None else argv
    folder = Path(argv[1])
    request = json.loads((folder / REQUEST).read_text(encoding="utf-8"))
    apply_limits(int(request["memory_bytes"]), float(request["time_s"]))
    try:
        task = tasks[request["task"]]
        answer = task(request["arguments"], folder / INPUTS)
        text = json.dumps(answer, ensure_ascii=False)
        written = folder / (ANSWER + ".part")
        written.write_text(text, encoding="utf-8")
        # The answer appears whole or not at all.
        os.replace(written, folder / ANSWER)
    except MemoryError:
        # The large objects are gone by now; a short line fits.
        sys.stderr.write("out of memory under the job's cap\n")
        sys.stderr.flush()
        os._exit(MEMORY_EXIT)
    except BaseException as exc:  # every failure ends the worker, said why
        traceback.print_exc()
        sys.stderr.flush()
        os._exit(MEMORY_EXIT if _out_of_memory(exc) else FAILED_EXIT)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def _out_of_memory(exc: BaseException) -> bool:
    """C++ libraries (GEOS) report a failed allocation as an error of their own."""
    text = str(exc)
    return isinstance(exc, MemoryError) or "bad_alloc" in text or "Cannot allocate" in text


# ----------------------------------------------------------------------- deferred tasks


def deferred_task(target: str) -> Task:
    """A task named ``"package.module:function"``, imported only when it runs: in the worker,
    after its caps hold, so the libraries it loads count against them."""
    module_name, _, function = target.partition(":")

    def task(arguments: Mapping[str, Any], inputs: Path) -> Any:
        import importlib

        return getattr(importlib.import_module(module_name), function)(arguments, inputs)

    return task


# Tasks a worker started as ``python -m geo_app.jobs FOLDER`` runs: this module imports
# nothing heavy itself.
DEFERRED_TASKS: dict[str, Task] = {
    "tile_archive": deferred_task("geo_app.workspace.tile_file:build_task"),
}
WORKER = (sys.executable, "-m", "geo_app.jobs")

if __name__ == "__main__":
    run_worker(DEFERRED_TASKS)
