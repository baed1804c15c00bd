"""The planner's workspace: land-supply parcels in a GeoPackage that never loses an edit.

One file, ``workspace.gpkg``, in a data directory outside the repository (``--workspace``,
else ``GEO_APP_DATA``, else the per-user data folder). It is a valid GeoPackage (QGIS and
GDAL open the ``parcels`` layer), written row by row through SQLite so that:

* every change is one transaction (an import adds all of a file's parcels or none) and is
  durable once the call returns (WAL journal, ``synchronous = FULL``);
* every change is recorded in ``parcel_history`` with who, when, and the parcel before and
  after, so any earlier version can be restored;
* each parcel carries a ``version``; an update or delete made against an older version
  raises :class:`StaleEditError` instead of overwriting someone else's edit.

On first use the workspace is seeded with the shipped sample parcels, marked as samples;
the first import of real parcels removes them (recorded, so they can be restored).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import math
import os
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from geo_app import gpkg
from geo_app.problems import InputError, error

if TYPE_CHECKING:
    import geopandas as gpd

DATA_ENV = "GEO_APP_DATA"
APP_DIR_NAME = "shuangyang-geo-app"
FILE_NAME = "workspace.gpkg"
SCHEMA_VERSION = "1"
PARCELS_TABLE = "parcels"
HISTORY_TABLE = "parcel_history"
IMPORTS_TABLE = "import_batches"
META_TABLE = "workspace_meta"
# Parcel properties copied into their own columns so that QGIS users see them directly;
# the ``properties`` JSON stays the authority.
PROMOTED_FIELDS = ("name_zh", "name_en", "status", "use", "use_zh", "town", "quarter")
SAMPLE_USER = "sample"
BUSY_TIMEOUT_S = 30.0
MAX_USER_CHARS = 100
ACTIONS = ("insert", "update", "delete", "import", "restore")


# --- errors ---------------------------------------------------------------------------------


class WorkspaceError(InputError):
    """The workspace cannot be used, or a change to it is refused; ``problem`` says why."""


def _refusal(code: str, zh: str, en: str, feature: str | None = None) -> WorkspaceError:
    return WorkspaceError(error(code, zh, en, feature))


class StaleEditError(WorkspaceError):
    """The parcel changed since the version the edit was made on."""

    def __init__(self, parcel_id: str, expected: int, current: int | None):
        self.parcel_id, self.expected, self.current = parcel_id, expected, current
        if current is None:
            zh = f"编辑基于第 {expected} 版，但该地块已被他人删除；请刷新后再改"
            en = f"the edit was made on version {expected}, but the parcel has since been deleted"
            en += "; reload and try again"
        else:
            zh = (
                f"编辑基于第 {expected} 版，但该地块已被他人改为第 {current} 版；"
                "未覆盖，请刷新后再改"
            )
            en = (
                f"the edit was made on version {expected}, but the parcel is now at version "
                f"{current} (changed by someone else); nothing was overwritten, reload and "
                "try again"
            )
        super().__init__(error("stale_edit", zh, en, parcel_id))


class ParcelNotFoundError(WorkspaceError):
    def __init__(self, parcel_id: str, version: int | None = None):
        if version is None:
            problem = error("no_such_parcel", "工作区中没有这个地块", "no such parcel in the "
                            "workspace", parcel_id)
        else:
            problem = error(
                "no_such_version",
                f"没有第 {version} 版的记录",
                f"there is no recorded version {version}",
                parcel_id,
            )
        super().__init__(problem)


class DuplicateParcelError(WorkspaceError):
    def __init__(self, parcel_ids: Sequence[str], replace_hint: bool = True):
        listed = ", ".join(parcel_ids[:10]) + (" …" if len(parcel_ids) > 10 else "")
        hint_zh = "；如要用文件整体替换工作区中的地块，请加 --replace" if replace_hint else ""
        hint_en = "; to replace the workspace's parcels with the file, add --replace"
        super().__init__(
            error(
                "parcel_exists",
                f"工作区中已有这些地块编号：{listed}{hint_zh}",
                f"the workspace already has parcels with these ids: {listed}"
                + (hint_en if replace_hint else ""),
            )
        )
        self.parcel_ids = list(parcel_ids)


# --- where the workspace lives --------------------------------------------------------------


def default_data_dir(environ: Mapping[str, str] = os.environ) -> Path:
    """The per-user data folder (XDG base directories)."""
    base = environ.get("XDG_DATA_HOME", "").strip()
    root = Path(base) if base else Path.home() / ".local" / "share"
    return root / APP_DIR_NAME


def configured_data_dir(
    explicit: str | Path | None = None, environ: Mapping[str, str] = os.environ
) -> Path | None:
    """``--workspace`` when given, else ``GEO_APP_DATA`` when set, else None."""
    if explicit is not None and str(explicit).strip():
        return Path(explicit).expanduser()
    value = environ.get(DATA_ENV, "").strip()
    return Path(value).expanduser() if value else None


def resolve_data_dir(
    explicit: str | Path | None = None, environ: Mapping[str, str] = os.environ
) -> Path:
    return configured_data_dir(explicit, environ) or default_data_dir(environ)


# --- what is stored --------------------------------------------------------------------------


@dataclass(frozen=True)
class NewParcel:
    parcel_id: str
    properties: Mapping[str, Any]
    geometry: BaseGeometry


@dataclass(frozen=True)
class Parcel:
    parcel_id: str
    version: int
    properties: dict[str, Any]
    geometry: BaseGeometry
    updated_at: str
    updated_by: str

    @property
    def sample(self) -> bool:
        return self.properties.get("sample") is True


@dataclass(frozen=True)
class HistoryEntry:
    id: int
    at: str
    user: str
    action: str
    parcel_id: str
    batch_id: int | None
    version_before: int | None
    version_after: int | None
    before_properties: dict[str, Any] | None
    before_geometry: BaseGeometry | None
    after_properties: dict[str, Any] | None
    after_geometry: BaseGeometry | None


@dataclass(frozen=True)
class ImportOutcome:
    batch_id: int
    added: tuple[str, ...]
    # Parcels taken out by this import: the samples, or everything under ``replace``.
    removed: tuple[str, ...]
    removed_samples: bool
    hectares_added: float
    hectares_removed: float


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _plain_value(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or isinstance(value, bool | str | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    # pandas' NA and NaT, and anything else: text keeps it readable and never executable.
    text = str(value)
    return None if text in ("<NA>", "NaT", "nan") else text


def clean_properties(properties: Mapping[str, Any], parcel_id: str) -> dict[str, Any]:
    """JSON-safe attribute values; the ``id`` property is always the parcel id."""
    cleaned = {str(key): _plain_value(value) for key, value in properties.items()}
    cleaned["id"] = parcel_id
    return cleaned


def _as_multipolygon(geometry: BaseGeometry, parcel_id: str) -> BaseGeometry:
    kind = geometry.geom_type if geometry is not None else None
    if kind == "Polygon":
        return shapely.MultiPolygon([geometry])
    if kind == "MultiPolygon":
        return geometry
    if kind == "GeometryCollection":
        parts = [p for p in shapely.get_parts(geometry) if p.geom_type == "Polygon"]
        if parts and len(parts) == len(shapely.get_parts(geometry)):
            return shapely.MultiPolygon(parts)
    raise _refusal(
        "not_polygon",
        "地块必须是多边形",
        "a parcel must be a polygon",
        parcel_id,
    )


def _checked_geometry(geometry: BaseGeometry, parcel_id: str) -> BaseGeometry:
    """Only usable parcels enter the workspace: polygonal, lon/lat, valid, non-empty."""
    multi = _as_multipolygon(geometry, parcel_id)
    if multi.is_empty:
        raise _refusal("empty_geometry", "几何是空的", "the geometry is empty", parcel_id)
    coords = shapely.get_coordinates(multi)
    if not np.isfinite(coords).all() or (np.abs(coords[:, 0]) > 180).any() or (
        np.abs(coords[:, 1]) > 90
    ).any():
        raise _refusal(
            "out_of_range",
            "坐标不是有效的经纬度",
            "the coordinates are not valid longitude/latitude",
            parcel_id,
        )
    if not multi.is_valid:
        raise _refusal(
            "invalid_geometry",
            f"几何无效（{shapely.is_valid_reason(multi)}）",
            f"the geometry is invalid ({shapely.is_valid_reason(multi)})",
            parcel_id,
        )
    return multi


def _checked_id(parcel_id: Any) -> str:
    text = str(parcel_id).strip() if parcel_id is not None else ""
    if not text:
        raise _refusal("missing_id", "地块缺少编号", "the parcel has no id")
    return text


def _checked_user(user: str) -> str:
    name = (user or "").strip()
    if not name:
        raise _refusal("missing_user", "请给出修改人姓名", "a user name is required")
    return name[:MAX_USER_CHARS]


def _checked_new(parcel: NewParcel) -> NewParcel:
    parcel_id = _checked_id(parcel.parcel_id)
    return NewParcel(
        parcel_id,
        clean_properties(parcel.properties, parcel_id),
        _checked_geometry(parcel.geometry, parcel_id),
    )


def _hectares(geometry: BaseGeometry) -> float:
    from geo_app.geodesy import hectares

    return float(hectares([geometry])[0])


# --- the schema -------------------------------------------------------------------------------

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
        sample INTEGER NOT NULL)""",
    f"CREATE TABLE {META_TABLE} (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL)",
)

