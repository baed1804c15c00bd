import json
import multiprocessing
import os
import random
import signal
import sqlite3
import struct
import threading
from pathlib import Path

import pyogrio
import pytest
import shapely
from workspace_stores import STORES, is_geopackage, open_at, place_for

from geo_app.catalog import load_layer_geojson
from geo_app.ledger import default_ledger
from geo_app.reading import read_vector
from geo_app.workspace import (
    DATA_ENV,
    FILE_NAME,
    DuplicateParcelError,
    NewParcel,
    ParcelNotFoundError,
    StaleEditError,
    Workspace,
    WorkspaceError,
    configured_data_dir,
    default_data_dir,
    gpkg,
    resolve_data_dir,
    workspace_ledger,
)
from geo_app.workspace.connection import PAGE_BYTES


def square(x=125.60, y=43.50, size=0.01):
    return shapely.box(x, y, x + size, y + size)


def parcel(parcel_id, x=125.60, **properties):
    return NewParcel(parcel_id, {"status": "planned", **properties}, square(x))


@pytest.fixture(params=STORES)
def place(request, tmp_path):
    """A fresh workspace's place on each store: a folder, or a new PostGIS database."""
    return place_for(request.param, tmp_path / "ws")


@pytest.fixture
def empty(place):
    return open_at(place, seed=None)


# --- the file (GeoPackage only) -------------------------------------------------------------------


def test_a_new_workspace_is_a_geopackage_gdal_reads(tmp_path):
    workspace = Workspace.open(tmp_path / "ws")
    path = tmp_path / "ws" / FILE_NAME
    assert workspace.path == path
    with sqlite3.connect(path) as connection:
        assert connection.execute("PRAGMA application_id").fetchone()[0] == gpkg.APPLICATION_ID
        assert connection.execute("PRAGMA user_version").fetchone()[0] == gpkg.USER_VERSION
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert connection.execute("PRAGMA page_size").fetchone()[0] == PAGE_BYTES
        srs = {row[0] for row in connection.execute("SELECT srs_id FROM gpkg_spatial_ref_sys")}
        assert {-1, 0, 4326} <= srs
    layers = {str(name): kind for name, kind in pyogrio.list_layers(path)}
    assert layers["parcels"] == "MultiPolygon"
    frame = pyogrio.read_dataframe(path, layer="parcels")
    samples = load_layer_geojson("land_parcels")["features"]
    assert len(frame) == len(samples) and frame.crs.to_epsg() == 4326
    assert set(frame["parcel_id"]) == {f["properties"]["id"] for f in samples}
    # The project's own reader takes it like any planner's GeoPackage.
    data = read_vector(path)
    assert len(data) == len(samples) and data.format_name == "GeoPackage"
    assert workspace.integrity_check() == "ok"


def test_geometries_and_text_written_by_us_are_read_by_gdal_unchanged(tmp_path):
    workspace = Workspace.open(tmp_path / "ws", seed=None)
    holed = shapely.Polygon(
        square(125.7, 43.5, 0.02).exterior.coords, [square(125.705, 43.505, 0.005).exterior.coords]
    )
    workspace.insert("h", {"status": "planned", "name_zh": HOSTILE}, holed, "ann")
    frame = pyogrio.read_dataframe(workspace.path, layer="parcels")
    assert shapely.equals(frame.geometry.iloc[0], shapely.MultiPolygon([holed]))
    assert frame.loc[0, "status"] == "planned" and frame.loc[0, "version"] == 1
    assert frame.loc[0, "name_zh"] == HOSTILE
    assert json.loads(frame.loc[0, "properties"])["name_zh"] == HOSTILE


def test_geopackage_binary_round_trip():
    geom = shapely.MultiPolygon([square()])
    blob = gpkg.geometry_blob(geom)
    # GeoPackage blob header: magic, version, flags (bit 0: byte order), then the SRS id.
    order = "<" if blob[3] & 1 else ">"
    assert blob[:2] == b"GP" and struct.unpack(order + "i", blob[4:8])[0] == 4326
    assert shapely.equals(gpkg.geometry_from_blob(blob), geom)
    empty_blob = gpkg.geometry_blob(shapely.MultiPolygon())
    assert empty_blob[3] & 0b1_0000  # the empty flag
    assert gpkg.geometry_from_blob(empty_blob).is_empty
    with pytest.raises(gpkg.GeoPackageBlobError):
        gpkg.geometry_from_blob(b"not a geometry")


