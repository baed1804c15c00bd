"""``pip install .`` works outside the source tree: the wheel carries the layers, the plan
and every data file of the package, and ``geo-app`` finds them there."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from geo_app.ledger import default_ledger

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
         "--no-index", str(ROOT), "-w", str(out)],
        check=True, capture_output=True, timeout=300,
    )
    (found,) = out.glob("geo_app-*.whl")
    return found


def test_the_wheel_carries_the_shipped_data(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in ("geo_app_layers/catalog.toml", "geo_app_layers/land_parcels.geojson",
                   "geo_app_seeds/plan.toml", "geo_app/strings.toml",
                   "geo_app/parcel_table/vocabulary.toml", "geo_app/basemaps/basemaps.toml",
                   "geo_app/mapview/templates/click.js", "geo_app/assets/vendor.toml"):
        assert needed in names, needed
    # Every subpackage is listed in pyproject.toml; one forgotten would be left out silently.
    for init in (ROOT / "geo_app").rglob("__init__.py"):
        assert init.relative_to(ROOT).as_posix() in names, init


def test_the_installed_package_totals_outside_the_source_tree(wheel, tmp_path):
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    # The unpacked wheel comes first on the path, before the editable source tree.
    env = {**os.environ, "PYTHONPATH": str(site)}
    env.pop("GEO_APP_DATA", None)
    result = subprocess.run(
        [sys.executable, "-c",
         "import geo_app, sys; from geo_app.cli import main;"
         "assert geo_app.__file__.startswith(sys.argv[1]), geo_app.__file__;"
         "sys.exit(main(['totals', '--json']))", str(site)],
        capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["total_ha"] == pytest.approx(default_ledger().total_ha)
