"""The land-supply tab's import panel: shown, guarded, and importing into the workspace."""

from __future__ import annotations

import importlib
import json
import sys
from dataclasses import dataclass

import shapely
from app_harness import assert_clean, new_app, open_tab

from geo_app.geodesy import hectares
from geo_app.i18n import load_strings
from geo_app.ledger import default_ledger
from geo_app.resources import PROJECT_ROOT
from geo_app.workspace import DATA_ENV, Workspace

STRINGS = load_strings()


def _panel():
    """app_parts sits beside streamlit_app.py, outside the installed package."""
    if str(PROJECT_ROOT) not in sys.path:
        sys.path.insert(0, str(PROJECT_ROOT))
    return importlib.import_module("app_parts.import_panel")


SQUARE = shapely.box(125.55, 43.60, 125.56, 43.607)


@dataclass
class Upload:
    """What st.file_uploader hands over: a name and the bytes."""

    name: str
    data: bytes

    def getvalue(self) -> bytes:
        return self.data


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
    result = _panel()._run(upload, "王工", None, False, False)
    assert result["imported"] and result["count"] == 1
    assert result["before"] == default_ledger().total_ha
    assert result["after"] == float(hectares([SQUARE])[0])
    workspace = Workspace.open(tmp_path / "ws")
    assert [p.parcel_id for p in workspace.parcels()] == ["u-1"]
    assert workspace.imports()[-1]["source"] == "地块.geojson"
    bad = Upload("bad.geojson", b'{"type": "FeatureCollection", "features": [')
    result = _panel()._run(bad, "王工", None, False, False)
    assert not result["imported"] and result["problems"][0].code == "truncated_json"
    assert workspace.count() == 1
