"""A tile worker that stops for good once its archive is written under the temporary name,
before the rename: the tests kill it there, as a crash or a power cut would."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pyogrio

from geo_app.jobs import DEFERRED_TASKS, run_worker

MARKER_ENV = "GEO_APP_TEST_PAUSED_AT"
_write = pyogrio.write_dataframe


def _write_then_stop(frame, path, **options):
    _write(frame, path, **options)
    Path(os.environ[MARKER_ENV]).write_text(str(path), encoding="utf-8")
    while True:
        time.sleep(60)


if __name__ == "__main__":
    pyogrio.write_dataframe = _write_then_stop
    run_worker(DEFERRED_TASKS, sys.argv)