SeedLoader = Callable[[], list[NewParcel]]


def sample_parcels() -> list[NewParcel]:
    """The shipped sample parcels (the layer that measures the plan's land-supply target)."""
    from geo_app.catalog import load_layer_geojson
    from geo_app.ledger import plan_target

    collection = load_layer_geojson(plan_target().layer_id)
    parcels = []
    for feature in collection["features"]:
        properties = dict(feature["properties"])
        properties["sample"] = True
        geometry = shapely.geometry.shape(feature["geometry"])
        parcels.append(NewParcel(str(properties["id"]), properties, geometry))
    return parcels


# --- the workspace ----------------------------------------------------------------------------


class Workspace:
    """Parcels and their history in one GeoPackage; each method is one transaction.

    Every call opens its own short connection, so one ``Workspace`` may be shared by
    threads, and any number of processes may use the same file at once.
    """

    def __init__(self, path: Path, busy_timeout_s: float = BUSY_TIMEOUT_S):
        self.path = path
        self.busy_timeout_s = busy_timeout_s

    @classmethod
    def open(
        cls,
        data_dir: str | Path,
        *,
        seed: SeedLoader | None = sample_parcels,
        busy_timeout_s: float = BUSY_TIMEOUT_S,
    ) -> Workspace:
        """The workspace in ``data_dir``, created (and seeded with ``seed``) on first use."""
        directory = Path(data_dir)
        if directory.exists() and not directory.is_dir():
            raise _refusal(
                "workspace_not_folder",
                f"工作区 {directory} 不是文件夹",
                f"the workspace {directory} is not a folder",
            )
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise _refusal(
                "workspace_unwritable",
                f"无法创建工作区文件夹 {directory}：{exc.strerror}",
                f"cannot create the workspace folder {directory}: {exc.strerror}",
            ) from None
        workspace = cls(directory / FILE_NAME, busy_timeout_s)
        workspace._initialise(seed)
        return workspace

    # -- connections and transactions

    def _connect(self) -> sqlite3.Connection:
        try:
            connection = sqlite3.connect(
                self.path,
                timeout=self.busy_timeout_s,
                isolation_level=None,
                check_same_thread=False,
            )
            connection.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout_s * 1000)}")
            connection.execute("PRAGMA synchronous = FULL")
        except sqlite3.Error as exc:
            raise self._unusable(exc) from None
        return connection

    def _unusable(self, exc: Exception) -> WorkspaceError:
        return _refusal(
            "workspace_unusable",
            f"无法打开工作区 {self.path}（{exc}）",
            f"cannot open the workspace {self.path} ({exc})",
        )

    @contextlib.contextmanager
    def _reading(self) -> Iterator[sqlite3.Connection]:
        connection = self._connect()
        try:
            yield connection
        except sqlite3.DatabaseError as exc:
            raise self._unusable(exc) from None
        finally:
            connection.close()

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE takes the write lock up front, so two writers queue, never
        deadlock; any exception rolls the whole change back."""
        connection = self._connect()
        try:
            connection.execute("BEGIN IMMEDIATE")
            try:
                yield connection
            except BaseException:
                connection.rollback()
                raise
            connection.commit()
        except sqlite3.DatabaseError as exc:
            raise self._unusable(exc) from None
        finally:
            connection.close()

    def _initialise(self, seed: SeedLoader | None) -> None:
        connection = self._connect()
        try:
            # An existing workspace is only read here: taking the write lock on every open
            # would queue each reader behind whoever is writing.
            if self._ready(connection):
                return
            # Also turns a workspace copied in from elsewhere back to WAL.
            connection.execute("PRAGMA journal_mode = WAL").fetchone()
            connection.execute("BEGIN IMMEDIATE")
            try:
                self._create_if_new(connection, seed)
            except BaseException:
                connection.rollback()
                raise
            connection.commit()
        except sqlite3.DatabaseError as exc:
            raise self._unusable(exc) from None
        finally:
            connection.close()

    def _ready(self, connection: sqlite3.Connection) -> bool:
        try:
            version = connection.execute(
                f"SELECT value FROM {META_TABLE} WHERE key = 'schema_version'").fetchone()
        except sqlite3.OperationalError:
            return False  # no such table: a new (or foreign) file, looked at under the lock
        mode = connection.execute("PRAGMA journal_mode").fetchone()[0]
        return version is not None and version[0] == SCHEMA_VERSION and mode == "wal"

    def _create_if_new(self, connection: sqlite3.Connection, seed: SeedLoader | None) -> None:
        tables = {row[0] for row in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'")}
        if META_TABLE in tables:
            version = connection.execute(
                f"SELECT value FROM {META_TABLE} WHERE key = 'schema_version'").fetchone()
            if version is None or version[0] != SCHEMA_VERSION:
                raise _refusal(
                    "workspace_version",
                    f"工作区 {self.path} 来自不同版本的程序，无法使用",
                    f"the workspace {self.path} was made by a different version of the program",
                )
            return
        if tables:
            raise _refusal(
                "not_a_workspace",
                f"{self.path} 已存在，但不是本程序的工作区；请换一个文件夹",
                f"{self.path} exists but is not a workspace of this program; choose another folder",
            )
        gpkg.create_core_tables(connection)
        for statement in _SCHEMA:
            connection.execute(statement)
        gpkg.register_features(
            connection, PARCELS_TABLE, "geom", "MULTIPOLYGON", "land-supply parcels"
        )
        gpkg.register_attributes(connection, HISTORY_TABLE, "every change to a parcel")
        gpkg.register_attributes(connection, IMPORTS_TABLE, "imported files")
        gpkg.register_attributes(connection, META_TABLE, "workspace settings")
        connection.executemany(
            f"INSERT INTO {META_TABLE} VALUES (?, ?)",
            [("schema_version", SCHEMA_VERSION), ("created_at", _now())],
        )
        if seed is not None:
            parcels = seed()
            if parcels:
                checked = [_checked_new(p) for p in parcels]
                self._import(connection, checked, SAMPLE_USER, "sample parcels", "GeoJSON",
                             "wgs84", replace=False)
                _touch(connection, [p.geometry for p in checked])

    # -- reading

    def parcels(self) -> list[Parcel]:
        with self._reading() as connection:
            rows = connection.execute(
                f"SELECT parcel_id, version, properties, geom, updated_at, updated_by "
                f"FROM {PARCELS_TABLE} ORDER BY fid"
            ).fetchall()
        return [_parcel(row) for row in rows]

    def parcel(self, parcel_id: str) -> Parcel:
        with self._reading() as connection:
            row = _parcel_row(connection, parcel_id)
        if row is None:
            raise ParcelNotFoundError(parcel_id)
        return _parcel(row)

    def count(self) -> int:
        with self._reading() as connection:
            return int(connection.execute(f"SELECT count(*) FROM {PARCELS_TABLE}").fetchone()[0])

    def holds_only_samples(self) -> bool:
        with self._reading() as connection:
            total, samples = connection.execute(
                f"SELECT count(*), coalesce(sum(sample), 0) FROM {PARCELS_TABLE}"
            ).fetchone()
        return total > 0 and total == samples

    def frame(self) -> gpd.GeoDataFrame:
        """The parcels as a GeoDataFrame (EPSG:4326): properties as columns, file order."""
        import geopandas as gpd
        import pandas as pd

        parcels = self.parcels()
        records = pd.DataFrame.from_records(
            [p.properties for p in parcels], index=range(len(parcels))
        )
        if "geometry" in records.columns:
            records = records.rename(columns={"geometry": "geometry_property"})
        # The ledger sums by these; a workspace whose files never named them still has them.
        for name in ("id", *PROMOTED_FIELDS):
            if name not in records.columns:
                records[name] = None
        return gpd.GeoDataFrame(
            records, geometry=[p.geometry for p in parcels], crs="EPSG:4326"
        )

    def history(self, parcel_id: str | None = None, limit: int | None = None) -> list[
        HistoryEntry
    ]:
        """Changes, newest first; all parcels or one."""
        query = f"SELECT * FROM {HISTORY_TABLE}"
        params: list[Any] = []
        if parcel_id is not None:
            query += " WHERE parcel_id = ?"
            params.append(parcel_id)
        query += " ORDER BY id DESC"
        if limit is not None:
            query += " LIMIT ?"
            params.append(int(limit))
        with self._reading() as connection:
            rows = connection.execute(query, params).fetchall()
        return [_history_entry(row) for row in rows]

    def imports(self) -> list[dict[str, Any]]:
        with self._reading() as connection:
            connection.row_factory = sqlite3.Row
            rows = connection.execute(f"SELECT * FROM {IMPORTS_TABLE} ORDER BY id").fetchall()
        return [dict(row) for row in rows]

    # -- changing

    def insert(
        self, parcel_id: str, properties: Mapping[str, Any], geometry: BaseGeometry, user: str
    ) -> Parcel:
        parcel_id, user = _checked_id(parcel_id), _checked_user(user)
        props = clean_properties(properties, parcel_id)
        geometry = _checked_geometry(geometry, parcel_id)
        with self._transaction() as connection:
            if _parcel_row(connection, parcel_id) is not None:
                raise DuplicateParcelError([parcel_id], replace_hint=False)
            version = _next_version(connection, parcel_id)
            _write_parcel(connection, parcel_id, version, props, geometry, user, insert=True)
            _record(connection, user, "insert", parcel_id, None, None, (version, props, geometry))
            _touch(connection, [geometry])
        return self.parcel(parcel_id)

    def update(
        self,
        parcel_id: str,
        expected_version: int,
        user: str,
        *,
        properties: Mapping[str, Any] | None = None,
        geometry: BaseGeometry | None = None,
    ) -> Parcel:
        """Replace the properties and/or geometry of the parcel at ``expected_version``."""
        user = _checked_user(user)
        if geometry is not None:
            geometry = _checked_geometry(geometry, parcel_id)
        with self._transaction() as connection:
            current = _current(connection, parcel_id, expected_version)
            props = (
                clean_properties(properties, parcel_id)
                if properties is not None
                else current.properties
            )
            geom = geometry if geometry is not None else current.geometry
            version = current.version + 1
            _write_parcel(connection, parcel_id, version, props, geom, user, insert=False)
            _record(
                connection,
                user,
                "update",
                parcel_id,
                None,
                (current.version, current.properties, current.geometry),
                (version, props, geom),
            )
            _touch(connection, [geom])
        return self.parcel(parcel_id)

    def delete(self, parcel_id: str, expected_version: int, user: str) -> None:
        user = _checked_user(user)
        with self._transaction() as connection:
            current = _current(connection, parcel_id, expected_version)
            _delete_parcel(connection, current, user, None)
            _touch(connection)

    def restore(
        self, parcel_id: str, version: int, user: str, expected_version: int | None = None
    ) -> Parcel:
        """Make ``version`` of the parcel current again, as a new version.

        When the parcel exists and ``expected_version`` is given, the parcel must still be
        at that version; a deleted parcel comes back.
        """
        user = _checked_user(user)
        with self._transaction() as connection:
            state = connection.execute(
                f"SELECT after_properties, after_wkb FROM {HISTORY_TABLE} "
                "WHERE parcel_id = ? AND version_after = ? ORDER BY id DESC LIMIT 1",
                (parcel_id, int(version)),
            ).fetchone()
            if state is None or state[0] is None:
                raise ParcelNotFoundError(parcel_id, version)
            props, geom = json.loads(state[0]), shapely.from_wkb(state[1])
            self._put_back(connection, parcel_id, props, geom, user, expected_version)
            _touch(connection, [geom])
        return self.parcel(parcel_id)

    def undo_last(self, parcel_id: str, user: str, expected_version: int | None = None) -> (
        Parcel | None
    ):
        """Undo the parcel's latest change: back to the state before it (None: removed)."""
        user = _checked_user(user)
        with self._transaction() as connection:
            last = connection.execute(
                f"SELECT before_properties, before_wkb FROM {HISTORY_TABLE} "
                "WHERE parcel_id = ? ORDER BY id DESC LIMIT 1",
                (parcel_id,),
            ).fetchone()
            if last is None:
                raise ParcelNotFoundError(parcel_id)
            before_props, before_wkb = last
            if before_props is None:
                current = _current(connection, parcel_id, expected_version)
                _delete_parcel(connection, current, user, None)
                _touch(connection)
                return None
            geom = shapely.from_wkb(before_wkb)
            self._put_back(
                connection, parcel_id, json.loads(before_props), geom, user, expected_version
            )
            _touch(connection, [geom])
        return self.parcel(parcel_id)

    @staticmethod
    def _put_back(
        connection: sqlite3.Connection,
        parcel_id: str,
        props: dict[str, Any],
        geom: BaseGeometry,
        user: str,
        expected_version: int | None,
    ) -> None:
        row = _parcel_row(connection, parcel_id)
        if row is None:
            if expected_version is not None:
                raise StaleEditError(parcel_id, expected_version, None)
            version = _next_version(connection, parcel_id)
            _write_parcel(connection, parcel_id, version, props, geom, user, insert=True)
            _record(connection, user, "restore", parcel_id, None, None, (version, props, geom))
            return
        current = _current(connection, parcel_id, expected_version)
        version = current.version + 1
        _write_parcel(connection, parcel_id, version, props, geom, user, insert=False)
        _record(
            connection,
            user,
            "restore",
            parcel_id,
            None,
            (current.version, current.properties, current.geometry),
            (version, props, geom),
        )

    def import_parcels(
        self,
        parcels: Sequence[NewParcel],
        user: str,
        source: str,
        *,
        format_name: str = "",
        crs: str = "",
        replace: bool = False,
    ) -> ImportOutcome:
        """Add all of ``parcels`` or none; sample parcels make way for real ones.

        Without ``replace`` an id already in the workspace refuses the whole import; with
        it, the workspace's parcels are replaced by the file's. Either way every removal is
        in the history and can be restored.
        """
        user = _checked_user(user)
        checked = [_checked_new(p) for p in parcels]
        with self._transaction() as connection:
            outcome = self._import(
                connection, checked, user, source, format_name, crs, replace=replace
            )
            _touch(connection, [p.geometry for p in checked])
        return outcome

    def _import(
        self,
        connection: sqlite3.Connection,
        parcels: Sequence[NewParcel],
        user: str,
        source: str,
        format_name: str,
        crs: str,
        *,
        replace: bool,
    ) -> ImportOutcome:
        ids = [p.parcel_id for p in parcels]
        repeated = sorted({i for i in ids if ids.count(i) > 1}) if len(set(ids)) < len(ids) else []
        if repeated:
            raise DuplicateParcelError(repeated, replace_hint=False)
        batch_sample = bool(parcels) and all(p.properties.get("sample") is True for p in parcels)
        existing = connection.execute(
            f"SELECT parcel_id, sample FROM {PARCELS_TABLE} ORDER BY fid"
        ).fetchall()
        only_samples = bool(existing) and all(sample for _, sample in existing)
        if replace:
            leaving_ids = [parcel_id for parcel_id, _ in existing]
        elif not batch_sample:
            leaving_ids = [parcel_id for parcel_id, sample in existing if sample]
        else:
            leaving_ids = []
        staying = {parcel_id for parcel_id, _ in existing} - set(leaving_ids)
        clashes = [parcel_id for parcel_id in ids if parcel_id in staying]
        if clashes:
            raise DuplicateParcelError(clashes)
        leaving = [_parcel(_parcel_row(connection, parcel_id)) for parcel_id in leaving_ids]
        added_ha = sum(_hectares(p.geometry) for p in parcels)
        removed_ha = sum(_hectares(p.geometry) for p in leaving)
        cursor = connection.execute(
            f"INSERT INTO {IMPORTS_TABLE} (at, user, source, format, crs, parcel_count, "
            "removed_count, hectares, sample) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (_now(), user, source, format_name, crs, len(parcels), len(leaving), added_ha,
             int(batch_sample)),
        )
        batch = int(cursor.lastrowid)
        for gone in leaving:
            _delete_parcel(connection, gone, user, batch)
        for parcel in parcels:
            version = _next_version(connection, parcel.parcel_id)
            _write_parcel(connection, parcel.parcel_id, version, dict(parcel.properties),
                          parcel.geometry, user, insert=True)
            _record(connection, user, "import", parcel.parcel_id, batch, None,
                    (version, dict(parcel.properties), parcel.geometry))
        return ImportOutcome(
            batch_id=batch,
            added=tuple(ids),
            removed=tuple(leaving_ids),
            removed_samples=bool(leaving) and (only_samples or not replace),
            hectares_added=added_ha,
            hectares_removed=removed_ha,
        )

    # -- health

    def integrity_check(self) -> str:
        with self._reading() as connection:
            return str(connection.execute("PRAGMA integrity_check").fetchone()[0])


