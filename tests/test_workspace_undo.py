"""Undoing a whole import batch in one step: the workspace as it was before the import,
recorded in the history, and never over someone's later edit."""

import sqlite3

import pytest
import shapely
from workspace_stores import STORES, open_at, place_for

from geo_app.ledger import default_ledger
from geo_app.workspace import (
    FILE_NAME,
    IMPORTS_TABLE,
    META_TABLE,
    SCHEMA_VERSION,
    NewParcel,
    Workspace,
    WorkspaceError,
    workspace_ledger,
)
from geo_app.workspace.schema import (
    ACCOUNTS_TABLE,
    REFERENCE_FEATURES_TABLE,
    REFERENCE_LAYERS_TABLE,
    SIGN_INS_TABLE,
)


def square(x=125.60, y=43.50, size=0.01):
    return shapely.box(x, y, x + size, y + size)


def parcel(parcel_id, x=125.60, **properties):
    return NewParcel(parcel_id, {"status": "planned", **properties}, square(x))


@pytest.fixture(params=STORES)
def place(request, tmp_path):
    return place_for(request.param, tmp_path / "ws")


@pytest.fixture
def empty(place):
    return open_at(place, seed=None)


def contents(workspace):
    """What a planner sees: each parcel's properties and geometry, by id."""
    return {p.parcel_id: (p.properties, p.geometry.wkb) for p in workspace.parcels()}


def test_undoing_a_replace_gives_back_the_workspace_as_it_was(empty):
    empty.import_parcels([parcel("a", name_zh="甲"), parcel("b", 125.7)], "ann", "one.geojson")
    empty.update("a", 1, "ann", properties={"status": "supplied", "name_zh": "甲"})
    before = contents(empty)
    versions_before = {p.parcel_id: p.version for p in empty.parcels()}
    history_before = len(empty.history())
    outcome = empty.import_parcels(
        [parcel("b", 125.8), parcel("c", 125.9)], "bob", "two.geojson", replace=True
    )
    assert contents(empty) != before

    undo = empty.undo_import(outcome.batch_id, "carol")

    assert contents(empty) == before
    assert set(undo.removed) == {"c"} and set(undo.restored) == {"a", "b"}
    assert undo.undone_batch == outcome.batch_id and undo.batch_id > outcome.batch_id
    # Every parcel that comes back is a new version holding its last version's content.
    assert set(versions_before) == {p.parcel_id for p in empty.parcels()}
    for p in empty.parcels():
        assert p.version > versions_before[p.parcel_id]
        assert empty.history(p.parcel_id)[0].action == "restore"
    # The history holds the undo under a batch of its own, by the one who undid it.
    undo_entries = [e for e in empty.history() if e.batch_id == undo.batch_id]
    assert len(empty.history()) == history_before + 4 + len(undo_entries)
    assert {(e.parcel_id, e.action) for e in undo_entries} == {
        ("a", "restore"), ("b", "restore"), ("c", "delete")
    }
    assert {e.user for e in undo_entries} == {"carol"}
    assert empty.integrity_check() == "ok"


def test_undo_hectares_are_what_left_and_what_came_back(empty):
    first = empty.import_parcels([parcel("a"), parcel("b", 125.7)], "ann", "one.geojson")
    second = empty.import_parcels([parcel("c", 125.9)], "bob", "two.geojson", replace=True)
    undo = empty.undo_import(second.batch_id, "carol")
    assert undo.hectares_removed == pytest.approx(second.hectares_added)
    assert undo.hectares_restored == pytest.approx(first.hectares_added)
    assert workspace_ledger(empty).total_ha == pytest.approx(first.hectares_added)


def test_undoing_the_first_real_import_brings_the_samples_back(place):
    workspace = open_at(place)
    samples = contents(workspace)
    outcome = workspace.import_parcels([parcel("real-1")], "ann", "real.geojson")
    assert not workspace.holds_only_samples()

    workspace.undo_import(outcome.batch_id, "ann")

    assert contents(workspace) == samples
    assert workspace.holds_only_samples()
    ledger = workspace_ledger(workspace)
    assert ledger.sample_data
    assert ledger.total_ha == pytest.approx(default_ledger().total_ha)


def test_an_undo_over_a_later_edit_is_refused_and_changes_nothing(empty):
    empty.import_parcels([parcel("a")], "ann", "one.geojson")
    outcome = empty.import_parcels(
        [parcel("b", 125.7), parcel("c", 125.8)], "bob", "two.geojson"
    )
    empty.update("c", 1, "dora", properties={"status": "supplied"})
    state, history, batches = contents(empty), len(empty.history()), empty.imports()

    with pytest.raises(WorkspaceError) as refused:
        empty.undo_import(outcome.batch_id, "bob")

    assert refused.value.problem.code == "undo_changed_since"
    assert "c" in refused.value.message("en") and "b," not in refused.value.message("en")
    assert "c" in refused.value.message("zh")
    assert contents(empty) == state and len(empty.history()) == history
    assert empty.imports() == batches


