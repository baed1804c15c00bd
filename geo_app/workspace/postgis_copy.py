"""A whole workspace copied between a GeoPackage folder and a PostGIS database, either way.

``copy_workspace(FROM, TO)``: each side is a workspace folder (``workspace.gpkg`` in it) or a
``postgresql://`` URL. Everything travels: the parcels with every planner column and their
versions, the history, the import batches, the reference layers and their features, the
accounts and sign-ins, the remembered settings; ids are kept, since the history names
import batches and features name their layer. The source is read from one snapshot; the
target is written in one transaction, so it ends as a whole copy or as it was. A target
that already holds a workspace is refused unless ``force``, which replaces it in that same
transaction.

Going to PostGIS, the copy checks its own work before it commits: every parcel's stored
hectares (the app's ellipsoidal figure on CGCS2000/GRS80, the official one) against
PostGIS's ``ST_Area(geom::geography)`` (on WGS84), which must agree within
:data:`AREA_TOLERANCE_RELATIVE` plus :data:`AREA_TOLERANCE_HA`; the largest difference is
reported. A URL is only ever shown with its password masked, in messages and errors alike.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import shapely

from geo_app.problems import GeoAppError, error
from geo_app.workspace import gpkg
from geo_app.workspace.connection import WorkspaceFile
from geo_app.workspace.database_url import (
    URL_SCHEMES,
    connect,
    masked_url,
    require_postgis,
)
from geo_app.workspace.database_url import scrubbed as _scrubbed
from geo_app.workspace.location import FILE_NAME
from geo_app.workspace.postgis_schema import (
    DATA_TABLES,
    META,
    PARCELS,
    REFERENCE_FEATURES,
    REFERENCE_LAYERS,
    SCHEMA_VERSION,
    SCHEMA_VERSION_KEY,
    SRID,
    TABLES,
    WRITER_LOCK_KEY,
    Table,
    index_statements,
    quoted,
    table_statements,
)
from geo_app.workspace.postgis_schema import drop_statements as postgis_drops
from geo_app.workspace.store import Workspace

if TYPE_CHECKING:
    import psycopg

# Rows handed from source to target at a time: a district's 100,000 parcels never sit in
# memory twice over.
BATCH_ROWS = 2_000

# Our hectares (GRS80, exact authalic-sphere excess per edge) against PostGIS's
# ST_Area(geography) (WGS84, GeographicLib): the two ellipsoids' flattenings differ by
# about 5e-9 relative, which moves areas by about 1e-9; great-circle edges on the authalic
# sphere against geodesic edges add about 1e-10 on parcel-sized edges. On top, both sums
# round: about 1e-8 ha whatever the size. Measured: parcels of 2 to 600 ha (rectangles and
# irregular 19-gons) at most 6e-10 of their area; 100,000 parcels of 0.3 to 1.4 ha at most
# 9.4e-9 ha (2.7e-8 of the area, all rounding). So a parcel agrees within 1e-8 of its area
# (one square centimetre per hectare) plus 1e-7 ha (10 cm²): ten times what was measured,
# and a thousand times smaller than any real fault (a lost vertex or hole, swapped axes,
# the wrong coordinate system, a hectare figure left from an older geometry).
AREA_TOLERANCE_RELATIVE = 1e-8
AREA_TOLERANCE_HA = 1e-7


class CopyError(GeoAppError):
    """A copy that cannot start or did not finish; ``problem`` says why, URL masked."""


def _refuse(problem: str, /, **values: Any) -> CopyError:
    return CopyError(error(problem, **values))


# --- where a workspace is -----------------------------------------------------------------


@dataclass(frozen=True)
class Place:
    """One side of a copy: a workspace folder, or a PostgreSQL database by URL."""

    folder: Path | None = None
    url: str | None = None

    @property
    def shown(self) -> str:
        """How messages name it: the folder, or the URL with its password masked."""
        return str(self.folder) if self.url is None else masked_url(self.url)

    def same_as(self, other: Place) -> bool:
        if self.folder is not None and other.folder is not None:
            return self.folder.resolve() == other.folder.resolve()
        if self.url is not None and other.url is not None:
            return _database_identity(self.url) == _database_identity(other.url)
        return False


def _database_identity(url: str) -> tuple[str, str, str]:
    from psycopg.conninfo import conninfo_to_dict

    params = conninfo_to_dict(url)
    return (str(params.get("host", "")), str(params.get("port", "5432")),
            str(params.get("dbname", params.get("user", ""))))


def place(text: str) -> Place:
    """A ``postgresql://`` (or ``postgres://``) URL, else a workspace folder. Another
    scheme, or a URL libpq cannot read, is refused here, before anything is opened."""
    value = str(text).strip()
    if value.lower().startswith(URL_SCHEMES):
        from psycopg import Error as PsycopgError
        from psycopg.conninfo import conninfo_to_dict

        try:
            params = conninfo_to_dict(value)
        except PsycopgError as exc:
            raise _refuse("postgis_bad_url", url=masked_url(value),
                          reason=_scrubbed(str(exc), value)) from None
        port = str(params.get("port", "5432"))
        if not all(p.strip().isdigit() for p in port.split(",")):
            raise _refuse("postgis_bad_url", url=masked_url(value),
                          reason=f"port {_scrubbed(port, value)}")
        return Place(url=value)
    if "://" in value:
        raise _refuse("postgis_bad_url", url=masked_url(value),
                      reason=value.split("://", 1)[0] + "://")
    return Place(folder=Path(value).expanduser())


# --- what a copy reports ------------------------------------------------------------------


@dataclass(frozen=True)
class AreaCheck:
    """Stored hectares against ``ST_Area(geom::geography) / 10000``, over all parcels."""

    parcels: int
    # The largest difference in hectares and the parcel it is on; the largest relative to
    # the parcel's area (on the smallest parcels, the rounding of both sums) and its parcel.
    largest_ha: float
    largest_ha_parcel: str | None
    largest_relative: float
    largest_relative_parcel: str | None
    # The largest share of its allowance (difference over tolerance) any parcel used.
    largest_share: float
    tolerance_relative: float = AREA_TOLERANCE_RELATIVE
    tolerance_ha: float = AREA_TOLERANCE_HA


@dataclass(frozen=True)
class CopyReport:
    source: str
    target: str
    # Rows copied per table, by table name; settings are the remembered ones (the layout's
    # own version is each store's, never copied).
    rows: dict[str, int]
    settings: int
    # True when --force replaced a workspace that was there.
    replaced: bool
    # Only when the target is PostGIS.
    areas: AreaCheck | None = None


# --- the two stores -----------------------------------------------------------------------

Batch = list[tuple[Any, ...]]


class _Source(Protocol):
    def rows(self, table: Table) -> Iterator[Batch]:
        """The table's rows in :attr:`Table.columns` order, by key; geometries as WKB."""

    def settings(self) -> list[tuple[str, str]]:
        """The remembered settings (key, value), the layout's version left out."""