# --- either store ---------------------------------------------------------------------------------


def test_the_samples_are_seeded_once_and_match_the_shipped_ledger(place):
    workspace = open_at(place)
    count = workspace.count()
    assert workspace.holds_only_samples()
    ledger = workspace_ledger(workspace)
    shipped = default_ledger()
    assert ledger.parcel_count == shipped.parcel_count
    assert ledger.total_ha == pytest.approx(shipped.total_ha, rel=1e-12)
    assert ledger.by_status == pytest.approx(shipped.by_status)
    assert ledger.sample_data
    again = open_at(place)
    assert again.count() == count and len(again.imports()) == 1


def test_a_folder_that_is_not_a_workspace_is_refused_in_words(tmp_path):
    other = tmp_path / "other"
    other.mkdir()
    with sqlite3.connect(other / FILE_NAME) as connection:
        connection.execute("CREATE TABLE notes (text)")
    with pytest.raises(WorkspaceError) as info:
        Workspace.open(other)
    assert info.value.problem.code == "not_a_workspace"
    garbage = tmp_path / "garbage"
    garbage.mkdir()
    (garbage / FILE_NAME).write_text("this is not a database " * 100)
    with pytest.raises(WorkspaceError) as info:
        Workspace.open(garbage)
    assert info.value.problem.code == "workspace_unusable"
    a_file = tmp_path / "file"
    a_file.write_text("x")
    with pytest.raises(WorkspaceError):
        Workspace.open(a_file)


def test_where_the_workspace_lives(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_data_dir({}) == tmp_path / "home" / ".local/share/shuangyang-geo-app"
    assert default_data_dir({"XDG_DATA_HOME": "/data"}) == Path("/data/shuangyang-geo-app")
    assert configured_data_dir(None, {}) is None
    assert configured_data_dir(None, {DATA_ENV: "/env"}) == Path("/env")
    assert configured_data_dir("/given", {DATA_ENV: "/env"}) == Path("/given")
    assert resolve_data_dir(None, {"XDG_DATA_HOME": "/data"}) == Path("/data/shuangyang-geo-app")


# --- edits, versions and history ------------------------------------------------------------


def test_insert_update_delete_are_versioned_and_recorded(empty):
    first = empty.insert("p1", {"status": "planned", "name_zh": "甲"}, square(), "ann")
    assert first.version == 1 and first.properties["id"] == "p1"
    second = empty.update("p1", 1, "bob", properties={"status": "supplied", "name_zh": "甲"})
    assert second.version == 2 and second.properties["status"] == "supplied"
    third = empty.update("p1", 2, "cai", geometry=square(size=0.02))
    assert third.version == 3 and third.properties["status"] == "supplied"
    empty.delete("p1", 3, "dan")
    assert empty.count() == 0
    history = empty.history("p1")
    assert [(h.action, h.user, h.version_before, h.version_after) for h in history] == [
        ("delete", "dan", 3, None),
        ("update", "cai", 2, 3),
        ("update", "bob", 1, 2),
        ("insert", "ann", None, 1),
    ]
    assert history[2].before_properties["status"] == "planned"
    assert history[2].after_properties["status"] == "supplied"
    assert shapely.equals(history[1].after_geometry, shapely.MultiPolygon([square(size=0.02)]))


def test_the_parcels_extent_is_kept_by_the_store_and_covers_every_parcel(empty):
    assert empty.parcels_extent() is None
    empty.insert("p1", {"status": "planned"}, square(125.60, 43.50), "ann")
    empty.insert("p2", {"status": "planned"}, square(125.70, 43.55, size=0.02), "ann")
    west, south, east, north = empty.parcels_extent()
    assert abs(west - 125.60) < 1e-9 and abs(south - 43.50) < 1e-9
    assert abs(east - 125.72) < 1e-9 and abs(north - 43.57) < 1e-9


def test_a_stale_edit_is_refused_and_changes_nothing(empty):
    empty.insert("p1", {"status": "planned"}, square(), "ann")
    empty.update("p1", 1, "bob", properties={"status": "supplied"})
    with pytest.raises(StaleEditError) as info:
        empty.update("p1", 1, "cai", properties={"status": "planned"})
    problem = info.value.problem
    assert problem.code == "stale_edit" and problem.feature == "p1"
    assert "第 1 版" in problem.message_zh and "version 2" in problem.message_en
    with pytest.raises(StaleEditError):
        empty.delete("p1", 1, "cai")
    current = empty.parcel("p1")
    assert current.version == 2 and current.properties["status"] == "supplied"
    assert len(empty.history("p1")) == 2
    empty.delete("p1", 2, "bob")
    with pytest.raises(StaleEditError) as info:
        empty.update("p1", 2, "cai", properties={})
    assert info.value.current is None


def test_restore_and_undo_bring_back_earlier_versions(empty):
    empty.insert("p1", {"status": "planned", "note_zh": "原样"}, square(), "ann")
    empty.update("p1", 1, "bob", properties={"status": "supplied"}, geometry=square(size=0.03))
    restored = empty.restore("p1", 1, "cai")
    assert restored.version == 3 and restored.properties["note_zh"] == "原样"
    assert shapely.equals(restored.geometry, shapely.MultiPolygon([square()]))
    with pytest.raises(StaleEditError):
        empty.restore("p1", 2, "cai", expected_version=2)
    with pytest.raises(ParcelNotFoundError):
        empty.restore("p1", 99, "cai")
    empty.delete("p1", 3, "dan")
    back = empty.undo_last("p1", "dan")
    assert back.version == 4 and back.properties["note_zh"] == "原样"
    # Undoing the insertion of a new parcel removes it.
    empty.insert("p2", {"status": "planned"}, square(125.7), "ann")
    assert empty.undo_last("p2", "ann") is None and empty.count() == 1
    with pytest.raises(ParcelNotFoundError):
        empty.parcel("p2")


def test_only_usable_parcels_enter(empty):
    bowtie = shapely.Polygon([(125.6, 43.5), (125.61, 43.51), (125.61, 43.5), (125.6, 43.51)])
    for geometry, code in (
        (bowtie, "invalid_geometry"),
        (shapely.Point(125.6, 43.5), "not_polygon"),
        (shapely.Polygon(), "empty_geometry"),
        (shapely.box(4e5, 4.8e6, 4.1e5, 4.81e6), "out_of_range"),
    ):
        with pytest.raises(WorkspaceError) as info:
            empty.insert("bad", {}, geometry, "ann")
        assert info.value.problem.code == code
    with pytest.raises(WorkspaceError) as info:
        empty.insert("ok", {}, square(), "   ")
    assert info.value.problem.code == "missing_user"
    assert empty.count() == 0 and empty.history() == []


HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)> & 双阳 ? %s %% \'"'


