"""``geo-app workspace copy FROM TO``: what it says in both languages, its refusals, and a
password that never reaches the screen, whatever goes wrong."""

from __future__ import annotations

import json
from urllib.parse import quote

import psycopg
import pytest
import shapely
from cli_runner import no_configured_workspace, run  # noqa: F401 (autouse)
from pg_cluster import free_port

from geo_app.workspace import FILE_NAME, NewParcel, Workspace
from geo_app.workspace.postgis_copy import AREA_TOLERANCE_RELATIVE, masked_url


@pytest.fixture
def folder(tmp_path):
    """A small workspace: five parcels of a planner's import, an edit, an account."""
    workspace = Workspace.open(tmp_path / "ws", seed=None)
    workspace.import_parcels(
        [NewParcel(f"SY-{i}", {"项目名称": f"项目{i}", "供地状态": "已出让"},
                   shapely.box(125.6 + i / 100, 43.5, 125.605 + i / 100, 43.504))
         for i in range(5)], "王工", "台账.gpkg")
    workspace.update("SY-0", 1, "李工", properties={"项目名称": "改名"})
    workspace.add_account("张工", "admin", None, "ops")
    return tmp_path / "ws"


def secrets_of(cluster) -> list[str]:
    """Every way the test cluster's password could be written."""
    return [cluster.password, quote(cluster.password, safe="")]


def assert_no_password(cluster, *texts):
    for text in texts:
        for secret in secrets_of(cluster):
            assert secret not in text


def test_a_copy_there_and_back_is_told_in_chinese(folder, postgis_url, cluster, tmp_path):
    code, out, err = run("workspace", "copy", folder, postgis_url)
    assert (code, err) == (0, "")
    assert masked_url(postgis_url) in out and "postgres:***@127.0.0.1" in out
    assert "地块 5 块，历史 6 条，导入批次 1 个" in out
    assert "账号 1 个" in out
    assert "面积核对：5 块地块的公顷数与 PostGIS 的 ST_Area(geography) 一致" in out
    code, out2, err2 = run("workspace", "copy", postgis_url, tmp_path / "back")
    assert (code, err2) == (0, "")
    assert f"复制到 {tmp_path / 'back'}" in out2 and "面积核对" not in out2
    assert_no_password(cluster, out, out2)
    back = Workspace.open(tmp_path / "back")
    assert back.parcel("SY-0").properties["项目名称"] == "改名"
    assert back.parcel("SY-0").version == 2


def test_the_copy_speaks_english_and_json(folder, postgis_url, cluster):
    code, out, _ = run("--lang", "en", "workspace", "copy", folder, postgis_url)
    assert code == 0
    assert "parcels: 5, history entries: 6, import batches: 1" in out
    assert "Area check: the hectares of 5 parcels agree with PostGIS's ST_Area(geography)" in out
    code, out, _ = run("workspace", "copy", "--force", "--json", folder, postgis_url)
    assert code == 0
    report = json.loads(out)
    assert report["target"] == masked_url(postgis_url)
    assert report["replaced"] is True
    assert report["rows"]["parcels"] == 5 and report["rows"]["accounts"] == 1
    check = report["area_check"]
    assert check["parcels"] == 5
    assert 0 <= check["largest_relative_difference"] <= check["tolerance_relative"]
    assert check["tolerance_relative"] == AREA_TOLERANCE_RELATIVE
    assert_no_password(cluster, out)


def test_a_target_with_a_workspace_needs_force(folder, postgis_url, cluster):
    assert run("workspace", "copy", folder, postgis_url)[0] == 0
    code, out, err = run("workspace", "copy", folder, postgis_url)
    assert code == 1 and out == ""
    assert "已有工作区数据" in err and "--force" in err and "parcels 5" in err
    assert_no_password(cluster, err)
    code, out, err = run("--lang", "en", "workspace", "copy", "--force", folder, postgis_url)
    assert (code, err) == (0, "")
    assert "The workspace that was in the target has been replaced" in out


def test_a_wrong_password_is_refused_without_showing_either(folder, cluster):
    wrong = cluster.url("postgres", password="Wrong-pass:42")
    code, out, err = run("--lang", "en", "workspace", "copy", folder, wrong)
    assert code == 1 and out == ""
    assert err.startswith("cannot connect to the PostgreSQL database "
                          f"postgresql://postgres:***@127.0.0.1:{cluster.port}/postgres")
    assert "password authentication failed" in err
    assert "Wrong-pass" not in err and "Traceback" not in err


