"""The attribute table of a workspace of a bureau's parcels: a page of rows and the count
of matches reach the browser, never the whole table; the search runs on the server and
finds a parcel by its 地块编号 or its Chinese name; the download holds every match.
(bench/bench_exports_scale.py measures the same on 100,000 parcels.)"""

from __future__ import annotations

import io

import pandas as pd
import pytest
from app_harness import assert_clean, new_app, open_tab
from scale_files import bureau_geopackage

from app_parts import table_tab
from geo_app.i18n import t
from geo_app.importing import import_file
from geo_app.workspace import DATA_ENV, Workspace

COUNT = 2_500
PAGE = table_tab.PAGE_ROWS


@pytest.fixture(scope="module")
def bureau_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("table-scale")
    path = bureau_geopackage(folder / "供地台账.gpkg", COUNT)
    assert import_file(Workspace.open(folder / "ws"), path, "规划科").outcome is not None
    return folder / "ws"


@pytest.fixture
def table_page(bureau_folder, monkeypatch):
    monkeypatch.setenv(DATA_ENV, str(bureau_folder))
    monkeypatch.delenv("GEO_APP_CATALOG", raising=False)
    at = new_app().run()
    assert_clean(at)
    return open_tab(at, "table")


def _grid(at) -> pd.DataFrame:
    (frame,) = [f.value for f in at.dataframe if "地块编号" in f.value.columns]
    return frame


def _count_line(at, matches: int, first: int, last: int) -> str:
    return t("app.table_pages.count", "zh", matches=matches, total=COUNT, first=first,
             last=last)


def _search(at, text: str):
    at.text_input(key=table_tab.TABLE_FILTER).input(text).run()
    assert_clean(at)
    return at


def _shown_table() -> table_tab.LayerTable:
    """The table the page searched (built once per version of the parcels' file)."""
    return next(reversed(table_tab._TABLES.values()))


def test_the_table_shows_one_page_and_the_count(table_page):
    grid = _grid(table_page)
    assert len(grid) == PAGE
    assert grid["地块编号"].tolist() == [f"SY2022-{i:06d}" for i in range(PAGE)]
    assert _count_line(table_page, COUNT, 1, PAGE) in [c.value for c in table_page.caption]
    pager = table_page.number_input(key=table_tab.TABLE_PAGE)
    assert pager.label == t("app.table_pages.page", "zh", pages=-(-COUNT // PAGE))
    (button,) = table_page.get("download_button")
    assert button.label == t("app.table_pages.download", "zh", matches=COUNT)


def test_the_next_page_shows_the_next_rows(table_page):
    table_page.number_input(key=table_tab.TABLE_PAGE).set_value(3).run()
    assert_clean(table_page)
    grid = _grid(table_page)
    assert grid["地块编号"].iloc[0] == f"SY2022-{2 * PAGE:06d}"
    assert _count_line(table_page, COUNT, 2 * PAGE + 1, 3 * PAGE) in [
        c.value for c in table_page.caption]


def test_search_finds_a_parcel_by_its_number(table_page):
    _search(table_page, "SY2022-001234")
    grid = _grid(table_page)
    assert grid["地块编号"].tolist() == ["SY2022-001234"]
    assert _count_line(table_page, 1, 1, 1) in [c.value for c in table_page.caption]


def test_search_finds_a_parcel_by_its_chinese_name(table_page):
    _search(table_page, "双阳区供地项目2077号")
    assert _grid(table_page)["项目名称"].tolist() == ["双阳区供地项目2077号"]


def test_the_download_holds_every_match_and_every_column(table_page):
    # 项目12号, 120-129, 1200-1299: more than one page would hold if they were more.
    _search(table_page, "供地项目12")
    expected = [f"SY2022-{i:06d}" for i in range(COUNT) if str(i).startswith("12")]
    assert sorted(_grid(table_page)["地块编号"]) == expected
    (button,) = table_page.get("download_button")
    assert button.label == t("app.table_pages.download", "zh", matches=len(expected))
    table = _shown_table()
    rows = table_tab.matching_rows(table, "供地项目12")
    csv = pd.read_csv(io.BytesIO(table_tab.matches_csv(table, rows)), encoding="utf-8-sig",
                      dtype=str)
    assert sorted(csv["地块编号"]) == expected
    assert list(csv.columns) == list(table.frame.columns)


def test_the_download_of_many_pages_has_every_row(table_page):
    """A search matching far more than a page: the grid shows a page, the file all."""
    _search(table_page, "奢岭")
    table = _shown_table()
    rows = table_tab.matching_rows(table, "奢岭")
    assert len(rows) > PAGE
    assert len(_grid(table_page)) == PAGE
    csv = pd.read_csv(io.BytesIO(table_tab.matches_csv(table, rows)), encoding="utf-8-sig",
                      dtype=str)
    assert len(csv) == len(rows)
    assert set(csv["所在乡镇"]) == {"奢岭"}


def test_download_cells_are_never_formulas():
    frame = pd.DataFrame({"id": ["a", "b"], "项目名称": ["=1+1", "@SUM(A1)"]})
    table = table_tab.build_table({"features": [
        {"properties": row} for row in frame.to_dict("records")]})
    text = table_tab.matches_csv(table, table_tab.matching_rows(table, "")).decode("utf-8-sig")
    assert "'=1+1" in text and "'@SUM(A1)" in text


def test_a_parcel_selected_on_the_map_turns_the_table_to_its_page(table_page):
    table_page.session_state["selected_feature"] = "SY2022-000950"
    table_page.run()
    assert_clean(table_page)
    grid = _grid(table_page)
    assert "SY2022-000950" in grid["地块编号"].tolist()
    assert table_page.number_input(key=table_tab.TABLE_PAGE).value == 950 // PAGE + 1


def test_search_reads_each_cell_as_written_whatever_its_column_holds():
    table = table_tab.build_table({"features": [
        {"properties": {"id": "a", "status": "planned", "flag": True, "n": 1}},
        {"properties": {"id": "b", "status": None, "flag": 1, "n": 1.5}},
        {"properties": {"id": "c", "status": "SUPPLIED", "flag": "是\x1f否"}},
    ]})

    def found(text: str) -> list[str]:
        return table.frame["id"].iloc[table_tab.matching_rows(table, text)].tolist()

    # True and 1 are equal in Python, but a cell reads as the planner sees it.
    assert found("true") == ["a"]
    assert found("1") == ["a", "b"]
    assert found("nan") == [] and found("none") == []  # a missing cell is no text
    assert found("supplied") == ["c"]
    assert found("是 否") == ["c"]  # the separator inside a cell reads as a space
    assert found("planned\x1fsupplied") == []  # never a match across two cells
