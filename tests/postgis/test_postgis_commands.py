"""Every ``geo-app`` command on the PostGIS workspace of ``GEO_APP_DATABASE_URL``: import,
totals, history, restore, undo-import, export, reference and check, users and ``--account``,
backup; ``--workspace FOLDER`` still names a folder; the database's password is never
printed, whatever the command says or whatever goes wrong."""

from __future__ import annotations

import csv
import json
import sqlite3
from urllib.parse import quote

import pyogrio
import pytest
from argon2 import PasswordHasher
from bureau_files import PARCELS, chinese_shapefile
from cli_runner import no_configured_workspace  # noqa: F401 (autouse)
from cli_runner import run as run_anywhere
from control_files import FARMLAND, feature_collection, inside_ha, parcels_collection, write_geojson
from control_files import PARCELS as CONTROL_PARCELS
from pg_cluster import free_port

from geo_app.accounts.passwords import needs_rehash, verify_password
from geo_app.accounts.settings import AuthSettings
from geo_app.accounts.sign_in import sign_in_with_password
from geo_app.workspace import DATABASE_ENV, FILE_NAME, Workspace
from geo_app.workspace.actors import Actor
from geo_app.workspace.database_url import masked_url

BUREAU_IDS = {p.id for p in PARCELS}
WITHIN_HA = 5 / 10_000


@pytest.fixture
def database(postgis_url, monkeypatch) -> str:
    """A fresh PostGIS database, configured as the bureau configures it."""
    monkeypatch.setenv(DATABASE_ENV, postgis_url)
    return postgis_url


@pytest.fixture
def bureau_file(tmp_path):
    return chinese_shapefile(tmp_path / "files")


@pytest.fixture
def secrets(cluster) -> list[str]:
    """Every way the test cluster's password could be written."""
    return [cluster.password, quote(cluster.password, safe=""), quote(cluster.password)]


@pytest.fixture
def run(secrets):
    """``geo-app`` run in this process; nothing it prints may hold the password."""

    def said(*argv) -> tuple[int, str, str]:
        code, out, err = run_anywhere(*argv)
        for secret in secrets:
            assert secret not in out and secret not in err
        assert "Traceback" not in err
        return code, out, err

    return said


def imported(run, path, *more) -> dict:
    code, out, err = run("import", path, "--user", "王工", "--json", *more)
    assert code == 0, err
    return json.loads(out)


def assert_same_figures(left: dict, right: dict) -> None:
    """Two ``totals --json`` answers alike, hectares summed in another order aside."""
    assert left.keys() == right.keys()
    for key, value in left.items():
        if isinstance(value, dict):
            assert value.keys() == right[key].keys(), key
            for name, ha in value.items():
                assert ha == pytest.approx(right[key][name], rel=1e-12, abs=1e-12), (key, name)
        elif isinstance(value, float):
            assert value == pytest.approx(right[key], rel=1e-12), key
        else:
            assert value == right[key], key


def test_import_and_totals_use_the_database_and_agree_with_a_geopackage(
        database, bureau_file, tmp_path, run):
    answer = imported(run, bureau_file)
    assert answer["workspace"] == masked_url(database)
    assert answer["imported"] and answer["parcel_count"] == len(PARCELS)
    code, out, err = run("import", bureau_file, "--user", "王工", "--replace")
    assert code == 0, err
    assert f"工作区：{masked_url(database)}" in out
    assert Workspace.open_database(database).count() == len(PARCELS)

    code, out, err = run("totals", "--json")
    assert code == 0, err
    from_database = json.loads(out)
    assert from_database["parcel_count"] == len(PARCELS) and not from_database["sample_data"]

    folder = tmp_path / "ws"
    imported(run, bureau_file, "--workspace", folder)
    code, out, err = run("totals", "--json", "--workspace", folder)
    assert code == 0, err
    assert_same_figures(from_database, json.loads(out))
    # The figures of the file itself, read as import reads it, are the same again.
    code, out, err = run("totals", "--json", "--parcels", bureau_file)
    assert code == 0
    assert_same_figures(from_database, json.loads(out))


def test_a_folder_named_with_workspace_is_used_instead_of_the_database(
        database, bureau_file, tmp_path, run):
    folder = tmp_path / "ws"
    answer = imported(run, bureau_file, "--workspace", folder)
    assert answer["workspace"] == str(folder / FILE_NAME)
    assert Workspace.open(folder).count() == len(PARCELS)
    # The database was not touched: it holds only the samples it was seeded with.
    assert Workspace.open_database(database).holds_only_samples()
    code, out, _ = run("totals", "--json")
    assert code == 0 and json.loads(out)["sample_data"] is True
    code, out, _ = run("history", "--json", "--workspace", folder)
    assert code == 0 and {e["parcel_id"] for e in json.loads(out)} >= BUREAU_IDS


