"""The compliance sheet from the export panel in the system Chromium: chosen, made and
downloaded, its text holds the figures ``check_workspace`` gives for the page's workspace
and the source of every reference layer."""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from app_server import PROJECT_ROOT, StreamlitServer
from control_files import (
    DEV_BOUNDARY,
    FARMLAND,
    PARCELS,
    RED_LINE,
    feature_collection,
    landuse_collection,
    write_geojson,
)
from playwright.sync_api import expect
from test_app_browser import open_map

from geo_app.control import check_workspace, kinds, read_reference
from geo_app.export.compliance import loaded_at_text
from geo_app.i18n import load_strings
from geo_app.workspace import DATA_ENV, NewParcel, Workspace

pytestmark = pytest.mark.browser

STRINGS = load_strings()
USER = "李四"


def zh(key: str, /, **values) -> str:
    return STRINGS.get(key, "zh", **values)


def flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.fixture(scope="module")
def checked_server(tmp_path_factory) -> Iterator[StreamlitServer]:
    """The page on a workspace holding parcels and all four kinds of control line."""
    folder = tmp_path_factory.mktemp("compliance-export")
    workspace = Workspace.open(folder / "workspace", seed=None)
    workspace.import_parcels(
        [NewParcel(pid, {"status": "planned"}, geometry) for pid, geometry in PARCELS.items()],
        "张三", "parcels.geojson")
    layers = {
        "farmland": feature_collection(FARMLAND),
        "eco_redline": feature_collection(RED_LINE),
        "dev_boundary": feature_collection(DEV_BOUNDARY),
        "landuse": landuse_collection(),
    }
    for kind, collection in layers.items():
        path = write_geojson(folder / f"{kind}图层.geojson", collection)
        workspace.import_reference(read_reference(path, kind), USER)
    env = {key: value for key, value in os.environ.items() if key != "GEO_APP_CATALOG"}
    env[DATA_ENV] = str(folder / "workspace")
    with StreamlitServer(PROJECT_ROOT / "streamlit_app.py", env=env) as server:
        server.workspace = workspace
        yield server


def test_the_compliance_sheet_is_downloaded_with_the_checks_figures(offline, checked_server):
    page = offline.page
    open_map(offline, checked_server)
    page.get_by_text(zh("export.panel.heading")).click()
    sheet = page.get_by_text(zh("export.sheet.compliance"))
    expect(sheet).to_be_visible(timeout=30_000)
    sheet.click()
    expect(page.get_by_text(zh("app.export.compliance_note"))).to_be_visible(timeout=30_000)
    # The sheet fits its own map: the layer and extent choices are gone.
    expect(page.get_by_text(zh("export.panel.extent_view"))).to_have_count(0)

    page.get_by_role("button", name=zh("export.panel.make")).click()
    label = re.escape(zh("export.panel.download", filename="")) + r".*compliance.*\.pdf"
    button = page.get_by_role("button", name=re.compile(label))
    expect(button).to_be_visible(timeout=60_000)
    with page.expect_download(timeout=30_000) as info:
        button.click()
    made = info.value
    assert re.fullmatch(r"shuangyang-compliance-\d{4}-\d\d-\d\d\.pdf", made.suggested_filename)
    data = Path(made.path()).read_bytes()
    assert data.startswith(b"%PDF")
    text = flat(subprocess.run(["pdftotext", "-raw", "-enc", "UTF-8", "-", "-"], input=data,
                               capture_output=True, check=True).stdout.decode("utf-8"))

    assert flat(zh("export.compliance.title_default")) in text
    result = check_workspace(checked_server.workspace)
    assert result.in_conflict
    for parcel in result.in_conflict:
        assert parcel.parcel_id in text
        for value in (parcel.hectares, parcel.farmland_ha, parcel.eco_redline_ha,
                      parcel.outside_dev_boundary_ha, parcel.cultivated_ha):
            assert f"{value:,.4f}" in text
    summary = result.summary()
    assert flat(zh("export.compliance.total_conflicts", parcels=summary["parcels_in_conflict"],
                   hectares=f"{summary['conflict_ha']:,.4f}")) in text
    for layer in checked_server.workspace.reference_layers():
        assert flat(zh("export.compliance.source", kind=kinds()[layer.kind].label("zh"),
                       name=layer.name, file=layer.source, format=layer.format_name,
                       crs=layer.crs, count=f"{layer.feature_count:,}",
                       at=loaded_at_text(layer.loaded_at), by=USER)) in text
    assert offline.blocker.blocked == []
