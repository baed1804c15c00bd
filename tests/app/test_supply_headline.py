"""The land supply against the 200 ha target under the map, and the year's progress by
month on the land-supply tab."""

from __future__ import annotations

import json

import pytest
import shapely
from app_harness import APP, RUN_TIMEOUT_S, assert_clean, metric, new_app, open_tab
from streamlit.dataframe_util import convert_arrow_bytes_to_pandas_df
from streamlit.testing.v1 import AppTest

from geo_app.geodesy import hectares
from geo_app.i18n import load_strings
from geo_app.ledger import default_ledger
from geo_app.workspace import NewParcel, Workspace

STRINGS = load_strings()
SAMPLE = default_ledger()


def text(lang: str, name: str, **values) -> str:
    return STRINGS.get(name, lang, **values)


def ha(value: float) -> str:
    return f"{value:,.2f}"


def box(west: float, width: float, height: float) -> shapely.Polygon:
    return shapely.box(west, 43.60, west + width, 43.60 + height)


# Supplied parcels in January and May 2024 that together pass 200 ha in May, one supplied
# in 2023, a planned one dated 2024 (not supplied: not in the chart), and two without a date.
JAN, MAY, Y2023, PLANNED, NO_DATE, NO_DATE_PLANNED = (
    box(125.50, 0.01, 0.007), box(125.52, 0.02, 0.01), box(125.55, 0.005, 0.005),
    box(125.57, 0.01, 0.01), box(125.59, 0.004, 0.004), box(125.60, 0.003, 0.003),
)
DATED_PARCELS = [
    NewParcel("p-jan", {"status": "supplied", "date": "2024-01-20"}, JAN),
    NewParcel("p-may", {"status": "supplied", "date": "2024-05-05"}, MAY),
    NewParcel("p-2023", {"status": "supplied", "date": "2023-09-01"}, Y2023),
    NewParcel("p-planned", {"status": "planned", "date": "2024-03-01"}, PLANNED),
    NewParcel("p-nodate", {"status": "supplied", "date": None}, NO_DATE),
    NewParcel("p-nodate-planned", {"status": "planned"}, NO_DATE_PLANNED),
]


def area(geometry: shapely.Polygon) -> float:
    return float(hectares([geometry])[0])


@pytest.fixture
def dated(own_workspace) -> AppTest:
    """The page on a workspace whose parcels carry supply dates, on the land-supply tab."""
    Workspace.open(own_workspace).import_parcels(DATED_PARCELS, "王工", "地块.geojson")
    at = new_app().run()
    assert_clean(at)
    return open_tab(at, "land")


def progress_chart(at: AppTest) -> tuple[dict, list]:
    """The progress chart's Vega-Lite spec and its data frames (the page's other charts
    are the breakdowns, which have no layers)."""
    charts = [
        chart for chart in at.get("vega_lite_chart")
        if "layer" in json.loads(chart.proto.spec)
    ]
    assert len(charts) == 1, "the land-supply tab should draw one progress chart"
    chart = charts[0]
    frames = [convert_arrow_bytes_to_pandas_df(data.data.data) for data in chart.proto.datasets]
    return json.loads(chart.proto.spec), frames


def series(frames: list, name: str) -> list[float]:
    rows = next(frame for frame in frames if "month" in frame.columns)
    return list(rows[rows["series"] == name]["hectares"])


def captions(at: AppTest) -> list[str]:
    return [caption.value for caption in at.caption]


# ----------------------------------------------------------------------- the headline


def test_the_map_tab_shows_the_total_against_the_target_in_chinese(app):
    lang = "zh"
    assert metric(app, text(lang, "app.land.total_all")) == ha(SAMPLE.total_ha)
    assert metric(app, text(lang, "app.headline.gap")) == ha(200.0 - SAMPLE.total_ha)
    share = f"{SAMPLE.total_ha / 200.0 * 100:.1f}%"
    assert metric(app, text(lang, "app.headline.share", target="200")) == share
    assert share == "78.5%"
    for status, value in SAMPLE.by_status.items():
        label = text(lang, "app.headline.status", status=text(lang, f"parcel.status.{status}"))
        assert metric(app, label) == ha(value)
    # The shipped parcels are samples, and the headline says so.
    assert any(caption.startswith(text(lang, "app.headline.sample")) for caption in captions(app))


