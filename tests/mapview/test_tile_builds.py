"""Tile archives are built in a worker, one build per archive: the page's request never
builds in the server, concurrent requests (pages, sessions, servers) start one build, and a
build killed half-way leaves no archive taken as current, so the next request builds
again."""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from pathlib import Path

import pytest
import shapely
from paused_tile_worker import MARKER_ENV

from geo_app.jobs import WORKER
from geo_app.workspace import NewParcel, Workspace, tile_file
from geo_app.workspace.tile_file import (
    TileBuilds,
    build_lock,
    build_running,
    found_archive,
    parcel_spec,
    previous_archive,
)

COUNT = 40
PAUSED_WORKER = (sys.executable, str(Path(__file__).with_name("paused_tile_worker.py")))
# Generous: a worker starts Python and GDAL on a busy two-core machine.
WAIT_S = 120


def _parcels(count: int, shift: float = 0.0) -> list[NewParcel]:
    return [
        NewParcel(f"b-{i}", {"status": "planned", "accuracy": "surveyed"},
                  shapely.box(125.5 + i * 0.01 + shift, 43.5, 125.506 + i * 0.01 + shift,
                              43.504))
        for i in range(count)
    ]


@pytest.fixture
def workspace(tmp_path) -> Workspace:
    workspace = Workspace.open(tmp_path / "workspace", seed=None)
    workspace.import_parcels(_parcels(COUNT), "王工", "test")
    return workspace


def _no_build_here(*args, **kwargs):
    raise AssertionError("an archive was written in the server's process")


def _until(condition, what: str) -> None:
    deadline = time.monotonic() + WAIT_S
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"never: {what}")
        time.sleep(0.05)


def test_a_request_starts_a_worker_and_never_builds_in_process(workspace, tmp_path,
                                                               monkeypatch):
    monkeypatch.setattr(tile_file, "write_archive", _no_build_here)
    monkeypatch.setattr(tile_file, "read_tile_parcels", _no_build_here)
    builds = TileBuilds()
    spec = parcel_spec(workspace, tmp_path / "tiles", "wgs84")
    first = builds.request(spec)
    # Answered at once: not there yet, being built, and nothing older to show.
    assert not first.ready and first.building and first.previous is None
    assert builds.started == 1 and builds.job(spec) is not None
    done = builds.wait(spec, WAIT_S)
    assert done.ready and done.current.count == COUNT
    assert [a["outcome"] for a in builds.answers] == ["built"]


def test_the_pages_request_goes_to_a_worker(workspace, tmp_path, monkeypatch):
    """The app's own path: the page asks, the server writes nothing."""
    from app_parts import workspace_source

    monkeypatch.setattr(tile_file, "write_archive", _no_build_here)
    monkeypatch.setenv("GEO_APP_DATA", str(workspace.path.parent))
    monkeypatch.setenv(tile_file.THRESHOLD_ENV, "10")
    monkeypatch.setattr(workspace_source, "_tiles_folder", lambda: tmp_path / "tiles")
    builds = TileBuilds()
    monkeypatch.setattr(workspace_source, "BUILDS", builds)
    state = workspace_source.parcel_tiles("wgs84")
    assert state is not None and not state.ready and state.building
    assert builds.wait(state.spec, WAIT_S).ready
    assert workspace_source.parcel_tiles("wgs84").current.count == COUNT
    # Below the threshold there is nothing to build: the parcels travel as GeoJSON.
    monkeypatch.setenv(tile_file.THRESHOLD_ENV, str(COUNT))
    assert workspace_source.parcel_tiles("wgs84") is None


