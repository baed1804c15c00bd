"""Where the shipped data lives: ``layers/`` and ``seeds/``.

In the source tree they sit beside the package. An installed wheel carries them as the
data packages ``geo_app_layers`` and ``geo_app_seeds`` (see pyproject.toml), found through
the import system, so ``pip install .`` works outside the source tree too.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
STATIC_DIR = PROJECT_ROOT / "static"


def _shipped(folder: str, package: str) -> Path:
    """The source tree's folder, else the installed data package of the same files."""
    beside = PROJECT_ROOT / folder
    if beside.is_dir():
        return beside
    # The data packages are folders of files without code (namespace packages): their
    # place is where the import system finds them.
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return beside  # neither: the caller's read then says which file is missing
    return Path(next(iter(spec.submodule_search_locations)))


LAYERS_DIR = _shipped("layers", "geo_app_layers")
SEEDS_DIR = _shipped("seeds", "geo_app_seeds")
