"""The PostGIS tests' database: one throwaway PostgreSQL cluster for the session
(:mod:`pg_cluster`), a fresh PostGIS database for each test that asks.

Nothing is skipped: without the server binaries or PostGIS the session fails and says that
``make test`` installs them.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest

# pytest puts this folder on the import path (no __init__.py), as for every test folder.
from pg_cluster import Cluster, ClusterError, running_cluster

_numbers = itertools.count(1)


@pytest.fixture(scope="session")
def cluster() -> Iterator[Cluster]:
    try:
        context = running_cluster()
        started = context.__enter__()
    except ClusterError as exc:
        pytest.fail(f"The PostGIS tests need a PostgreSQL server with PostGIS: {exc}",
                    pytrace=False)
    try:
        yield started
    finally:
        context.__exit__(None, None, None)


@pytest.fixture
def postgis_url(cluster: Cluster) -> str:
    """The URL (password included) of a new, empty database with PostGIS."""
    return cluster.create_database(f"workspace_{next(_numbers)}")


@pytest.fixture
def plain_url(cluster: Cluster) -> str:
    """A database without PostGIS."""
    return cluster.create_database(f"plain_{next(_numbers)}", postgis=False)