class _Target(Protocol):
    replaced: bool

    def write(self, table: Table, batches: Iterator[Batch]) -> int: ...

    def write_settings(self, settings: Sequence[tuple[str, str]]) -> None: ...

    def finish(self) -> AreaCheck | None: ...


def _column_list(table: Table) -> str:
    return ", ".join(quoted(name) for name in table.column_names)


def _geometry_index(table: Table) -> int | None:
    column = table.geometry_column
    return None if column is None else table.column_names.index(column.name)


def _with_values(batch: Batch, index: int, values: Sequence[Any]) -> Batch:
    return [(*row[:index], value, *row[index + 1:]) for row, value in
            zip(batch, values, strict=True)]


class _GeoPackageSource:
    def __init__(self, connection: sqlite3.Connection):
        self.connection = connection

    def rows(self, table: Table) -> Iterator[Batch]:
        cursor = self.connection.execute(
            f"SELECT {_column_list(table)} FROM {quoted(table.name)} "
            f"ORDER BY {table.key.quoted}")
        at = _geometry_index(table)
        while batch := cursor.fetchmany(BATCH_ROWS):
            if at is not None:
                geometries = gpkg.geometries_from_blobs([row[at] for row in batch])
                batch = _with_values(batch, at, shapely.to_wkb(geometries, byte_order=1))
            yield batch

    def settings(self) -> list[tuple[str, str]]:
        return [(str(k), str(v)) for k, v in self.connection.execute(
            f"SELECT key, value FROM {quoted(META.name)} WHERE key != ? ORDER BY id",
            (SCHEMA_VERSION_KEY,))]


