"""A worker for tests/export/test_export_jobs.py and the export panel's tests: the export
task's name, answered by a task that outgrows any memory cap or one that never ends. Run as
``python tests/export/export_job_worker.py FOLDER`` by :class:`geo_app.jobs.Job`; the
request's ``hold`` argument is not part of it, so the task is chosen by the environment."""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from geo_app.export.jobs import EXPORT
from geo_app.jobs import run_worker

HOW_ENV = "EXPORT_TEST_WORKER"
# Longer than any cap a test sets: the hang ends by the cap or a cancel, never by itself.
HANG_S = 120
CHUNK = 64 * 1024 * 1024


def held_export(arguments: Mapping[str, Any], inputs: Path) -> Any:
    if os.environ.get(HOW_ENV) == "allocate":
        # bytes(n) is calloc'd: address space runs out long before memory is touched.
        kept = []
        while True:
            kept.append(bytes(CHUNK))
    time.sleep(HANG_S)


if __name__ == "__main__":
    run_worker({EXPORT: held_export})