# --- row helpers (inside a transaction) ---------------------------------------------------------


def _parcel_row(connection: sqlite3.Connection, parcel_id: str) -> tuple | None:
    return connection.execute(
        f"SELECT parcel_id, version, properties, geom, updated_at, updated_by "
        f"FROM {PARCELS_TABLE} WHERE parcel_id = ?",
        (parcel_id,),
    ).fetchone()


def _parcel(row: Sequence[Any]) -> Parcel:
    parcel_id, version, properties, blob, updated_at, updated_by = row
    return Parcel(
        parcel_id=parcel_id,
        version=int(version),
        properties=json.loads(properties),
        geometry=gpkg.geometry_from_blob(blob),
        updated_at=updated_at,
        updated_by=updated_by,
    )


def _current(
    connection: sqlite3.Connection, parcel_id: str, expected_version: int | None
) -> Parcel:
    row = _parcel_row(connection, parcel_id)
    if row is None:
        if expected_version is not None:
            raise StaleEditError(parcel_id, expected_version, None)
        raise ParcelNotFoundError(parcel_id)
    current = _parcel(row)
    if expected_version is not None and current.version != int(expected_version):
        raise StaleEditError(parcel_id, int(expected_version), current.version)
    return current


def _next_version(connection: sqlite3.Connection, parcel_id: str) -> int:
    """Versions never repeat for an id, even across delete and re-import."""
    last = connection.execute(
        f"SELECT max(coalesce(version_after, version_before)) FROM {HISTORY_TABLE} "
        "WHERE parcel_id = ?",
        (parcel_id,),
    ).fetchone()[0]
    return int(last or 0) + 1


