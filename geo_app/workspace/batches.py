"""An import batch: a file's parcels added in one transaction, all of them or none.

Sample parcels make way for real ones; with ``replace`` every parcel does. Each removal is
in the history, so it can be restored.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from geo_app.workspace.errors import DuplicateParcelError
from geo_app.workspace.parcels import (
    add_parcel,
    delete_parcel,
    parcel_from_row,
    parcel_hectares,
    parcel_row,
)
from geo_app.workspace.records import ImportOutcome, NewParcel, utc_now
from geo_app.workspace.schema import IMPORTS_TABLE, PARCELS_TABLE


def import_batch(
    connection: sqlite3.Connection,
    parcels: Sequence[NewParcel],
    user: str,
    source: str,
    format_name: str,
    crs: str,
    *,
    replace: bool,
) -> ImportOutcome:
    """Add checked ``parcels`` as one batch; an id clash refuses them all."""
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
    leaving = [parcel_from_row(parcel_row(connection, parcel_id)) for parcel_id in leaving_ids]
    added_ha = sum(parcel_hectares(p.geometry) for p in parcels)
    removed_ha = sum(parcel_hectares(p.geometry) for p in leaving)
    cursor = connection.execute(
        f"INSERT INTO {IMPORTS_TABLE} (at, user, source, format, crs, parcel_count, "
        "removed_count, hectares, sample) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (utc_now(), user, source, format_name, crs, len(parcels), len(leaving), added_ha,
         int(batch_sample)),
    )
    batch = int(cursor.lastrowid)
    for gone in leaving:
        delete_parcel(connection, gone, user, batch)
    for parcel in parcels:
        add_parcel(connection, parcel.parcel_id, dict(parcel.properties), parcel.geometry,
                   user, "import", batch)
    return ImportOutcome(
        batch_id=batch,
        added=tuple(ids),
        removed=tuple(leaving_ids),
        removed_samples=bool(leaving) and (only_samples or not replace),
        hectares_added=added_ha,
        hectares_removed=removed_ha,
    )
