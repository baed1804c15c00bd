"""The export panel driven headless: make the file, wait for its worker, read what the
download button would serve. A module of its own so the panel's tests and the workspace's
share it."""

from __future__ import annotations

import importlib
import time
from pathlib import Path

from app_harness import assert_clean
from streamlit.testing.v1 import AppTest

from geo_app.i18n import load_strings

STRINGS = load_strings()
# Generous bound on a worker's answer (it starts in seconds); never a timing test.
JOB_TIMEOUT_S = 180
panel = importlib.import_module("app_parts.export_panel")


def click_make(at: AppTest) -> AppTest:
    [button] = [b for b in at.button if b.key == panel.MAKE]
    button.click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def finished(at: AppTest) -> AppTest:
    """The page once the panel's worker, if one runs, has answered (each run looks once)."""
    deadline = time.monotonic() + JOB_TIMEOUT_S
    while panel.JOB in at.session_state:
        assert time.monotonic() < deadline, f"no answer after {JOB_TIMEOUT_S} s"
        time.sleep(0.2)
        at.run()
        assert not at.exception, [e.value for e in at.exception]
    return at


def made_file(at: AppTest, lang: str = "zh") -> tuple[str, bytes]:
    """The file name on the download button and the bytes it serves, read from the file:
    the session keeps its path, never its bytes."""
    finished(at)
    assert_clean(at)
    [download] = at.get("download_button")
    result = at.session_state[panel.RESULT]
    assert not [value for value in result.values() if isinstance(value, bytes | bytearray)]
    label = STRINGS.get("export.panel.download", lang, filename=result["filename"])
    assert download.proto.label == label
    path = Path(result["path"])
    assert path.parent == result["file"].folder
    return result["filename"], path.read_bytes()