def _write_parcel(
    connection: sqlite3.Connection,
    parcel_id: str,
    version: int,
    properties: dict[str, Any],
    geometry: BaseGeometry,
    user: str,
    *,
    insert: bool,
) -> None:
    promoted = [_text_or_none(properties.get(name)) for name in PROMOTED_FIELDS]
    values = (
        gpkg.geometry_blob(geometry),
        version,
        *promoted,
        int(properties.get("sample") is True),
        _hectares(geometry),
        json.dumps(properties, ensure_ascii=False),
        _now(),
        user,
    )
    columns = ("geom", "version", *PROMOTED_FIELDS, "sample", "hectares", "properties",
               "updated_at", "updated_by")
    quoted = ", ".join(f'"{c}"' for c in columns)
    if insert:
        connection.execute(
            f"INSERT INTO {PARCELS_TABLE} (parcel_id, {quoted}) "
            f"VALUES (?{', ?' * len(columns)})",
            (parcel_id, *values),
        )
    else:
        assignments = ", ".join(f'"{c}" = ?' for c in columns)
        connection.execute(
            f"UPDATE {PARCELS_TABLE} SET {assignments} WHERE parcel_id = ?",
            (*values, parcel_id),
        )


def _text_or_none(value: Any) -> str | None:
    return None if value is None else str(value)