class _GeoPackageTarget:
    def __init__(self, connection: sqlite3.Connection, place: Place, force: bool):
        self.connection = connection
        self.replaced = False
        self.bounds: list[np.ndarray] = []
        held = self._held_rows()
        if held:
            if not force:
                raise _refuse("copy_target_not_empty", target=place.shown, held=held)
            for table in reversed(DATA_TABLES):
                connection.execute(f"DELETE FROM {quoted(table.name)}")
            self.replaced = True
        # The settings always go: the source's replace the new or replaced target's own.
        connection.execute(f"DELETE FROM {quoted(META.name)} WHERE key != ?",
                           (SCHEMA_VERSION_KEY,))

    def _held_rows(self) -> str:
        """What the workspace already holds, as ``table rows`` pairs; empty when nothing
        (a new workspace has its settings rows only)."""
        held = []
        for table in DATA_TABLES:
            count = self.connection.execute(
                f"SELECT count(*) FROM {quoted(table.name)}").fetchone()[0]
            if count:
                held.append(f"{table.name} {count}")
        return ", ".join(held)

    def write(self, table: Table, batches: Iterator[Batch]) -> int:
        sql = (f"INSERT INTO {quoted(table.name)} ({_column_list(table)}) "
               f"VALUES ({', '.join('?' * len(table.columns))})")
        at = _geometry_index(table)
        written = 0
        for batch in batches:
            if at is not None:
                geometries = shapely.from_wkb([row[at] for row in batch])
                if table is PARCELS:
                    self.bounds.append(shapely.bounds(geometries))
                batch = _with_values(batch, at, gpkg.geometry_blobs(geometries))
            self.connection.executemany(sql, batch)
            written += len(batch)
        return written

    def write_settings(self, settings: Sequence[tuple[str, str]]) -> None:
        self.connection.executemany(
            f"INSERT INTO {quoted(META.name)} (key, value) VALUES (?, ?)", settings)

    def finish(self) -> AreaCheck | None:
        # The layers' extents and change times, which GeoPackage readers zoom to.
        if self.bounds:
            b = np.vstack(self.bounds)
            extent: list[float] | None = [float(b[:, 0].min()), float(b[:, 1].min()),
                                          float(b[:, 2].max()), float(b[:, 3].max())]
        else:
            extent = None
        gpkg.touch_contents(self.connection, PARCELS.name, extent)
        row = self.connection.execute(
            f"SELECT min(f.min_x), min(f.min_y), max(f.max_x), max(f.max_y) "
            f"FROM {REFERENCE_FEATURES.name} f JOIN {REFERENCE_LAYERS.name} l "
            "ON l.id = f.layer_id WHERE l.active = 1").fetchone()
        gpkg.touch_contents(self.connection, REFERENCE_FEATURES.name,
                            None if row[0] is None else row)
        return None


def _select_list(table: Table) -> str:
    """Columns as the copy carries them: geometries as little-endian WKB, JSON as its text
    (exactly as written, key order kept)."""
    out = []
    for column in table.columns:
        if column.geometry:
            out.append(f"ST_AsBinary({column.quoted}, 'NDR')")
        elif column.definition.startswith("json"):
            out.append(f"{column.quoted}::text")
        else:
            out.append(column.quoted)
    return ", ".join(out)


class _PostgisSource:
    def __init__(self, connection: psycopg.Connection, place: Place):
        self.connection = connection
        present = _tables_present(connection)
        missing = [t.name for t in TABLES if t.name not in present]
        if missing:
            raise _refuse("postgis_not_a_workspace", url=place.shown, table=", ".join(missing))
        row = connection.execute(
            f"SELECT value FROM {quoted(META.name)} WHERE key = %s",
            (SCHEMA_VERSION_KEY,)).fetchone()
        found = None if row is None else row[0]
        if found != SCHEMA_VERSION:
            raise _refuse("postgis_workspace_version", url=place.shown, found=found or "—",
                          expected=SCHEMA_VERSION)

    def rows(self, table: Table) -> Iterator[Batch]:
        # A server-side cursor: the rows come in batches, not all at once.
        with self.connection.cursor(name=f"copy_{table.name}") as cursor:
            cursor.execute(f"SELECT {_select_list(table)} FROM {quoted(table.name)} "
                           f"ORDER BY {table.key.quoted}")
            while batch := cursor.fetchmany(BATCH_ROWS):
                yield [tuple(row) for row in batch]

    def settings(self) -> list[tuple[str, str]]:
        return [(str(k), str(v)) for k, v in self.connection.execute(
            f"SELECT key, value FROM {quoted(META.name)} WHERE key != %s ORDER BY id",
            (SCHEMA_VERSION_KEY,))]


