"""Start the Streamlit app as a real server and drive it with the system Chromium.

Shared by the browser tests and bench/bench_app.py so both measure the same set-up.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from typing import IO
from urllib.parse import urlsplit

PROJECT_ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost"})
MAP_FRAME = 'iframe[title="streamlit_folium.st_folium"]'


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class StreamlitServer:
    """``streamlit run SCRIPT`` on a free local port; use as a context manager."""

    def __init__(
        self,
        script: Path,
        env: Mapping[str, str] | None = None,
        cwd: Path = PROJECT_ROOT,
        startup_timeout_s: float = 90.0,
    ):
        self.script = script
        self.cwd = cwd
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        # The whole environment of the server; None inherits this process's.
        self.env = dict(env) if env is not None else dict(os.environ)
        self.startup_timeout_s = startup_timeout_s
        # The workspace folder the server's GEO_APP_DATA names, when a fixture set one.
        self.workspace: Path | None = None
        self.process: subprocess.Popen | None = None
        self.log: IO[str] | None = None

    def __enter__(self) -> StreamlitServer:
        self.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def start(self) -> None:
        command = [
            sys.executable, "-m", "streamlit", "run", str(self.script),
            "--server.port", str(self.port),
            "--server.address", "127.0.0.1",
            "--server.headless", "true",
            "--server.runOnSave", "false",
            "--server.fileWatcherType", "none",
            "--browser.gatherUsageStats", "false",
        ]
        # A file, not a pipe: nobody reads the server's output while it runs, and a full
        # pipe would stall it.
        self.log = tempfile.TemporaryFile(mode="w+", encoding="utf-8")  # noqa: SIM115 (closed in stop)
        self.process = subprocess.Popen(
            command, cwd=self.cwd, env=self.env, stdout=self.log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + self.startup_timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                code = self.process.returncode
                output = self.output()
                self.stop()
                raise RuntimeError(f"streamlit exited with {code}:\n{output}")
            if self.healthy():
                return
            time.sleep(0.1)
        output = self.output()
        self.stop()
        raise RuntimeError(
            f"streamlit did not answer on {self.url} in {self.startup_timeout_s} s:\n{output}"
        )

    def output(self) -> str:
        """What the server has printed so far."""
        if self.log is None:
            return ""
        self.log.flush()
        self.log.seek(0)
        return self.log.read()

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=1) as response:
                return response.status == 200
        except (urllib.error.URLError, OSError):
            return False

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.process = None
        if self.log is not None:
            self.log.close()
            self.log = None


def launch_chromium(playwright):
    """The system Chromium; the browser tests fail (never skip) when it is missing."""
    if not CHROMIUM.exists():
        raise RuntimeError(
            f"{CHROMIUM} is missing: `make test` installs it (Debian package chromium)"
        )
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=list(CHROMIUM_FLAGS))


class ExternalRequestBlocker:
    """Aborts every request that leaves this machine and remembers which ones were tried."""

    def __init__(self) -> None:
        self.blocked: list[str] = []

    def install(self, context) -> None:
        context.route("**/*", self._handle)

    def _handle(self, route) -> None:
        url = route.request.url
        parts = urlsplit(url)
        if parts.scheme in ("data", "blob", "about") or parts.hostname in LOCAL_HOSTS:
            route.continue_()
        else:
            self.blocked.append(url)
            route.abort()


# A name that would run script if any part of the page treated it as HTML.
HOSTILE_ID = "hostile-name-test"
HOSTILE_NAME_ZH = '<img src=x onerror="window.top.__hostile=(window.top.__hostile||0)+1">恶意名称'
HOSTILE_NAME_EN = "<script>window.top.__hostile=1</script><b>hostile</b>"
# A square west of the district, away from every shipped feature and from the map controls
# and legend, so it is easy to point at.
HOSTILE_SQUARE = (125.30, 43.45, 125.34, 43.49)


def write_hostile_layers(destination: Path, layer_id: str) -> Path:
    """Copy layers/ to ``destination`` and add one feature with HTML in its text to a layer.

    Returns the copied catalog's path, for the app's GEO_APP_CATALOG.
    """
    import json
    import shutil
    import tomllib

    layers = destination / "layers"
    shutil.copytree(PROJECT_ROOT / "layers", layers)
    catalog = tomllib.loads((layers / "catalog.toml").read_text(encoding="utf-8"))
    entry = next(layer for layer in catalog["layers"] if layer["id"] == layer_id)
    path = layers / entry["file"]
    collection = json.loads(path.read_text(encoding="utf-8"))
    west, south, east, north = HOSTILE_SQUARE
    collection["features"].append({
        "type": "Feature",
        "properties": {
            "id": HOSTILE_ID,
            "name_zh": HOSTILE_NAME_ZH,
            "name_en": HOSTILE_NAME_EN,
            "plan_ref": None,
            "accuracy": "schematic",
            "source": '<img src=y onerror="window.top.__hostile=2">',
            "note_zh": "<svg onload=\"window.top.__hostile=3\"></svg>",
        },
        "geometry": {
            "type": "Polygon",
            "coordinates": [[[west, south], [east, south], [east, north], [west, north],
                             [west, south]]],
        },
    })
    path.write_text(json.dumps(collection, ensure_ascii=False), encoding="utf-8")
    return layers / "catalog.toml"
