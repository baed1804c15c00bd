"""The history of imported parcels: an import's rows do not repeat the parcels they add,
yet every version they made reads back and restores whatever happened to the parcel
since."""

import pytest
import shapely
from workspace_stores import STORES, open_at, place_for, stored_rows

from geo_app.workspace import HISTORY_TABLE, NewParcel


def square(x=125.60, y=43.50, size=0.01):
    return shapely.box(x, y, x + size, y + size)


@pytest.fixture(params=STORES)
def place(request, tmp_path):
    return place_for(request.param, tmp_path / "ws")


@pytest.fixture
def workspace(place):
    return open_at(place, seed=None)


def imported(workspace, *parcel_ids):
    parcels = [
        NewParcel(pid, {"status": "planned", "地块编号": pid, "批准面积": "1.5"},
                  square(125.6 + i / 10))
        for i, pid in enumerate(parcel_ids)
    ]
    workspace.import_parcels(parcels, "ann", "ledger.gpkg")
    # The parcels as the workspace stored them (their id among their properties).
    return {pid: workspace.parcel(pid) for pid in parcel_ids}


def stored_after_states(place):
    """How many history rows hold an after-state of their own, and how many leave it."""
    return stored_rows(
        place,
        f"SELECT action, CASE WHEN after_wkb IS NULL THEN 1 ELSE 0 END, count(*) "
        f"FROM {HISTORY_TABLE} WHERE version_after IS NOT NULL GROUP BY 1, 2 ORDER BY 1, 2",
    )


def import_entry(workspace, parcel_id):
    (entry,) = [e for e in workspace.history(parcel_id) if e.action == "import"]
    return entry


def test_an_import_writes_each_parcel_once(workspace, place):
    imported(workspace, "a", "b", "c")
    assert stored_after_states(place) == [("import", 1, 3)]


def test_the_import_entry_reads_the_parcel_as_imported(workspace):
    given = imported(workspace, "a", "b")
    entry = import_entry(workspace, "a")
    assert entry.version_after == 1
    assert entry.after_properties == given["a"].properties
    assert shapely.equals_exact(entry.after_geometry, shapely.multipolygons([square(125.6)]))
    # The whole log, as the history page lists it, resolves every such entry too.
    listed = {e.parcel_id: e for e in workspace.history()}
    assert listed["b"].after_properties == given["b"].properties


def test_after_edits_and_a_delete_the_import_entry_still_reads_the_imported_state(workspace):
    given = imported(workspace, "a")
    workspace.update("a", 1, "bob", properties={"status": "supplied"}, geometry=square(126.0))
    workspace.update("a", 2, "bob", properties={"status": "supplied", "note": "x"})
    workspace.delete("a", 3, "carol")

    entry = import_entry(workspace, "a")
    assert entry.after_properties == given["a"].properties
    assert shapely.equals(entry.after_geometry, square(125.6))
    # The edit's own entries keep their states as before.
    edits = [e for e in workspace.history("a") if e.action == "update"]
    assert [e.version_after for e in edits] == [3, 2]
    assert edits[-1].after_properties["status"] == "supplied"
    assert "地块编号" not in edits[-1].after_properties


def test_an_imported_version_restores_after_later_changes(workspace):
    given = imported(workspace, "a", "b")
    workspace.update("a", 1, "bob", geometry=square(126.0))
    workspace.delete("b", 1, "bob")

    back = workspace.restore("a", 1, "carol")
    assert back.version == 3
    assert back.properties == given["a"].properties
    assert shapely.equals(back.geometry, square(125.6))
    returned = workspace.restore("b", 1, "carol")
    assert returned.properties == given["b"].properties


def test_an_imported_version_restores_while_it_is_still_current(workspace):
    imported(workspace, "a")
    back = workspace.restore("a", 1, "carol")
    assert back.version == 2 and shapely.equals(back.geometry, square(125.6))


def test_a_version_never_recorded_is_still_refused(workspace):
    imported(workspace, "a")
    with pytest.raises(Exception) as refused:
        workspace.restore("a", 7, "carol")
    assert "7" in str(refused.value)


def test_undoing_the_import_and_importing_again_keeps_each_version_apart(workspace):
    first = imported(workspace, "a")
    batch = workspace.imports()[-1]["id"]
    workspace.undo_import(batch, "ann")
    workspace.import_parcels(
        [NewParcel("a", {"status": "supplied", "地块编号": "a"}, square(127.0))],
        "ann", "again.gpkg",
    )
    second = {"a": workspace.parcel("a")}

    entries = [e for e in workspace.history("a") if e.action == "import"]
    by_version = {e.version_after: e for e in entries}
    assert by_version[1].after_properties == first["a"].properties
    assert sorted(by_version) == [1, second["a"].version]
    assert by_version[second["a"].version].after_properties == second["a"].properties
    assert shapely.equals(by_version[second["a"].version].after_geometry, square(127.0))
