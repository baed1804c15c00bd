"""Fetch the pinned npm packages of vendor.toml into .assets-cache/ (``python -m``-able).

Each package is downloaded with ``npm pack NAME@VERSION`` (npm's own client, its own cache),
checked against the sha512 ``integrity`` pinned in vendor.toml, and unpacked. A package whose
unpacked folder already carries the pinned integrity is left alone, so a second run is fast
and needs no network.
"""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Sequence
from pathlib import Path

from geo_app.assets.vendor import CACHE_DIR, MARKER_NAME, Library, load_vendor, read_marker


class FetchError(RuntimeError):
    """npm is missing, the download failed, or the tarball is not the pinned one."""


def tarball_integrity(path: Path) -> str:
    """npm's integrity string (``sha512-`` + base64 digest) of a file."""
    digest = hashlib.sha512(path.read_bytes()).digest()
    return "sha512-" + base64.b64encode(digest).decode("ascii")


def _npm() -> str:
    npm = shutil.which("npm")
    if npm is None:
        raise FetchError(
            "npm is not installed; install Node.js (Debian: apt-get install npm) and run again"
        )
    return npm


def _npm_pack(library: Library, destination: Path) -> Path:
    command = [
        _npm(), "pack", library.spec, "--pack-destination", str(destination),
        "--json", "--ignore-scripts", "--silent",
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=False, timeout=300)
    if result.returncode != 0:
        tail = (result.stderr or result.stdout).strip().splitlines()[-3:]
        raise FetchError(f"npm pack {library.spec} failed: {' '.join(tail)}")
    try:
        filename = json.loads(result.stdout)[0]["filename"]
    except (ValueError, LookupError) as exc:
        raise FetchError(f"npm pack {library.spec}: unexpected answer from npm") from exc
    # npm names scoped packages "scope-name-1.0.0.tgz"; trust its answer, not a guess.
    return destination / Path(filename).name


def _unpack(tarball: Path, target: Path, integrity: str) -> None:
    staging = Path(tempfile.mkdtemp(prefix=".unpack-", dir=target.parent))
    try:
        with tarfile.open(tarball, "r:gz") as archive:
            archive.extractall(staging, filter="data")
        (staging / MARKER_NAME).write_text(integrity + "\n", encoding="ascii")
        if target.exists():
            shutil.rmtree(target)
        staging.rename(target)
    finally:
        if staging.exists():
            shutil.rmtree(staging)


def fetch_library(library: Library, cache_dir: Path = CACHE_DIR) -> bool:
    """Make the pinned package present and verified; return True when work was done."""
    target = library.npm_dir(cache_dir)
    if read_marker(target) == library.integrity:
        return False
    target.parent.mkdir(parents=True, exist_ok=True)
    tarball = cache_dir / "tarballs" / f"{library.package}-{library.version}.tgz"
    tarball.parent.mkdir(parents=True, exist_ok=True)
    if not tarball.exists() or tarball_integrity(tarball) != library.integrity:
        with tempfile.TemporaryDirectory(dir=tarball.parent) as scratch:
            packed = _npm_pack(library, Path(scratch))
            got = tarball_integrity(packed)
            if got != library.integrity:
                raise FetchError(
                    f"{library.spec}: tarball integrity {got} differs from the pinned "
                    f"{library.integrity}; refusing to use it"
                )
            packed.replace(tarball)
    _unpack(tarball, target, library.integrity)
    return True


def fetch_all(cache_dir: Path = CACHE_DIR, libraries: Sequence[Library] | None = None) -> list[str]:
    """Fetch every npm library; return the specs that had to be fetched."""
    fetched = []
    for library in libraries if libraries is not None else load_vendor():
        if library.source == "npm" and fetch_library(library, cache_dir):
            fetched.append(library.spec)
    return fetched


def main(argv: Sequence[str] | None = None) -> int:
    del argv  # no options: vendor.toml says everything
    try:
        fetched = fetch_all()
    except (FetchError, OSError, subprocess.SubprocessError) as exc:
        print(f"map assets: {exc}", file=sys.stderr)
        return 1
    if fetched:
        print(f"map assets: fetched {', '.join(fetched)} into .assets-cache/")
    else:
        print("map assets: all npm packages already fetched and verified")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
