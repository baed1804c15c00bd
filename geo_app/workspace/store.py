"""The :class:`Workspace`: parcels and their history in one GeoPackage (or one PostGIS
database), one transaction per call. The pieces it is made of are in the sibling modules;
this is what callers use."""

from __future__ import annotations

import datetime as dt
import os
import secrets
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from shapely.geometry.base import BaseGeometry

from geo_app.atomic import atomic_path
from geo_app.workspace import accounts, history, references
from geo_app.workspace.accounts import Account
from geo_app.workspace.actors import OWNER, Actor
from geo_app.workspace.batches import import_batch
from geo_app.workspace.checks import (
    checked_geometry,
    checked_id,
    checked_many,
    checked_user,
    clean_properties,
)
from geo_app.workspace.connection import BUSY_TIMEOUT_S, WorkspaceFile
from geo_app.workspace.dialect import Connection
from geo_app.workspace.errors import DuplicateParcelError, ParcelNotFoundError, refusal
from geo_app.workspace.location import FILE_NAME, Place
from geo_app.workspace.parcels import (
    add_parcel,
    all_parcels,
    change_parcel,
    current,
    delete_parcel,
    parcel_from_row,
    parcel_row,
    touch,
)
from geo_app.workspace.postgis_store import PostgisDatabase
from geo_app.workspace.records import (
    HistoryEntry,
    ImportOutcome,
    NewParcel,
    Parcel,
    UndoOutcome,
)
from geo_app.workspace.references import NewReference, ReferenceFeatures, ReferenceLayer
from geo_app.workspace.restore import restore_version, undo_latest
from geo_app.workspace.schema import (
    IMPORTS_TABLE,
    META_TABLE,
    PARCELS_TABLE,
    PROMOTED_FIELDS,
    REFERENCE_FEATURES_TABLE,
)
from geo_app.workspace.seeding import SeedLoader, sample_parcels, seed
from geo_app.workspace.undo import undo_batch

if TYPE_CHECKING:
    import geopandas as gpd