def _delete_parcel(
    connection: sqlite3.Connection, current: Parcel, user: str, batch: int | None
) -> None:
    connection.execute(f"DELETE FROM {PARCELS_TABLE} WHERE parcel_id = ?", (current.parcel_id,))
    _record(
        connection,
        user,
        "delete",
        current.parcel_id,
        batch,
        (current.version, current.properties, current.geometry),
        None,
    )


State = tuple[int, dict[str, Any], BaseGeometry]


def _record(
    connection: sqlite3.Connection,
    user: str,
    action: str,
    parcel_id: str,
    batch: int | None,
    before: State | None,
    after: State | None,
) -> None:
    def parts(state: State | None) -> tuple[Any, Any, Any]:
        if state is None:
            return None, None, None
        version, props, geom = state
        return version, json.dumps(props, ensure_ascii=False), shapely.to_wkb(geom)

    before_version, before_props, before_wkb = parts(before)
    after_version, after_props, after_wkb = parts(after)
    connection.execute(
        f"INSERT INTO {HISTORY_TABLE} (at, user, action, parcel_id, batch_id, version_before, "
        "version_after, before_properties, before_wkb, after_properties, after_wkb) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (_now(), user, action, parcel_id, batch, before_version, after_version, before_props,
         before_wkb, after_props, after_wkb),
    )


