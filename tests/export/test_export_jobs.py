"""The export panel's file made in a worker process: the same file the page's own parcels
give, a failure said as a translated problem, the caps said as such, and no folder left
behind."""

from __future__ import annotations

import gc
import json
import os
import stat
import sys
import time
from pathlib import Path

import pytest
import shapely
from export_helpers import FIXED_DATE
from shapely.geometry import mapping

from geo_app.control import read_reference
from geo_app.export import ExportRequest, render
from geo_app.export.jobs import (
    FOLDER_PREFIX,
    IN_PAGE_ENV,
    IN_PAGE_PARCELS,
    ExportFile,
    Selection,
    in_page_parcels,
    new_export_file,
    request_data,
    request_from,
    start_export,
    sweep,
)
from geo_app.i18n import load_strings
from geo_app.jobs import FOLDER_PREFIX as JOB_PREFIX
from geo_app.jobs import JobLimits
from geo_app.problems import Problem
from geo_app.resources import PROJECT_ROOT
from geo_app.workspace import Workspace
from geo_app.workspace.layer_file import parcel_layer_file

# app_parts sits beside streamlit_app.py, outside the installed package: the page's own
# loading is the reference the worker's file is held to.
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))
from app_parts.page_data import load_app_data

# Generous bounds on waiting (a worker starts in seconds); never a timing test.
WAIT_S = 180
TEST_WORKER = (sys.executable, str(Path(__file__).with_name("export_job_worker.py")))
STRINGS = load_strings()


@pytest.fixture
def page(tmp_path):
    """A workspace seeded with the samples, under a farmland layer that covers the district
    (so every data file carries overlaps), and the page's view of it: its copy of the
    parcels in a folder of copies, and the data the page loads from it."""
    workspace = Workspace.open(tmp_path / "ws")
    farmland = tmp_path / "基本农田.geojson"
    farmland.write_text(json.dumps({"type": "FeatureCollection", "features": [{
        "type": "Feature", "properties": {"BSM": "F1"},
        "geometry": mapping(shapely.box(125.0, 43.0, 126.5, 44.5))}]}), encoding="utf-8")
    workspace.import_reference(read_reference(farmland, "farmland"), "王工")
    copies = tmp_path / "copies"
    parcels = parcel_layer_file(workspace, copies)
    return workspace, parcels, load_app_data(None, parcels)


def selection_of(workspace, parcels, data, **filters) -> Selection:
    return Selection(
        parcel_layer=data.parcel_layer, parcels_path=str(parcels.path),
        sample_data=parcels.sample_data, target_ha=data.ledger.target_ha,
        layer_ids=data.usable_catalog.ids(), workspace=str(workspace.path.parent), **filters,
    )


def finished(started) -> dict:
    status = started.job.wait(WAIT_S)
    assert status.outcome == "done", status
    return started.job.result()


def test_a_request_passes_as_plain_data_unchanged():
    request = ExportRequest(format="png", layers=("towns", "roads"), title="标题",
                           extent="bbox:125.123456789,43.1,125.9,43.7", dpi=300, lang="en",
                           date=FIXED_DATE)
    assert request_from(request_data(request)) == request
    compliance = ExportRequest(sheet="compliance", date=FIXED_DATE)
    assert request_from(request_data(compliance)) == compliance


@pytest.mark.parametrize("fmt", ["csv", "geojson", "kml"])
def test_the_worker_writes_the_file_render_gives_for_the_pages_filtered_parcels(
        temp_root, page, fmt):
    workspace, parcels, data = page
    request = ExportRequest(format=fmt, date=FIXED_DATE, layers=("towns", data.parcel_layer))
    shown = data.ledger.filtered(status=("planned",))
    assert 0 < shown.parcel_count < data.ledger.parcel_count
    expected = render(request, catalog=data.usable_catalog, ledger=shown,
                      workspace=workspace)
    # The workspace's control lines are in the file: it is not the file of the parcels alone.
    assert expected.data != render(request, catalog=data.usable_catalog, ledger=shown).data

    started = start_export(request, selection_of(workspace, parcels, data,
                                                 statuses=("planned",)))
    answer = finished(started)
    assert answer["made"], answer
    path = Path(answer["path"])
    assert Path(path).read_bytes() == expected.data
    assert (answer["filename"], answer["mime"], answer["size"]) == (
        expected.filename, expected.mime, len(expected.data))
    # The page's own copy of the parcels was the one read.
    assert answer["parcels"] == parcels.path.name
    # A private folder of the page's, holding the file alone; the job's folder is gone.
    assert path.parent == started.file.folder and started.file.holds(path)
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert sorted(p.name for p in path.parent.iterdir()) == [expected.filename]
    assert not list(temp_root.glob(f"{JOB_PREFIX}*"))