def _tables_present(connection: psycopg.Connection) -> set[str]:
    """Which of the workspace's table names exist in the schema tables are made in."""
    rows = connection.execute(
        "SELECT table_name FROM information_schema.tables "
        "WHERE table_schema = current_schema() AND table_name = ANY(%s)",
        ([t.name for t in TABLES],)).fetchall()
    return {str(r[0]) for r in rows}


class _PostgisTarget:
    def __init__(self, connection: psycopg.Connection, place: Place, force: bool):
        self.connection = connection
        # Two copies into one database, or a copy and a live store's writer, wait for each
        # other rather than collide.
        connection.execute("SELECT pg_advisory_xact_lock(%s)", (WRITER_LOCK_KEY,))
        present = _tables_present(connection)
        held = self._held_rows(present)
        if held and not force:
            raise _refuse("copy_target_not_empty", target=place.shown, held=held)
        self.replaced = bool(held)
        # Tables of ours that hold nothing are made again too: the layout is this one.
        for statement in postgis_drops():
            connection.execute(statement)
        for statement in table_statements():
            connection.execute(statement)
        connection.execute(
            f"INSERT INTO {quoted(META.name)} (key, value) VALUES (%s, %s)",
            (SCHEMA_VERSION_KEY, SCHEMA_VERSION))

    def _held_rows(self, present: set[str]) -> str:
        held = []
        for table in TABLES:
            if table.name not in present:
                continue
            where = (f" WHERE key != '{SCHEMA_VERSION_KEY}'" if table is META else "")
            count = self.connection.execute(
                f"SELECT count(*) FROM {quoted(table.name)}{where}").fetchone()[0]
            if count:
                held.append(f"{table.name} {count}")
        return ", ".join(held)

    def write(self, table: Table, batches: Iterator[Batch]) -> int:
        at = _geometry_index(table)
        written = 0
        with self.connection.cursor() as cursor, cursor.copy(
            f"COPY {quoted(table.name)} ({_column_list(table)}) FROM STDIN"
        ) as copy:
            for batch in batches:
                if at is not None:
                    # Hex WKB with the SRID in front: PostGIS reads it as it stands.
                    prefix = f"SRID={SRID};"
                    batch = _with_values(batch, at, [prefix + bytes(row[at]).hex()
                                                     for row in batch])
                for row in batch:
                    copy.write_row(row)
                written += len(batch)
        return written

    def write_settings(self, settings: Sequence[tuple[str, str]]) -> None:
        with self.connection.cursor() as cursor:
            cursor.executemany(
                f"INSERT INTO {quoted(META.name)} (key, value) VALUES (%s, %s)", settings)

    def finish(self) -> AreaCheck:
        for table in TABLES:
            # New rows (a later live store's) get ids after the copied ones.
            self.connection.execute(
                f"SELECT setval(pg_get_serial_sequence(%s, %s), "
                f"coalesce((SELECT max({table.key.quoted}) FROM {quoted(table.name)}), 0) + 1, "
                "false)", (quoted(table.name), table.key.name))
        for statement in index_statements():
            self.connection.execute(statement)
        self.connection.execute("ANALYZE")
        return check_areas(self.connection)


def check_areas(connection: psycopg.Connection) -> AreaCheck:
    """Every parcel's stored hectares against ``ST_Area(geom::geography) / 10000``; a
    parcel outside :data:`AREA_TOLERANCE_RELATIVE` plus :data:`AREA_TOLERANCE_HA` refuses
    (the copy is undone and the parcel named)."""
    rows = connection.execute(
        f"SELECT parcel_id, hectares, ST_Area(geom::geography) / 10000.0 "
        f"FROM {quoted(PARCELS.name)} ORDER BY fid").fetchall()
    if not rows:
        return AreaCheck(0, 0.0, None, 0.0, None, 0.0)
    ours = np.array([r[1] for r in rows], dtype=float)
    theirs = np.array([r[2] for r in rows], dtype=float)
    difference = np.abs(ours - theirs)
    relative = difference / np.maximum(theirs, np.finfo(float).tiny)
    share = difference / (AREA_TOLERANCE_RELATIVE * theirs + AREA_TOLERANCE_HA)
    worst = int(np.argmax(share))
    if share[worst] > 1:
        raise _refuse(
            "copy_areas_disagree", parcel=rows[worst][0], ours=f"{ours[worst]:.6f}",
            theirs=f"{theirs[worst]:.6f}", relative=f"{relative[worst]:.1e}",
            tolerance=f"{AREA_TOLERANCE_RELATIVE:.0e}", floor=f"{AREA_TOLERANCE_HA:.0e}",
            count=int((share > 1).sum()))
    most_ha, most_relative = int(np.argmax(difference)), int(np.argmax(relative))
    return AreaCheck(len(rows), float(difference[most_ha]), str(rows[most_ha][0]),
                     float(relative[most_relative]), str(rows[most_relative][0]),
                     float(share[worst]))


