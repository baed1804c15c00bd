"""Where the workspace lives.

A folder named with ``--workspace`` comes first; else the PostGIS database of
``GEO_APP_DATABASE_URL``; else the folder ``GEO_APP_DATA``; else the user's own folder. The
rule is here once (:func:`configured_place`) for the command line, the app and their
worker processes.

A database's URL may hold a password: a :class:`Place` shows it masked, and hands a worker
process only the word :data:`DATABASE_ARGUMENT`, the worker reading the URL from the
environment it inherits, so the password is never written into a job's files.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from geo_app.workspace.database_url import masked_url

DATA_ENV = "GEO_APP_DATA"
DATABASE_ENV = "GEO_APP_DATABASE_URL"
# What a job's arguments say for "the configured database" instead of its URL.
DATABASE_ARGUMENT = "database:" + DATABASE_ENV
APP_DIR_NAME = "shuangyang-geo-app"
# The workspace's one file inside the data folder.
FILE_NAME = "workspace.gpkg"


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


@dataclass(frozen=True)
class Place:
    """A workspace's place: a folder holding its GeoPackage, or a PostGIS database."""

    folder: Path | None = None
    database_url: str | None = field(default=None, repr=False)

    @property
    def is_database(self) -> bool:
        return self.database_url is not None

    @property
    def shown(self) -> str:
        """The folder, or the URL with its password masked."""
        return masked_url(self.database_url) if self.database_url else str(self.folder)

    def __repr__(self) -> str:
        return f"Place({self.shown!r})"

    def as_argument(self) -> str:
        """What a worker process is told: the folder, or :data:`DATABASE_ARGUMENT`."""
        return DATABASE_ARGUMENT if self.is_database else str(self.folder)


def configured_place(
    explicit: str | Path | None = None, environ: Mapping[str, str] = os.environ
) -> Place:
    """``--workspace`` when given, else ``GEO_APP_DATABASE_URL`` when set, else
    ``GEO_APP_DATA`` when set, else the user's folder."""
    if explicit is not None and str(explicit).strip():
        return Place(folder=Path(explicit).expanduser())
    url = environ.get(DATABASE_ENV, "").strip()
    if url:
        return Place(database_url=url)
    return Place(folder=resolve_data_dir(None, environ))


def place_from_argument(text: str, environ: Mapping[str, str] = os.environ) -> Place:
    """The place a worker was told (:meth:`Place.as_argument`)."""
    if text == DATABASE_ARGUMENT:
        url = environ.get(DATABASE_ENV, "").strip()
        if not url:
            raise ValueError(f"{DATABASE_ENV} is not set in the worker's environment")
        return Place(database_url=url)
    return Place(folder=Path(text))
