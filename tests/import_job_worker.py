"""A worker for tests/test_import_jobs.py: the real import task, its workspace transaction
held at its commit, every row written and none committed, to be ended there by the job's
memory cap, its time cap, a cancel or a crash; a task that outgrows any memory cap; and
a task that reports the caps it runs under. Run as ``python tests/import_job_worker.py
FOLDER`` by :class:`geo_app.jobs.Job`."""

from __future__ import annotations

import os
import resource
import sqlite3
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from geo_app import import_jobs
from geo_app.jobs import run_worker
from geo_app.workspace.connection import GeoPackageConnection

# Longer than any cap a test sets: the hold ends by the cap or a cancel, never by itself.
HOLD_S = 120
CHUNK = 64 * 1024 * 1024


class HeldAtCommit(GeoPackageConnection):
    """A connection that, asked to commit a transaction that wrote, does ``hold`` first."""

    hold = "hang"
    marker: Path | None = None
    wrote = False

    def execute(self, sql: str, *args: Any) -> sqlite3.Cursor:
        self.wrote = self.wrote or sql.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
        return super().execute(sql, *args)

    def executemany(self, sql: str, *args: Any) -> sqlite3.Cursor:
        self.wrote = True
        return super().executemany(sql, *args)

    def commit(self) -> None:
        if self.wrote:
            if self.marker is not None:
                self.marker.write_text("held at the import's commit", encoding="utf-8")
            _hold(self.hold)
        super().commit()


def _hold(how: str) -> None:
    if how == "hang":
        time.sleep(HOLD_S)
    elif how == "allocate":
        # bytes(n) is calloc'd: address space runs out long before memory is touched.
        kept = []
        while True:
            kept.append(bytes(CHUNK))
    elif how == "abort":
        os.abort()


def held_import(arguments: Mapping[str, Any], inputs: Path) -> Any:
    HeldAtCommit.hold = arguments["hold"]
    HeldAtCommit.marker = Path(arguments["marker"])
    connect = sqlite3.connect

    def held(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        # The workspace asks for its own connection class; this one is that class, held.
        kwargs["factory"] = HeldAtCommit
        return connect(*args, **kwargs)

    sqlite3.connect = held
    return import_jobs.import_summary(arguments, inputs)


def allocate(arguments: Mapping[str, Any], inputs: Path) -> Any:
    _hold("allocate")


def caps(arguments: Mapping[str, Any], inputs: Path) -> Any:
    return {
        "memory_bytes": resource.getrlimit(resource.RLIMIT_AS)[0],
        "niceness": os.nice(0),
        "idle_class": os.sched_getscheduler(0) == os.SCHED_IDLE,
        "inputs": sorted(path.name for path in inputs.iterdir()),
        "arrow_pool": os.environ.get("ARROW_DEFAULT_MEMORY_POOL"),
        "threads": os.environ.get("OMP_NUM_THREADS"),
    }


if __name__ == "__main__":
    run_worker({"held_import": held_import, "allocate": allocate, "caps": caps})
