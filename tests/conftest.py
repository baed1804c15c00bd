"""Shared by every test folder: the tests' own helpers (such as ``bureau_files``) import
from anywhere under tests/, and the app's side (``app_parts``, beside streamlit_app.py and
outside the installed package) imports as the app itself imports it."""

import os
import sys
import tempfile
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
for folder in (str(TESTS), str(TESTS.parent)):
    if folder not in sys.path:
        sys.path.insert(0, folder)

# A developer's own database setting never reaches the tests (nor the servers and workers
# they start): a test that wants a workspace in PostGIS sets the variable itself.
os.environ.pop("GEO_APP_DATABASE_URL", None)


@pytest.fixture
def temp_root(monkeypatch, tmp_path) -> Path:
    """Every temporary folder, made here and in a worker the test starts, goes here, so
    the test sees what is left."""
    root = tmp_path / "tmp"
    root.mkdir()
    monkeypatch.setenv("TMPDIR", str(root))
    monkeypatch.setattr(tempfile, "tempdir", str(root))
    return root