def test_an_unreachable_server_is_said_in_both_languages(folder):
    port = free_port()  # nothing listens there
    url = f"postgresql://planner:s3cret-pw@127.0.0.1:{port}/ledger?connect_timeout=3"
    code, _, err = run("workspace", "copy", folder, url)
    assert code == 1
    assert err.startswith(f"无法连接到 PostgreSQL 数据库 postgresql://planner:***@127.0.0.1:{port}")
    code, _, err_en = run("--lang", "en", "workspace", "copy", url, folder)
    assert code == 1 and err_en.startswith("cannot connect to the PostgreSQL database")
    for text in (err, err_en):
        assert "s3cret-pw" not in text and "Traceback" not in text


@pytest.mark.parametrize("url", [
    "postgresql://planner:s3cret-pw@[::1/ledger",
    "postgresql://planner:s3cret-pw@db.example:54x2/ledger",
    "postgresql://planner@db/ledger?password=s3cret-pw&colour=blue",
    "mysql://planner:s3cret-pw@db/ledger",
])
def test_a_url_that_cannot_be_read_is_refused_before_anything(folder, url):
    code, out, err = run("--lang", "en", "workspace", "copy", folder, url)
    assert code == 1 and out == ""
    assert err.startswith("cannot read the PostgreSQL address ")
    assert "postgresql://user:password@host:5432/database" in err
    assert "s3cret-pw" not in err and "Traceback" not in err


def test_a_database_without_postgis_is_told_what_to_do(folder, plain_url, cluster):
    code, _, err = run("workspace", "copy", folder, plain_url)
    assert code == 1
    assert "未安装 PostGIS 扩展" in err and "CREATE EXTENSION postgis" in err
    assert_no_password(cluster, err)
    with psycopg.connect(plain_url) as connection:
        tables = connection.execute("SELECT count(*) FROM information_schema.tables "
                                    "WHERE table_schema = 'public'").fetchone()
    assert tables == (0,)


def test_no_source_and_the_same_place_are_refused(tmp_path, folder, postgis_url):
    code, _, err = run("--lang", "en", "workspace", "copy", tmp_path / "nothing", postgis_url)
    assert code == 1 and err.strip() == f"there is no workspace in {tmp_path / 'nothing'} " \
                                        f"(no {FILE_NAME})"
    code, _, err = run("--lang", "en", "workspace", "copy", folder, folder)
    assert code == 1 and "the source and the target are the same workspace" in err
    code, _, err = run("workspace", "copy", postgis_url, postgis_url)
    assert code == 1 and "来源与目标是同一个工作区" in err


@pytest.mark.parametrize(("url", "shown"), [
    ("postgresql://u:pa%3Ass@h:5432/db", "postgresql://u:***@h:5432/db"),
    ("postgresql://u@h/db?sslmode=require&password=x%26y",
     "postgresql://u@h/db?sslmode=require&password=***"),
    ("postgres://u:p@ss@h/db", "postgres://u:***@h/db"),
    ("postgresql://h/db", "postgresql://h/db"),
    ("postgresql://u:secret@h1:5432,h2:5433/db", "postgresql://u:***@h1:5432,h2:5433/db"),
    # Characters a URL should have escaped still leave the whole password masked.
    ("postgresql://u:pa/ss@h/db", "postgresql://u:***@h/db"),
    ("postgresql://u:p?ss#1@h/db?password=y#x", "postgresql://u:***@h/db?password=***#x"),
    ("postgresql://u@h/db?password=x&user=a@b", "postgresql://u@h/db?password=***&user=a@b"),
])
def test_urls_are_shown_with_their_passwords_masked(url, shown):
    assert masked_url(url) == shown


def test_an_unforeseen_failure_is_said_without_the_password(folder, postgis_url, cluster,
                                                            monkeypatch):
    from geo_app.workspace import postgis_copy

    def broken(self, table):
        raise RuntimeError(f"unexpected while reading {postgis_url}")
        yield

    monkeypatch.setattr(postgis_copy._GeoPackageSource, "rows", broken)
    code, out, err = run("--lang", "en", "workspace", "copy", folder, postgis_url)
    assert code == 1 and out == ""
    assert err.startswith(f"the copy to {masked_url(postgis_url)} did not finish")
    assert "RuntimeError" in err and masked_url(postgis_url) in err
    assert_no_password(cluster, err)