def test_the_headline_follows_the_language_switch(app):
    app.sidebar.radio(key="lang").set_value("en").run()
    assert_clean(app)
    assert metric(app, text("en", "app.land.total_all")) == ha(SAMPLE.total_ha)
    assert metric(app, "Short of the target (ha)") == ha(200.0 - SAMPLE.total_ha)
    assert metric(app, "Share of the 200 ha target") == "78.5%"
    assert metric(app, "Supplied (ha)") == ha(SAMPLE.by_status["supplied"])
    assert not any("公顷" in m.label for m in app.metric)


def test_the_headline_totals_the_filtered_parcels(app):
    supplied = SAMPLE.filtered(status="supplied")
    app.session_state["filters_open"] = True
    app.run()
    app.sidebar.multiselect(key="filter_status").select("supplied").run()
    assert_clean(app)
    assert metric(app, text("zh", "app.land.total_filtered")) == ha(supplied.total_ha)
    assert metric(app, text("zh", "app.headline.gap")) == ha(200.0 - supplied.total_ha)
    assert metric(app, text("zh", "app.headline.share", target="200")) == (
        f"{supplied.total_ha / 2:.1f}%"
    )
    planned = text("zh", "app.headline.status", status=text("zh", "parcel.status.planned"))
    assert metric(app, planned) == "0.00"


def test_parcels_without_a_status_are_shown_as_not_stated(own_workspace):
    Workspace.open(own_workspace).import_parcels(
        [NewParcel("p-a", {"status": "supplied"}, JAN), NewParcel("p-b", {}, MAY)],
        "王工", "地块.geojson",
    )
    at = new_app().run()
    assert_clean(at)
    unknown = text("zh", "app.headline.status", status=text("zh", "app.land.unknown"))
    assert metric(at, unknown) == ha(area(MAY))
    assert metric(at, text("zh", "app.land.total_all")) == ha(area(JAN) + area(MAY))
    # A real workspace is no sample: the headline does not say it is.
    assert not any(c.startswith(text("zh", "app.headline.sample")) for c in captions(at))


def elements_in_order(at: AppTest) -> list[tuple[tuple[int, ...], object]]:
    """Every element of the page with its place in the element tree, in page order."""
    found = []

    def walk(node, path):
        found.append((tuple(path), node))
        for index, child in sorted(getattr(node, "children", {}).items()):
            walk(child, [*path, index])

    walk(at._tree, [])
    return found


def is_map(node) -> bool:
    return str(getattr(getattr(node, "proto", None), "component_name", "")).endswith("st_folium")


def test_the_headline_comes_under_the_map_and_never_moves_it():
    # A new visitor: the first run draws the map alone, the map's report the rest.
    at = AppTest.from_file(str(APP), default_timeout=RUN_TIMEOUT_S).run()
    assert_clean(at)
    assert not at.metric
    [first_map] = [path for path, node in elements_in_order(at) if is_map(node)]
    at.run()
    assert_clean(at)
    order = elements_in_order(at)
    [second_map] = [path for path, node in order if is_map(node)]
    assert second_map == first_map
    metrics = [path for path, node in order if getattr(node, "type", None) == "metric"]
    assert metrics and all(path > second_map for path in metrics)
    assert metric(at, text("zh", "app.land.total_all")) == ha(SAMPLE.total_ha)


# ----------------------------------------------------------------------- the year's progress


