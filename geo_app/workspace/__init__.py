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

The modules, one concern each: :mod:`~geo_app.workspace.location` (where it lives),
:mod:`~geo_app.workspace.schema` (the tables), :mod:`~geo_app.workspace.connection`
(connections and transactions), :mod:`~geo_app.workspace.records` and
:mod:`~geo_app.workspace.checks` (what is stored, what may be), :mod:`~geo_app.workspace.parcels`
(parcel rows with versions), :mod:`~geo_app.workspace.history` and
:mod:`~geo_app.workspace.restore` (the change log and going back),
:mod:`~geo_app.workspace.batches` (imports), :mod:`~geo_app.workspace.undo` (taking an
import back), :mod:`~geo_app.workspace.references` (control-line and land-use layers, loaded
whole and replaceable), :mod:`~geo_app.workspace.seeding` (sample
parcels) and :mod:`~geo_app.workspace.store` (the :class:`Workspace` callers use).
"""

from geo_app.workspace.checks import MAX_USER_CHARS, clean_properties
from geo_app.workspace.connection import BUSY_TIMEOUT_S
from geo_app.workspace.errors import (
    DuplicateParcelError,
    ParcelNotFoundError,
    StaleEditError,
    WorkspaceError,
)
from geo_app.workspace.location import (
    APP_DIR_NAME,
    DATA_ENV,
    DATABASE_ENV,
    FILE_NAME,
    Place,
    configured_data_dir,
    configured_place,
    default_data_dir,
    place_from_argument,
    resolve_data_dir,
)
from geo_app.workspace.records import (
    HistoryEntry,
    ImportOutcome,
    NewParcel,
    Parcel,
    State,
    UndoOutcome,
    new_parcels_hectares,
)
from geo_app.workspace.references import ReferenceFeatures, ReferenceLayer
from geo_app.workspace.schema import (
    ACTIONS,
    HISTORY_TABLE,
    IMPORTS_TABLE,
    META_TABLE,
    PARCELS_TABLE,
    PROMOTED_FIELDS,
    SCHEMA_VERSION,
)
from geo_app.workspace.seeding import SAMPLE_USER, SeedLoader, sample_parcels
from geo_app.workspace.store import Workspace, workspace_ledger

__all__ = [
    "ACTIONS",
    "APP_DIR_NAME",
    "BUSY_TIMEOUT_S",
    "DATABASE_ENV",
    "DATA_ENV",
    "FILE_NAME",
    "HISTORY_TABLE",
    "IMPORTS_TABLE",
    "MAX_USER_CHARS",
    "META_TABLE",
    "PARCELS_TABLE",
    "PROMOTED_FIELDS",
    "SAMPLE_USER",
    "SCHEMA_VERSION",
    "DuplicateParcelError",
    "HistoryEntry",
    "ImportOutcome",
    "NewParcel",
    "Parcel",
    "ParcelNotFoundError",
    "Place",
    "ReferenceFeatures",
    "ReferenceLayer",
    "SeedLoader",
    "StaleEditError",
    "State",
    "UndoOutcome",
    "Workspace",
    "WorkspaceError",
    "clean_properties",
    "configured_data_dir",
    "configured_place",
    "default_data_dir",
    "new_parcels_hectares",
    "place_from_argument",
    "resolve_data_dir",
    "sample_parcels",
    "workspace_ledger",
]
