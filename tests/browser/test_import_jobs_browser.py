"""An import from the browser runs in a worker: the panel shows it working, and a cancel
stops it with the workspace as it was and nothing of the upload left on the server."""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
import shapely
from app_server import PROJECT_ROOT, StreamlitServer
from playwright.sync_api import expect
from test_app_browser import FIRST_MAP_TIMEOUT_MS, MAP_FRAME

from geo_app.i18n import load_strings
from geo_app.jobs import FOLDER_PREFIX
from geo_app.workspace import DATA_ENV, Workspace

pytestmark = pytest.mark.browser

STRINGS = load_strings()
APP = PROJECT_ROOT / "streamlit_app.py"
SQUARE = shapely.box(125.55, 43.60, 125.56, 43.607)


def zh(name: str, **values) -> str:
    return STRINGS.get(name, "zh", **values)


@pytest.fixture
def server(tmp_path) -> Iterator[StreamlitServer]:
    """A server of its own whose temporary files (the workers' folders) go to one place."""
    temp = tmp_path / "tmp"
    temp.mkdir()
    env = {key: value for key, value in os.environ.items() if key != "GEO_APP_CATALOG"}
    env.update({DATA_ENV: str(tmp_path / "workspace"), "TMPDIR": str(temp)})
    with StreamlitServer(APP, env=env) as server:
        server.workspace = tmp_path / "workspace"
        yield server


@contextlib.contextmanager
def write_lock(workspace: Path) -> Iterator[None]:
    """Hold the workspace's write lock, as a long write by someone else would: an import
    then waits at the start of its transaction, writing nothing, until it is cancelled."""
    connection = sqlite3.connect(Workspace.open(workspace).path, isolation_level=None)
    try:
        connection.execute("BEGIN IMMEDIATE")
        yield
    finally:
        connection.rollback()
        connection.close()


def state(workspace: Path) -> tuple:
    ws = Workspace.open(workspace)
    assert ws.integrity_check() == "ok"
    return sorted(p.parcel_id for p in ws.parcels()), len(ws.history()), len(ws.imports())


def test_a_cancelled_import_leaves_the_workspace_as_it_was_and_can_be_run_again(
    offline, server, tmp_path
):
    upload = tmp_path / "新地块.geojson"
    upload.write_text(json.dumps({"type": "FeatureCollection", "features": [{
        "type": "Feature", "properties": {"id": "cancelled-1", "status": "planned"},
        "geometry": shapely.geometry.mapping(SQUARE),
    }]}), encoding="utf-8")
    page = offline.page
    page.goto(server.url)
    expect(page.locator(MAP_FRAME)).to_have_count(1, timeout=FIRST_MAP_TIMEOUT_MS)
    page.get_by_role("tab", name=zh("app.tab.land")).click()
    page.get_by_text(zh("app.import.title")).click()
    name = page.get_by_label(zh("app.import.user"))
    name.fill("王工")
    name.press("Enter")
    with page.expect_file_chooser() as chooser:
        page.locator('[data-testid="stFileUploaderDropzone"]').click()
    chooser.value.set_files(upload)
    run = page.get_by_role("button", name=zh("app.import.run"), exact=True)
    expect(run).to_be_enabled(timeout=60_000)  # the preview came back from its worker
    before = state(server.workspace)

    with write_lock(server.workspace):
        run.click()
        working = zh("app.import.job.running.import", seconds="", limit="").split("：")[0]
        expect(page.get_by_text(working)).to_be_visible(timeout=30_000)
        page.get_by_role("button", name=zh("app.import.job.cancel"), exact=True).click()
        expect(page.get_by_text(zh("app.import.job.import.cancelled"))).to_be_visible(
            timeout=30_000
        )

    assert state(server.workspace) == before
    temp = Path(server.env["TMPDIR"])
    assert [p.name for p in temp.iterdir() if p.name.startswith(FOLDER_PREFIX)] == []

    # The file is still chosen and its preview kept: importing again just works.
    expect(run).to_be_enabled(timeout=30_000)
    run.click()
    expect(page.get_by_text(zh("app.import.done", count=1, hectares="").split("，")[0])
           ).to_be_visible(timeout=60_000)
    assert state(server.workspace)[0] == ["cancelled-1"]
    assert [p.name for p in temp.iterdir() if p.name.startswith(FOLDER_PREFIX)] == []
    assert offline.blocker.blocked == []
