"""A throwaway PostgreSQL cluster with PostGIS for the tests: made in a temporary folder,
listening only on 127.0.0.1 on a free port, gone when the session ends.

The server binaries are Debian's (``postgresql`` and ``postgresql-postgis``, which ``make
test`` installs when run as root); whichever server version is installed is used. initdb
and the server refuse to run as root, so as root they run as the ``postgres`` user, which
owns the temporary folder.
"""

from __future__ import annotations

import atexit
import contextlib
import itertools
import os
import pwd
import re
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import psycopg

SERVER_ROOT = Path("/usr/lib/postgresql")
INSTALL_HINT = ("`make test` installs them as root (Debian packages postgresql and "
                "postgresql-postgis)")
SUPERUSER = "postgres"
# The database every test database is cloned from: PostGIS already created in it.
TEMPLATE = "geo_app_template"


class ClusterError(RuntimeError):
    """The test cluster cannot be made; the message says what to install or look at."""


def _version_key(path: Path) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", path.parent.name)) or (0,)


def server_binaries(root: Path = SERVER_ROOT) -> Path:
    """The ``bin`` folder of the newest installed server that has the PostGIS extension."""
    candidates = sorted(
        (b for b in root.glob("*/bin") if (b / "initdb").exists() and (b / "pg_ctl").exists()),
        key=_version_key, reverse=True,
    )
    if not candidates:
        raise ClusterError(
            f"No PostgreSQL server found under {root}/*/bin (initdb, pg_ctl): {INSTALL_HINT}."
        )
    for binaries in candidates:
        share = subprocess.run([str(binaries / "pg_config"), "--sharedir"], capture_output=True,
                               text=True, check=False).stdout.strip()
        if share and (Path(share) / "extension" / "postgis.control").exists():
            return binaries
    raise ClusterError(
        f"PostgreSQL is installed ({', '.join(str(b) for b in candidates)}) but not the PostGIS "
        f"extension for it: {INSTALL_HINT}."
    )


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Cluster:
    """A running cluster: where it is, its port and the superuser's password."""

    binaries: Path
    folder: Path
    port: int
    password: str

    @property
    def data(self) -> Path:
        return self.folder / "data"

    def url(self, database: str, *, user: str = SUPERUSER, password: str | None = None) -> str:
        """A ``postgresql://`` URL over TCP with the password in it, as a bureau writes one."""
        secret = self.password if password is None else password
        return (f"postgresql://{quote(user, safe='')}:{quote(secret, safe='')}"
                f"@127.0.0.1:{self.port}/{quote(database, safe='')}")

    def connect(self, database: str) -> psycopg.Connection:
        return psycopg.connect(self.url(database), autocommit=True)

    def create_database(self, name: str, *, postgis: bool = True) -> str:
        """A new empty database (with PostGIS, cloned from the template); its URL."""
        template = TEMPLATE if postgis else "template0"
        with self.connect("postgres") as connection:
            connection.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        return self.url(name)


def _as_server_user(command: list[str]) -> list[str]:
    """initdb and postgres refuse root: run them as the postgres user when we are root."""
    if os.geteuid() != 0:
        return command
    return ["runuser", "-u", SUPERUSER, "--", *command]


def _run(command: list[str], what: str, log: Path | None = None) -> None:
    done = subprocess.run(_as_server_user(command), capture_output=True, text=True,
                          check=False, timeout=120)
    if done.returncode != 0:
        tail = log.read_text(errors="replace")[-2000:] if log and log.exists() else ""
        raise ClusterError(f"{what} failed ({done.returncode}): {done.stderr.strip()}\n{tail}")


def _hand_to_server_user(folder: Path) -> None:
    if os.geteuid() != 0:
        return
    try:
        account = pwd.getpwnam(SUPERUSER)
    except KeyError:
        raise ClusterError(
            f"Running as root, but there is no '{SUPERUSER}' user to run the server as: "
            f"{INSTALL_HINT}."
        ) from None
    os.chown(folder, account.pw_uid, account.pw_gid)


def _start(binaries: Path, folder: Path, password: str) -> Cluster:
    data, log = folder / "data", folder / "server.log"
    pwfile = folder / "pwfile"
    pwfile.write_text(password + "\n")
    _hand_to_server_user(pwfile)
    # Local socket connections are trusted (only this folder's owner reaches them); TCP
    # connections need the password, so URLs with passwords are exercised for real.
    _run([str(binaries / "initdb"), "-D", str(data), "-U", SUPERUSER, "-E", "UTF8",
          "--locale=C", "--auth-local=trust", "--auth-host=scram-sha-256",
          f"--pwfile={pwfile}", "--no-sync"], "initdb")
    pwfile.unlink()
    for attempt in range(3):
        port = free_port()
        # A throwaway cluster: durability is not wanted, speed is.
        options = (f"-c listen_addresses=127.0.0.1 -p {port} -k {folder} -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off")
        try:
            _run([str(binaries / "pg_ctl"), "start", "-w", "-t", "60", "-D", str(data),
                  "-l", str(log), "-o", options], "pg_ctl start", log)
        except ClusterError:
            if attempt == 2:
                raise
            continue  # another process took the port in between: another one
        return Cluster(binaries, folder, port, password)
    raise AssertionError("unreachable")


def _stop(binaries: Path, data: Path) -> None:
    # Immediate: nothing in a throwaway cluster is worth a checkpoint.
    subprocess.run(_as_server_user([str(binaries / "pg_ctl"), "stop", "-D", str(data),
                                    "-m", "immediate", "-w"]),
                   capture_output=True, check=False, timeout=60)


def _prepare_databases(cluster: Cluster) -> None:
    with cluster.connect("postgres") as connection:
        connection.execute(f'CREATE DATABASE "{TEMPLATE}"')
    with cluster.connect(TEMPLATE) as connection:
        connection.execute("CREATE EXTENSION postgis")


@contextlib.contextmanager
def running_cluster() -> Iterator[Cluster]:
    """A cluster for the duration of the block; stopped and removed afterwards whatever
    happened inside."""
    binaries = server_binaries()
    folder = Path(tempfile.mkdtemp(prefix="geo-app-pg-"))
    # A password with characters a URL must escape, as real ones have.
    password = f"p@ss:{secrets.token_hex(8)}/é"
    try:
        _hand_to_server_user(folder)
        cluster = _start(binaries, folder, password)
        _prepare_databases(cluster)
        yield cluster
    finally:
        # Whenever a server may be running (even one whose start timed out), stop it.
        if (folder / "data" / "postmaster.pid").exists():
            _stop(binaries, folder / "data")
        # The server's files belong to the postgres user; root removes them all the same.
        for _ in range(3):
            shutil.rmtree(folder, ignore_errors=True)
            if not folder.exists():
                break
            time.sleep(0.5)


_shared: list[Cluster] = []
_database_numbers = itertools.count(1)


def shared_cluster() -> Cluster:
    """The one cluster of this test process, started on first use and stopped when the
    process exits: every test folder that needs PostGIS shares it."""
    if not _shared:
        context = running_cluster()
        _shared.append(context.__enter__())
        atexit.register(context.__exit__, None, None, None)
    return _shared[0]


def new_database(prefix: str = "workspace", *, postgis: bool = True) -> str:
    """The URL of a new, empty database in the shared cluster."""
    return shared_cluster().create_database(f"{prefix}_{next(_database_numbers)}",
                                            postgis=postgis)