def _touch(connection: sqlite3.Connection, added: Iterable[BaseGeometry] = ()) -> None:
    """Record the change, growing the stored extent to cover ``added`` geometries.

    The extent only grows (a deletion leaves it as it was): readers use it to zoom, and
    recomputing it would mean reading every parcel on every edit.
    """
    geoms = list(added)
    extent = None
    if geoms:
        stored = connection.execute(
            "SELECT min_x, min_y, max_x, max_y FROM gpkg_contents WHERE table_name = ?",
            (PARCELS_TABLE,),
        ).fetchone()
        bounds = [float(v) for v in shapely.total_bounds(geoms)]
        if stored is not None and None not in stored:
            bounds = [
                min(bounds[0], stored[0]),
                min(bounds[1], stored[1]),
                max(bounds[2], stored[2]),
                max(bounds[3], stored[3]),
            ]
        extent = tuple(bounds)
    gpkg.touch_contents(connection, PARCELS_TABLE, extent)


def _history_entry(row: Sequence[Any]) -> HistoryEntry:
    (entry_id, at, user, action, parcel_id, batch, v_before, v_after, before_props, before_wkb,
     after_props, after_wkb) = row
    return HistoryEntry(
        id=int(entry_id),
        at=at,
        user=user,
        action=action,
        parcel_id=parcel_id,
        batch_id=batch,
        version_before=v_before,
        version_after=v_after,
        before_properties=json.loads(before_props) if before_props is not None else None,
        before_geometry=shapely.from_wkb(before_wkb) if before_wkb is not None else None,
        after_properties=json.loads(after_props) if after_props is not None else None,
        after_geometry=shapely.from_wkb(after_wkb) if after_wkb is not None else None,
    )


def workspace_ledger(workspace: Workspace, target_ha: float | None = None) -> Any:
    """The land-supply ledger of the workspace's parcels against the plan target."""
    from geo_app.ledger import LandSupplyLedger, plan_target

    if target_ha is None:
        target_ha = plan_target().target_ha
    return LandSupplyLedger(
        workspace.frame(), target_ha, sample_data=workspace.holds_only_samples()
    )


