"""Bringing back an earlier state of a parcel, recorded as a new version of it."""

from __future__ import annotations

from typing import Any

from shapely.geometry.base import BaseGeometry

from geo_app.workspace.dialect import Connection
from geo_app.workspace.errors import ParcelNotFoundError, StaleEditError
from geo_app.workspace.history import latest_before, state_after
from geo_app.workspace.parcels import (
    add_parcel,
    change_parcel,
    current,
    delete_parcel,
    parcel_row,
)


def restore_version(
    connection: Connection,
    parcel_id: str,
    version: int,
    user: str,
    expected_version: int | None,
) -> BaseGeometry:
    """Make ``version`` current again; returns the geometry put back."""
    state = state_after(connection, parcel_id, version)
    if state is None:
        raise ParcelNotFoundError(parcel_id, version)
    props, geom = state
    put_back(connection, parcel_id, props, geom, user, expected_version)
    return geom


def undo_latest(
    connection: Connection, parcel_id: str, user: str, expected_version: int | None
) -> BaseGeometry | None:
    """Back to the state before the latest change; None when that removes the parcel."""
    before = latest_before(connection, parcel_id)
    if before is None:
        raise ParcelNotFoundError(parcel_id)
    props, geom = before
    if props is None or geom is None:
        delete_parcel(connection, current(connection, parcel_id, expected_version), user, None)
        return None
    put_back(connection, parcel_id, props, geom, user, expected_version)
    return geom


def put_back(
    connection: Connection,
    parcel_id: str,
    props: dict[str, Any],
    geom: BaseGeometry,
    user: str,
    expected_version: int | None,
) -> None:
    """Write an earlier state as the parcel's next version; a deleted parcel comes back."""
    if parcel_row(connection, parcel_id) is None:
        if expected_version is not None:
            raise StaleEditError(parcel_id, expected_version, None)
        add_parcel(connection, parcel_id, props, geom, user, "restore")
        return
    now = current(connection, parcel_id, expected_version)
    change_parcel(connection, now, props, geom, user, "restore")