def test_history_restore_and_undo_import_on_the_database(database, bureau_file, run):
    batch = imported(run, bureau_file)["batch_id"]
    code, out, err = run("undo-import", batch, "--user", "王工", "--json")
    assert code == 0, err
    undone = json.loads(out)
    assert undone["workspace"] == masked_url(database)
    assert set(undone["removed"]) == BUREAU_IDS
    workspace = Workspace.open_database(database)
    assert not BUREAU_IDS & {p.parcel_id for p in workspace.parcels()}

    batch = imported(run, bureau_file)["batch_id"]
    parcel = sorted(BUREAU_IDS)[0]
    # Its versions go on from those of the import that was undone.
    version = workspace.parcel(parcel).version
    workspace.update(parcel, version, "李工", properties={"项目名称": "改名"})
    code, out, err = run("history", "--parcel", parcel, "--json")
    assert code == 0, err
    assert [e["action"] for e in json.loads(out)][:2] == ["update", "import"]
    code, out, err = run("--lang", "en", "restore", parcel, version, "--user", "王工")
    assert code == 0, err
    assert f"now version {version + 2}" in out
    assert workspace.parcel(parcel).properties["项目名称"] != "改名"
    code, out, _ = run("history", "--imports", "--json")
    # Newest first: the file's second import, then the undo, the first, the samples.
    assert code == 0 and json.loads(out)[0]["id"] == batch
    # A parcel changed since the import: the undo is refused whole, as on a GeoPackage.
    code, out, err = run("undo-import", batch, "--user", "王工")
    assert code == 1 and parcel in err
    assert {p.parcel_id for p in workspace.parcels()} >= BUREAU_IDS
    code, out, _ = run("history")
    assert code == 0 and "王工" in out and "李工" in out


def test_exports_are_made_from_the_database(database, bureau_file, tmp_path, run):
    imported(run, bureau_file)
    table = tmp_path / "parcels.csv"
    code, _out, err = run("export", "--out", table)
    assert code == 0, err
    rows = list(csv.reader(table.read_text(encoding="utf-8-sig").splitlines()))
    assert {row[0] for row in rows[1:]} == BUREAU_IDS
    package = tmp_path / "parcels.gpkg"
    code, _, err = run("export", "--out", package)
    assert code == 0, err
    written = pyogrio.read_dataframe(package, layer="land_parcels")
    assert len(written) == len(PARCELS)


def test_check_against_a_reference_layer_in_the_database(database, tmp_path, run):
    parcels = write_geojson(tmp_path / "地块.geojson", parcels_collection())
    imported(run, parcels)
    farmland = write_geojson(tmp_path / "farmland.geojson", feature_collection(FARMLAND))
    code, out, err = run("reference", "import", farmland, "--kind", "farmland", "--user", "王工")
    assert code == 0, err
    code, out, _ = run("reference", "list", "--json")
    assert code == 0 and [layer["kind"] for layer in json.loads(out)] == ["farmland"]
    code, out, err = run("check", "--json")
    assert code == 0, err
    by_id = {p["id"]: p for p in json.loads(out)["parcels"]}
    for key, parcel in CONTROL_PARCELS.items():
        assert by_id[key]["farmland_ha"] == pytest.approx(
            inside_ha(parcel, FARMLAND.values()), abs=WITHIN_HA)


def test_accounts_live_in_the_database_and_act_on_it(database, bureau_file, tmp_path, run):
    code, out, err = run("users", "add", "张工", "--role", "editor", "--no-password",
                         "--user", "管理员")
    assert code == 0, err
    code, _, err = run("users", "add", "访客", "--role", "viewer", "--no-password",
                       "--user", "管理员")
    assert code == 0, err
    assert [a.name for a in Workspace.open_database(database).accounts()] == ["张工", "访客"]
    code, out, err = run("import", bureau_file, "--account", "张工", "--json")
    assert code == 0, err
    batch = json.loads(out)["batch_id"]
    code, out, _ = run("history", "--imports", "--json")
    assert json.loads(out)[0]["user"] == "张工"
    code, out, err = run("undo-import", batch, "--account", "访客")
    assert code != 0 and out == ""
    assert Workspace.open_database(database).count() == len(PARCELS)
    code, out, _ = run("users", "attempts", "--json")
    assert {(a["name"], a["outcome"]) for a in json.loads(out)} == {
        ("张工", "ok"), ("访客", "ok")}
    # The same name in a folder is unknown there: accounts belong to their workspace.
    code, _, err = run("import", bureau_file, "--account", "张工",
                       "--workspace", tmp_path / "ws")
    assert code != 0 and "张工" in err


