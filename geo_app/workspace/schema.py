"""The workspace's tables: a GeoPackage ``parcels`` layer plus history, imports and settings.

A file made by another version of the program, or one that is not a workspace at all, is
refused rather than changed.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

from geo_app.workspace import gpkg
from geo_app.workspace.errors import refusal
from geo_app.workspace.records import utc_now

SCHEMA_VERSION = "6"
PARCELS_TABLE = "parcels"
HISTORY_TABLE = "parcel_history"
IMPORTS_TABLE = "import_batches"
META_TABLE = "workspace_meta"
REFERENCE_LAYERS_TABLE = "reference_layers"
REFERENCE_FEATURES_TABLE = "reference_features"
ACCOUNTS_TABLE = "accounts"
SIGN_INS_TABLE = "sign_ins"
# Parcel properties copied into their own columns so that QGIS users see them directly;
# the ``properties`` JSON stays the authority.
PROMOTED_FIELDS = ("name_zh", "name_en", "status", "use", "use_zh", "town", "quarter")
ACTIONS = ("insert", "update", "delete", "import", "restore")

# GeoPackage attribute tables need an INTEGER primary key (Req 119); the key is unique.
_META_SCHEMA = f"""CREATE TABLE {META_TABLE} (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    key TEXT NOT NULL UNIQUE,
    value TEXT NOT NULL)"""

_SCHEMA = (
    f"""CREATE TABLE {PARCELS_TABLE} (
        fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
        geom MULTIPOLYGON NOT NULL,
        parcel_id TEXT NOT NULL UNIQUE,
        version INTEGER NOT NULL CHECK (version >= 1),
        name_zh TEXT, name_en TEXT, status TEXT, "use" TEXT, use_zh TEXT, town TEXT,
        quarter TEXT,
        sample INTEGER NOT NULL DEFAULT 0,
        hectares REAL NOT NULL,
        properties TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        updated_by TEXT NOT NULL)""",
    f"""CREATE TABLE {HISTORY_TABLE} (
        id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
        at TEXT NOT NULL,
        user TEXT NOT NULL,
        action TEXT NOT NULL CHECK (action IN {ACTIONS!r}),
        parcel_id TEXT NOT NULL,
        batch_id INTEGER,
        version_before INTEGER,
        version_after INTEGER,
        before_properties TEXT,
        before_wkb BLOB,
        after_properties TEXT,
        after_wkb BLOB)""",
    f"CREATE INDEX {HISTORY_TABLE}_by_parcel ON {HISTORY_TABLE} (parcel_id, id)",
    f"""CREATE TABLE {IMPORTS_TABLE} (
        id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
        at TEXT NOT NULL,
        user TEXT NOT NULL,
        source TEXT NOT NULL,
        format TEXT,
        crs TEXT,
        parcel_count INTEGER NOT NULL,
        removed_count INTEGER NOT NULL,
        hectares REAL NOT NULL,
        sample INTEGER NOT NULL,
        undoes INTEGER,
        undone_by INTEGER)""",
    _META_SCHEMA,
)

# Version 3: reference layers (control lines and land use). A layer's features never change
# once loaded; a new file of the same name is a new layer that ``replaces`` the old one,
# which stays stored (``active`` 0) so it can be restored.
_REFERENCE_SCHEMA = (
    f"""CREATE TABLE {REFERENCE_LAYERS_TABLE} (
        id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
        kind TEXT NOT NULL,
        name TEXT NOT NULL,
        source TEXT NOT NULL,
        format TEXT,
        crs TEXT,
        class_field TEXT,
        feature_count INTEGER NOT NULL,
        hectares REAL NOT NULL,
        loaded_at TEXT NOT NULL,
        loaded_by TEXT NOT NULL,
        active INTEGER NOT NULL CHECK (active IN (0, 1)),
        replaces INTEGER,
        ended_at TEXT,
        ended_by TEXT)""",
    f"""CREATE TABLE {REFERENCE_FEATURES_TABLE} (
        fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
        geom MULTIPOLYGON NOT NULL,
        layer_id INTEGER NOT NULL REFERENCES {REFERENCE_LAYERS_TABLE} (id),
        class TEXT,
        hectares REAL NOT NULL,
        min_x REAL NOT NULL, max_x REAL NOT NULL, min_y REAL NOT NULL, max_y REAL NOT NULL,
        properties TEXT NOT NULL)""",
    f"CREATE INDEX {REFERENCE_FEATURES_TABLE}_by_layer ON {REFERENCE_FEATURES_TABLE} "
    "(layer_id, min_x)",
)


# Version 5: accounts for a shared workspace (sign-in and roles) and every sign-in attempt,
# kept in the workspace so that every app server on it shares them.
_ACCOUNT_SCHEMA = (
    f"""CREATE TABLE {ACCOUNTS_TABLE} (
        id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
        name TEXT NOT NULL UNIQUE,
        role TEXT NOT NULL,
        password_hash TEXT,
        disabled INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
        created_at TEXT NOT NULL,
        created_by TEXT NOT NULL,
        changed_at TEXT NOT NULL,
        changed_by TEXT NOT NULL)""",
    f"""CREATE TABLE {SIGN_INS_TABLE} (
        id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
        at TEXT NOT NULL,
        name TEXT NOT NULL,
        source TEXT NOT NULL,
        outcome TEXT NOT NULL)""",
    f"CREATE INDEX {SIGN_INS_TABLE}_by_name ON {SIGN_INS_TABLE} (name, at)",
)


# Each step brings a workspace of one version to the next, inside the caller's transaction.
# Only tables and columns are added, so an older workspace keeps every row.


def _add_undo_columns(connection: sqlite3.Connection) -> None:
    """Version 2: an import batch can be undone in one step. The undo is a batch of its own
    (``undoes`` names the batch it took back) and the batch it took back says so
    (``undone_by``)."""
    connection.execute(f"ALTER TABLE {IMPORTS_TABLE} ADD COLUMN undoes INTEGER")
    connection.execute(f"ALTER TABLE {IMPORTS_TABLE} ADD COLUMN undone_by INTEGER")


def _create_references(connection: sqlite3.Connection) -> None:
    """Version 3: the reference-layer tables."""
    for statement in _REFERENCE_SCHEMA:
        connection.execute(statement)
    gpkg.register_features(
        connection, REFERENCE_FEATURES_TABLE, "geom", "MULTIPOLYGON",
        "reference layers: control lines and land use (layer_id names the layer)",
    )
    gpkg.register_attributes(connection, REFERENCE_LAYERS_TABLE, "loaded reference layers")


def _meta_with_integer_key(connection: sqlite3.Connection) -> None:
    """Version 4: the settings table gets an INTEGER primary key, as the GeoPackage standard
    requires of attribute tables (versions up to 3 keyed it by TEXT and failed GDAL's
    validator); its rows are copied over unchanged."""
    connection.execute(f"ALTER TABLE {META_TABLE} RENAME TO {META_TABLE}_old")
    connection.execute(_META_SCHEMA)
    connection.execute(
        f"INSERT INTO {META_TABLE} (key, value) SELECT key, value FROM {META_TABLE}_old"
    )
    connection.execute(f"DROP TABLE {META_TABLE}_old")


def _create_accounts(connection: sqlite3.Connection) -> None:
    """Version 5: accounts and sign-in attempts."""
    for statement in _ACCOUNT_SCHEMA:
        connection.execute(statement)
    gpkg.register_attributes(connection, ACCOUNTS_TABLE, "accounts and their roles")
    gpkg.register_attributes(connection, SIGN_INS_TABLE, "sign-in attempts")


def _add_group_index(connection: sqlite3.Connection) -> None:
    """Version 6: an index holding every column the land-supply totals group and sum by,
    so they are read from the index alone, already in group order (about 0.3 s to 0.06 s
    for 100,000 parcels)."""
    connection.execute(
        f"CREATE INDEX {PARCELS_TABLE}_by_group ON {PARCELS_TABLE} "
        '(status, town, "use", use_zh, quarter, hectares, sample)'
    )


# Stored version -> (the step, the version it gives).
_MIGRATIONS: dict[str, tuple[Callable[[sqlite3.Connection], None], str]] = {
    "1": (_add_undo_columns, "2"),
    "2": (_create_references, "3"),
    "3": (_meta_with_integer_key, "4"),
    "4": (_create_accounts, "5"),
    "5": (_add_group_index, "6"),
}


def _stored_version(connection: sqlite3.Connection) -> str | None:
    row = connection.execute(
        f"SELECT value FROM {META_TABLE} WHERE key = 'schema_version'"
    ).fetchone()
    return None if row is None else row[0]


def is_ready(connection: sqlite3.Connection) -> bool:
    """True when the file already is a workspace of this version, in WAL mode."""
    try:
        version = _stored_version(connection)
    except sqlite3.OperationalError:
        return False  # no such table: a new (or foreign) file, looked at under the lock
    mode = connection.execute("PRAGMA journal_mode").fetchone()[0]
    return version == SCHEMA_VERSION and mode == "wal"


def create_if_new(connection: sqlite3.Connection, path: Path) -> bool:
    """Make the tables in an empty file (True); accept a workspace of this version (False);
    refuse anything else."""
    tables = {row[0] for row in connection.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table'")}
    if META_TABLE in tables:
        stored = _stored_version(connection)
        if stored in _MIGRATIONS:
            _migrate(connection, stored)
        elif stored != SCHEMA_VERSION:
            raise refusal("workspace_version", path=path)
        return False
    if tables:
        raise refusal("not_a_workspace", path=path)
    gpkg.create_core_tables(connection)
    for statement in _SCHEMA:
        connection.execute(statement)
    gpkg.register_features(
        connection, PARCELS_TABLE, "geom", "MULTIPOLYGON", "land-supply parcels"
    )
    _create_references(connection)
    _create_accounts(connection)
    _add_group_index(connection)
    gpkg.register_attributes(connection, HISTORY_TABLE, "every change to a parcel")
    gpkg.register_attributes(connection, IMPORTS_TABLE, "imported files")
    gpkg.register_attributes(connection, META_TABLE, "workspace settings")
    connection.executemany(
        f"INSERT INTO {META_TABLE} (key, value) VALUES (?, ?)",
        [("schema_version", SCHEMA_VERSION), ("created_at", utc_now())],
    )
    return True


def _migrate(connection: sqlite3.Connection, stored: str) -> None:
    """Bring an older workspace up to this version inside the caller's transaction, so a
    failed migration leaves the file as it was."""
    while stored != SCHEMA_VERSION:
        step, stored = _MIGRATIONS[stored]
        step(connection)
    connection.execute(
        f"UPDATE {META_TABLE} SET value = ? WHERE key = 'schema_version'", (SCHEMA_VERSION,)
    )

