"""``geo-app backup``: a snapshot of the whole workspace, one standard GeoPackage, taken while
others work, written whole or not at all, never over the workspace itself."""

from __future__ import annotations

import shutil
import threading

import pytest
import shapely
from cli_runner import no_configured_workspace, run  # noqa: F401 (autouse)
from test_workspace_gpkg_valid import validate

from geo_app.workspace import FILE_NAME, NewParcel, Workspace
from geo_app.workspace.actors import Actor, NotAllowedError


def square(i: int) -> shapely.Polygon:
    return shapely.box(125.5 + i / 100, 43.5, 125.505 + i / 100, 43.505)


def test_a_backup_restores_to_the_same_workspace_and_is_a_valid_geopackage(tmp_path):
    folder = tmp_path / "ws"
    workspace = Workspace.open(folder)
    workspace.import_parcels([NewParcel(f"p{i}", {"status": "planned"}, square(i))
                              for i in range(5)], "王工", "a.geojson")
    workspace.add_account("张工", "admin", None, "ops")
    code, out, err = run("backup", "--out", tmp_path / "备份.gpkg", "--workspace", folder)
    assert code == 0, err
    assert "备份.gpkg" in out
    assert validate(tmp_path / "备份.gpkg").returncode == 0
    assert not (tmp_path / "备份.gpkg-wal").exists()
    restored = tmp_path / "restored"
    restored.mkdir()
    shutil.copy(tmp_path / "备份.gpkg", restored / FILE_NAME)
    again = Workspace.open(restored)
    assert [p.parcel_id for p in again.parcels()] == [p.parcel_id for p in workspace.parcels()]
    assert len(again.history()) == len(workspace.history())
    assert again.account("张工").role == "admin"


def test_a_backup_taken_while_someone_imports_is_consistent(tmp_path):
    folder = tmp_path / "ws"
    workspace = Workspace.open(folder, seed=None)
    stop = threading.Event()

    def keep_importing():
        n = 0
        while not stop.is_set():
            workspace.import_parcels([NewParcel(f"b{n}-{i}", {}, square(i)) for i in range(20)],
                                     "李工", f"batch{n}.geojson")
            n += 1

    writer = threading.Thread(target=keep_importing)
    writer.start()
    try:
        for k in range(3):
            workspace.backup(tmp_path / f"snap{k}.gpkg")
    finally:
        stop.set()
        writer.join()
    for k in range(3):
        copy = tmp_path / f"copy{k}"
        copy.mkdir()
        shutil.copy(tmp_path / f"snap{k}.gpkg", copy / FILE_NAME)
        snapshot = Workspace.open(copy, seed=None)
        # Whole batches only: every batch recorded has all of its 20 parcels.
        assert snapshot.count() == 20 * len(snapshot.imports())
        assert snapshot.integrity_check() == "ok"


def test_a_backup_never_writes_over_a_file_or_the_workspace(tmp_path):
    folder = tmp_path / "ws"
    Workspace.open(folder, seed=None)
    existing = tmp_path / "old.gpkg"
    existing.write_bytes(b"keep me")
    code, _, err = run("backup", "--out", existing, "--workspace", folder)
    assert code == 2 and existing.read_bytes() == b"keep me" and "--force" in err
    code, _, err = run("backup", "--out", folder / FILE_NAME, "--workspace", folder, "--force")
    assert code == 2 and FILE_NAME in err
    assert Workspace.open(folder, seed=None).integrity_check() == "ok"
    assert run("backup", "--out", existing, "--workspace", folder, "--force")[0] == 0
    assert existing.read_bytes()[:16] == b"SQLite format 3\x00"


def test_only_an_admin_backs_up_a_shared_workspace(tmp_path):
    workspace = Workspace.open(tmp_path / "ws", seed=None)
    editor = workspace.acting_as(Actor("王工", "editor", "password"))
    with pytest.raises(NotAllowedError):
        editor.backup(tmp_path / "b.gpkg")
    assert not (tmp_path / "b.gpkg").exists()