def test_a_workspace_changed_since_the_page_was_drawn_is_named_by_its_new_copy(
        temp_root, page):
    workspace, parcels, data = page
    parcel = workspace.parcels()[0]
    workspace.update(parcel.parcel_id, parcel.version, "李工",
                     properties={**parcel.properties, "status": "supplied"})
    answer = finished(start_export(ExportRequest(format="csv", date=FIXED_DATE),
                                   selection_of(workspace, parcels, data)))
    assert answer["made"]
    newer = parcel_layer_file(workspace, parcels.path.parent)
    assert answer["parcels"] == newer.path.name != parcels.path.name


def test_a_file_that_cannot_be_made_is_said_in_both_languages(temp_root, page, tmp_path):
    data = page[2]
    broken = tmp_path / "broken.geojson"
    broken.write_text("{not json", encoding="utf-8")
    selection = Selection(
        parcel_layer=data.parcel_layer, parcels_path=str(broken), sample_data=False,
        target_ha=200.0, layer_ids=data.usable_catalog.ids(),
    )
    started = start_export(ExportRequest(format="csv", date=FIXED_DATE), selection)
    answer = finished(started)
    assert not answer["made"]
    problem = Problem(**answer["problem"])
    for lang in ("zh", "en"):
        frame = STRINGS.get("app.export.failed", lang, reason="")
        assert problem.message(lang).startswith(frame)
        assert "broken.geojson" in problem.message(lang)
        assert "Traceback" not in problem.message(lang)
    assert list(started.file.folder.iterdir()) == []


def test_a_worker_beyond_its_memory_cap_ends_as_out_of_memory(temp_root, monkeypatch, page):
    monkeypatch.setenv("EXPORT_TEST_WORKER", "allocate")
    workspace, parcels, data = page
    started = start_export(ExportRequest(format="kml", date=FIXED_DATE),
                           selection_of(workspace, parcels, data),
                           limits=JobLimits(memory_bytes=512 * 1024 * 1024),
                           worker=TEST_WORKER)
    status = started.job.wait(WAIT_S)
    assert status.outcome == "memory"
    assert started.job.result() is None
    assert not list(temp_root.glob(f"{JOB_PREFIX}*"))


def test_a_worker_beyond_its_time_cap_is_ended(temp_root, monkeypatch, page):
    monkeypatch.setenv("EXPORT_TEST_WORKER", "hang")
    workspace, parcels, data = page
    started = start_export(ExportRequest(format="kml", date=FIXED_DATE),
                           selection_of(workspace, parcels, data),
                           limits=JobLimits(time_s=1.0), worker=TEST_WORKER)
    assert started.job.wait(WAIT_S).outcome == "time"
    started.file.remove()
    assert not list(temp_root.iterdir())


def test_a_file_let_go_or_discarded_leaves_nothing(temp_root):
    replaced = new_export_file()
    (replaced.folder / "a.kml").write_bytes(b"<kml/>")
    assert replaced.holds(replaced.folder / "a.kml")
    assert not replaced.holds(temp_root / "a.kml")
    replaced.remove()
    assert not replaced.folder.exists()
    assert not replaced.holds(replaced.folder / "a.kml")

    discarded = new_export_file()
    folder = discarded.folder
    (folder / "b.csv").write_bytes(b"id\n")
    del discarded
    gc.collect()
    assert not folder.exists()


def test_a_sweep_removes_only_old_export_folders(temp_root):
    old, fresh = new_export_file(), new_export_file()
    other = temp_root / "someone-elses"
    other.mkdir()
    long_ago = time.time() - 3 * 24 * 3600
    for folder in (old.folder, other):
        os.utime(folder, (long_ago, long_ago))
    assert sweep() == [old.folder]
    assert not old.folder.exists() and fresh.folder.exists() and other.exists()
    assert all(p.name.startswith(FOLDER_PREFIX) for p in temp_root.iterdir() if p != other)
    assert isinstance(fresh, ExportFile)


def test_the_parcels_made_in_the_pages_run_are_a_setting():
    assert in_page_parcels({}) == IN_PAGE_PARCELS
    assert in_page_parcels({IN_PAGE_ENV: " 0 "}) == 0
    assert in_page_parcels({IN_PAGE_ENV: "500"}) == 500
    assert in_page_parcels({IN_PAGE_ENV: "-3"}) == 0
    assert in_page_parcels({IN_PAGE_ENV: "many"}) == IN_PAGE_PARCELS
