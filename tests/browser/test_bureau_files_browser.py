"""Land bureaus' ledgers in the system Chromium: a workspace holding any of them opens with
the map and the land-supply headline, and a column chosen in the import preview changes the
figures that are imported."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from app_server import MAP_FRAME, PROJECT_ROOT, StreamlitServer
from bureau_files import LAYOUTS, PARCELS, expected_by, total_hectares
from playwright.sync_api import expect
from test_app_browser import FIRST_MAP_TIMEOUT_MS, current_map

from geo_app.i18n import load_strings
from geo_app.importing import import_file
from geo_app.workspace import DATA_ENV, Workspace

pytestmark = pytest.mark.browser

STRINGS = load_strings()
APP = PROJECT_ROOT / "streamlit_app.py"


def server_env(workspace) -> dict[str, str]:
    """This process's environment for a server on ``workspace`` and the shipped layers."""
    env = {key: value for key, value in os.environ.items() if key != "GEO_APP_CATALOG"}
    return {**env, DATA_ENV: str(workspace)}


def zh(name: str, **values) -> str:
    return STRINGS.get(name, "zh", **values)


def cli_totals(workspace) -> dict:
    result = subprocess.run(
        [sys.executable, "-m", "geo_app", "totals", "--workspace", str(workspace), "--json"],
        capture_output=True, text=True, check=True, cwd=PROJECT_ROOT,
    )
    return json.loads(result.stdout)


def metric_value(page, label: str):
    return (
        page.locator('[data-testid="stMetric"]')
        .filter(has_text=label)
        .locator('[data-testid="stMetricValue"]')
    )


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_a_workspace_of_a_bureau_file_opens_with_the_headline(offline, tmp_path, layout):
    workspace_dir = tmp_path / "workspace"
    result = import_file(
        Workspace.open(workspace_dir), LAYOUTS[layout](tmp_path / "file"), "规划科"
    )
    assert result.outcome is not None, [p.line("en") for p in result.plan.problems]
    with StreamlitServer(APP, env=server_env(workspace_dir)) as server:
        page = offline.page
        page.goto(server.url)
        frame = current_map(page, FIRST_MAP_TIMEOUT_MS)
        # Each imported parcel is drawn (the map holds its id in a tooltip or popup piece).
        expect(frame.locator(".leaflet-container")).to_be_visible()
        total = f"{total_hectares():,.2f}"
        expect(metric_value(page, zh("app.land.total_all"))).to_have_text(
            total, timeout=30_000
        )
        supplied = f"{expected_by('status')['supplied']:,.2f}"
        label = zh("app.headline.status", status=zh("parcel.status.supplied"))
        expect(metric_value(page, label)).to_have_text(supplied)
        # No error box anywhere on the landing view.
        expect(page.locator('[data-testid="stAlertContentError"]')).to_have_count(0)
        expect(page.get_by_text(zh("app.land.sample"))).to_have_count(0)
    assert offline.blocker.blocked == []


def choose(page, label: str, option: str, attempts: int = 5) -> None:
    """Pick ``option`` in the select box ``label``; a click made while the page is redrawn
    can miss the list, so it is opened again until the option shows."""
    wanted = page.get_by_role("option", name=option, exact=True)
    for _ in range(attempts):
        page.get_by_label(label, exact=True).click()
        try:
            expect(wanted).to_be_visible(timeout=3_000)
        except AssertionError:
            page.keyboard.press("Escape")
            continue
        wanted.click()
        return
    raise AssertionError(f"the list of {label} did not open")


def test_a_column_chosen_in_the_preview_changes_the_imported_totals(
    offline, editing_server, tmp_path
):
    upload = LAYOUTS["chinese_shapefile"](tmp_path / "file")
    page = offline.page
    page.goto(editing_server.url)
    expect(page.locator(MAP_FRAME)).to_have_count(1, timeout=FIRST_MAP_TIMEOUT_MS)
    page.get_by_role("tab", name=zh("app.tab.land")).click()
    page.get_by_text(zh("app.import.title")).click()
    name = page.get_by_label(zh("app.import.user"))
    name.fill("王工")
    name.press("Enter")
    with page.expect_file_chooser() as chooser:
        page.locator('[data-testid="stFileUploaderDropzone"]').click()
    chooser.value.set_files(upload)

    # The preview: the file's rows, and the columns it read for each field.
    expect(page.get_by_text(zh("app.import.preview.rows"))).to_be_visible(timeout=30_000)
    # The grid draws on a canvas; its cells are in the page for assistive technology.
    expect(page.get_by_text(PARCELS[0].name).first).to_be_attached()
    would_give = page.locator('[data-testid="stAlertContentInfo"]').filter(
        has_text=zh("app.import.preview.would_give", count=len(PARCELS), hectares="",
                    by_status="", flagged="").split("，")[0]
    )
    supplied = f"{zh('parcel.status.supplied')} {expected_by('status')['supplied']:,.2f}"
    # While the page is redrawn the old box lingers a moment beside the new one.
    expect(would_give.filter(has_text=supplied).last).to_be_visible(timeout=30_000)

    # The planner says the file has no status column: every parcel becomes unknown.
    choose(page, zh("parcel_table.field.status"), zh("app.import.preview.no_column"))
    unknown = f"{zh('app.land.unknown')} {total_hectares():,.2f}"
    expect(would_give.filter(has_text=unknown).last).to_be_visible(timeout=30_000)
    expect(would_give).to_have_count(1, timeout=30_000)
    expect(would_give).not_to_contain_text(supplied)
    run = page.get_by_role("button", name=zh("app.import.run"), exact=True)
    expect(run).to_be_enabled(timeout=30_000)
    run.click()
    expect(page.get_by_text(zh("app.import.done", count=len(PARCELS), hectares="").split("，")[0])
           ).to_be_visible(timeout=30_000)
    totals = cli_totals(editing_server.workspace)
    assert totals["total_ha"] == pytest.approx(total_hectares(), rel=1e-9)
    assert totals["by_status"]["unknown"] == pytest.approx(total_hectares(), rel=1e-9)
    assert totals["by_town"]["奢岭街道"] == pytest.approx(expected_by("town")["奢岭街道"])
    assert offline.blocker.blocked == []