def test_property_text_is_stored_as_given_never_interpreted(empty):
    empty.insert("p1", {"name_zh": HOSTILE, "n": float("nan"), "ok": True, "甲": "乙"},
                 square(), "ann")
    stored = empty.parcel("p1").properties
    assert stored["name_zh"] == HOSTILE and stored["n"] is None and stored["ok"] is True
    # The planner's columns keep their order.
    assert list(stored) == ["name_zh", "n", "ok", "甲", "id"]
    assert empty.history("p1")[0].after_properties == stored


def test_the_ledger_works_without_parcel_attributes_and_without_parcels(empty):
    ledger = workspace_ledger(empty)
    assert ledger.parcel_count == 0 and ledger.total_ha == 0 and not ledger.sample_data
    empty.insert("bare", {"name_zh": "只有名称"}, square(), "ann")
    ledger = workspace_ledger(empty)
    assert ledger.parcel_count == 1 and ledger.by_status["unknown"] == ledger.total_ha > 0


# --- imports ----------------------------------------------------------------------------------


def test_an_import_adds_everything_or_nothing(empty):
    empty.import_parcels([parcel("a"), parcel("b", 125.7)], "ann", "one.geojson")
    bowtie = shapely.Polygon([(125.6, 43.5), (125.61, 43.51), (125.61, 43.5), (125.6, 43.51)])
    bad = [parcel("c", 125.8), NewParcel("d", {}, bowtie), parcel("e", 125.9)]
    history_before = len(empty.history())
    with pytest.raises(WorkspaceError):
        empty.import_parcels(bad, "ann", "two.geojson")
    assert {p.parcel_id for p in empty.parcels()} == {"a", "b"}
    assert len(empty.history()) == history_before and len(empty.imports()) == 1
    with pytest.raises(DuplicateParcelError) as info:
        empty.import_parcels([parcel("x"), parcel("b", 125.8)], "ann", "three.geojson")
    assert "--replace" in info.value.problem.message_en and info.value.parcel_ids == ["b"]
    with pytest.raises(DuplicateParcelError):
        empty.import_parcels([parcel("y"), parcel("y", 125.8)], "ann", "four.geojson")
    assert empty.count() == 2