def test_backup_of_the_database_is_a_geopackage_snapshot(database, bureau_file, tmp_path,
                                                        run):
    imported(run, bureau_file)
    Workspace.open_database(database).add_account("张工", "admin", None, "ops")
    target = tmp_path / "backups" / "workspace-snapshot.gpkg"
    target.parent.mkdir()
    code, out, err = run("backup", "--out", target)
    assert code == 0, err
    assert masked_url(database) in out and str(target) in out
    # One self-contained file beside nothing left over from the making.
    assert sorted(p.name for p in target.parent.iterdir()) == [target.name]
    with sqlite3.connect(target) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    restored = tmp_path / "restored"
    restored.mkdir()
    (restored / FILE_NAME).write_bytes(target.read_bytes())
    workspace = Workspace.open(restored)
    assert {p.parcel_id for p in workspace.parcels()} >= BUREAU_IDS
    assert [a.name for a in workspace.accounts()] == ["张工"]
    code, out, err = run("--lang", "en", "backup", "--out", target)
    assert code != 0 and "exists" in err


def test_an_unreachable_database_is_said_in_both_languages(monkeypatch, tmp_path, run):
    url = f"postgresql://planner:s3cret-pa55@127.0.0.1:{free_port()}/ledger?connect_timeout=3"
    monkeypatch.setenv(DATABASE_ENV, url)
    for argv in (("history",), ("totals",), ("import", tmp_path / "none.geojson"),
                 ("backup", "--out", tmp_path / "b.gpkg")):
        code, out, err = run(*argv)
        assert code == 1 and out == ""
        assert masked_url(url) in err and "s3cret-pa55" not in err
        assert "PostgreSQL" in err or "数据库" in err
    code, out, err = run("--lang", "en", "check")
    assert code == 1 and out == ""
    assert "planner:***@127.0.0.1" in err and "s3cret-pa55" not in err
    assert not (tmp_path / "b.gpkg").exists()


def test_a_wrong_password_is_refused_and_not_shown(database, cluster, monkeypatch, run):
    wrong = cluster.url(database.rsplit("/", 1)[1].split("?")[0], password="Wr0ng:pass/ü")
    monkeypatch.setenv(DATABASE_ENV, wrong)
    for lang in ("zh", "en"):
        code, out, err = run("--lang", lang, "users", "list")
        assert code == 1 and out == ""
        assert "Wr0ng" not in err and masked_url(wrong) in err


@pytest.mark.parametrize("store", ["folder", "database"])
def test_a_weak_hash_is_renewed_at_sign_in_on_either_store(store, postgis_url, tmp_path):
    """Renewing a hash is the account's own change, made whatever its role allows."""
    workspace = (Workspace.open(tmp_path / "ws") if store == "folder"
                 else Workspace.open_database(postgis_url))
    password = "鹿乡冷链-仓库-2022"
    weak = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1).hash(password)
    workspace.add_account("访客", "viewer", weak, "管理员")
    viewer = workspace.acting_as(Actor("访客", "viewer", via="password"))
    actor = sign_in_with_password(viewer, "访客", password, "127.0.0.1", AuthSettings())
    assert actor.name == "访客" and actor.role == "viewer"
    renewed = workspace.account("访客")
    assert renewed.password_hash != weak and not needs_rehash(renewed.password_hash)
    assert verify_password(renewed.password_hash, password)
    assert renewed.changed_by == "访客"


def test_an_unforeseen_error_quoting_the_url_is_said_without_the_password(
        database, monkeypatch, run):
    def broken(*_args, **_kwargs):
        raise RuntimeError(f"the driver gave up on {database}")

    monkeypatch.setattr(Workspace, "history", broken)
    code, out, err = run("--lang", "en", "history")
    assert code == 3 and out == ""
    assert "RuntimeError" in err and masked_url(database) in err


def test_a_backup_of_the_database_never_replaces_a_folder_workspace(
        database, tmp_path, monkeypatch, run):
    folder = tmp_path / "data"
    Workspace.open(folder)
    monkeypatch.setenv("GEO_APP_DATA", str(folder))
    before = (folder / FILE_NAME).read_bytes()
    code, out, err = run("backup", "--out", folder / FILE_NAME, "--force")
    assert code == 2 and out == "" and "工作区的数据库文件" in err
    assert (folder / FILE_NAME).read_bytes() == before
