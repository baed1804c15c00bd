"""The tests' own PostgreSQL: local only, run by the postgres user when the tests run as
root, and a clear failure (never a skip) when the server or PostGIS is not installed."""

from __future__ import annotations

import os
import pwd
import stat

import pytest
from pg_cluster import INSTALL_HINT, SUPERUSER, ClusterError, server_binaries


def test_the_cluster_listens_on_127_0_0_1_only_with_its_socket_in_its_folder(cluster):
    with cluster.connect("postgres") as connection:
        settings = dict(connection.execute(
            "SELECT name, setting FROM pg_settings WHERE name IN "
            "('listen_addresses', 'unix_socket_directories', 'port')").fetchall())
    assert settings == {"listen_addresses": "127.0.0.1",
                        "unix_socket_directories": str(cluster.folder),
                        "port": str(cluster.port)}
    assert cluster.binaries.parent.parent == server_binaries().parent.parent


def test_as_root_the_server_runs_as_the_postgres_user(cluster):
    owner = cluster.data.stat().st_uid
    if os.geteuid() == 0:
        assert owner == pwd.getpwnam(SUPERUSER).pw_uid
    else:
        assert owner == os.geteuid()
    assert stat.S_IMODE(cluster.data.stat().st_mode) & 0o077 == 0


def test_without_a_server_the_failure_says_make_test_installs_it(tmp_path):
    with pytest.raises(ClusterError) as missing:
        server_binaries(tmp_path)
    assert "make test" in str(missing.value) and INSTALL_HINT in str(missing.value)


def test_without_postgis_the_failure_says_so(tmp_path):
    binaries = tmp_path / "16" / "bin"
    binaries.mkdir(parents=True)
    share = tmp_path / "share"
    (share / "extension").mkdir(parents=True)
    for tool in ("initdb", "pg_ctl"):
        (binaries / tool).write_text("#!/bin/sh\n")
    (binaries / "pg_config").write_text(f"#!/bin/sh\necho {share}\n")
    for tool in binaries.iterdir():
        tool.chmod(0o755)
    with pytest.raises(ClusterError) as missing:
        server_binaries(tmp_path)
    assert "PostGIS" in str(missing.value) and "make test" in str(missing.value)
    (share / "extension" / "postgis.control").write_text("")
    assert server_binaries(tmp_path) == binaries