def test_replace_swaps_the_parcels_and_the_old_ones_can_come_back(empty):
    empty.import_parcels([parcel("a"), parcel("b", 125.7)], "ann", "one.geojson")
    outcome = empty.import_parcels([parcel("b", 125.8), parcel("c")], "bob", "two.geojson",
                                   replace=True)
    assert set(outcome.removed) == {"a", "b"} and not outcome.removed_samples
    # Versions carry on across removal: "b" was version 1 before the replace.
    assert {p.parcel_id: p.version for p in empty.parcels()} == {"b": 2, "c": 1}
    assert empty.restore("a", 1, "bob").version == 2
    batches = empty.imports()
    assert [b["source"] for b in batches] == ["one.geojson", "two.geojson"]
    assert batches[1]["removed_count"] == 2 and batches[1]["user"] == "bob"


def test_real_parcels_take_the_place_of_the_samples(place):
    workspace = open_at(place)
    samples = workspace.count()
    outcome = workspace.import_parcels([parcel("real-1")], "ann", "real.geojson")
    assert outcome.removed_samples and len(outcome.removed) == samples
    assert outcome.hectares_removed == pytest.approx(default_ledger().total_ha)
    assert [p.parcel_id for p in workspace.parcels()] == ["real-1"]
    ledger = workspace_ledger(workspace)
    assert not ledger.sample_data and ledger.parcel_count == 1
    # A second real import adds to the first.
    workspace.import_parcels([parcel("real-2", 125.7)], "ann", "more.geojson")
    assert workspace.count() == 2


# --- crashes and concurrency ------------------------------------------------------------------

def _box(n, tag):
    x = 125.3 + (n % 50) * 0.005
    y = 43.3 + (sum(map(ord, tag)) % 50) * 0.005
    return shapely.box(x, y, x + 0.004, y + 0.004)


def _write_forever(place, tag, ack_fd, rounds=None):
    """Insert-and-update a parcel, or import a batch of five, and acknowledge after each."""
    workspace = open_at(place, seed=None)
    os.write(ack_fd, b"ready\n")
    n = 0
    while rounds is None or n < rounds:
        n += 1
        if n % 3 == 0:
            batch = [
                NewParcel(f"{tag}-{n}-{k}", {"batch": f"{tag}-{n}", "status": "planned"},
                          _box(n, tag))
                for k in range(5)
            ]
            workspace.import_parcels(batch, "writer", f"{tag}-{n}")
            os.write(ack_fd, f"batch {tag}-{n}\n".encode())
        else:
            made = workspace.insert(f"{tag}-{n}", {"status": "planned"}, _box(n, tag), "writer")
            workspace.update(made.parcel_id, made.version, "writer",
                             properties={"status": "supplied"})
            os.write(ack_fd, f"parcel {tag}-{n}\n".encode())
        if rounds is not None:
            _increment_counter(workspace, tag)


def _increment_counter(workspace, tag):
    while True:
        counter = workspace.parcel("counter")
        try:
            workspace.update("counter", counter.version, tag,
                             properties={"total": counter.properties["total"] + 1})
        except StaleEditError:
            continue
        return


def _acks(output):
    parcels, batches = set(), set()
    for line in output.splitlines():
        kind, _, name = line.partition(" ")
        if kind == "parcel":
            parcels.add(name)
        elif kind == "batch":
            batches.add(name)
    return parcels, batches


class _Writer:
    """A forked writer process and the pipe it acknowledges committed changes on."""

    def __init__(self, place, tag, rounds=None):
        read_fd, write_fd = os.pipe()
        context = multiprocessing.get_context("fork")
        self.process = context.Process(
            target=_write_forever, args=(place, tag, write_fd, rounds), daemon=True
        )
        self.process.start()
        os.close(write_fd)
        self.reader = os.fdopen(read_fd, "r")

    def wait_ready(self):
        assert self.reader.readline().strip() == "ready"

    def acks(self):
        """Every line written before the process ended (EOF once it is gone)."""
        output = self.reader.read()
        self.reader.close()
        return output