def test_a_parcel_a_replace_removed_and_someone_brought_back_blocks_the_undo(empty):
    empty.import_parcels([parcel("a")], "ann", "one.geojson")
    outcome = empty.import_parcels([parcel("b", 125.7)], "bob", "two.geojson", replace=True)
    empty.restore("a", 1, "dora")
    with pytest.raises(WorkspaceError) as refused:
        empty.undo_import(outcome.batch_id, "bob")
    assert refused.value.problem.code == "undo_changed_since"
    assert {p.parcel_id for p in empty.parcels()} == {"a", "b"}


def test_undoing_twice_or_an_unknown_batch_is_refused(empty):
    outcome = empty.import_parcels([parcel("a")], "ann", "one.geojson")
    undo = empty.undo_import(outcome.batch_id, "ann")
    state, history = contents(empty), len(empty.history())
    with pytest.raises(WorkspaceError) as twice:
        empty.undo_import(outcome.batch_id, "ann")
    assert twice.value.problem.code == "batch_undone"
    assert str(undo.batch_id) in twice.value.message("en")
    with pytest.raises(WorkspaceError) as unknown:
        empty.undo_import(99, "ann")
    assert unknown.value.problem.code == "no_such_batch"
    assert contents(empty) == state and len(empty.history()) == history
    with pytest.raises(WorkspaceError):
        empty.undo_import(outcome.batch_id, "  ")  # a name is required


def test_a_parcel_the_undo_removed_is_in_the_history_and_comes_back_as_it_was(empty):
    outcome = empty.import_parcels([parcel("a", name_zh="甲"), parcel("b", 125.7)], "ann",
                                   "one.geojson")
    given = empty.parcel("a")
    undo = empty.undo_import(outcome.batch_id, "bob")
    assert undo.removed == ("a", "b") and empty.count() == 0
    [entry] = [e for e in empty.history("a") if e.action == "delete"]
    assert (entry.user, entry.batch_id, entry.version_before) == ("bob", undo.batch_id, 1)
    assert entry.before_properties == given.properties
    back = empty.restore("a", 1, "carol")
    assert back.version == 2 and back.properties == given.properties
    assert back.geometry.equals(given.geometry)


def test_the_import_list_says_which_batches_were_undone(empty):
    one = empty.import_parcels([parcel("a")], "ann", "one.geojson")
    two = empty.import_parcels([parcel("b", 125.7)], "bob", "two.geojson")
    undo = empty.undo_import(two.batch_id, "carol")
    batches = {b["id"]: b for b in empty.imports()}
    assert batches[one.batch_id]["undone_by"] is None
    assert batches[two.batch_id]["undone_by"] == undo.batch_id
    assert batches[undo.batch_id]["undoes"] == two.batch_id
    assert batches[undo.batch_id]["user"] == "carol"
    assert batches[undo.batch_id]["source"] == "two.geojson"
    assert [p.parcel_id for p in empty.parcels()] == ["a"]


# --- the file's own layout versions (GeoPackage only) --------------------------------------


def test_a_version_1_workspace_is_brought_up_to_date_and_keeps_its_rows(tmp_path):
    workspace = Workspace.open(tmp_path / "ws", seed=None)
    outcome = workspace.import_parcels([parcel("a")], "ann", "one.geojson")
    path = tmp_path / "ws" / FILE_NAME
    # Make it a workspace as version 1 wrote it: no undo columns, no reference layers, no
    # accounts, no grouping index.
    with sqlite3.connect(path) as connection:
        connection.execute(f"ALTER TABLE {IMPORTS_TABLE} DROP COLUMN undoes")
        connection.execute(f"ALTER TABLE {IMPORTS_TABLE} DROP COLUMN undone_by")
        for table in (REFERENCE_FEATURES_TABLE, REFERENCE_LAYERS_TABLE, ACCOUNTS_TABLE,
                      SIGN_INS_TABLE):
            connection.execute(f"DROP TABLE {table}")
            connection.execute("DELETE FROM gpkg_geometry_columns WHERE table_name = ?", (table,))
            connection.execute("DELETE FROM gpkg_contents WHERE table_name = ?", (table,))
        connection.execute("DROP INDEX parcels_by_group")
        connection.execute(f"UPDATE {META_TABLE} SET value = '1' WHERE key = 'schema_version'")
    connection.close()

    reopened = Workspace.open(tmp_path / "ws", seed=None)
    assert [b["source"] for b in reopened.imports()] == ["one.geojson"]
    reopened.undo_import(outcome.batch_id, "ann")
    assert reopened.count() == 0
    with sqlite3.connect(path) as connection:
        stored = connection.execute(
            f"SELECT value FROM {META_TABLE} WHERE key = 'schema_version'"
        ).fetchone()[0]
    connection.close()
    assert stored == SCHEMA_VERSION == "6"
    assert reopened.reference_layers() == []


def test_a_workspace_of_an_unknown_version_is_still_refused(tmp_path):
    Workspace.open(tmp_path / "ws", seed=None)
    with sqlite3.connect(tmp_path / "ws" / FILE_NAME) as connection:
        connection.execute(f"UPDATE {META_TABLE} SET value = '99' WHERE key = 'schema_version'")
    connection.close()
    with pytest.raises(WorkspaceError) as refused:
        Workspace.open(tmp_path / "ws", seed=None)
    assert refused.value.problem.code == "workspace_version"
