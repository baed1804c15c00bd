"""Data exports written as they are made: a bureau's ledger of a few thousand parcels in
batches of a few hundred rows (the benchmark, bench/bench_exports_scale.py, exports
100,000). The streamed files equal the whole-table ones, keep every planner column and
every protection, and the writers hold one batch at a time."""

from __future__ import annotations

import codecs
import gc
import io
import json
import weakref

import geopandas as gpd
import openpyxl
import pandas as pd
import pyogrio
import pytest
import shapely
from export_helpers import FIXED_DATE
from scale_files import bureau_frame

from geo_app.catalog import load_catalog
from geo_app.export import ExportRequest, export_to_file
from geo_app.export import data as export_data
from geo_app.export import kml as kml_writer
from geo_app.export.cells import safe_table, spreadsheet_text, xlsx_text
from geo_app.export.scene import Scene, SceneLayer
from geo_app.importing import import_file
from geo_app.workspace import Workspace, workspace_ledger

COUNT = 3_000
# Small batches, so every export of COUNT parcels takes several.
BATCH = 700
HOSTILE_NAME = "=HYPERLINK(\"http://x\",\"点我\")"
BUREAU_COLUMNS = ("地块编号", "项目名称", "土地用途", "供地状态", "供地日期", "所在乡镇",
                  "批准面积")


@pytest.fixture(scope="module")
def bureau(tmp_path_factory):
    """A workspace holding a bureau's file of COUNT parcels, one named like a formula."""
    folder = tmp_path_factory.mktemp("streaming")
    frame = bureau_frame(COUNT)
    frame.loc[7, "项目名称"] = HOSTILE_NAME
    path = folder / "供地台账.gpkg"
    frame.to_crs(4530).to_file(path, layer="供地台账", driver="GPKG")
    workspace = Workspace.open(folder / "ws")
    assert import_file(workspace, path, "规划科").outcome is not None
    return workspace, workspace_ledger(workspace)


@pytest.fixture
def small_batches(monkeypatch):
    monkeypatch.setattr(export_data, "BATCH_ROWS", BATCH)


def _export(bureau, fmt: str, folder, name: str = "out") -> bytes:
    workspace, ledger = bureau
    target = folder / f"{name}.{fmt}"
    export_to_file(ExportRequest(format=fmt, date=FIXED_DATE), target, ledger=ledger,
                   workspace=workspace)
    return target.read_bytes()


def _whole_table(ledger, lang: str = "zh") -> pd.DataFrame:
    return export_data.parcel_table(ledger.parcels, lang, ledger.sample_data)


def test_streamed_csv_is_the_whole_table_written_at_once(bureau, small_batches, tmp_path):
    written = _export(bureau, "csv", tmp_path)
    whole = safe_table(_whole_table(bureau[1]), spreadsheet_text)
    expected = whole.to_csv(index=False, lineterminator="\r\n").encode("utf-8")
    assert written == codecs.BOM_UTF8 + expected
    # One header line, then one line per parcel (no batch repeats its header).
    frame = pd.read_csv(io.BytesIO(written), encoding="utf-8-sig", dtype=str)
    assert len(frame) == COUNT
    assert frame["地块编号"].tolist() == [f"SY2022-{i:06d}" for i in range(COUNT)]
    assert all(column in frame.columns for column in BUREAU_COLUMNS)
    assert frame["项目名称"][7] == "'" + HOSTILE_NAME


def test_streamed_xlsx_holds_the_whole_table_as_values(bureau, small_batches, tmp_path):
    written = _export(bureau, "xlsx", tmp_path)
    book = openpyxl.load_workbook(io.BytesIO(written))
    sheet = book.worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    whole = safe_table(_whole_table(bureau[1]), xlsx_text)
    assert list(rows[0]) == list(whole.columns)
    assert len(rows) == COUNT + 1
    # An empty text is an empty cell.
    expected = [[None if pd.isna(v) or v == "" else v for v in row]
                for row in whole.itertuples(index=False, name=None)]
    assert [list(row) for row in rows[1:]] == expected
    for column in BUREAU_COLUMNS:
        assert column in rows[0]
    assert sheet.freeze_panes == "A2"
    hectares = list(rows[0]).index(whole.columns[2]) + 1
    assert sheet.cell(COUNT + 1, hectares).number_format == "0.0000"
    for each in book.worksheets:
        for row in each.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (each.title, cell.coordinate, cell.value)
    names = [row[1] for row in rows[1:]]
    assert names[7] == "'" + HOSTILE_NAME


@pytest.mark.parametrize("fmt", ["geojson", "kml"])
def test_streamed_geodata_are_the_bytes_of_one_batch(bureau, monkeypatch, tmp_path, fmt):
    """Batches of BATCH rows write exactly what one batch of everything writes."""
    monkeypatch.setattr(export_data, "BATCH_ROWS", 10**9)
    whole = _export(bureau, fmt, tmp_path, "whole")
    monkeypatch.setattr(export_data, "BATCH_ROWS", BATCH)
    assert _export(bureau, fmt, tmp_path, "streamed") == whole


def test_streamed_geojson_has_every_parcel_and_column(bureau, small_batches, tmp_path):
    collection = json.loads(_export(bureau, "geojson", tmp_path))
    parcels = [f for f in collection["features"]
               if f["properties"]["layer"] == "land_parcels"]
    assert [f["properties"]["地块编号"] for f in parcels] == [
        f"SY2022-{i:06d}" for i in range(COUNT)]
    assert all(column in parcels[0]["properties"] for column in BUREAU_COLUMNS)
    assert parcels[7]["properties"]["项目名称"] == HOSTILE_NAME