def test_killed_writers_never_corrupt_the_workspace_or_lose_an_acknowledged_change(place):
    open_at(place, seed=None)
    chance = random.Random(20220)
    acked_parcels, acked_batches = set(), set()
    kills = 0
    for round_number in range(15):
        writers = [_Writer(place, f"w{round_number}{side}") for side in "ab"]
        for writer in writers:
            writer.wait_ready()
        for writer in writers:
            writer.process.join(timeout=chance.uniform(0.01, 0.25))
            os.kill(writer.process.pid, signal.SIGKILL)
            writer.process.join(timeout=60)
            assert writer.process.exitcode == -signal.SIGKILL
            kills += 1
            parcels, batches = _acks(writer.acks())
            acked_parcels |= parcels
            acked_batches |= batches
    assert kills == 30
    workspace = open_at(place, seed=None)
    assert workspace.integrity_check() == "ok"
    stored = {p.parcel_id: p for p in workspace.parcels()}
    assert workspace.count() == len(stored)
    if is_geopackage(place):
        # GDAL reads the file the killed writers left as whole as the workspace does.
        assert len(pyogrio.read_dataframe(workspace.path, layer="parcels")) == len(stored)
    assert acked_parcels and acked_batches
    for name in acked_parcels:
        assert stored[name].properties["status"] == "supplied"
    members: dict[str, int] = {}
    for p in stored.values():
        if "batch" in p.properties:
            members[p.properties["batch"]] = members.get(p.properties["batch"], 0) + 1
    assert acked_batches <= set(members)
    # No import is ever half there, acknowledged or not.
    assert set(members.values()) == {5}
    history = workspace.history()
    assert len([h for h in history if h.action == "import"]) == 5 * len(members)


def test_two_writers_at_once_lose_nothing(place):
    workspace = open_at(place, seed=None)
    workspace.insert("counter", {"total": 0}, square(125.9, 43.7), "setup")
    writers = [_Writer(place, tag, rounds=30) for tag in ("left", "right")]
    parcels, batches = set(), set()
    for writer in writers:
        output = writer.acks()
        writer.process.join(timeout=120)
        assert writer.process.exitcode == 0
        found = _acks(output)
        parcels |= found[0]
        batches |= found[1]
    assert len(parcels) == 40 and len(batches) == 20
    stored = {p.parcel_id for p in workspace.parcels()}
    assert parcels <= stored
    assert len(stored) == 1 + 40 + 20 * 5
    counter = workspace.parcel("counter")
    # Every read-modify-write landed once: optimistic versions turned races into retries.
    assert counter.properties["total"] == 60 and counter.version == 61
    assert workspace.integrity_check() == "ok"


def test_many_threads_editing_one_parcel_at_once_lose_no_increment(empty):
    empty.insert("counter", {"total": 0}, square(125.9, 43.7), "setup")
    threads_count, rounds = 8, 10
    start = threading.Barrier(threads_count)

    def increment(tag):
        start.wait()
        for _ in range(rounds):
            _increment_counter(empty, tag)

    threads = [threading.Thread(target=increment, args=(f"t{n}",)) for n in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    counter = empty.parcel("counter")
    assert counter.properties["total"] == threads_count * rounds
    assert counter.version == 1 + threads_count * rounds
    # Every refused (stale) edit wrote nothing: one history entry per increment.
    assert len(empty.history("counter")) == 1 + threads_count * rounds
    assert empty.integrity_check() == "ok"


def test_the_package_keeps_every_name_callers_import():
    import geo_app.workspace as package

    for name in package.__all__:
        assert getattr(package, name) is not None, name


def test_an_empty_workspace_file_is_refused_not_refilled_with_samples(tmp_path):
    from geo_app.workspace import FILE_NAME, WorkspaceError

    (tmp_path / FILE_NAME).write_bytes(b"")
    with pytest.raises(WorkspaceError) as info:
        Workspace.open(tmp_path)
    assert info.value.problem.code == "workspace_empty"
    assert "备份" in info.value.problem.message_zh
    assert (tmp_path / FILE_NAME).stat().st_size == 0


def test_a_truncated_workspace_file_is_refused(tmp_path):
    from geo_app.workspace import FILE_NAME, WorkspaceError

    Workspace.open(tmp_path / "good")
    whole = (tmp_path / "good" / FILE_NAME).read_bytes()
    (tmp_path / FILE_NAME).write_bytes(whole[: len(whole) // 3])
    with pytest.raises(WorkspaceError):
        Workspace.open(tmp_path).parcels()


def test_a_new_workspace_appears_whole_and_leaves_nothing_beside_it(tmp_path):
    workspace = Workspace.open(tmp_path)
    assert workspace.holds_only_samples()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []
