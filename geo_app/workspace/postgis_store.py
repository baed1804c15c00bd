"""A workspace kept in PostgreSQL/PostGIS, with the guarantees of the GeoPackage one.

The tables are :mod:`geo_app.workspace.postgis_schema`'s (the copy's, one definition).
The workspace's modules issue the same SQL on both stores: :class:`PostgisConnection`
takes their ``?`` placeholders (translated once per statement text) and answers
``lastrowid``; what is not SQL-alike is the dialect's (:mod:`geo_app.workspace.dialect`).

Each change is one transaction that first takes the writer lock
(``pg_advisory_xact_lock``, the copy's too), so writers queue as BEGIN IMMEDIATE makes them
queue on a GeoPackage, each then reading the latest committed rows (READ COMMITTED, every
statement after the lock): a version check and the write it guards cannot be overtaken.
Every call opens its own connection, as on the GeoPackage, so one workspace may be shared
by threads and any number of processes and servers.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from geo_app.workspace.database_url import connect, masked_url, require_postgis, scrubbed
from geo_app.workspace.dialect import POSTGIS
from geo_app.workspace.errors import WorkspaceError, refusal
from geo_app.workspace.postgis_schema import (
    META,
    SCHEMA_VERSION,
    SCHEMA_VERSION_KEY,
    TABLES,
    WRITER_LOCK_KEY,
    index_statements,
    quoted,
    table_statements,
)
from geo_app.workspace.records import utc_now

if TYPE_CHECKING:
    import psycopg


@functools.lru_cache(maxsize=512)
def translated(sql: str) -> str:
    """``sql`` with ``?`` placeholders as psycopg's ``%s`` (and a literal ``%`` as ``%%``);
    text inside quotes ('…' literals, "…" names) is left as it is."""
    out: list[str] = []
    quote: str | None = None
    for char in sql:
        if quote is not None:
            if char == quote:
                quote = None
        elif char in "'\"":
            quote = char
        elif char == "?":
            out.append("%s")
            continue
        out.append("%%" if char == "%" else char)
    return "".join(out)


def _cursor_class() -> type:
    import psycopg

    class Cursor(psycopg.Cursor):
        """A cursor that answers ``lastrowid`` as SQLite's does: the key of the row the
        last INSERT made in this session (every key is an identity column)."""

        @property
        def lastrowid(self) -> int:
            return int(self.connection.execute("SELECT lastval()").fetchone()[0])

    return Cursor


class PostgisConnection:
    """A psycopg connection that runs the workspace's ``?``-placeholder SQL."""

    dialect = POSTGIS

    def __init__(self, raw: psycopg.Connection):
        from psycopg.types.string import TextLoader

        self.raw = raw
        raw.cursor_factory = _cursor_class()
        # JSON columns come back as the text written, key order kept, as from SQLite.
        raw.adapters.register_loader("json", TextLoader)

    def execute(self, sql: str, parameters: Sequence[Any] | None = None) -> Any:
        return self.raw.cursor().execute(translated(sql), parameters or None)

    def executemany(self, sql: str, parameters: Any) -> None:
        with self.raw.cursor() as cursor:
            cursor.executemany(translated(sql), parameters)


class PostgisDatabase:
    """The PostgreSQL side of a workspace: its URL, and how long a writer waits for the
    lock (as the GeoPackage's busy timeout)."""

    def __init__(self, url: str, busy_timeout_s: float):
        self.url = url
        self.busy_timeout_s = busy_timeout_s

    @property
    def shown(self) -> str:
        """How messages name the workspace: the URL, its password masked."""
        return masked_url(self.url)

    def unusable(self, exc: Exception) -> WorkspaceError:
        return refusal("workspace_unusable", path=self.shown,
                       reason=scrubbed(str(exc), self.url))

    @contextlib.contextmanager
    def connected(self) -> Iterator[PostgisConnection]:
        """A connection, closed afterwards; a database failure becomes a WorkspaceError."""
        import psycopg

        raw = connect(self.url, application_name="geo-app", refuse=refusal,
                      lock_timeout=f"{int(self.busy_timeout_s * 1000)}ms")
        try:
            yield PostgisConnection(raw)
        except psycopg.Error as exc:
            raise self.unusable(exc) from None
        finally:
            raw.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[PostgisConnection]:
        """One change, all of it or nothing, writers one at a time."""
        with self.connected() as connection, connection.raw.transaction():
            connection.execute("SELECT pg_advisory_xact_lock(?)", (WRITER_LOCK_KEY,))
            yield connection

    def initialise(self, create: Callable[[PostgisConnection], None]) -> None:
        """Run ``create`` in one transaction unless the database already holds a workspace
        of this layout (then only read, so opening never queues behind a writer)."""
        with self.connected() as connection:
            require_postgis(connection.raw, self.url, refusal)
            if _stored_version(connection) == SCHEMA_VERSION:
                return
        with self.transaction() as connection:
            create(connection)

    def create_if_new(self, connection: PostgisConnection) -> bool:
        """Make the tables in a database without them (True); accept a workspace of this
        layout (False); refuse anything else. Under the writer lock: two servers opening
        a new database at once make the tables once."""
        present = _tables_present(connection)
        if META.name in present:
            if _stored_version(connection) != SCHEMA_VERSION:
                raise refusal("workspace_version", path=self.shown)
            return False
        if present:
            raise refusal("not_a_workspace", path=self.shown)
        for statement in (*table_statements(), *index_statements()):
            connection.execute(statement)
        connection.executemany(
            f"INSERT INTO {quoted(META.name)} (key, value) VALUES (?, ?)",
            [(SCHEMA_VERSION_KEY, SCHEMA_VERSION), ("created_at", utc_now())],
        )
        return True


def _tables_present(connection: PostgisConnection) -> set[str]:
    """Which of the workspace's table names exist in the schema tables are made in."""
    rows = connection.execute(
        "SELECT table_name FROM information_schema.tables "
        "WHERE table_schema = current_schema() AND table_name = ANY(?)",
        ([t.name for t in TABLES],)).fetchall()
    return {str(r[0]) for r in rows}


def _stored_version(connection: PostgisConnection) -> str | None:
    if META.name not in _tables_present(connection):
        return None
    row = connection.execute(
        f"SELECT value FROM {quoted(META.name)} WHERE key = ?", (SCHEMA_VERSION_KEY,)
    ).fetchone()
    return None if row is None else str(row[0])
