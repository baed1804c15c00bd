"""The land-supply tab's import panel: shown, guarded, and importing into the workspace
through a worker process."""

from __future__ import annotations

import importlib
import io
import json
import sys

import shapely
from app_harness import assert_clean, new_app, open_tab, rerun_until

from geo_app.geodesy import hectares
from geo_app.i18n import load_strings
from geo_app.import_jobs import import_for_page
from geo_app.ledger import default_ledger
from geo_app.resources import PROJECT_ROOT
from geo_app.workspace import DATA_ENV, Workspace

STRINGS = load_strings()
# Generous bounds on waiting for a worker (it starts in about a second); never a timing test.
JOB_TIMEOUT_S = 120


def _panel():
    """app_parts sits beside streamlit_app.py, outside the installed package."""
    if str(PROJECT_ROOT) not in sys.path:
        sys.path.insert(0, str(PROJECT_ROOT))
    return importlib.import_module("app_parts.import_panel")


SQUARE = shapely.box(125.55, 43.60, 125.56, 43.607)


class Upload(io.BytesIO):
    """What st.file_uploader hands over: a name and the bytes, readable as a file."""

    def __init__(self, name: str, data: bytes) -> None:
        super().__init__(data)
        self.name = name


def imported(upload: Upload, user: str) -> dict:
    """The panel's import of ``upload``, waited for, as the page keeps it."""
    job = _panel()._start_import(upload, user, None, False, False)
    status = job.wait(JOB_TIMEOUT_S)
    assert status.outcome == "done", status
    assert not job.folder.exists()
    return import_for_page(job.result())


def geojson(*features) -> bytes:
    return json.dumps({"type": "FeatureCollection", "features": list(features)}).encode()


def feature(geometry, **properties):
    return {"type": "Feature", "properties": properties,
            "geometry": shapely.geometry.mapping(geometry)}


def test_the_panel_is_on_the_land_tab_and_waits_for_a_name_and_a_file(monkeypatch, tmp_path):
    monkeypatch.setenv(DATA_ENV, str(tmp_path / "ws"))
    monkeypatch.delenv("GEO_APP_CATALOG", raising=False)
    at = new_app().run()
    open_tab(at, "land")
    assert STRINGS.get("app.import.title", "zh") in [e.label for e in at.expander]
    [button] = [b for b in at.button if b.label == STRINGS.get("app.import.run", "zh")]
    assert button.disabled
    at.text_input(key=_panel().USER).input("王工").run()
    assert_clean(at)
    [button] = [b for b in at.button if b.label == STRINGS.get("app.import.run", "zh")]
    assert button.disabled  # still no file
    # The page's parcels come from the workspace, seeded with the samples on first use.
    workspace = Workspace.open(tmp_path / "ws")
    assert workspace.holds_only_samples()
    assert workspace.count() == default_ledger().parcel_count


def test_an_upload_is_imported_and_the_change_in_hectares_reported(monkeypatch, tmp_path):
    monkeypatch.setenv(DATA_ENV, str(tmp_path / "ws"))
    upload = Upload("../../地块.geojson", geojson(feature(SQUARE, id="u-1", status="planned")))
    result = imported(upload, "王工")
    assert result["imported"] and result["count"] == 1
    assert result["before"] == default_ledger().total_ha
    assert result["after"] == float(hectares([SQUARE])[0])
    workspace = Workspace.open(tmp_path / "ws")
    assert [p.parcel_id for p in workspace.parcels()] == ["u-1"]
    assert workspace.imports()[-1]["source"] == "地块.geojson"
    bad = Upload("bad.geojson", b'{"type": "FeatureCollection", "features": [')
    result = imported(bad, "王工")
    assert not result["imported"] and result["problems"][0].code == "truncated_json"
    assert workspace.count() == 1


def _previewed(at, panel, name: str):
    """王工's upload of one parcel as a file called ``name``, once its preview is shown; the
    import button."""
    at.text_input(key=panel.USER).input("王工")
    data = geojson(feature(SQUARE, id="u-1", status="planned"))
    at.file_uploader(key=f"{panel.UPLOAD}_0").set_value((name, data, "application/json"))
    would_give = STRINGS.get("app.import.preview.would_give", "zh", count=1, hectares="",
                             by_status="", flagged=0).split("，")[0]
    rerun_until(at, lambda at: any(would_give in i.value for i in at.info), "preview")
    [button] = [b for b in at.button if b.label == STRINGS.get("app.import.run", "zh")]
    return button


def test_the_panel_previews_and_imports_an_upload_in_a_worker(monkeypatch, tmp_path):
    monkeypatch.setenv(DATA_ENV, str(tmp_path / "ws"))
    monkeypatch.delenv("GEO_APP_CATALOG", raising=False)
    panel = _panel()
    at = new_app().run()
    open_tab(at, "land")
    button = _previewed(at, panel, "地块.geojson")
    assert_clean(at)
    assert not button.disabled
    button.click()
    done = STRINGS.get("app.import.done", "zh", count=1, hectares="").split("，")[0]
    rerun_until(at, lambda at: any(done in s.value for s in at.success), "import")
    assert_clean(at)
    assert [p.parcel_id for p in Workspace.open(tmp_path / "ws").parcels()] == ["u-1"]
    # The imported file is let go: the uploader starts empty, and nothing is read again.
    assert [u.value for u in at.file_uploader] == [None]
    assert panel.JOB not in at.session_state


