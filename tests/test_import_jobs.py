"""Imports and their previews in a worker process: answered as plain data, capped in memory
and time, stoppable, and whatever ends them, no temporary file left and the workspace either
changed by the whole import or not at all."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import pytest
import shapely

from geo_app.geodesy import hectares
from geo_app.import_jobs import (
    import_for_page,
    latest_batch,
    preview_for_page,
    start_check,
    start_import,
    written_batch,
)
from geo_app.jobs import DEFAULT_MEMORY_MB, DEFAULT_TIME_S, NICENESS, Job, JobLimits
from geo_app.problems import Problem
from geo_app.workspace import NewParcel, Workspace

# Generous bounds on waiting (a worker starts in about a second); never a timing test.
WAIT_S = 120
TEST_WORKER = (sys.executable, str(Path(__file__).with_name("import_job_worker.py")))
SQUARE = shapely.box(125.55, 43.60, 125.56, 43.607)
LIMITS = JobLimits()


def geojson(*features: dict) -> bytes:
    return json.dumps({"type": "FeatureCollection", "features": list(features)}).encode()


def square(parcel_id: str = "u-1", status: str = "planned") -> dict:
    return {"type": "Feature", "properties": {"id": parcel_id, "status": status},
            "geometry": shapely.geometry.mapping(SQUARE)}


@pytest.fixture
def workspace(tmp_path) -> Path:
    folder = tmp_path / "ws"
    Workspace.open(folder)  # created as the page creates it, with the sample parcels
    return folder


def state(folder: Path) -> tuple:
    """What an import changes: the parcels, the history, the import batches."""
    ws = Workspace.open(folder)
    assert ws.integrity_check() == "ok"
    return (
        sorted((p.parcel_id, p.version) for p in ws.parcels()),
        len(ws.history()),
        len(ws.imports()),
    )


def test_a_preview_job_answers_with_plain_data_and_leaves_nothing(temp_root, workspace):
    before = state(workspace)
    job = start_check(workspace, "../地块.geojson", geojson(square(status="拟供地")),
                      limits=LIMITS)
    status = job.wait(WAIT_S)
    assert status.outcome == "done", status
    answer = job.result()
    # Plain JSON data, nothing pickled.
    assert json.loads(json.dumps(answer)) == answer
    preview = preview_for_page(answer)
    assert preview["count"] == 1 and preview["errors"] == 0
    assert preview["hectares"] == pytest.approx(float(hectares([SQUARE])[0]), rel=1e-12)
    assert preview["columns"] == ["id", "status"]
    assert list(preview["head"]["id"]) == ["u-1"]
    assert preview["mapping"].column("status") == "status"
    assert all(isinstance(p, Problem) for p in preview["problems"])
    assert state(workspace) == before
    assert list(temp_root.iterdir()) == []


def test_an_import_job_writes_the_whole_file_once(temp_root, workspace):
    since = latest_batch(workspace)
    job = start_import(workspace, "地块.geojson", geojson(square("a"), square("b")), "王工",
                       limits=LIMITS)
    status = job.wait(WAIT_S)
    assert status.outcome == "done", status
    result = import_for_page(job.result())
    assert result["imported"] and result["count"] == 2
    assert result["removed_samples"]  # the samples made way
    assert result["after"] == pytest.approx(2 * float(hectares([SQUARE])[0]), rel=1e-9)
    ws = Workspace.open(workspace)
    assert sorted(p.parcel_id for p in ws.parcels()) == ["a", "b"]
    assert [b["id"] for b in ws.imports() if b["id"] > since] == [latest_batch(workspace)]
    assert written_batch(workspace, since, "地块.geojson", "王工") == latest_batch(workspace)
    assert ws.imports()[-1]["source"] == "地块.geojson"
    assert list(temp_root.iterdir()) == []


def parcel(parcel_id: str) -> NewParcel:
    return NewParcel(parcel_id, {"name_zh": parcel_id, "status": "planned"}, SQUARE)


def test_the_batch_an_import_wrote_is_told_from_the_others_written_meanwhile(workspace):
    ws = Workspace.open(workspace)
    earlier = ws.import_parcels([parcel("e")], "王工", "地块.geojson").batch_id
    since = latest_batch(workspace)
    assert since == earlier
    # The browser's name and the name typed: as the worker and the workspace keep them.
    name, user = "../地块.geojson", " 王工 "
    assert written_batch(workspace, since, name, user) is None
    # Meanwhile: another planner's import of a file of the same name, and an undo of the
    # earlier import by the same planner (a batch under the same file name and user).
    ws.import_parcels([parcel("o")], "李工", "地块.geojson")
    ws.undo_import(earlier, "王工")
    assert ws.imports()[-1]["source"] == "地块.geojson" and ws.imports()[-1]["user"] == "王工"
    assert written_batch(workspace, since, name, user) is None
    # The planner's import of another file is not it either; the import's own batch is,
    # however many come after it, and still once it has been undone.
    ws.import_parcels([parcel("x")], "王工", "其他.geojson")
    ours = ws.import_parcels([parcel("a")], "王工", "地块.geojson").batch_id
    ws.import_parcels([parcel("b")], "李工", "其他.geojson")
    assert written_batch(workspace, since, name, user) == ours
    ws.undo_import(ours, "李工")
    assert written_batch(workspace, since, name, user) == ours
    assert latest_batch(workspace) > ours


def test_a_refused_file_is_answered_and_writes_nothing(temp_root, workspace):
    before = state(workspace)
    job = start_import(workspace, "bad.geojson", b'{"type": "FeatureCollection", "features": [',
                       "王工", limits=LIMITS)
    assert job.wait(WAIT_S).outcome == "done"
    result = import_for_page(job.result())
    assert not result["imported"] and result["problems"][0].code == "truncated_json"
    assert state(workspace) == before
    assert list(temp_root.iterdir()) == []


def held_import(workspace: Path, marker: Path, hold: str, limits: JobLimits) -> Job:
    """The import of one square by the test worker, held at its commit as ``hold`` says."""
    arguments = {"workspace": str(workspace), "file": "held.geojson", "mapping": None,
                 "user": "王工", "hold": hold, "marker": str(marker)}
    return Job.start("held_import", arguments, {"held.geojson": geojson(square())}, limits,
                     worker=TEST_WORKER)


def wait_for(path: Path) -> None:
    deadline = time.monotonic() + WAIT_S
    while not path.exists():
        assert time.monotonic() < deadline, "the import never reached its commit"
        time.sleep(0.05)


def test_a_job_over_its_memory_cap_in_the_import_writes_nothing(temp_root, workspace, tmp_path):
    before = state(workspace)
    marker = tmp_path / "held"
    job = held_import(workspace, marker, "allocate", JobLimits(memory_bytes=1024 * 2**20))
    status = job.wait(WAIT_S)
    assert status.outcome == "memory", status
    assert marker.exists()  # it was stopped with every row written, uncommitted
    assert job.result() is None
    assert state(workspace) == before
    assert list(temp_root.iterdir()) == []


def test_a_job_over_its_time_cap_in_the_import_writes_nothing(temp_root, workspace, tmp_path):
    before = state(workspace)
    marker = tmp_path / "held"
    # Long enough to reach the commit on a busy machine; the hold then outlasts it.
    job = held_import(workspace, marker, "hang", JobLimits(time_s=5))
    status = job.wait(WAIT_S)
    assert status.outcome == "time", status
    assert marker.exists()
    assert state(workspace) == before
    assert list(temp_root.iterdir()) == []


def test_a_cancelled_job_in_the_import_writes_nothing(temp_root, workspace, tmp_path):
    before = state(workspace)
    marker = tmp_path / "held"
    job = held_import(workspace, marker, "hang", LIMITS)
    wait_for(marker)
    assert job.poll().running
    status = job.cancel()
    assert status.outcome == "cancelled"
    assert job.poll() == status  # an ended job keeps its outcome
    assert state(workspace) == before
    assert list(temp_root.iterdir()) == []


def test_a_job_that_crashes_in_the_import_says_so_and_writes_nothing(
    temp_root, workspace, tmp_path
):
    before = state(workspace)
    job = held_import(workspace, tmp_path / "held", "abort", LIMITS)
    status = job.wait(WAIT_S)
    assert status.outcome == "crashed" and "SIGABRT" in status.detail, status
    assert state(workspace) == before
    assert list(temp_root.iterdir()) == []


def test_a_discarded_job_is_ended_and_its_folder_removed(temp_root, workspace, tmp_path):
    marker = tmp_path / "held"
    job = held_import(workspace, marker, "hang", LIMITS)
    wait_for(marker)
    pid, folder = job.pid, job.folder
    del job  # a page closed while its worker ran
    assert not folder.exists()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_the_worker_runs_under_its_caps(temp_root):
    limits = JobLimits(memory_bytes=1536 * 2**20, time_s=60)
    job = Job.start("caps", {}, {"upload.csv": b"x,y\n"}, limits, worker=TEST_WORKER)
    assert job.wait(WAIT_S).outcome == "done"
    caps = job.result()
    assert caps["memory_bytes"] == limits.memory_bytes
    assert caps["niceness"] >= NICENESS and caps["idle_class"]
    assert caps["inputs"] == ["upload.csv"]
    assert caps["arrow_pool"] == "system" and caps["threads"] == "1"
    assert list(temp_root.iterdir()) == []


def test_an_input_is_a_file_name_never_a_path(temp_root):
    for name in ("../escape.csv", "a/b.csv", "..", ""):
        with pytest.raises(ValueError):
            Job.start("caps", {}, {name: b""}, LIMITS, worker=TEST_WORKER)
    assert list(temp_root.iterdir()) == []


def test_the_caps_are_settings_with_defaults():
    assert JobLimits.from_env({}) == JobLimits(DEFAULT_MEMORY_MB * 2**20, DEFAULT_TIME_S)
    assert DEFAULT_MEMORY_MB == 2048 and DEFAULT_TIME_S == 300
    limits = JobLimits.from_env({"GEO_APP_IMPORT_MEMORY_MB": "3072",
                                 "GEO_APP_IMPORT_TIME_S": "120"})
    assert limits == JobLimits(3072 * 2**20, 120.0)
    # A setting that makes no sense keeps the default rather than breaking every import.
    for memory, seconds in (("lots", "-1"), ("10", "nan"), ("", "0")):
        limits = JobLimits.from_env({"GEO_APP_IMPORT_MEMORY_MB": memory,
                                     "GEO_APP_IMPORT_TIME_S": seconds})
        assert limits == JobLimits()