class Workspace:
    """Parcels and their history in one GeoPackage (:meth:`open`) or one PostGIS database
    (:meth:`open_database`); each method is one transaction.

    Every call opens its own short connection, so one ``Workspace`` may be shared by
    threads, and any number of processes may use the same file or database at once.
    """

    def __init__(self, path: Path, busy_timeout_s: float = BUSY_TIMEOUT_S, actor: Actor = OWNER):
        self._store: WorkspaceFile | PostgisDatabase = WorkspaceFile(path, busy_timeout_s)
        self.actor = actor

    @classmethod
    def _on(cls, store: WorkspaceFile | PostgisDatabase, actor: Actor) -> Workspace:
        workspace = cls.__new__(cls)
        workspace._store, workspace.actor = store, actor
        return workspace

    def acting_as(self, actor: Actor) -> Workspace:
        """The same workspace, its changes checked against ``actor``'s role and recorded
        under ``actor``'s name (whatever name a caller passes)."""
        return Workspace._on(self._store, actor)

    def _by(self, action: str, user: str) -> str:
        """The name a change is recorded under, once the actor may do ``action``."""
        self.actor.require(action)
        return checked_user(user) if self.actor is OWNER else self.actor.name

    @property
    def path(self) -> Path:
        """The GeoPackage file; a workspace in PostGIS has none."""
        if not isinstance(self._store, WorkspaceFile):
            raise TypeError(f"the workspace {self.location} is a database, not a file")
        return self._store.path

    @property
    def location(self) -> str:
        """The file, or the database's URL with its password masked."""
        return self._store.shown

    @property
    def busy_timeout_s(self) -> float:
        return self._store.busy_timeout_s

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
            raise refusal("workspace_not_folder", path=directory)
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise refusal("workspace_unwritable", path=directory, reason=exc.strerror) from None
        workspace = cls(directory / FILE_NAME, busy_timeout_s)
        workspace._initialise(seed)
        return workspace

    @classmethod
    def at(
        cls,
        place: Place,
        *,
        seed: SeedLoader | None = sample_parcels,
        busy_timeout_s: float = BUSY_TIMEOUT_S,
    ) -> Workspace:
        """The workspace at ``place`` (:func:`~geo_app.workspace.location.configured_place`):
        its folder's GeoPackage or its PostGIS database."""
        if place.database_url is not None:
            return cls.open_database(place.database_url, seed=seed,
                                     busy_timeout_s=busy_timeout_s)
        assert place.folder is not None
        return cls.open(place.folder, seed=seed, busy_timeout_s=busy_timeout_s)

    @classmethod
    def open_database(
        cls,
        url: str,
        *,
        seed: SeedLoader | None = sample_parcels,
        busy_timeout_s: float = BUSY_TIMEOUT_S,
    ) -> Workspace:
        """The workspace in the PostGIS database at ``url`` (``postgresql://…``), its tables
        made (and seeded with ``seed``) on first use."""
        database = PostgisDatabase(url, busy_timeout_s)
        database.initialise(cls._creator(database, seed))
        return cls._on(database, OWNER)

    @staticmethod
    def _creator(store: WorkspaceFile | PostgisDatabase, loader: SeedLoader | None
                 ) -> Callable[[Any], None]:
        def create(connection: Any) -> None:
            if store.create_if_new(connection) and loader is not None:
                seed(connection, loader)

        return create

    def _initialise(self, loader: SeedLoader | None) -> None:
        create = self._creator(self._store, loader)
        if not self.path.exists():
            self._create_whole(loader)
        elif self.path.stat().st_size == 0:
            # A file cut to nothing (a disk fault, a bad copy) is a loss to be told, never
            # quietly filled with samples that new work would then pile onto.
            raise refusal("workspace_empty", path=self.path)
        self._store.initialise(create)

    def _create_whole(self, loader: SeedLoader | None) -> None:
        """Build a new workspace beside its place and link it in only once complete, so no
        reader ever meets a half-made (empty) file; if another process got there first,
        its workspace is the one used."""
        temp = self.path.with_name(f".{self.path.stem}-{secrets.token_hex(6)}.partial")
        try:
            partial = WorkspaceFile(temp, self.busy_timeout_s)
            partial.initialise(self._creator(partial, loader))
            try:
                os.link(temp, self.path)
            except FileExistsError:
                pass
            except OSError:
                # A file system without hard links: the older way, creating in place.
                if not self.path.exists():
                    os.replace(temp, self.path)
        finally:
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(f"{temp}{suffix}").unlink(missing_ok=True)

    # -- reading

    def parcels(self) -> list[Parcel]:
        with self._store.connected() as connection:
            return all_parcels(connection)

    def parcel(self, parcel_id: str) -> Parcel:
        with self._store.connected() as connection:
            row = parcel_row(connection, parcel_id)
            if row is None:
                raise ParcelNotFoundError(parcel_id)
            return parcel_from_row(connection, row)

    def count(self) -> int:
        with self._store.connected() as connection:
            return int(connection.execute(f"SELECT count(*) FROM {PARCELS_TABLE}").fetchone()[0])

    def parcels_extent(self) -> tuple[float, float, float, float] | None:
        """The parcels' extent (west, south, east, north, lon/lat) as the store keeps it,
        without reading their geometries; None when there are none."""
        with self._store.connected() as connection:
            extent = connection.dialect.extent(connection, PARCELS_TABLE)
        return None if extent is None else (extent[0], extent[1], extent[2], extent[3])

    def holds_only_samples(self) -> bool:
        with self._store.connected() as connection:
            total, samples = connection.execute(
                f"SELECT count(*), coalesce(sum(sample), 0) FROM {PARCELS_TABLE}"
            ).fetchone()
        return total > 0 and total == samples

    def parcel_groups(self) -> list[tuple[Any, ...]]:
        """The parcels grouped by status, town, use, use_zh and quarter as stored, each
        group with its count, its stored hectares summed, its first ``fid`` and its
        number of samples (:func:`geo_app.workspace.aggregates.parcel_groups`)."""
        from geo_app.workspace.aggregates import parcel_groups

        with self._store.connected() as connection:
            return parcel_groups(connection)

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
        with self._store.connected() as connection:
            return history.entries(connection, parcel_id, limit)

    def imports(self) -> list[dict[str, Any]]:
        """Every batch, oldest first: imports, and undos (``undoes`` names the batch an undo
        took back; ``undone_by`` the undo that took a batch back, or None)."""
        with self._store.connected() as connection:
            cursor = connection.execute(f"SELECT * FROM {IMPORTS_TABLE} ORDER BY id")
            names = [column[0] for column in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    # -- changing

    def insert(
        self, parcel_id: str, properties: Mapping[str, Any], geometry: BaseGeometry, user: str
    ) -> Parcel:
        parcel_id, user = checked_id(parcel_id), self._by("draw", user)
        props = clean_properties(properties, parcel_id)
        geometry = checked_geometry(geometry, parcel_id)
        with self._store.transaction() as connection:
            if parcel_row(connection, parcel_id) is not None:
                raise DuplicateParcelError([parcel_id], replace_hint=False)
            add_parcel(connection, parcel_id, props, geometry, user, "insert")
            touch(connection, [geometry])
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
        user = self._by("edit", user)
        if geometry is not None:
            geometry = checked_geometry(geometry, parcel_id)
        with self._store.transaction() as connection:
            now = current(connection, parcel_id, expected_version)
            props = (
                clean_properties(properties, parcel_id)
                if properties is not None
                else now.properties
            )
            geom = geometry if geometry is not None else now.geometry
            change_parcel(connection, now, props, geom, user, "update")
            touch(connection, [geom])
        return self.parcel(parcel_id)

    def delete(self, parcel_id: str, expected_version: int, user: str) -> None:
        user = self._by("delete", user)
        with self._store.transaction() as connection:
            delete_parcel(connection, current(connection, parcel_id, expected_version), user, None)
            touch(connection)

    def restore(
        self, parcel_id: str, version: int, user: str, expected_version: int | None = None
    ) -> Parcel:
        """Make ``version`` of the parcel current again, as a new version.

        When the parcel exists and ``expected_version`` is given, the parcel must still be
        at that version; a deleted parcel comes back.
        """
        user = self._by("restore", user)
        with self._store.transaction() as connection:
            geom = restore_version(connection, parcel_id, version, user, expected_version)
            touch(connection, [geom])
        return self.parcel(parcel_id)

    def undo_last(self, parcel_id: str, user: str, expected_version: int | None = None) -> (
        Parcel | None
    ):
        """Undo the parcel's latest change: back to the state before it (None: removed)."""
        user = self._by("edit", user)
        with self._store.transaction() as connection:
            geom = undo_latest(connection, parcel_id, user, expected_version)
            touch(connection, [] if geom is None else [geom])
        return None if geom is None else self.parcel(parcel_id)

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
        user = self._by("import", user)
        checked = checked_many(parcels)
        with self._store.transaction() as connection:
            outcome = import_batch(
                connection, checked, user, source, format_name, crs, replace=replace
            )
            touch(connection, [p.geometry for p in checked])
        return outcome

    def undo_import(self, batch_id: int, user: str) -> UndoOutcome:
        """Put the workspace back as it was before import ``batch_id``, in one transaction.

        The parcels the import added are removed and those it removed (or replaced) come
        back at their last version, all recorded in the history under a batch of its own.
        Refused, with nothing changed, when the batch is unknown or already undone, or when
        any parcel of it has changed since (someone's later edit is never overwritten).
        """
        user = self._by("undo_import", user)
        with self._store.transaction() as connection:
            outcome = undo_batch(connection, int(batch_id), user)
            restored = [self._geometry(connection, p) for p in outcome.restored]
            touch(connection, restored)
        return outcome

    @staticmethod
    def _geometry(connection: Connection, parcel_id: str) -> BaseGeometry:
        return parcel_from_row(connection, parcel_row(connection, parcel_id)).geometry

    # -- reference layers (control lines, land use)

    def import_reference(self, new: NewReference, user: str) -> ReferenceLayer:
        """Store a reference layer whole, in one transaction; a layer of the same name is
        replaced and kept, restorable."""
        user = self._by("reference", user)
        with self._store.transaction() as connection:
            return references.add_layer(connection, new, user)

    def reference_layers(self, include_inactive: bool = False) -> list[ReferenceLayer]:
        """The layers on the map and in the check, oldest first (all stored ones if asked)."""
        with self._store.connected() as connection:
            return references.layers(connection, include_inactive)

    def reference_features(
        self,
        layer_id: int,
        bounds: tuple[float, float, float, float] | None = None,
        *,
        with_properties: bool = False,
    ) -> ReferenceFeatures:
        with self._store.connected() as connection:
            return references.features(connection, layer_id, bounds, with_properties)

    def reference_class_counts(self, layer_id: int) -> list[tuple[str | None, int]]:
        """The land-use classes of a whole reference layer and how many polygons carry
        each, without reading a geometry."""
        with self._store.connected() as connection:
            return references.class_counts(connection, layer_id)

    def remove_reference(self, name_or_id: str, user: str) -> ReferenceLayer:
        user = self._by("reference", user)
        with self._store.transaction() as connection:
            return references.remove(connection, name_or_id, user)

    def restore_reference(self, layer_id: int, user: str) -> ReferenceLayer:
        user = self._by("reference", user)
        with self._store.transaction() as connection:
            return references.restore(connection, int(layer_id), user)

    def references_changed_at(self) -> str:
        """When the reference layers last changed: a new value means draw them again."""
        with self._store.connected() as connection:
            return connection.dialect.changed_at(connection, REFERENCE_FEATURES_TABLE)

    # -- remembered settings

    def setting(self, key: str) -> str | None:
        """A stored setting (such as a remembered column mapping), or None."""
        with self._store.connected() as connection:
            row = connection.execute(
                f"SELECT value FROM {META_TABLE} WHERE key = ?", (key,)
            ).fetchone()
        return None if row is None else str(row[0])

    def remember(self, key: str, value: str) -> None:
        """Store a setting; remembered column mappings come with imports."""
        self.actor.require("import")
        with self._store.transaction() as connection:
            connection.execute(
                f"INSERT INTO {META_TABLE} (key, value) VALUES (?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

    # -- accounts (sign-in for a shared workspace)

    def accounts(self) -> list[Account]:
        with self._store.connected() as connection:
            return accounts.every(connection)

    def account(self, name: str) -> Account | None:
        with self._store.connected() as connection:
            return accounts.find(connection, name)

    def add_account(self, name: str, role: str, password_hash: str | None, user: str
                    ) -> Account:
        user = self._by("users", user)
        with self._store.transaction() as connection:
            return accounts.add(connection, name, role, password_hash, user)

    def change_account(self, name: str, user: str, *, role: str | None = None,
                       password_hash: str | None = None, disabled: bool | None = None
                       ) -> Account:
        user = self._by("users", user)
        with self._store.transaction() as connection:
            return accounts.change(connection, name, user, role=role,
                                   password_hash=password_hash, disabled=disabled)

    def record_sign_in(self, name: str, source: str, outcome: str) -> None:
        """Every attempt is recorded, whoever makes it: the throttle counts them."""
        with self._store.transaction() as connection:
            accounts.record_sign_in(connection, name, source, outcome)

    def failed_sign_ins(self, name: str, since: dt.datetime) -> int:
        with self._store.connected() as connection:
            return accounts.failures_since(connection, name, since)

    def sign_in_attempts(self, limit: int = 100) -> list[tuple[str, str, str, str]]:
        self.actor.require("users")
        with self._store.connected() as connection:
            return accounts.attempts(connection, limit)

    # -- backup

    def backup(self, target: str | Path) -> Path:
        """A snapshot of the whole workspace as one GeoPackage at ``target``, taken with
        SQLite's online backup (others keep reading and writing meanwhile) and written whole
        or not at all. It holds the accounts' password hashes too, so it is an admin's."""
        self.actor.require("settings")
        if not isinstance(self._store, WorkspaceFile):
            raise refusal("backup_of_database", url=self.location)
        with atomic_path(target) as temp:
            copy = sqlite3.connect(temp)
            try:
                with self._store.connected() as connection:
                    connection.backup(copy)
                # One self-contained file: no write-ahead log beside it.
                copy.execute("PRAGMA journal_mode = DELETE").fetchone()
            finally:
                copy.close()
        return Path(target)

    # -- health

    def integrity_check(self) -> str:
        with self._store.connected() as connection:
            return connection.dialect.integrity_check(connection)


def workspace_ledger(workspace: Workspace, target_ha: float | None = None) -> Any:
    """The land-supply ledger of the workspace's parcels against the plan target."""
    from geo_app.ledger import LandSupplyLedger, plan_target

    if target_ha is None:
        target_ha = plan_target().target_ha
    return LandSupplyLedger(
        workspace.frame(), target_ha, sample_data=workspace.holds_only_samples()
    )


# The workspace remembers, per file layout, the column mapping of the last import.
MAPPING_KEY_PREFIX = "column_mapping:"