def test_a_preview_out_of_memory_is_said_and_nothing_can_be_imported(monkeypatch, tmp_path):
    from geo_app.jobs import Job, JobLimits

    monkeypatch.setenv(DATA_ENV, str(tmp_path / "ws"))
    monkeypatch.delenv("GEO_APP_CATALOG", raising=False)
    panel = _panel()
    worker = (sys.executable, str(PROJECT_ROOT / "tests" / "import_job_worker.py"))
    limits = JobLimits(memory_bytes=768 * 2**20)

    def outgrowing(*args, **kwargs):
        return Job.start("allocate", {}, {}, limits, worker=worker)

    monkeypatch.setattr(panel, "start_check", outgrowing)
    at = new_app().run()
    open_tab(at, "land")
    at.text_input(key=panel.USER).input("王工")
    data = geojson(feature(SQUARE, id="u-1", status="planned"))
    at.file_uploader(key=f"{panel.UPLOAD}_0").set_value(("地块.geojson", data, "application/json"))
    said = STRINGS.get("app.import.job.check.memory", "zh", memory=768)
    rerun_until(at, lambda at: any(e.value == said for e in at.error), "memory message")
    [button] = [b for b in at.button if b.label == STRINGS.get("app.import.run", "zh")]
    assert button.disabled
    assert panel.JOB not in at.session_state
    assert Workspace.open(tmp_path / "ws").holds_only_samples()


# A worker that never answers: the import it stands for ends only when the planner stops it.
SILENT_WORKER = (sys.executable, "-c", "import time; time.sleep(120)")
UPLOAD_NAME = "../地块.geojson"
# The name the import's batch records for that upload (the worker's copy of the file).
SOURCE = "地块.geojson"


def new_parcel(parcel_id: str):
    from geo_app.workspace import NewParcel

    return NewParcel(parcel_id, {"name_zh": parcel_id, "status": "planned"}, SQUARE)


def _import_running(monkeypatch, tmp_path, before=None):
    """The page with 王工's import of UPLOAD_NAME started in a worker that gives no answer;
    ``before(workspace)`` runs first, once the page has made the workspace."""
    from geo_app.jobs import Job, JobLimits

    monkeypatch.setenv(DATA_ENV, str(tmp_path / "ws"))
    monkeypatch.delenv("GEO_APP_CATALOG", raising=False)
    panel = _panel()
    monkeypatch.setattr(panel, "start_import", lambda *args, **kwargs: Job.start(
        "import", {}, {}, JobLimits(), worker=SILENT_WORKER))
    at = new_app().run()
    open_tab(at, "land")
    workspace = Workspace.open(tmp_path / "ws")
    if before is not None:
        before(workspace)
    _previewed(at, panel, UPLOAD_NAME).click().run()
    assert_clean(at)
    assert at.session_state[panel.JOB]["task"] == panel.IMPORT
    return at, panel, workspace


def _stopped(at, panel) -> dict:
    """Stop the worker from the page; what the page then keeps of the import."""
    at.button(key=panel.CANCEL).click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert panel.JOB not in at.session_state
    return at.session_state[panel.RESULT]


def test_another_planners_import_while_ours_runs_is_not_taken_for_ours(monkeypatch, tmp_path):
    at, panel, workspace = _import_running(monkeypatch, tmp_path)
    # Another planner imports a file of the same name while ours runs.
    workspace.import_parcels([new_parcel("o-1")], "李工", SOURCE)
    result = _stopped(at, panel)
    assert not result["imported"]
    assert [e.value for e in at.error] == [STRINGS.get("app.import.job.import.cancelled", "zh")]


def test_an_undo_while_our_import_runs_is_not_taken_for_ours(monkeypatch, tmp_path):
    earlier = []
    at, panel, workspace = _import_running(
        monkeypatch, tmp_path,
        before=lambda ws: earlier.append(ws.import_parcels([new_parcel("e-1")], "王工", SOURCE)))
    # The same planner undoes an earlier import of the same file: the undo is a batch of its
    # own, by 王工, under the file's name.
    workspace.undo_import(earlier[0].batch_id, "王工")
    assert workspace.imports()[-1]["source"] == SOURCE
    result = _stopped(at, panel)
    assert not result["imported"]
    assert [e.value for e in at.error] == [STRINGS.get("app.import.job.import.cancelled", "zh")]


def test_our_import_committed_before_its_worker_stopped_is_found(monkeypatch, tmp_path):
    at, panel, workspace = _import_running(monkeypatch, tmp_path)
    # The batch written as the worker writes it, then another planner's import after it.
    workspace.import_parcels([new_parcel("u-1")], "王工", SOURCE)
    workspace.import_parcels([new_parcel("o-1")], "李工", "其他.geojson")
    result = _stopped(at, panel)
    assert result["imported"]
    assert [w.value for w in at.warning] == [STRINGS.get("app.import.job.import.written", "zh")]
