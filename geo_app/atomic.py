"""Saving files so that a crash mid-save never leaves a half-written file behind.

Each file is written inside a temporary folder in the target's own directory (same file
system, so the final rename is atomic) and moved over the target with ``os.replace`` only
once it is complete. If writing fails, the temporary file is removed and any previous file
at the target is left as it was.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

from geo_app.problems import KeyedError

TEMP_PREFIX = ".partial-"
# SQLite keeps a database's recent changes beside it: never write over those either.
DATABASE_COMPANIONS = ("", "-wal", "-shm", "-journal")


class UnsafeTarget(KeyedError):
    """A path an export must not write to; ``key`` names the strings.toml text saying why."""

    exit_code = 2

    def __init__(self, key: str, path: Path):
        super().__init__(key, path=path)
        self.path = path


def check_target(
    target: str | os.PathLike[str],
    *,
    protected: Sequence[Path] = (),
    replace: bool = False,
) -> Path:
    """``target`` if writing a new regular file there destroys nothing, else UnsafeTarget.

    Refused: anything that exists but is not a regular file (a device such as /dev/null,
    a FIFO, a folder, a socket), any of the ``protected`` files (a workspace's database)
    and their SQLite companions, and an existing file unless ``replace`` is given.
    """
    path = Path(target)
    real = Path(os.path.realpath(path))
    for database in protected:
        for suffix in DATABASE_COMPANIONS:
            companion = Path(os.path.realpath(f"{database}{suffix}"))
            if real == companion:
                raise UnsafeTarget("export.error.out_protected", path)
    if not os.path.lexists(path):
        return path
    mode = os.stat(path).st_mode if path.exists() else 0
    if not stat.S_ISREG(mode):
        raise UnsafeTarget("export.error.out_not_file", path)
    if not replace:
        raise UnsafeTarget("export.error.out_exists", path)
    return path


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a fresh temporary path beside ``target``; on success it replaces ``target``.

    The temporary path has the target's file name, inside a private folder, and does not
    exist yet: some writers (GDAL drivers) refuse to write over an existing file or look
    at the extension.
    """
    target = Path(target)
    folder = Path(tempfile.mkdtemp(prefix=TEMP_PREFIX, dir=target.parent))
    temp = folder / target.name
    try:
        yield temp
        if not temp.is_file():
            raise OSError(f"nothing was written for {target.name}")
        _flush_to_disk(temp)
        os.replace(temp, target)
    finally:
        # Also removes sidecar files a writer may leave (e.g. SQLite journals).
        shutil.rmtree(folder, ignore_errors=True)


def atomic_write_bytes(target: str | os.PathLike[str], data: bytes) -> Path:
    with atomic_path(target) as temp, open(temp, "wb") as stream:
        stream.write(data)
    return Path(target)


def _flush_to_disk(path: Path) -> None:
    with open(path, "rb+") as stream:
        os.fsync(stream.fileno())