# --- opening each side --------------------------------------------------------------------


def _connect(place: Place, *, read_only: bool) -> psycopg.Connection:
    import psycopg

    assert place.url is not None
    connection = connect(place.url, application_name="geo-app copy", refuse=_refuse)
    try:
        if read_only:
            # One snapshot for every table read (taken by the source's transaction).
            connection.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
            connection.read_only = True
        require_postgis(connection, place.url, _refuse)
    except BaseException:
        connection.close()
        raise
    return connection


@contextlib.contextmanager
def _opened_source(place: Place) -> Iterator[_Source]:
    if place.url is not None:
        connection = _connect(place, read_only=True)
        try:
            with connection.transaction():
                yield _PostgisSource(connection, place)
        finally:
            connection.close()
        return
    assert place.folder is not None
    if not (place.folder / FILE_NAME).is_file():
        raise _refuse("copy_no_source", path=str(place.folder), file=FILE_NAME)
    # Opening brings an older workspace up to this version (refusing a foreign file).
    workspace = Workspace.open(place.folder, seed=None)
    with WorkspaceFile(workspace.path).connected() as connection:
        # One read transaction: every table from the same moment, while others write.
        connection.execute("BEGIN")
        try:
            yield _GeoPackageSource(connection)
        finally:
            connection.rollback()


@contextlib.contextmanager
def _opened_target(place: Place, force: bool) -> Iterator[_Target]:
    if place.url is not None:
        connection = _connect(place, read_only=False)
        try:
            with connection.transaction():
                yield _PostgisTarget(connection, place, force)
        finally:
            connection.close()
        return
    assert place.folder is not None
    folder = place.folder
    made_folder = not folder.exists()
    made_file = not (folder / FILE_NAME).exists()
    workspace = Workspace.open(folder, seed=None)
    try:
        with WorkspaceFile(workspace.path).transaction() as connection:
            yield _GeoPackageTarget(connection, place, force)
    except BaseException:
        if made_file:
            # A copy that did not finish leaves no empty workspace behind.
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(f"{workspace.path}{suffix}").unlink(missing_ok=True)
            if made_folder:
                with contextlib.suppress(OSError):
                    folder.rmdir()
        raise


# --- the copy -----------------------------------------------------------------------------


@contextlib.contextmanager
def _failures_said(target: Place, *places: Place) -> Iterator[None]:
    """A database error on either side becomes a copy error naming the target, every
    URL's password masked; the target is left as it was (its transaction rolled back).
    Anything else unforeseen is said the same way, so no message can carry a password."""
    import psycopg

    try:
        yield
    except GeoAppError:
        raise
    except Exception as exc:
        reason = " ".join(str(exc).split())
        if not isinstance(exc, psycopg.Error | sqlite3.Error):
            reason = f"{type(exc).__name__}: {reason}"
        for one in places:
            if one.url is not None:
                reason = _scrubbed(reason, one.url)
        raise _refuse("copy_failed", target=target.shown, reason=reason) from None


def copy_workspace(source: str, target: str, *, force: bool = False) -> CopyReport:
    """Copy the whole workspace at ``source`` to ``target`` (folders or PostgreSQL URLs),
    in one transaction on the target; see the module's description."""
    origin, destination = place(source), place(target)
    if origin.same_as(destination):
        raise _refuse("copy_same_place", target=destination.shown)
    rows: dict[str, int] = {}
    # Said inside as well as around: inside, before a store's own handling renames it.
    with (
        _failures_said(destination, origin, destination),
        _opened_source(origin) as reader,
        _opened_target(destination, force) as writer,
        _failures_said(destination, origin, destination),
    ):
        for table in DATA_TABLES:
            rows[table.name] = writer.write(table, reader.rows(table))
        settings = reader.settings()
        writer.write_settings(settings)
        areas = writer.finish()
        replaced = writer.replaced
    return CopyReport(origin.shown, destination.shown, rows, len(settings), replaced, areas)
