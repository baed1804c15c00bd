"""The PostGIS tests' database: the test process's one throwaway PostgreSQL cluster
(:mod:`pg_cluster`), a fresh PostGIS database for each test that asks.

Nothing is skipped: without the server binaries or PostGIS the session fails and says that
``make test`` installs them.
"""

from __future__ import annotations

import pytest
from pg_cluster import Cluster, ClusterError, new_database, shared_cluster


@pytest.fixture(scope="session")
def cluster() -> Cluster:
    try:
        return shared_cluster()
    except ClusterError as exc:
        pytest.fail(f"The PostGIS tests need a PostgreSQL server with PostGIS: {exc}",
                    pytrace=False)


@pytest.fixture
def postgis_url(cluster: Cluster) -> str:
    """The URL (password included) of a new, empty database with PostGIS."""
    return new_database("workspace")


@pytest.fixture
def plain_url(cluster: Cluster) -> str:
    """A database without PostGIS."""
    return new_database("plain", postgis=False)
