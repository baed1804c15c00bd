"""The page's parcels come from the planners' workspace: seeded with the samples, and every
change (import, edit) reaches the map, the totals, the tables and the exports together."""

from __future__ import annotations

import json
import subprocess
import sys

import shapely
from app_harness import assert_clean, map_args, metric, new_app, open_tab
from export_harness import click_make, made_file

from geo_app.export.jobs import IN_PAGE_ENV
from geo_app.geodesy import hectares
from geo_app.i18n import load_strings
from geo_app.importing import import_file
from geo_app.ledger import default_ledger
from geo_app.resources import PROJECT_ROOT
from geo_app.workspace import Workspace, workspace_ledger

STRINGS = load_strings()
SQUARE = shapely.box(125.55, 43.60, 125.56, 43.607)


def zh(name: str, **values) -> str:
    return STRINGS.get(name, "zh", **values)


def drawn(script: str, feature_id: str) -> bool:
    return f'"id":{json.dumps(feature_id, ensure_ascii=False)}' in script


def cli_totals(workspace_dir) -> dict:
    result = subprocess.run(
        [sys.executable, "-m", "geo_app", "totals", "--workspace", str(workspace_dir), "--json"],
        capture_output=True, text=True, check=True, cwd=PROJECT_ROOT,
    )
    return json.loads(result.stdout)


def parcel_list(at):
    return next(df.value for df in at.dataframe
                if zh("app.column.id") in df.value.columns
                and zh("app.column.hectares") in df.value.columns)


def write_upload(tmp_path):
    path = tmp_path / "地块.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [{
        "type": "Feature",
        "properties": {"id": "real-1", "name_zh": "真实地块一", "status": "supplied",
                       "use": "industrial", "town": "奢岭街道", "quarter": "2022Q3"},
        "geometry": shapely.geometry.mapping(SQUARE),
    }]}, ensure_ascii=False), encoding="utf-8")
    return path


def test_the_first_run_seeds_the_workspace_and_shows_what_the_cli_totals(own_workspace):
    at = new_app().run()
    assert_clean(at)
    workspace = Workspace.open(own_workspace)
    assert workspace.holds_only_samples()
    totals = cli_totals(own_workspace)
    assert totals["sample_data"] is True
    assert totals["total_ha"] == default_ledger().total_ha
    open_tab(at, "land")
    assert metric(at, zh("app.land.total_all")) == f"{totals['total_ha']:,.2f}"
    assert zh("app.land.sample") in [w.value for w in at.warning]


def test_an_import_changes_map_totals_table_and_export_together(own_workspace, tmp_path,
                                                                 monkeypatch):
    # The file is made in a worker, which finds the workspace's parcels again.
    monkeypatch.setenv(IN_PAGE_ENV, "0")
    at = new_app().run()
    assert_clean(at)
    samples = list(default_ledger().parcels["id"])
    assert drawn(map_args(at)["script"], samples[0])

    result = import_file(Workspace.open(own_workspace), write_upload(tmp_path), "王工")
    assert result.outcome is not None
    at.run()
    assert_clean(at)
    script = map_args(at)["script"]
    assert drawn(script, "real-1")
    assert not any(drawn(script, parcel_id) for parcel_id in samples)

    expected = hectares([SQUARE])[0]
    assert cli_totals(own_workspace)["total_ha"] == expected
    open_tab(at, "land")
    assert metric(at, zh("app.land.total_all")) == f"{expected:,.2f}"
    assert zh("app.land.sample") not in [w.value for w in at.warning]
    assert list(parcel_list(at)[zh("app.column.id")]) == ["real-1"]
    # The filters offer the workspace's values.
    at.session_state["filters_open"] = True
    at.run()
    assert at.sidebar.multiselect(key="filter_quarter").options == ["2022Q3"]

    open_tab(at, "table")
    table = next(df.value for df in at.dataframe if "source" in df.value.columns)
    assert list(table["id"]) == ["real-1"]

    open_tab(at, "map")
    at.session_state["export_open"] = True
    at.run()
    at.selectbox(key="export_format").set_value("csv").run()
    click_make(at)
    _, data = made_file(at)
    rows = data.decode("utf-8-sig").splitlines()
    assert len(rows) == 2 and rows[1].startswith("real-1,")


def test_an_edit_made_elsewhere_is_seen_on_the_next_run(own_workspace):
    at = new_app().run()
    open_tab(at, "land")
    workspace = Workspace.open(own_workspace)
    planned = next(p for p in workspace.parcels() if p.properties["status"] == "planned")
    before = workspace_ledger(workspace).by_status["supplied"]
    workspace.update(planned.parcel_id, planned.version, "李工",
                     properties={**planned.properties, "status": "supplied"})
    after = workspace_ledger(workspace).by_status["supplied"]
    assert after > before
    at.session_state["filters_open"] = True
    at.run()
    at.sidebar.multiselect(key="filter_status").select("supplied").run()
    assert_clean(at)
    assert metric(at, zh("app.land.total_filtered")) == f"{after:,.2f}"