def test_the_land_tab_charts_the_years_supplied_hectares_by_month(dated):
    spec, frames = progress_chart(dated)
    assert spec["title"] == text("zh", "app.progress.chart_title", year=2024)
    jan, may = area(JAN), area(MAY)
    assert jan < 200 < jan + may
    # Only the supplied parcels of 2024, each in its month; the planned one is left out.
    expected_monthly = [round(jan, 2), 0, 0, 0, round(may, 2)] + [0] * 7
    assert series(frames, text("zh", "app.progress.series.monthly")) == pytest.approx(
        expected_monthly, abs=0.01)
    expected_cumulative = [jan] * 4 + [jan + may] * 8
    assert series(frames, text("zh", "app.progress.series.cumulative")) == pytest.approx(
        expected_cumulative, abs=0.01)
    # The target line at 200 ha.
    rule = next(frame for frame in frames if "month" not in frame.columns)
    assert list(rule["hectares"]) == [200.0]
    assert list(rule["series"]) == [text("zh", "app.progress.series.target", target="200")]
    # Axis titles and month names in the page's language.
    layer = spec["layer"][0]["encoding"]
    assert layer["x"]["title"] == "月份" and layer["x"]["sort"][0] == "1月"
    assert layer["y"]["title"] == text("zh", "app.progress.axis.hectares")


def test_the_land_tab_says_when_the_target_was_reached_and_what_is_undated(dated):
    jan, may = area(JAN), area(MAY)
    reached = text("zh", "app.progress.reached", year=2024, month="5月", target="200",
                   total=ha(jan + may))
    supplied_only = text("zh", "app.progress.supplied_only", supplied="已供地")
    assert f"{reached} {supplied_only}" in captions(dated)
    undated = text("zh", "app.progress.undated", count=2,
                   hectares=ha(area(NO_DATE) + area(NO_DATE_PLANNED)),
                   supplied=1, supplied_ha=ha(area(NO_DATE)))
    assert undated in captions(dated)
    assert undated.startswith("另有 2 个地块没有供地日期")


def test_a_year_can_be_chosen_when_there_are_several(dated):
    select = dated.selectbox(key="progress_year")
    assert select.options == ["2023", "2024"] and select.value == 2024
    select.select(2023).run()
    assert_clean(dated)
    spec, frames = progress_chart(dated)
    assert spec["title"] == text("zh", "app.progress.chart_title", year=2023)
    y2023 = area(Y2023)
    assert series(frames, text("zh", "app.progress.series.cumulative")) == pytest.approx(
        [0.0] * 8 + [y2023] * 4, abs=0.01)
    not_reached = text("zh", "app.progress.not_reached", year=2023, target="200",
                       total=ha(y2023), gap=ha(200 - y2023))
    assert any(caption.startswith(not_reached) for caption in captions(dated))
    # The chosen year is kept across a visit to another tab.
    open_tab(dated, "map")
    open_tab(dated, "land")
    assert dated.selectbox(key="progress_year").value == 2023


def test_the_progress_section_speaks_english(dated):
    dated.sidebar.radio(key="lang").set_value("en").run()
    assert_clean(dated)
    spec, frames = progress_chart(dated)
    assert spec["title"] == "Land supplied by month, 2024"
    layer = spec["layer"][0]["encoding"]
    assert layer["x"]["title"] == "Month" and layer["x"]["sort"][:2] == ["Jan", "Feb"]
    assert layer["y"]["title"] == "Area (ha)"
    assert series(frames, "Supplied so far")[-1] == pytest.approx(
        area(JAN) + area(MAY), abs=0.01)
    undated = text("en", "app.progress.undated", count=2,
                   hectares=ha(area(NO_DATE) + area(NO_DATE_PLANNED)),
                   supplied=1, supplied_ha=ha(area(NO_DATE)))
    assert undated in captions(dated)
    assert any("Supplied" in caption and "supply date" in caption
               for caption in captions(dated))


def test_without_dates_the_progress_section_says_so(app):
    # The shipped sample parcels have quarters, not dates.
    open_tab(app, "land")
    assert text("zh", "app.progress.title") in [m.value.strip("*") for m in app.markdown]
    empty = text("zh", "app.progress.empty", count=SAMPLE.parcel_count,
                 hectares=ha(SAMPLE.total_ha))
    assert empty in [info.value for info in app.info]
    assert not any("layer" in json.loads(c.proto.spec) for c in app.get("vega_lite_chart"))
    assert not [s for s in app.selectbox if s.key == "progress_year"]
