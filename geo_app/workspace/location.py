"""Where the workspace lives: ``--workspace``, else ``GEO_APP_DATA``, else the user's folder."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

DATA_ENV = "GEO_APP_DATA"
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
