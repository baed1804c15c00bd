"""The two stores a workspace can live in, for tests that must hold on both: a GeoPackage
folder, or a PostGIS database in the test process's throwaway cluster (:mod:`pg_cluster`).

A test module parametrises its own fixture over :data:`STORES` and opens the workspace
with :func:`place_for` and :func:`open_at`; a place is a folder or a URL, so a forked
writer process opens the same workspace from it.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import psycopg
import pytest
from pg_cluster import ClusterError, new_database

from geo_app.workspace import FILE_NAME, Workspace

STORES = ("geopackage", "postgis")


def place_for(store: str, folder: Path) -> str:
    """Where a fresh workspace of ``store`` goes: ``folder``, or a new database's URL."""
    if store == "geopackage":
        return str(folder)
    try:
        return new_database("workspace")
    except ClusterError as exc:
        pytest.fail(f"The PostGIS tests need a PostgreSQL server with PostGIS: {exc}",
                    pytrace=False)


def is_geopackage(place: str) -> bool:
    return not place.startswith("postgresql://")


def open_at(place: str, **options) -> Workspace:
    """The workspace at ``place`` (a folder or a ``postgresql://`` URL)."""
    if is_geopackage(place):
        return Workspace.open(place, **options)
    return Workspace.open_database(place, **options)


def stored_rows(place: str, sql: str) -> list[tuple[Any, ...]]:
    """The rows ``sql`` reads straight from the store at ``place``, past the workspace."""
    if is_geopackage(place):
        with sqlite3.connect(Path(place) / FILE_NAME) as connection:
            rows = connection.execute(sql).fetchall()
        connection.close()
        return rows
    with psycopg.connect(place) as connection:
        return [tuple(row) for row in connection.execute(sql).fetchall()]
