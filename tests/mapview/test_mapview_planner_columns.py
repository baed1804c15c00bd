"""Popups of parcels imported from a land bureau's file show the file's own columns after
ours, and the declared area against the measured one, flagged when they differ."""

from __future__ import annotations

import html
import re

import pytest
from bureau_files import FLAGGED, LAYOUTS, PARCELS
from conftest import HOSTILE
from shapely.geometry import mapping

from geo_app.catalog import load_layer_geojson
from geo_app.i18n import t
from geo_app.importing import prepare_import
from geo_app.mapview import MapOptions, layer_display_data, render_html
from geo_app.mapview.elements import pack_popups
from geo_app.mapview.popups import MORE_CLASS, PLANNER_ROWS, WARN_CLASS
from geo_app.parcel_table.planner_columns import planner_columns
from geo_app.parcel_table.understand import ORIGINAL_SUFFIX

PARCEL_LAYER = "land_parcels"
ROW = re.compile(r"<tr><th>(.*?)</th><td(?: class=\"[^\"]*\")?>(.*?)</td></tr>")


def _collection(properties_and_geometries) -> dict:
    return {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": dict(props), "geometry": mapping(geometry)}
            for props, geometry in properties_and_geometries
        ],
    }


@pytest.fixture(scope="module")
def bureau_parcels(tmp_path_factory):
    """The Chinese Shapefile ledger as imported, as the map receives a workspace's parcels."""
    path = LAYOUTS["chinese_shapefile"](tmp_path_factory.mktemp("bureau") / "file")
    plan = prepare_import(path)
    assert plan.ok, [p.line("en") for p in plan.errors]
    return [(p.properties, p.geometry) for p in plan.parcels]


def _popups(parcels, lang: str = "zh") -> dict[str, str]:
    data = layer_display_data(MapOptions(parcels=_collection(parcels), lang=lang), PARCEL_LAYER)
    return {f["properties"]["id"]: f["properties"]["_popup"] for f in data["features"]}


def _rows(popup: str) -> dict[str, str]:
    return {html.unescape(k): html.unescape(v) for k, v in ROW.findall(popup)}


def test_popup_shows_the_bureau_columns_after_ours(bureau_parcels):
    popup = _popups(bureau_parcels)[PARCELS[FLAGGED].id]
    rows = _rows(popup)
    assert "<tr><th>所在乡镇</th><td>山河</td></tr>" in popup
    assert rows["地块编号"] == PARCELS[FLAGGED].id and rows["项目名称"] == PARCELS[FLAGGED].name
    # 供地状态 is also our row's label: the bureau's word is kept beside ours, renamed.
    assert rows[t("popup.status", "zh")] == "已供地"
    assert rows["供地状态" + ORIGINAL_SUFFIX] == "已出让"
    labels = list(rows)
    assert labels.index(t("popup.source", "zh")) < labels.index("地块编号")


def test_popup_flags_only_the_declared_area_that_differs(bureau_parcels):
    popups = _popups(bureau_parcels)
    flagged = [pid for pid, popup in popups.items() if f'class="{WARN_CLASS}"' in popup]
    assert flagged == [PARCELS[FLAGGED].id]
    label = t("popup.declared_area", "zh")
    row = re.search(rf'<th>{label}</th><td class="{WARN_CLASS}">(.*?)</td>',
                    popups[PARCELS[FLAGGED].id])
    assert row, popups[PARCELS[FLAGGED].id]
    assert "+5.0%" in row.group(1) and t("parcel.area_check.mismatch", "zh") in row.group(1)
    assert f"{PARCELS[FLAGGED].hectares * 1.05:,.2f}" in row.group(1)
    other = _rows(popups[PARCELS[0].id])[t("popup.declared_area", "zh")]
    assert t("parcel.area_check.ok", "zh") in other
    english = _rows(_popups(bureau_parcels, "en")[PARCELS[FLAGGED].id])
    assert t("parcel.area_check.mismatch", "en") in english[t("popup.declared_area", "en")]


def test_bureau_names_and_values_reach_the_popup_escaped(bureau_parcels):
    parcels = [(dict(props), geometry) for props, geometry in bureau_parcels]
    parcels[0][0]["备注"] = HOSTILE
    parcels[0][0]["<i>列</i>"] = "a & b"
    popup = _popups(parcels)[PARCELS[0].id]
    assert "<img" not in popup and "<i>" not in popup
    assert f"<tr><th>备注</th><td>{html.escape(HOSTILE)}</td></tr>" in popup
    assert "<tr><th>&lt;i&gt;列&lt;/i&gt;</th><td>a &amp; b</td></tr>" in popup


def test_popup_lists_at_most_so_many_bureau_columns(bureau_parcels):
    props, geometry = bureau_parcels[0]
    wide = {**props, **{f"字段{i:02d}": f"值{i}" for i in range(30)}}
    popup = _popups([(wide, geometry)])[props["id"]]
    own = len(planner_columns(wide))
    labels = list(_rows(popup))
    shown = labels[labels.index(t("popup.source", "zh")) + 1:]  # the source is our last row
    assert len(shown) == PLANNER_ROWS and shown[0] == "地块编号"
    more = t("popup.more_columns", "zh", count=own - PLANNER_ROWS)
    assert f'<tr><td colspan="2" class="{MORE_CLASS}">{html.escape(more)}</td></tr>' in popup


def test_popups_travel_packed_and_share_the_bureau_rows(bureau_parcels):
    data = layer_display_data(MapOptions(parcels=_collection(bureau_parcels)), PARCEL_LAYER)
    packed, pieces = pack_popups(data)
    for original, feature in zip(data["features"], packed["features"], strict=True):
        joined = "".join(pieces[i] for i in feature["properties"]["_popup"])
        assert joined == original["properties"]["_popup"]
    # Rows parcels have in common (the same use, the same town) are sent once.
    assert pieces.count("<tr><th>土地用途</th><td>工业用地</td></tr>") == 1
    used = sum(len(f["properties"]["_popup"]) for f in packed["features"])
    assert len(pieces) < used


def test_shipped_sample_parcels_have_no_bureau_rows():
    features = load_layer_geojson(PARCEL_LAYER)["features"]
    assert all(planner_columns(f["properties"]) == [] for f in features)
    page = render_html(MapOptions())
    assert WARN_CLASS + '\\"' not in page and t("popup.declared_area", "zh") not in page
