"""An import batch: a file's parcels added in one transaction, all of them or none.

Sample parcels make way for real ones; with ``replace`` every parcel does. Each removal is
in the history, so it can be restored. The rows are written together (one statement per
table, the geometries encoded and measured in one call each), so a district's hundred
thousand parcels go in as one transaction of a few seconds.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from geo_app.workspace.dialect import Connection
from geo_app.workspace.errors import DuplicateParcelError
from geo_app.workspace.parcels import add_parcels, delete_parcels
from geo_app.workspace.records import (
    ImportOutcome,
    NewParcel,
    new_parcels_hectares,
    utc_now,
)
from geo_app.workspace.schema import IMPORTS_TABLE, PARCELS_TABLE


def import_batch(
    connection: Connection,
    parcels: Sequence[NewParcel],
    user: str,
    source: str,
    format_name: str,
    crs: str,
    *,
    replace: bool,
) -> ImportOutcome:
    """Add checked ``parcels`` as one batch; an id clash refuses them all."""
    connection.dialect.before_bulk_write(connection)
    ids = [p.parcel_id for p in parcels]
    repeated = sorted(i for i, n in Counter(ids).items() if n > 1)
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
    # Every parcel measured once: as its maker measured it, else here, in one call; the
    # removed ones as they were stored.
    each = new_parcels_hectares(parcels)
    added_ha = float(each.sum())
    cursor = connection.execute(
        f'INSERT INTO {IMPORTS_TABLE} (at, "user", source, format, crs, parcel_count, '
        "removed_count, hectares, sample) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (utc_now(), user, source, format_name, crs, len(parcels), len(leaving_ids), added_ha,
         int(batch_sample)),
    )
    batch = int(cursor.lastrowid)
    removed_ha = delete_parcels(connection, leaving_ids, user, batch)
    add_parcels(connection, parcels, each.tolist(), user, "import", batch)
    return ImportOutcome(
        batch_id=batch,
        added=tuple(ids),
        removed=tuple(leaving_ids),
        removed_samples=bool(leaving_ids) and (only_samples or not replace),
        hectares_added=added_ha,
        hectares_removed=removed_ha,
    )