def test_streamed_geopackage_equals_one_write_of_the_whole_layer(bureau, small_batches,
                                                                  tmp_path):
    _export(bureau, "gpkg", tmp_path)
    written = pyogrio.read_dataframe(tmp_path / "out.gpkg", layer="land_parcels")
    assert len(written) == COUNT
    assert written["地块编号"].tolist() == [f"SY2022-{i:06d}" for i in range(COUNT)]
    assert all(column in written.columns for column in BUREAU_COLUMNS)
    assert written["hectares"].tolist() == pytest.approx(
        bureau[1].parcels["hectares"].round(6).tolist(), abs=1e-9)
    info = pyogrio.read_info(tmp_path / "out.gpkg", layer="land_parcels")
    assert info["features"] == COUNT


def test_geopackage_batches_share_one_table_when_parts_differ(small_batches, tmp_path):
    """A layer whose first batch holds polygons and a later one multipolygons is one
    multipolygon table, as a single write of the whole layer makes it."""
    spec = load_catalog().layer("land_parcels")
    square = shapely.box(125.5, 43.5, 125.501, 43.501)
    shapes = [square] * (BATCH + 5) + [shapely.MultiPolygon([square])] * 3
    frame = pd.DataFrame({"id": [f"p{i}" for i in range(len(shapes))],
                          "whole": pd.Series([i if i % 2 else None for i in range(len(shapes))],
                                             dtype=object)})
    layer = SceneLayer(spec, gpd.GeoDataFrame(frame, geometry=shapes, crs="EPSG:4326"))
    scene = Scene((layer,), (125.0, 43.0, 126.0, 44.0), ExportRequest().extent)
    export_data.write_gpkg(scene, "zh", tmp_path / "mixed.gpkg")
    info = pyogrio.read_info(tmp_path / "mixed.gpkg", layer="land_parcels")
    assert info["geometry_type"] == "MultiPolygon"
    assert info["features"] == len(shapes)
    # Whole numbers beside missing ones are one whole-number field, in every batch.
    fields = dict(zip(info["fields"], info["dtypes"], strict=True))
    assert fields["whole"] == "int64"


class _Batches:
    """Batches of a table handed out one by one, each watched: when a new one is asked
    for, every batch but the last handed out must already be let go."""

    def __init__(self, table: pd.DataFrame, size: int) -> None:
        self.table, self.size = table, size
        self.handed: list[weakref.ref] = []

    def __iter__(self):
        for start in range(0, len(self.table), self.size):
            gc.collect()
            alive = sum(1 for ref in self.handed if ref() is not None)
            assert alive <= 1, f"{alive} batches still held when batch {len(self.handed)} " \
                "was asked for"
            batch = self.table.iloc[start:start + self.size].copy()
            self.handed.append(weakref.ref(batch))
            yield batch


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_table_writers_hold_one_batch_at_a_time(bureau, fmt):
    table = _whole_table(bureau[1])
    batches = _Batches(table, BATCH)
    stream = io.BytesIO()
    if fmt == "csv":
        rows = export_data.write_csv(batches, stream)
    else:
        rows = export_data.write_xlsx(batches, ["说明"], "zh", stream)
    assert rows == COUNT
    assert len(batches.handed) == -(-COUNT // BATCH)


def test_table_batches_are_made_as_the_writer_asks(bureau, small_batches):
    """The parcel table is made a batch at a time: nothing is built before it is asked."""
    ledger = bureau[1]
    made = export_data.parcel_table_batches(ledger.parcels, "zh", ledger.sample_data)
    first = next(made)
    assert len(first) == BATCH
    assert list(first.columns) == list(_whole_table(ledger).columns)
    rest = list(made)
    assert sum(len(batch) for batch in rest) == COUNT - BATCH
    assert {tuple(batch.columns) for batch in rest} == {tuple(first.columns)}


def test_kml_writer_writes_each_placemark_before_making_the_next():
    stream = io.BytesIO()
    pulled = []

    def features():
        for n in range(50):
            written = stream.getvalue().count(b"<Placemark")
            # Made lazily, never all first: at most one batch of text is pending.
            assert n - written <= 1000
            pulled.append(n)
            yield kml_writer.KmlFeature(f"f{n}", f"地块{n}", "", {"a": str(n)},
                                        shapely.Point(125.5, 43.5))

    layer = kml_writer.KmlLayer("parcels", "地块", "", features(),
                                (kml_writer.KmlField("a", "string"),))
    assert kml_writer.write_document([layer], stream) == 50
    assert kml_writer.written_counts(stream.getvalue()) == [("parcels", 50)]


def test_kml_writer_never_holds_a_whole_layer():
    """A layer of more features than one flush: the stream grows while features are made."""
    stream = io.BytesIO()
    sizes: list[int] = []

    def features():
        for n in range(2500):
            sizes.append(len(stream.getvalue()))
            yield kml_writer.KmlFeature(f"f{n}", None, "", {}, shapely.Point(125.5, 43.5))

    kml_writer.write_document([kml_writer.KmlLayer("p", "P", "", features())], stream)
    # Written out at least twice before the last feature was made.
    assert len(set(sizes)) >= 3
