"""The page while a worker builds its map tiles: it says so, draws the previous archive
faded and named out of date (or the parcels' outline when there is none), never as the
current parcels, starts one build however often it runs, and draws the new tiles once
they are written."""

from __future__ import annotations

import json
import os
import re
import signal
import sys
from pathlib import Path

import pytest
import shapely
from streamlit.testing.v1 import AppTest

from app_parts import workspace_source
from geo_app.i18n import load_strings
from geo_app.jobs import WORKER
from geo_app.workspace import NewParcel, Workspace
from geo_app.workspace.tile_file import THRESHOLD_ENV, TileBuilds, build, parcel_spec

STRINGS = load_strings()
APP = Path(__file__).resolve().parents[2] / "streamlit_app.py"
PAUSED_WORKER = (sys.executable, str(Path(__file__).with_name("paused_tile_worker.py")))
MARKER_ENV = "GEO_APP_TEST_PAUSED_AT"
COUNT = 40
WAIT_S = 120


def zh(name: str, **values) -> str:
    return STRINGS.get(name, "zh", **values)


@pytest.fixture
def setup(tmp_path, monkeypatch):
    """A workspace of 40 parcels above a threshold of 10, its archives in a folder of the
    test's own, and a registry whose worker stops in the middle of its build."""
    workspace = Workspace.open(tmp_path / "ws", seed=None)
    workspace.import_parcels([
        NewParcel(f"w-{i}", {"status": "planned", "accuracy": "surveyed"},
                  shapely.box(125.5 + i * 0.01, 43.5, 125.506 + i * 0.01, 43.504))
        for i in range(COUNT)], "王工", "test")
    folder = tmp_path / "tiles"
    monkeypatch.setenv("GEO_APP_DATA", str(tmp_path / "ws"))
    monkeypatch.setenv(THRESHOLD_ENV, "10")
    monkeypatch.setenv(MARKER_ENV, str(tmp_path / "paused"))
    monkeypatch.setattr(workspace_source, "_tiles_folder", lambda: folder)
    builds = TileBuilds(worker=PAUSED_WORKER)
    monkeypatch.setattr(workspace_source, "BUILDS", builds)
    yield workspace, folder, builds
    job = builds.job(parcel_spec(workspace, folder, "wgs84"))
    if job is not None:
        job.cancel()


def _page() -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=120).run()
    # The map's report of the first paint: the whole page.
    at.run()
    assert not at.exception
    return at


def _script(at: AppTest) -> str:
    [component] = [e for e in at.get("component_instance")
                   if e.proto.component_name.endswith("st_folium")]
    return json.loads(component.proto.json_args)["script"]


def _legend(script: str) -> str:
    return json.loads(re.search(r"div\.innerHTML = (\".*?\");", script).group(1))


def _infos(at: AppTest) -> list[str]:
    return [info.value for info in at.info]


def test_the_previous_archive_is_drawn_out_of_date_until_the_new_one_is_written(setup):
    workspace, folder, builds = setup
    before = parcel_spec(workspace, folder, "wgs84")
    assert build(before)["outcome"] == "built"
    parcel = workspace.parcel("w-1")
    workspace.update("w-1", parcel.version, "王工",
                     geometry=shapely.box(125.8, 43.7, 125.81, 43.71))
    now = parcel_spec(workspace, folder, "wgs84")

    at = _page()
    preparing = zh("app.tiles.preparing", layers=zh("app.tiles.parcels"))
    assert preparing in _infos(at)
    script = _script(at)
    assert before.name in script and now.name not in script
    assert '"outOfDate":true' in script
    # Flagged apart: nothing takes the old tiles for the current parcels.
    assert "geoAppStaleTiles" in script
    legend = _legend(script)
    assert zh("legend.parcel_tiles_out_of_date", count=f"{COUNT:,}", zoom=9) in legend
    assert zh("legend.parcel_tiles", count=f"{COUNT:,}", zoom=9) not in legend
    # However often the page runs: one build.
    at.run()
    at.run()
    assert builds.started == 1

    # The build ends (here: the worker is stopped, and a working one builds again).
    os.kill(builds.job(now).pid, signal.SIGKILL)
    builds.worker = WORKER
    at.run()
    assert builds.wait(now, WAIT_S).ready
    at.run()
    script = _script(at)
    assert now.name in script and before.name not in script
    assert '"outOfDate":false' in script
    assert preparing not in _infos(at)
    assert zh("legend.parcel_tiles", count=f"{COUNT:,}", zoom=9) in _legend(script)


def test_with_no_archive_yet_the_parcels_outline_is_drawn(setup):
    builds = setup[2]
    at = _page()
    assert zh("app.tiles.preparing", layers=zh("app.tiles.parcels")) in _infos(at)
    script = _script(at)
    assert ".pmtiles" not in script
    assert zh("map.parcel_tiles.outline") in script
    assert zh("legend.parcel_tiles_outline") in _legend(script)
    # The outline is the parcels' extent (Leaflet's south-west, north-east).
    assert "[[43.5, 125.5], [43.504, 125.896]]" in script
    assert builds.started == 1
