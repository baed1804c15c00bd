"""Taking back a whole import batch in one step.

The undo is a batch of its own in ``import_batches`` (``undoes`` names the batch it took
back, which in turn records ``undone_by``), and every parcel it touches is in the history
under that batch: the parcels the import added are deleted, the parcels it removed (under
``replace``, or samples making way) come back as a ``restore`` of their last version.

Nobody's later work is overwritten: if any parcel of the batch has a history entry newer
than the batch (an edit, a delete, a restore, another import), the whole undo is refused
and nothing changes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import shapely
from shapely.geometry.base import BaseGeometry

from geo_app.workspace.dialect import Connection
from geo_app.workspace.errors import refusal
from geo_app.workspace.parcels import (
    add_parcel,
    change_parcel,
    current_versions,
    delete_parcels,
    parcel_from_row,
    parcel_hectares,
    parcel_row,
)
from geo_app.workspace.records import UndoOutcome, utc_now
from geo_app.workspace.schema import HISTORY_TABLE, IMPORTS_TABLE

# How many parcel ids a refusal names before it says "…".
LISTED = 10


@dataclass
class _Change:
    """One parcel's part in a batch: how it was before the batch and right after it."""

    before: tuple[dict[str, Any], BaseGeometry] | None
    after_version: int | None


def _state(props: str | None, wkb: bytes | None) -> tuple[dict[str, Any], BaseGeometry] | None:
    return None if props is None else (json.loads(props), shapely.from_wkb(wkb))


def _changes(connection: Connection, batch: int) -> tuple[dict[str, _Change], int]:
    """Each parcel the batch touched (in the order it touched them) and the batch's last
    history entry."""
    rows = connection.execute(
        f"SELECT id, parcel_id, before_properties, before_wkb, version_after "
        f"FROM {HISTORY_TABLE} WHERE batch_id = ? ORDER BY id",
        (batch,),
    ).fetchall()
    changes: dict[str, _Change] = {}
    for _, parcel_id, before_props, before_wkb, version_after in rows:
        if parcel_id in changes:
            # Replaced by a parcel of the same id in the same batch: the first entry holds
            # the state before the batch, the last one the state after it.
            changes[parcel_id].after_version = version_after
        else:
            changes[parcel_id] = _Change(_state(before_props, before_wkb), version_after)
    return changes, max((row[0] for row in rows), default=0)


def _changed_since(
    connection: Connection, batch: int, last_entry: int, changes: dict[str, _Change]
) -> list[str]:
    """Parcels of the batch with a later history entry, or not as the batch left them."""
    later = {
        row[0]
        for row in connection.execute(
            f"SELECT DISTINCT parcel_id FROM {HISTORY_TABLE} WHERE id > ? AND parcel_id IN "
            f"(SELECT parcel_id FROM {HISTORY_TABLE} WHERE batch_id = ?)",
            (last_entry, batch),
        )
    }
    now = current_versions(connection, list(changes))
    return [parcel_id for parcel_id, change in changes.items()
            if parcel_id in later or now.get(parcel_id) != change.after_version]


def _listed(parcel_ids: list[str]) -> str:
    return ", ".join(parcel_ids[:LISTED]) + (" …" if len(parcel_ids) > LISTED else "")


def undo_batch(connection: Connection, batch: int, user: str) -> UndoOutcome:
    """Put the workspace back as it was before ``batch``, as a new batch; refused (nothing
    changed) when the batch is unknown, already undone, or a parcel of it changed since."""
    found = connection.execute(
        f"SELECT source, format, crs, undone_by FROM {IMPORTS_TABLE} WHERE id = ?", (batch,)
    ).fetchone()
    if found is None:
        raise refusal("no_such_batch", batch=batch)
    source, format_name, crs, undone_by = found
    if undone_by is not None:
        raise refusal("batch_undone", batch=batch, undo=undone_by)
    changes, last_entry = _changes(connection, batch)
    changed = _changed_since(connection, batch, last_entry, changes)
    if changed:
        raise refusal(
            "undo_changed_since", batch=batch, count=len(changed), listed=_listed(changed)
        )
    restoring = {pid: c.before for pid, c in changes.items() if c.before is not None}
    # Nothing changed since the batch (checked above), so every parcel is as the batch left
    # it: those it added go (all together), those it removed or replaced come back.
    removed = [parcel_id for parcel_id, change in changes.items()
               if change.before is None and change.after_version is not None]
    restoring_ha = sum(parcel_hectares(geom) for _, geom in restoring.values())
    cursor = connection.execute(
        f'INSERT INTO {IMPORTS_TABLE} (at, "user", source, format, crs, parcel_count, '
        "removed_count, hectares, sample, undoes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (utc_now(), user, source, format_name, crs, len(restoring), len(removed), restoring_ha,
         int(bool(restoring) and all(p.get("sample") is True for p, _ in restoring.values())),
         batch),
    )
    undo = int(cursor.lastrowid)
    connection.execute(
        f"UPDATE {IMPORTS_TABLE} SET undone_by = ? WHERE id = ?", (undo, batch)
    )
    removed_ha = delete_parcels(connection, removed, user, undo)
    restored: list[str] = []
    for parcel_id, change in changes.items():
        if change.before is None:
            continue
        props, geom = change.before
        if change.after_version is None:
            add_parcel(connection, parcel_id, props, geom, user, "restore", undo)
        else:
            now = parcel_from_row(connection, parcel_row(connection, parcel_id))
            change_parcel(connection, now, props, geom, user, "restore", undo)
        restored.append(parcel_id)
    return UndoOutcome(
        batch_id=undo,
        undone_batch=batch,
        source=source,
        removed=tuple(removed),
        restored=tuple(restored),
        hectares_removed=removed_ha,
        hectares_restored=restoring_ha,
    )