def test_concurrent_requests_start_one_build(workspace, tmp_path, monkeypatch):
    # A worker that stays in the middle of its build, for as long as the test needs.
    marker = tmp_path / "paused"
    monkeypatch.setenv(MARKER_ENV, str(marker))
    builds = TileBuilds(worker=PAUSED_WORKER)
    spec = parcel_spec(workspace, tmp_path / "tiles", "wgs84")
    states = []
    threads = [threading.Thread(target=lambda: states.append(builds.request(spec)))
               for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(states) == 8 and all(s.building and not s.ready for s in states)
    assert builds.started == 1
    _until(marker.exists, "the worker is building")
    # Reruns of every page of this server start nothing more.
    for _ in range(5):
        assert builds.request(spec).building
    assert builds.started == 1
    # Another server process (a registry of its own): the worker's lock tells it someone
    # is at it.
    other = TileBuilds()
    assert other.request(spec).building and other.started == 0
    os.kill(builds.job(spec).pid, signal.SIGKILL)
    # The build gone, the other server builds it, once; this one then finds it.
    assert other.wait(spec, WAIT_S).ready and other.started == 1
    assert [a["outcome"] for a in other.answers] == ["built"]
    assert builds.request(spec).ready and builds.started == 1


def test_a_lock_held_elsewhere_starts_no_worker_until_it_is_let_go(workspace, tmp_path):
    builds = TileBuilds()
    spec = parcel_spec(workspace, tmp_path / "tiles", "wgs84")
    with build_lock(spec.path) as held:
        assert held
        assert builds.request(spec).building
        assert builds.started == 0
    assert builds.wait(spec, WAIT_S).ready and builds.started == 1


def test_a_worker_finding_the_archive_or_the_lock_writes_nothing(workspace, tmp_path):
    spec = parcel_spec(workspace, tmp_path / "tiles", "wgs84")
    with build_lock(spec.path):
        assert tile_file.build(spec) == {"outcome": "busy", "count": 0}
    assert found_archive(spec) is None
    assert tile_file.build(spec)["outcome"] == "built"
    written = spec.path.stat().st_mtime_ns
    assert tile_file.build(spec) == {"outcome": "found", "count": COUNT}
    assert spec.path.stat().st_mtime_ns == written


def test_a_killed_build_leaves_no_current_archive_and_a_later_request_builds_again(
        workspace, tmp_path, monkeypatch):
    marker = tmp_path / "paused"
    monkeypatch.setenv(MARKER_ENV, str(marker))
    builds = TileBuilds(worker=PAUSED_WORKER)
    spec = parcel_spec(workspace, tmp_path / "tiles", "wgs84")
    assert builds.request(spec).building
    _until(marker.exists, "the worker wrote its temporary archive")
    job = builds.job(spec)
    os.kill(job.pid, signal.SIGKILL)
    _until(lambda: not job.poll().running, "the killed worker ended")
    # The temporary file is there, whole or not; nothing under the archive's name.
    assert Path(marker.read_text(encoding="utf-8")).exists()
    assert found_archive(spec) is None and not spec.path.exists()
    assert not build_running(spec.path)
    # The next request (the worker fixed) builds again and clears what the first left.
    builds.worker = WORKER
    state = builds.request(spec)
    assert state.building and not state.ready and builds.started == 2
    assert builds.answers[0]["status"] == "crashed"
    assert builds.wait(spec, WAIT_S).ready
    assert not list(spec.folder.glob(".*"))


def test_builds_that_keep_failing_are_given_up(workspace, tmp_path, monkeypatch):
    builds = TileBuilds(worker=(sys.executable, "-c", "raise SystemExit(4)"))
    spec = parcel_spec(workspace, tmp_path / "tiles", "wgs84")
    state = builds.wait(spec, WAIT_S)
    assert state.failed and not state.ready and not state.building
    assert builds.started == tile_file.MAX_ATTEMPTS
    assert builds.request(spec).failed and builds.started == tile_file.MAX_ATTEMPTS


def test_while_a_change_is_built_the_previous_archive_is_offered_as_out_of_date(
        workspace, tmp_path):
    folder = tmp_path / "tiles"
    before = parcel_spec(workspace, folder, "wgs84")
    assert tile_file.build(before)["outcome"] == "built"
    parcel = workspace.parcel("b-1")
    workspace.update("b-1", parcel.version, "王工", geometry=shapely.box(125.8, 43.7, 125.81,
                                                                         43.71))
    after = parcel_spec(workspace, folder, "wgs84")
    assert after.name != before.name
    assert found_archive(after) is None
    assert previous_archive(after).path == before.path
    # Another datum's archive is never offered.
    assert previous_archive(parcel_spec(workspace, folder, "gcj02")) is None


def test_an_archive_of_a_version_gone_by_is_not_built_nor_asked_for_again(workspace,
                                                                          tmp_path):
    builds = TileBuilds()
    spec = parcel_spec(workspace, tmp_path / "tiles", "wgs84")
    # The workspace changes between the page's request and the worker's reading.
    parcel = workspace.parcel("b-2")
    workspace.update("b-2", parcel.version, "王工",
                     properties={**parcel.properties, "status": "supplied"})
    assert builds.request(spec).building
    _until(lambda: builds.request(spec) and builds.answers, "the worker answered")
    assert [a["outcome"] for a in builds.answers] == ["stale"]
    assert found_archive(spec) is None
    # Neither building nor given up on: the page asks for the current version's archive.
    state = builds.request(spec)
    assert not state.building and not state.failed and not state.ready
    assert builds.started == 1
    assert builds.wait(parcel_spec(workspace, tmp_path / "tiles", "wgs84"), WAIT_S).ready
